// @ts-check
// Scripts that start processes stop them all when they are stopped themselves: SIGTERM (as `timeout` or a CI
// limit sends it, to the script's pid alone) in the middle of a start. Every process the script started carries
// a mark in its environment (or, for Postgres, whose title rewrites it, the run's folder in its command line);
// after the script has exited, no process with either may be left.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
	chmodSync,
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
import { ensureClusterPackages } from '../../scripts/lib/queue-cluster.mjs';
import { n8nHome, repoRoot } from '../../scripts/lib/toolchain.mjs';
import { emptyPackageTarball, runningProcesses } from './support.mjs';

/** @type {string} */
let root;
/** @type {string} */
let mark;
beforeEach(() => {
	root = mkdtempSync(join(tmpdir(), 'seedream-signal-'));
	chmodSync(root, 0o755); // Postgres runs as its own user and must reach its folder
	mark = randomUUID();
});
afterEach(() => {
	for (const { pid } of leftovers()) process.kill(pid, 'SIGKILL');
	rmSync(root, { recursive: true, force: true });
});

/** Running processes whose environment has this run's mark or whose command line names its folder. */
const leftovers = () =>
	runningProcesses(
		({ command, environ }) =>
			environ.includes(`SEEDREAM_SIGNAL_TEST=${mark}`) || command.includes(root),
	);

/**
 * Runs a script of scripts/ on Node 24 with the mark, sends it SIGTERM once its output matches `startedAt`, and
 * resolves when it has exited, with what it printed.
 * @param {string[]} args @param {RegExp} startedAt @param {NodeJS.ProcessEnv} [env]
 */
async function terminateDuringStart(args, startedAt, env = {}) {
	const { NODE_OPTIONS, JEST_WORKER_ID, NODE_ENV, ...base } = process.env;
	const child = spawn(process.execPath, args, {
		cwd: repoRoot,
		stdio: ['ignore', 'pipe', 'pipe'],
		env: { ...base, SEEDREAM_BOOTSTRAPPED: '1', SEEDREAM_SIGNAL_TEST: mark, ...env },
	});
	let output = '';
	const exited = new Promise((resolve) =>
		child.once('exit', (code, signal) => resolve({ code, signal })),
	);
	await new Promise((resolve, reject) => {
		const look = (/** @type {Buffer} */ chunk) => {
			output += chunk;
			if (startedAt.test(output)) resolve(undefined);
		};
		child.stdout.on('data', look);
		child.stderr.on('data', look);
		exited.then(() =>
			reject(new Error(`${args.join(' ')} exited before ${startedAt}:\n${output}`)),
		);
	});
	// The script and what it started so far.
	for (let i = 0; i < 100 && leftovers().length < 2; i++)
		await new Promise((resolve) => setTimeout(resolve, 50));
	expect(leftovers().length).toBeGreaterThan(1);
	child.kill('SIGTERM');
	return { exit: await exited, output: () => output };
}

/** Leftovers, once those already stopping have had a few seconds to end. */
async function leftoversAfterExit() {
	for (let i = 0; i < 50 && leftovers().length; i++)
		await new Promise((resolve) => setTimeout(resolve, 100));
	return leftovers();
}

test('npm run bench, SIGTERM while a scenario runs: nothing it started is left running', async () => {
	await terminateDuringStart(
		[join(repoRoot, 'bench', 'cli.mjs'), '--only', 'P1', '--quick'],
		/P1 \.\.\./,
	);
	expect(await leftoversAfterExit()).toEqual([]);
}, 180_000);

test('npm start -- --queue, SIGTERM while the cluster starts: Postgres, Redis, the emulator and n8n are all stopped', async () => {
	ensureClusterPackages();
	n8nHome();
	// A package with nothing in it: this start never gets as far as loading nodes, and need not build ours.
	const tarball = emptyPackageTarball(root);
	const [port, brokerPort, emulatorPort] = await freePorts(3);

	await terminateDuringStart(
		[join(repoRoot, 'scripts', 'start.mjs'), '--queue'],
		/Starting n8n main/,
		{
			N8N_PORT: String(port),
			N8N_RUNNERS_BROKER_PORT: String(brokerPort),
			EVOLINK_EMULATOR_PORT: String(emulatorPort),
			SEEDREAM_N8N_USER_FOLDER: join(root, 'user'),
			SEEDREAM_TARBALL: tarball,
			EVOLINK_API_KEY: '',
		},
	);
	expect(await leftoversAfterExit()).toEqual([]);
}, 600_000);

test("npm test, SIGTERM during a stage: the stage's processes are stopped and no later stage starts", async () => {
	const run = await terminateDuringStart(
		[join(repoRoot, 'scripts', 'test.mjs'), '--skip-e2e'],
		/Lint \(n8n-node lint\)/,
	);
	expect(await leftoversAfterExit()).toEqual([]);
	expect(run.output()).not.toContain('Build (n8n-node build)');
}, 180_000);
