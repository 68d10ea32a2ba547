// @ts-check
// Headless Debian Chromium driven by playwright-core (no browser download). `npm test` installs Debian's
// `chromium` package before the suite when it is missing (CI's fresh machines); this starts it with a fresh
// profile and lets pages reach 127.0.0.1 only: every other request is aborted, so the editor never talks to a
// public host.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, ensureChromium } from '../../../scripts/lib/toolchain.mjs';

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
		if (url.hostname === '127.0.0.1' || url.protocol === 'data:' || url.protocol === 'blob:')
			return route.continue();
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
