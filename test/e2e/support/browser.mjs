// @ts-check
// Headless Debian Chromium driven by playwright-core (no browser download). Installs the `chromium` package
// with apt once when it is missing (CI's fresh machines), starts it with a fresh profile, and lets pages reach
// 127.0.0.1 only: every other request is aborted, so the editor never talks to a public host.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];

/** apt-get install chromium, once per machine (Debian's package; needs root or passwordless sudo). */
export function ensureChromium() {
	if (existsSync(CHROMIUM)) return;
	const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
	const prefix = asRoot ? [] : ['sudo', '-n'];
	const run = (/** @type {string[]} */ args) => {
		process.stderr.write(`Installing Chromium for the browser test: ${args.join(' ')}\n`);
		const result = spawnSync(prefix[0] ?? args[0], [...prefix.slice(1), ...(prefix.length ? args : args.slice(1))], {
			stdio: ['ignore', 'inherit', 'inherit'],
			env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
		});
		if (result.status !== 0) throw new Error(`${args.join(' ')} failed (exit ${result.status}); install Debian's chromium package`);
	};
	run(['apt-get', 'update', '-q']);
	run(['apt-get', 'install', '-y', '-q', '--no-install-recommends', 'chromium']);
	if (!existsSync(CHROMIUM)) throw new Error(`apt installed chromium but ${CHROMIUM} is missing`);
}

/**
 * @param {{ width?: number, height?: number }} [viewport]
 * @returns {Promise<{ context: import('playwright-core').BrowserContext, page: import('playwright-core').Page, blocked: string[], close(): Promise<void> }>}
 */
export async function openBrowser(viewport = {}) {
	ensureChromium();
	const profile = mkdtempSync(join(tmpdir(), 'seedream-chromium-'));
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM,
		headless: true,
		args: ARGS,
		viewport: { width: viewport.width ?? 1440, height: viewport.height ?? 900 },
	});
	/** @type {string[]} */
	const blocked = [];
	await context.route('**/*', (route) => {
		const url = new URL(route.request().url());
		if (url.hostname === '127.0.0.1' || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
		blocked.push(url.origin);
		return route.abort();
	});
	const page = context.pages()[0] ?? (await context.newPage());
	return {
		context,
		page,
		blocked,
		async close() {
			await context.close().catch(() => {});
			rmSync(profile, { recursive: true, force: true });
		},
	};
}
