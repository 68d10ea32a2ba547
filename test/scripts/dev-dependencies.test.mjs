// @ts-check
// The clone's own `npm ci` (scripts/lib/toolchain.mjs ensureDevDependencies), as two commands started together in
// one checkout run it (`npm test` and `npm start` in two terminals): real processes, a stand-in for npm ci.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./fixtures/dev-dependencies-child.mjs', import.meta.url));

/** @type {string} */
let checkout;
beforeEach(() => {
	checkout = mkdtempSync(join(tmpdir(), 'seedream-dev-deps-'));
	writeFileSync(join(checkout, 'package-lock.json'), '{ "lockfileVersion": 3 }\n');
});
afterEach(() => rmSync(checkout, { recursive: true, force: true }));

/** @param {string} log */
function startCommand(log) {
	const child = spawn(process.execPath, [CHILD, checkout, log], {
		stdio: ['ignore', 'ignore', 'pipe'],
	});
	let stderr = '';
	child.stderr.on('data', (chunk) => (stderr += chunk));
	return new Promise((resolve) =>
		child.on('exit', (code) => resolve({ pid: child.pid, code, stderr })),
	);
}

test('two commands started together in one checkout: one runs npm ci, the other waits for it and does not run it again', async () => {
	const log = join(checkout, 'log');
	writeFileSync(log, '');
	const results = await Promise.all([startCommand(log), startCommand(log)]);

	expect(results.map((r) => r.code)).toEqual([0, 0]);
	const lines = readFileSync(log, 'utf8').trim().split('\n');
	const installs = lines.filter((l) => l.startsWith('npm-ci-start '));
	expect(installs).toHaveLength(1);
	const installer = installs[0].split(' ')[1];
	// npm ci ran from start to end before either command went on.
	expect(lines.map((l) => l.split(' ')[0])).toEqual([
		'npm-ci-start',
		'npm-ci-end',
		'ready',
		'ready',
	]);
	expect(readdirSync(join(checkout, 'node_modules')).sort()).toEqual([
		'.seedream-lock-hash',
		`installed-by-${installer}`,
	]);
	expect(existsSync(join(checkout, '.dev-dependencies.lock'))).toBe(false);
});

test('a checkout whose node_modules matches the lock file runs no npm ci', async () => {
	const log = join(checkout, 'log');
	writeFileSync(log, '');
	await startCommand(log);
	writeFileSync(log, '');

	const result = await startCommand(log);

	expect(result).toMatchObject({ code: 0 });
	expect(
		readFileSync(log, 'utf8')
			.trim()
			.split('\n')
			.map((l) => l.split(' ')[0]),
	).toEqual(['ready']);
});
