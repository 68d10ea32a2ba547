// @ts-check
// The cache install lock (scripts/lib/install-once.mjs), run as the README's commands run it: separate processes
// asking for the same install at once, and one killed in the middle of it.
import { spawn, spawnSync } from 'node:child_process';
import {
	existsSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	rmSync,
	utimesSync,
	writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./fixtures/install-child.mjs', import.meta.url));

/** @type {string} */
let root;
beforeEach(() => {
	root = mkdtempSync(join(tmpdir(), 'seedream-install-once-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** @param {string} log @param {number} peers @param {NodeJS.ProcessEnv} [env] */
function startChild(log, peers, env = {}) {
	const child = spawn(process.execPath, [CHILD, join(root, 'cache'), log, String(peers)], {
		stdio: ['ignore', 'ignore', 'pipe'],
		env: { ...process.env, ...env },
	});
	let stderr = '';
	child.stderr.on('data', (chunk) => (stderr += chunk));
	const exited = new Promise((resolve) =>
		child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
	);
	return {
		child,
		exited: /** @type {Promise<{ code: number | null, signal: string | null, stderr: string }>} */ (
			exited
		),
	};
}

/** @param {string} log */
const lines = (log) =>
	existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : [];
/** @param {string} log @param {string} word */
const pidsOf = (log, word) =>
	lines(log)
		.filter((l) => l.startsWith(`${word} `))
		.map((l) => Number(l.split(' ')[1]));

test('four processes asking for one install at once: exactly one installs, the others wait for it, all succeed', async () => {
	const log = join(root, 'log');
	writeFileSync(log, '');
	const children = Array.from({ length: 4 }, () => startChild(log, 3));
	const results = await Promise.all(children.map((c) => c.exited));

	expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
	const installers = pidsOf(log, 'install-start');
	expect(installers).toHaveLength(1);
	expect(pidsOf(log, 'installed')).toEqual(installers);
	expect(pidsOf(log, 'reused').sort()).toEqual(
		children
			.map((c) => c.child.pid)
			.filter((pid) => pid !== installers[0])
			.sort(),
	);
	// Each waiter said whom it waits for.
	for (const r of results.filter((r) => !r.stderr.includes('Installing thing 1.0'))) {
		expect(r.stderr).toContain(
			`Waiting for process ${installers[0]}, which is installing thing 1.0`,
		);
	}
	const dir = join(root, 'cache', 'thing-1.0');
	expect(existsSync(join(dir, '.install-complete'))).toBe(true);
	expect(existsSync(`${dir}.lock`)).toBe(false);
});

test('an install killed midway is redone by the next process: stale lock removed, partial files gone, marker written', async () => {
	const log = join(root, 'log');
	writeFileSync(log, '');
	// Peers = 1 that never comes: the first child stays inside its install until it is killed.
	const first = startChild(log, 1);
	for (let i = 0; i < 400 && pidsOf(log, 'install-start').length === 0; i++)
		await new Promise((r) => setTimeout(r, 50));
	expect(pidsOf(log, 'install-start')).toEqual([first.child.pid]);
	first.child.kill('SIGKILL');
	expect((await first.exited).signal).toBe('SIGKILL');
	const dir = join(root, 'cache', 'thing-1.0');
	expect(existsSync(join(dir, '.install-complete'))).toBe(false);
	expect(existsSync(`${dir}.lock`)).toBe(true);

	const second = startChild(log, 0);
	const result = await second.exited;

	expect(result.code).toBe(0);
	expect(result.stderr).toContain('holds an unfinished install');
	expect(pidsOf(log, 'installed')).toEqual([second.child.pid]);
	expect(readdirSync(dir).filter((f) => f.startsWith('partial-'))).toEqual([
		`partial-${second.child.pid}`,
	]);
	expect(existsSync(join(dir, '.install-complete'))).toBe(true);
	expect(existsSync(`${dir}.lock`)).toBe(false);
});

test('a lock naming a live pid with another start time (a reused pid) is taken as stale', async () => {
	const log = join(root, 'log');
	writeFileSync(log, '');
	const lockDir = join(root, 'cache', 'thing-1.0.lock');
	mkdirSync(lockDir, { recursive: true });
	const { hostname } = await import('node:os');
	writeFileSync(
		join(lockDir, 'owner.json'),
		JSON.stringify({
			pid: process.pid,
			start: 'not-my-start-time',
			host: hostname(),
			label: 'x',
			since: '',
		}),
	);

	const result = await startChild(log, 0).exited;

	expect(result.code).toBe(0);
	expect(pidsOf(log, 'installed')).toHaveLength(1);
});

test('a lock held by a live process on this host is waited for, not broken', async () => {
	const log = join(root, 'log');
	writeFileSync(log, '');
	const lockDir = join(root, 'cache', 'thing-1.0.lock');
	mkdirSync(lockDir, { recursive: true });
	const { hostname } = await import('node:os');
	const ownStart = readFileSync(`/proc/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ')[19];
	writeFileSync(
		join(lockDir, 'owner.json'),
		JSON.stringify({
			pid: process.pid,
			start: ownStart,
			host: hostname(),
			label: 'held',
			since: '',
		}),
	);

	const child = startChild(log, 0);
	for (let i = 0; i < 400 && pidsOf(log, 'waiting').length === 0; i++)
		await new Promise((r) => setTimeout(r, 50));
	expect(pidsOf(log, 'waiting')).toEqual([child.child.pid]);
	expect(pidsOf(log, 'install-start')).toEqual([]);
	rmSync(lockDir, { recursive: true }); // the holder releases it

	const result = await child.exited;
	expect(result.code).toBe(0);
	expect(result.stderr).toContain(`Waiting for process ${process.pid}, which is installing held`);
	expect(pidsOf(log, 'installed')).toEqual([child.child.pid]);
});

test('a long install shows a heartbeat with the packages installed so far, and the heartbeat ends with it', async () => {
	const modules = join(root, 'node_modules');
	mkdirSync(join(modules, '@scope', 'a'), { recursive: true });
	mkdirSync(join(modules, '@scope', 'b'), { recursive: true });
	mkdirSync(join(modules, 'plain'), { recursive: true });
	const toolchain = fileURLToPath(new URL('../../scripts/lib/toolchain.mjs', import.meta.url));
	// The "install" is a process that lasts 1 s; the heartbeat every 200 ms.
	const script = `import(${JSON.stringify(toolchain)}).then((t) => t.runWithProgress('thing 1.0', ${JSON.stringify(modules)}, process.execPath, ['-e', 'setTimeout(() => {}, 1000)'], {}, 200))`;
	const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
	let stderr = '';
	child.stderr.on('data', (chunk) => (stderr += chunk));
	const code = await new Promise((resolve) => child.on('exit', resolve));

	expect(code).toBe(0);
	expect(stderr).toMatch(/^ {2}\.\.\. thing 1\.0: 3 packages so far, 0 min \d+ s$/m);
	const beats = stderr.split('\n').filter((l) => l.includes('packages so far')).length;
	const afterExit = await new Promise((resolve) =>
		setTimeout(
			() => resolve(stderr.split('\n').filter((l) => l.includes('packages so far')).length),
			600,
		),
	);
	expect(afterExit).toBe(beats);
});

/** A pid no process has now: one that has just exited. */
const goneProcess = () => /** @type {number} */ (spawnSync(process.execPath, ['-e', '']).pid);
/** This test process as a lock owner, as install-once writes it. */
const ownStart = () =>
	readFileSync(`/proc/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ')[19];
/** @param {string} dir @param {Record<string, unknown>} owner */
function writeLock(dir, owner) {
	mkdirSync(dir, { recursive: true });
	writeFileSync(
		join(dir, 'owner.json'),
		JSON.stringify({ host: hostname(), label: 'held', since: '2026-01-01T00:00:00Z', ...owner }),
	);
}
/** Polls until the log has a line starting with one of `words` (at most 10 s). @param {string} log @param {string[]} words */
async function untilLogged(log, words) {
	for (let i = 0; i < 200 && !words.some((w) => pidsOf(log, w).length); i++)
		await new Promise((r) => setTimeout(r, 50));
}

test('a stale lock whose .break lock is held by a live process, however old, is not broken until that .break is released', async () => {
	const log = join(root, 'log');
	writeFileSync(log, '');
	const lockDir = join(root, 'cache', 'thing-1.0.lock');
	writeLock(lockDir, { pid: goneProcess() });
	const breakDir = `${lockDir}.break`;
	writeLock(breakDir, { pid: process.pid, start: ownStart(), token: 'live-breaker' });
	const hourAgo = new Date(Date.now() - 3600_000);
	utimesSync(breakDir, hourAgo, hourAgo);

	const child = startChild(log, 0);
	await untilLogged(log, ['waiting', 'install-start']);
	expect(pidsOf(log, 'install-start')).toEqual([]);
	expect(pidsOf(log, 'waiting')).toEqual([child.child.pid]);
	expect(JSON.parse(readFileSync(join(breakDir, 'owner.json'), 'utf8')).token).toBe('live-breaker');
	rmSync(breakDir, { recursive: true }); // the live breaker finishes

	const result = await child.exited;
	expect(result.code).toBe(0);
	expect(pidsOf(log, 'installed')).toEqual([child.child.pid]);
});

test('a .break lock left by a process that is gone is removed, and the stale lock it guarded is broken', async () => {
	const log = join(root, 'log');
	writeFileSync(log, '');
	const lockDir = join(root, 'cache', 'thing-1.0.lock');
	writeLock(lockDir, { pid: goneProcess() });
	writeLock(`${lockDir}.break`, { pid: goneProcess(), token: 'gone-breaker' });

	const result = await startChild(log, 0).exited;

	expect(result.code).toBe(0);
	expect(pidsOf(log, 'installed')).toHaveLength(1);
	expect(readdirSync(join(root, 'cache')).sort()).toEqual(['thing-1.0']);
});

test('an owner on another host is waited for until the overall timeout, then named with the lock to remove', async () => {
	const log = join(root, 'log');
	writeFileSync(log, '');
	const lockDir = join(root, 'cache', 'thing-1.0.lock');
	writeLock(lockDir, { pid: 4242, host: 'builder-7.example', label: 'thing 1.0' });

	const child = startChild(log, 0, { SEEDREAM_LOCK_TIMEOUT_S: '1' });
	const timer = setTimeout(() => child.child.kill('SIGKILL'), 15_000);
	const result = await child.exited;
	clearTimeout(timer);

	expect(result.signal).toBeNull();
	expect(result.code).not.toBe(0);
	expect(result.stderr).toContain(
		'Waiting for process 4242 on host builder-7.example, which is installing thing 1.0',
	);
	expect(result.stderr).toMatch(
		/Gave up waiting for process 4242 on host builder-7\.example, .* after 1 s/,
	);
	expect(result.stderr).toContain(`remove ${lockDir} and run again`);
	expect(pidsOf(log, 'install-start')).toEqual([]);
}, 30_000);

describe('without /proc (SEEDREAM_PROC_DIR names a missing folder)', () => {
	const noProc = { SEEDREAM_PROC_DIR: '/nonexistent-proc' };

	test('a lock whose owner pid is alive is waited for, not broken', async () => {
		const log = join(root, 'log');
		writeFileSync(log, '');
		const lockDir = join(root, 'cache', 'thing-1.0.lock');
		writeLock(lockDir, { pid: process.pid });

		const child = startChild(log, 0, noProc);
		await untilLogged(log, ['waiting', 'install-start']);
		expect(pidsOf(log, 'install-start')).toEqual([]);
		expect(pidsOf(log, 'waiting')).toEqual([child.child.pid]);
		rmSync(lockDir, { recursive: true });

		expect((await child.exited).code).toBe(0);
		expect(pidsOf(log, 'installed')).toEqual([child.child.pid]);
	});

	test('a lock whose owner pid is gone is broken', async () => {
		const log = join(root, 'log');
		writeFileSync(log, '');
		writeLock(join(root, 'cache', 'thing-1.0.lock'), { pid: goneProcess() });

		const result = await startChild(log, 0, noProc).exited;

		expect(result.code).toBe(0);
		expect(pidsOf(log, 'installed')).toHaveLength(1);
	});
});
