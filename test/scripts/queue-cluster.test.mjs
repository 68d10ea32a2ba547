// @ts-check
// The queue-mode cluster's own processes (scripts/lib/queue-cluster.mjs), with real Postgres and Redis from
// Debian (installed once, as `npm test` installs them for the queue-mode suite): what a failed or interrupted
// start leaves behind. No n8n is started here.
import { spawn, spawnSync } from 'node:child_process';
import {
	chmodSync,
	chownSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../scripts/lib/n8n/ports.mjs';
import { emptyPackageTarball, runningProcesses } from './support.mjs';
import {
	ensureClusterPackages,
	postgresBinDir,
	startCluster,
	startPostgres,
	startTogether,
} from '../../scripts/lib/queue-cluster.mjs';

/** @type {string} */
let root;
beforeAll(() => ensureClusterPackages(), 600_000);
beforeEach(() => {
	root = mkdtempSync(join(tmpdir(), 'seedream-cluster-'));
	chmodSync(root, 0o755); // Postgres runs as its own user and must reach its folder
});
afterEach(() => {
	for (const { pid } of processesMentioning(root)) process.kill(pid, 'SIGKILL');
	rmSync(root, { recursive: true, force: true });
});

/** Running processes whose command line names `text`. @param {string} text */
const processesMentioning = (text) => runningProcesses(({ command }) => command.includes(text));

/** Is a process running (not a zombie)? @param {number} pid */
const running = (pid) => runningProcesses(() => true).some((p) => p.pid === pid);

/** As root, Postgres runs as the `postgres` user: the command prefix, as queue-cluster runs it. */
function asPostgres() {
	if (process.getuid?.() !== 0) return [];
	const id = (/** @type {string} */ flag) =>
		spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim();
	return ['setpriv', `--reuid=${id('-u')}`, `--regid=${id('-g')}`, '--init-groups', '--'];
}

test('a Postgres folder left by a first start killed after initdb (no role, no database) is set up again, and n8n can log in', async () => {
	const folder = join(root, 'postgres');
	mkdirSync(folder);
	if (process.getuid?.() === 0) {
		const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout);
		const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout);
		chownSync(folder, uid, gid);
	}
	const bin = /** @type {string} */ (postgresBinDir());
	const initdb = [
		...asPostgres(),
		join(bin, 'initdb'),
		'-D',
		join(folder, 'data'),
		'-U',
		'postgres',
		'--auth=trust',
	];
	expect(spawnSync(initdb[0], initdb.slice(1), { encoding: 'utf8' }).status).toBe(0);
	expect(existsSync(join(folder, 'data', 'PG_VERSION'))).toBe(true);

	const [port] = await freePorts(1);
	const postgres = await startPostgres({ folder, port, logFile: join(root, 'postgres.log') });
	try {
		const login = spawnSync(
			join(bin, 'psql'),
			[
				'-h',
				'127.0.0.1',
				'-p',
				String(port),
				'-U',
				'n8n',
				'-d',
				'n8n',
				'-tAc',
				'select current_user',
			],
			{
				encoding: 'utf8',
				env: { ...process.env, PGPASSWORD: 'n8n' },
			},
		);
		expect({ status: login.status, stdout: login.stdout.trim(), stderr: login.stderr }).toEqual({
			status: 0,
			stdout: 'n8n',
			stderr: '',
		});
	} finally {
		await postgres.stop();
	}
}, 120_000);

test('a Postgres folder set up before the ready marker existed (role and database in place) keeps its data', async () => {
	const folder = join(root, 'postgres');
	const [port] = await freePorts(1);
	const bin = /** @type {string} */ (postgresBinDir());
	const asN8n = (/** @type {string} */ sql) =>
		spawnSync(
			join(bin, 'psql'),
			['-h', '127.0.0.1', '-p', String(port), '-U', 'n8n', '-d', 'n8n', '-tAc', sql],
			{
				encoding: 'utf8',
				env: { ...process.env, PGPASSWORD: 'n8n' },
			},
		);
	const first = await startPostgres({ folder, port, logFile: join(root, 'postgres.log') });
	expect(asN8n("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('a workflow')").status).toBe(
		0,
	);
	await first.stop();
	rmSync(join(folder, 'database-ready'));

	const again = await startPostgres({ folder, port, logFile: join(root, 'postgres.log') });
	try {
		expect(asN8n('SELECT v FROM kept').stdout.trim()).toBe('a workflow');
		expect(existsSync(join(folder, 'database-ready'))).toBe(true);
	} finally {
		await again.stop();
	}
}, 120_000);

test('Postgres failing to start while Redis starts beside it: the cluster start fails and leaves no redis-server running', async () => {
	// A file where Postgres' folder goes: its start fails at once, while Redis is starting.
	writeFileSync(join(root, 'postgres'), '');
	const tarball = emptyPackageTarball(root);
	const [port, brokerPort, emulatorPort] = await freePorts(3);

	await expect(
		startCluster({ folder: root, tarball, port, brokerPort, emulatorPort, workers: 1 }),
	).rejects.toThrow(/ENOTDIR|not a directory/);

	expect(processesMentioning(join(root, 'redis'))).toEqual([]);
}, 120_000);

test('services started together: one that becomes ready after a sibling failed is still handed over, so it can be stopped', async () => {
	/** @type {import('node:child_process').ChildProcess[]} */
	const recorded = [];
	// A real process that is ready 1 s after it starts (it says so), and a sibling whose start fails at once.
	const late = spawn(
		process.execPath,
		['-e', `setTimeout(() => console.log('ready'), 1000); setInterval(() => {}, 1000); // ${root}`],
		{ stdio: ['ignore', 'pipe', 'ignore'] },
	);
	const lateReady = new Promise((resolve) => late.stdout.once('data', () => resolve(late)));
	const failing = Promise.reject(new Error('worker-2 exited before it was ready'));

	await expect(
		startTogether([lateReady, failing], (child) => recorded.push(/** @type {any} */ (child))),
	).rejects.toThrow('worker-2 exited');
	// What the cluster's cleanup does with what was handed over.
	for (const child of recorded) child.kill('SIGKILL');
	await new Promise((resolve) => setTimeout(resolve, 200));

	expect(recorded.map((child) => child.pid)).toEqual([late.pid]);
	expect(running(/** @type {number} */ (late.pid))).toBe(false);
});
