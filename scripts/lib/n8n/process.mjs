// @ts-check
// The processes beside the tests and `npm start`: the EvoLink emulator and n8n (`start`, `worker`, `webhook`),
// each in its own process group with its log in a file, on 127.0.0.1. n8n 1.x and 2.x start the same way here:
// readiness, then its REST routes, then an owner (from the environment on 2.x; through the owner-setup form
// n8n 1.x shows on first load). Measured facts behind the choices: docs/n8n-runtime.md, docs/n8n-versions.md.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
	N8N_VERSION,
	n8nBinary,
	n8nHome,
	node24Binary,
	node24Env,
	repoRoot,
} from '../toolchain.mjs';

/** The emulator's task duration unless told otherwise (emulator/cli.mjs, --task-ms). */
const EMULATOR_TASK_MS = 3000;

/** @typedef {{ email: string, password: string }} Owner */
/** @typedef {{ url: string, version?: string, pid: number | undefined, exited: Promise<{ code: number | null, signal: string | null }>, stop(): Promise<void> }} Service */

/**
 * Starts a child in its own process group (n8n starts a task runner of its own) and returns a stop() that
 * ends the group: `stopSignal` (SIGTERM), then SIGKILL if it has not exited after `graceMs`.
 * @param {string} command @param {string[]} args
 * @param {{ env: NodeJS.ProcessEnv, cwd: string, logFile: string, stopSignal?: NodeJS.Signals }} options
 */
export function spawnService(command, args, options) {
	const log = createWriteStream(options.logFile, { flags: 'a' });
	const child = spawn(command, args, {
		cwd: options.cwd,
		env: options.env,
		detached: true,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	child.stdout?.pipe(log, { end: false });
	child.stderr?.pipe(log, { end: false });
	/** @type {Promise<{ code: number | null, signal: string | null }>} */
	const exited = new Promise((resolve) =>
		child.once('exit', (code, signal) => resolve({ code, signal })),
	);
	let stopping;
	const killGroup = (/** @type {NodeJS.Signals} */ signal) => {
		try {
			if (child.pid) process.kill(-child.pid, signal);
		} catch {
			// Already gone.
		}
	};
	// If this process dies without stopping its services, do not leave them behind.
	const onExit = () => killGroup('SIGKILL');
	process.on('exit', onExit);
	return {
		child,
		exited,
		/** @param {number} [graceMs] */
		stop(graceMs = 15_000) {
			stopping ??= (async () => {
				if (child.exitCode === null && child.signalCode === null) {
					killGroup(options.stopSignal ?? 'SIGTERM');
					const timer = setTimeout(() => killGroup('SIGKILL'), graceMs);
					await exited;
					clearTimeout(timer);
				}
				killGroup('SIGKILL'); // stray grandchildren of the group, if any
				process.off('exit', onExit);
				await new Promise((resolve) => log.end(resolve));
			})();
			return stopping;
		},
	};
}

/** @param {string} file @param {number} lines */
export function tail(file, lines = 40) {
	if (!existsSync(file)) return '';
	return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

/**
 * Waits for an emulator child (`node emulator/cli.mjs`, stdout piped) to print "listening on <url>" and
 * resolves to that URL. Its stdout listener is removed at that line (the stream keeps flowing, to a log pipe or
 * nowhere), so the request log that follows is not collected or searched. Rejects if the child exits first, with
 * the message describeExit makes from the exit and the stdout seen so far.
 * @param {import('node:child_process').ChildProcess} child
 * @param {(exit: { code: number | null, signal: NodeJS.Signals | null }, seen: string) => string} [describeExit]
 * @returns {Promise<string>}
 */
export function waitForListening(
	child,
	describeExit = ({ code, signal }, seen) =>
		`The emulator exited (${code ?? signal}) before listening: ${seen}`,
) {
	return new Promise((resolve, reject) => {
		let seen = '';
		const onData = (/** @type {Buffer} */ chunk) => {
			seen += chunk.toString('utf8');
			const match = /listening on (http:\/\/\S+)/.exec(seen);
			if (match) {
				child.stdout?.off('data', onData);
				child.stdout?.resume();
				resolve(match[1]);
			}
		};
		child.stdout?.on('data', onData);
		child.once('exit', (code, signal) => reject(new Error(describeExit({ code, signal }, seen))));
	});
}

/**
 * Starts the EvoLink emulator (emulator/cli.mjs) as a child process and waits for its "listening" line.
 * @param {{ port: number, logFile: string, taskMs?: number }} options
 * @returns {Promise<Service>}
 */
export async function startEmulator({ port, logFile, taskMs }) {
	const args = [
		join(repoRoot, 'emulator', 'cli.mjs'),
		'--port',
		String(port),
		'--allow-insecure-callbacks',
	];
	if (taskMs !== undefined) args.push('--task-ms', String(taskMs));
	// A layer task here takes as long as any other (taskMs), but says it takes the documented ~120 s
	// (docs/evolink-seedream-5.md §4), and the node trusts that: its first poll would come a minute late. So the
	// emulator is told the truth about its own tasks.
	const taskSeconds =
		(taskMs ?? Number(process.env.EVOLINK_EMULATOR_TASK_MS || EMULATOR_TASK_MS)) / 1000;
	args.push('--layerize-estimated-seconds', String(Math.max(1, Math.ceil(taskSeconds))));
	const service = spawnService(node24Binary(), args, {
		cwd: repoRoot,
		env: childEnv(process.env),
		logFile,
	});
	const url = await waitForListening(
		service.child,
		({ code, signal }) =>
			`The emulator exited (${code ?? signal}) before listening:\n${tail(logFile)}`,
	);
	return { url, pid: service.child.pid, exited: service.exited, stop: () => service.stop(5_000) };
}

/**
 * The environment for a child service, without what a test runner sets for itself: n8n refuses to load nodes
 * when NODE_ENV is "test" (Jest sets it), and Jest's NODE_OPTIONS (--experimental-vm-modules) are not n8n's.
 * @param {NodeJS.ProcessEnv} env
 */
function childEnv(env) {
	const { NODE_ENV, NODE_OPTIONS, JEST_WORKER_ID, ...rest } = env;
	return rest;
}

/**
 * The owner's password hash for n8n 2.x's owner-from-environment settings, bcrypt from n8n's own install (the
 * project has no runtime dependencies and adds none for this). Kept in the user folder and reused while the
 * password matches: n8n signs sessions with the hash, so a new salt at every start would sign the browser out
 * whenever n8n restarts.
 * @param {string} password @param {string} version @param {string} userFolder
 */
function ownerPasswordHash(password, version, userFolder) {
	const require = createRequire(join(n8nHome(version), 'node_modules', 'n8n', 'package.json'));
	const moduleName = 'bcryptjs';
	/** @type {{ hashSync(password: string, rounds: number): string, compareSync(password: string, hash: string): boolean }} */
	const bcrypt = require(moduleName);
	mkdirSync(userFolder, { recursive: true });
	const file = join(userFolder, '.owner-password-hash');
	const kept = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
	if (kept && bcrypt.compareSync(password, kept)) return kept;
	const hash = bcrypt.hashSync(password, 10);
	writeFileSync(file, hash + '\n', { mode: 0o600 });
	return hash;
}

/**
 * Turns off n8n 2.x's MCP-registry module, which otherwise reaches api.n8n.io at start
 * (docs/n8n-fake-slack-drive.md). n8n 1.x has no such module and refuses to start when told to disable it.
 * @param {string} [version] @returns {NodeJS.ProcessEnv}
 */
export function withoutMcpRegistry(version = N8N_VERSION) {
	return Number(version.split('.')[0]) >= 2 ? { N8N_DISABLED_MODULES: 'mcp-registry' } : {};
}

/**
 * Polls `url` until it answers 200, failing when the service exits first or after the deadline.
 * @param {string} url @param {{ service: ReturnType<typeof spawnService>, deadline: number, timeoutMs: number, logFile: string, what: string }} options
 */
async function waitFor200(url, { service, deadline, timeoutMs, logFile, what }) {
	/** @type {{ code: number | null, signal: string | null } | undefined} */
	let exited;
	service.exited.then((how) => (exited = how));
	for (;;) {
		if (exited) {
			await service.stop();
			throw new Error(
				`n8n exited (${exited.code ?? exited.signal}) before ${what}. Last lines of ${logFile}:\n${tail(logFile)}`,
			);
		}
		try {
			const response = await fetch(url);
			if (response.ok) return response;
		} catch {
			// Not listening yet.
		}
		if (Date.now() > deadline) {
			await service.stop();
			throw new Error(
				`n8n: no ${what} after ${timeoutMs / 1000} s. Last lines of ${logFile}:\n${tail(logFile)}`,
			);
		}
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
}

/**
 * The owner, on a version that has no owner-from-environment settings (1.x): its first-load setup form, as the
 * editor posts it. 2.x reports no setup due (the environment made the owner), so nothing is sent there.
 * @param {string} url @param {{ showSetupOnFirstLoad?: boolean } | undefined} userManagement @param {Owner} owner
 */
async function setUpOwnerIfDue(url, userManagement, owner) {
	if (!userManagement?.showSetupOnFirstLoad) return;
	const response = await fetch(`${url}/rest/owner/setup`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({
			email: owner.email,
			firstName: 'Demo',
			lastName: 'Owner',
			password: owner.password,
		}),
	});
	if (!response.ok)
		throw new Error(
			`n8n's owner setup for ${owner.email} failed: ${response.status} ${await response.text()}`,
		);
}

/**
 * Starts `n8n start` (or `n8n worker`, `n8n webhook`: `command`) of the given version on loopback. Resolves when
 * its readiness URL (/healthz/readiness on `port`, or `readyUrl`: a worker's health server) answers 200
 * (migrations done) and, for `start`, its REST routes answer (n8n 1.x is ready before they exist) and it has
 * its owner.
 * @param {{
 *   userFolder: string, port: number, brokerPort: number, owner: Owner, logFile: string, env?: NodeJS.ProcessEnv,
 *   readyTimeoutMs?: number, command?: 'start' | 'worker' | 'webhook', args?: string[], readyUrl?: string, version?: string,
 * }} options
 * @returns {Promise<Service>}
 */
export async function startN8n({
	userFolder,
	port,
	brokerPort,
	owner,
	logFile,
	env = {},
	readyTimeoutMs = 180_000,
	command = 'start',
	args = [],
	readyUrl,
	version = N8N_VERSION,
}) {
	if (port === brokerPort)
		throw new Error(`n8n's port and its task-runner broker port are both ${port}`);
	const url = `http://127.0.0.1:${port}`;
	// n8n 2.x refuses Node < 24 (1.x allows it): run it with the cached Node 24 whatever runs this script.
	const service = spawnService(node24Binary(), [n8nBinary(version), command, ...args], {
		cwd: userFolder,
		logFile,
		env: {
			...childEnv(node24Env()),
			N8N_USER_FOLDER: userFolder,
			N8N_PORT: String(port),
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_HOST: '127.0.0.1',
			N8N_PROTOCOL: 'http',
			N8N_EDITOR_BASE_URL: url,
			WEBHOOK_URL: `${url}/`,
			// Its default, 5679, would clash with an n8n on N8N_PORT=5679; never let it float.
			N8N_RUNNERS_BROKER_PORT: String(brokerPort),
			N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
			// Nothing leaves the machine: no telemetry, banners, templates, version checks, package lists or AI.
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_WHATS_NEW_ENABLED: 'false',
			N8N_TEMPLATES_ENABLED: 'false',
			N8N_DYNAMIC_BANNERS_ENABLED: 'false',
			N8N_HIRING_BANNER_ENABLED: 'false',
			N8N_VERIFIED_PACKAGES_ENABLED: 'false',
			N8N_REINSTALL_MISSING_PACKAGES: 'false',
			N8N_AI_ENABLED: 'false',
			N8N_LICENSE_AUTO_RENEW_ENABLED: 'false',
			// Plain http on loopback: a Secure cookie would never be sent back.
			N8N_SECURE_COOKIE: 'false',
			// 2.x makes the owner from these; 1.x ignores them (setUpOwnerIfDue below).
			N8N_INSTANCE_OWNER_MANAGED_BY_ENV: 'true',
			N8N_INSTANCE_OWNER_EMAIL: owner.email,
			N8N_INSTANCE_OWNER_FIRST_NAME: 'Demo',
			N8N_INSTANCE_OWNER_LAST_NAME: 'Owner',
			N8N_INSTANCE_OWNER_PASSWORD_HASH: ownerPasswordHash(owner.password, version, userFolder),
			EXECUTIONS_DATA_SAVE_MANUAL_EXECUTIONS: 'true',
			N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
			...env,
		},
	});
	const waiting = {
		service,
		deadline: Date.now() + readyTimeoutMs,
		timeoutMs: readyTimeoutMs,
		logFile,
	};
	await waitFor200(readyUrl ?? `${url}/healthz/readiness`, { ...waiting, what: 'readiness' });
	if (command === 'start') {
		const settings = await waitFor200(`${url}/rest/settings`, {
			...waiting,
			what: 'REST routes (GET /rest/settings)',
		});
		await setUpOwnerIfDue(url, (await settings.json()).data?.userManagement, owner).catch(
			async (error) => {
				await service.stop();
				throw error;
			},
		);
	}
	return {
		url,
		version,
		pid: service.child.pid,
		exited: service.exited,
		stop: () => service.stop(),
	};
}
