// @ts-check
// A real n8n with our packed package, the way users get it: the tarball is installed into the instance's user
// folder as n8n installs a community package (node types `n8n-nodes-seedream.*`), the local EvoLink emulator
// runs beside it, the owner comes from the environment, and a Seedream credential and the example workflows are
// created over n8n's own REST API. Used by `npm start` (scripts/start.mjs) and by the end-to-end tests
// (test/e2e). Everything listens on 127.0.0.1. Measured facts behind the choices: docs/n8n-runtime.md.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
	createWriteStream,
	existsSync,
	mkdirSync,
	readFileSync,
	readdirSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { sha256File } from './pack.mjs';
import { n8nBinary, n8nHome, node24Binary, node24Env, repoRoot } from './toolchain.mjs';

export const PACKAGE_NAME = 'n8n-nodes-seedream';
export const NODE_TYPE = `${PACKAGE_NAME}.seedream`;
export const CREDENTIAL_TYPE = 'seedreamApi';
/** The one Seedream credential `npm start` keeps up to date (emulator or real API) and the examples use. */
export const CREDENTIAL_NAME = 'Seedream account';
/** The emulator's default key (emulator/server.mjs): not a secret, it opens nothing but the local emulator. */
export const EMULATOR_KEY = 'sk-emulator-demo';
/** The emulator's task duration unless told otherwise (emulator/server.mjs, --task-ms). */
const EMULATOR_TASK_MS = 3000;
/** A documented demo login for a loopback-only instance; override with SEEDREAM_OWNER_EMAIL / _PASSWORD. */
export const DEMO_OWNER = Object.freeze({
	email: 'demo@n8n-nodes-seedream.dev',
	password: 'Seedream-demo-1',
});
export const REAL_API = Object.freeze({
	baseUrl: 'https://api.evolink.ai',
	filesBaseUrl: 'https://files-api.evolink.ai',
});
export const examplesDir = join(repoRoot, 'examples');

/** @typedef {{ email: string, password: string }} Owner */
/** @typedef {{ url: string, pid: number | undefined, exited: Promise<{ code: number | null, signal: string | null }>, stop(): Promise<void> }} Service */

/** A port the kernel considers free right now, for tests that must not clash with a running `npm start`. */
export async function freePort() {
	return await new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = /** @type {import('node:net').AddressInfo} */ (server.address());
			server.close(() => resolve(address.port));
		});
	});
}

/**
 * `count` ports the kernel considers free right now, all different: the servers are open at the same time, so
 * the kernel cannot hand out one port twice.
 * @param {number} count @returns {Promise<number[]>}
 */
export async function freePorts(count) {
	/** @type {import('node:net').Server[]} */
	const servers = [];
	try {
		return await Promise.all(
			Array.from(
				{ length: count },
				() =>
					new Promise((resolve, reject) => {
						const server = createServer();
						servers.push(server);
						server.once('error', reject);
						server.listen(0, '127.0.0.1', () =>
							resolve(/** @type {import('node:net').AddressInfo} */ (server.address()).port),
						);
					}),
			),
		);
	} finally {
		await Promise.all(
			servers.map(
				(server) =>
					new Promise((resolve) =>
						server.listening ? server.close(() => resolve(undefined)) : resolve(undefined),
					),
			),
		);
	}
}

/**
 * Fails early with the variable to change, instead of n8n's stack trace minutes later.
 * @param {number} port @param {string} what @param {string} variable
 */
export async function assertPortFree(port, what, variable) {
	await new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', (/** @type {NodeJS.ErrnoException} */ error) =>
			reject(
				new Error(
					error.code === 'EADDRINUSE'
						? `Port ${port} (${what}) is in use on 127.0.0.1. Stop what uses it or set ${variable} to another port.`
						: `Port ${port} (${what}): ${error.message}`,
				),
			),
		);
		server.listen(port, '127.0.0.1', () => server.close(() => resolve(undefined)));
	});
}

/** Where n8n keeps community packages for a user folder (InstanceSettings.nodesDownloadDir). */
export function nodesDir(/** @type {string} */ userFolder) {
	return join(userFolder, '.n8n', 'nodes');
}

/**
 * Installs the packed tarball as n8n 2.x installs a community package (CommunityPackagesService.downloadPackage):
 * unpack into nodes/node_modules/<name>, drop dev/peer/optional dependencies from its package.json, run npm
 * install there with scripts off, and record it in nodes/package.json. Skipped when the same tarball is installed.
 * @param {string} userFolder @param {string} tarball
 * @returns {{ changed: boolean, directory: string, version: string }}
 */
export function installPackage(userFolder, tarball) {
	const nodes = nodesDir(userFolder);
	const directory = join(nodes, 'node_modules', PACKAGE_NAME);
	const marker = join(nodes, `.${PACKAGE_NAME}.sha256`);
	const sha = sha256File(tarball);
	const installedManifest = join(directory, 'package.json');
	if (
		existsSync(marker) &&
		existsSync(installedManifest) &&
		readFileSync(marker, 'utf8').trim() === sha
	) {
		return {
			changed: false,
			directory,
			version: JSON.parse(readFileSync(installedManifest, 'utf8')).version,
		};
	}
	rmSync(marker, { force: true });
	rmSync(directory, { recursive: true, force: true });
	mkdirSync(directory, { recursive: true });
	const tar = spawnSync('tar', ['-xzf', tarball, '-C', directory, '--strip-components=1'], {
		encoding: 'utf8',
	});
	if (tar.status !== 0) throw new Error(`Could not unpack ${tarball}: ${tar.stderr}`);
	const { devDependencies, peerDependencies, optionalDependencies, ...manifest } = JSON.parse(
		readFileSync(installedManifest, 'utf8'),
	);
	writeFileSync(installedManifest, JSON.stringify(manifest, null, 2));
	const npm = spawnSync(
		'npm',
		[
			'install',
			'--audit=false',
			'--fund=false',
			'--bin-links=false',
			'--install-strategy=shallow',
			'--ignore-scripts=true',
			'--package-lock=false',
			'--loglevel=error',
		],
		{ cwd: directory, encoding: 'utf8', env: node24Env() },
	);
	if (npm.status !== 0)
		throw new Error(`npm install in ${directory} failed:\n${npm.stdout}\n${npm.stderr}`);
	const listPath = join(nodes, 'package.json');
	const list = existsSync(listPath)
		? JSON.parse(readFileSync(listPath, 'utf8'))
		: { name: 'installed-nodes', private: true, dependencies: {} };
	list.dependencies = { ...list.dependencies, [PACKAGE_NAME]: manifest.version };
	writeFileSync(listPath, JSON.stringify(list, null, 2));
	writeFileSync(marker, sha + '\n');
	return { changed: true, directory, version: manifest.version };
}

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

/** bcrypt from n8n's own install: the project has no runtime dependencies and adds none for this. */
function bcryptHash(/** @type {string} */ password) {
	const require = createRequire(join(n8nHome(), 'node_modules', 'n8n', 'package.json'));
	const moduleName = 'bcryptjs';
	/** @type {{ hashSync(password: string, rounds: number): string }} */
	const bcrypt = require(moduleName);
	return bcrypt.hashSync(password, 10);
}

/**
 * Starts `n8n start` (or `n8n worker`, `n8n webhook`: `command`) on loopback and resolves when its readiness URL
 * (/healthz/readiness on `port`, or `readyUrl`: a worker's health server) answers 200 (migrations done).
 * @param {{
 *   userFolder: string, port: number, brokerPort: number, owner: Owner, logFile: string, env?: NodeJS.ProcessEnv,
 *   readyTimeoutMs?: number, command?: 'start' | 'worker' | 'webhook', args?: string[], readyUrl?: string,
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
}) {
	if (port === brokerPort)
		throw new Error(`n8n's port and its task-runner broker port are both ${port}`);
	const url = `http://127.0.0.1:${port}`;
	// n8n 2.x refuses Node < 24: run it with the cached Node 24 whatever runs this script.
	const service = spawnService(node24Binary(), [n8nBinary(), command, ...args], {
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
			N8N_INSTANCE_OWNER_MANAGED_BY_ENV: 'true',
			N8N_INSTANCE_OWNER_EMAIL: owner.email,
			N8N_INSTANCE_OWNER_FIRST_NAME: 'Demo',
			N8N_INSTANCE_OWNER_LAST_NAME: 'Owner',
			N8N_INSTANCE_OWNER_PASSWORD_HASH: bcryptHash(owner.password),
			EXECUTIONS_DATA_SAVE_MANUAL_EXECUTIONS: 'true',
			N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
			...env,
		},
	});
	const deadline = Date.now() + readyTimeoutMs;
	/** @type {{ code: number | null, signal: string | null } | undefined} */
	let exited;
	service.exited.then((how) => (exited = how));
	for (;;) {
		if (exited) {
			await service.stop();
			throw new Error(
				`n8n exited (${exited.code ?? exited.signal}) before it was ready. Last lines of ${logFile}:\n${tail(logFile)}`,
			);
		}
		try {
			const response = await fetch(readyUrl ?? `${url}/healthz/readiness`);
			if (response.ok) break;
		} catch {
			// Not listening yet.
		}
		if (Date.now() > deadline) {
			await service.stop();
			throw new Error(
				`n8n was not ready after ${readyTimeoutMs / 1000} s. Last lines of ${logFile}:\n${tail(logFile)}`,
			);
		}
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
	return { url, pid: service.child.pid, exited: service.exited, stop: () => service.stop() };
}

/**
 * n8n's list endpoints answer `[...]`, `{ data: [...] }` (unwrapped by rest()) or `{ items: [...] }` (paginated).
 * @param {any} answer @returns {any[]}
 */
function listOf(answer) {
	if (Array.isArray(answer)) return answer;
	if (Array.isArray(answer?.items)) return answer.items;
	if (Array.isArray(answer?.data)) return answer.data;
	throw new Error(`Expected a list from n8n, got ${JSON.stringify(answer).slice(0, 200)}`);
}

/** n8n's REST API (the editor's, cookie session) and its public API (key), with errors that say what failed. */
export class N8nClient {
	/** @param {string} baseUrl */
	constructor(baseUrl) {
		this.baseUrl = baseUrl;
		this.cookie = '';
		// The editor sends one per tab; n8n ties the session to it for some endpoints.
		this.browserId = randomUUID();
		this.apiKey = '';
	}

	/** @param {Owner} owner */
	async login(owner) {
		const response = await fetch(`${this.baseUrl}/rest/login`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'browser-id': this.browserId },
			body: JSON.stringify({ emailOrLdapLoginId: owner.email, password: owner.password }),
		});
		if (!response.ok)
			throw new Error(
				`Login as ${owner.email} failed: ${response.status} ${await response.text()}`,
			);
		this.cookie = response.headers
			.getSetCookie()
			.map((c) => c.split(';')[0])
			.join('; ');
		return (await response.json()).data;
	}

	/**
	 * @param {string} method @param {string} path e.g. `/rest/workflows` @param {unknown} [body]
	 * @param {{ raw?: boolean }} [options] raw: return the Response (binary downloads, status checks)
	 */
	async rest(method, path, body, options = {}) {
		const response = await fetch(`${this.baseUrl}${path}`, {
			method,
			headers: {
				cookie: this.cookie,
				'browser-id': this.browserId,
				...(body === undefined ? {} : { 'content-type': 'application/json' }),
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		if (options.raw) return response;
		const text = await response.text();
		if (!response.ok)
			throw new Error(`${method} ${path} -> ${response.status}: ${text.slice(0, 500)}`);
		const json = text ? JSON.parse(text) : {};
		return 'data' in json ? json.data : json;
	}

	/** @param {string} method @param {string} path e.g. `/api/v1/executions/1` @param {unknown} [body] */
	async api(method, path, body) {
		const response = await fetch(`${this.baseUrl}${path}`, {
			method,
			headers: {
				'x-n8n-api-key': this.apiKey,
				...(body === undefined ? {} : { 'content-type': 'application/json' }),
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await response.text();
		if (!response.ok)
			throw new Error(`${method} ${path} -> ${response.status}: ${text.slice(0, 500)}`);
		return text ? JSON.parse(text) : {};
	}

	/**
	 * A public-API key with every scope the owner may grant (n8n shows its value once). An older key with the same
	 * label is deleted first, so that restarts do not pile keys up.
	 */
	async createApiKey(label = 'n8n-nodes-seedream') {
		for (const key of listOf(await this.rest('GET', '/rest/api-keys'))) {
			if (key.label === label) await this.rest('DELETE', `/rest/api-keys/${key.id}`);
		}
		const scopes = await this.rest('GET', '/rest/api-keys/scopes');
		const created = await this.rest('POST', '/rest/api-keys', { label, scopes, expiresAt: null });
		this.apiKey = created.rawApiKey;
		return created;
	}

	/** @param {string} name */
	async findCredential(name) {
		const list = listOf(await this.rest('GET', '/rest/credentials'));
		return list.find(
			(/** @type {{ name: string, type: string }} */ c) =>
				c.name === name && c.type === CREDENTIAL_TYPE,
		);
	}

	/**
	 * Creates the Seedream credential, or updates it so that it points where this run says.
	 * @param {{ apiKey: string, baseUrl: string, filesBaseUrl: string }} data @param {string} [name]
	 * @returns {Promise<{ id: string, name: string, created: boolean }>}
	 */
	async upsertCredential(data, name = CREDENTIAL_NAME) {
		const existing = await this.findCredential(name);
		if (existing) {
			await this.rest('PATCH', `/rest/credentials/${existing.id}`, {
				name,
				type: CREDENTIAL_TYPE,
				data,
			});
			return { id: existing.id, name, created: false };
		}
		const created = await this.rest('POST', '/rest/credentials', {
			name,
			type: CREDENTIAL_TYPE,
			data,
		});
		return { id: created.id, name, created: true };
	}

	/**
	 * Runs n8n's own credential test (the editor's "Retry"/"Save" check), for saved or unsaved data.
	 * @param {{ id?: string, name?: string, data?: Record<string, unknown> }} credential
	 * @returns {Promise<{ status: 'OK' | 'Error', message: string }>}
	 */
	async testCredential(credential) {
		return await this.rest('POST', '/rest/credentials/test', {
			credentials: {
				id: credential.id ?? '',
				name: credential.name ?? CREDENTIAL_NAME,
				type: CREDENTIAL_TYPE,
				data: credential.data,
			},
		});
	}

	async listWorkflows() {
		return /** @type {{ id: string, name: string }[]} */ (
			listOf(await this.rest('GET', '/rest/workflows'))
		);
	}

	/**
	 * Manual run of a saved workflow from its trigger, as the editor's "Execute workflow" button does.
	 * @param {string} workflowId @param {string} triggerName
	 * @returns {Promise<string>} execution id
	 */
	async runWorkflow(workflowId, triggerName) {
		const result = await this.rest('POST', `/rest/workflows/${workflowId}/run`, {
			triggerToStartFrom: { name: triggerName },
		});
		if (!result.executionId)
			throw new Error(`Workflow ${workflowId} did not start: ${JSON.stringify(result)}`);
		return String(result.executionId);
	}

	/**
	 * Reads an execution through the public API until it has ended (success, error, crashed, canceled).
	 * @param {string} executionId @param {{ timeoutMs?: number }} [options]
	 */
	async waitForExecution(executionId, { timeoutMs = 120_000 } = {}) {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const execution = await this.api('GET', `/api/v1/executions/${executionId}?includeData=true`);
			if (
				execution.finished ||
				['success', 'error', 'crashed', 'canceled'].includes(execution.status)
			)
				return execution;
			if (Date.now() > deadline)
				throw new Error(
					`Execution ${executionId} still ${execution.status} after ${timeoutMs / 1000} s`,
				);
			await new Promise((resolve) => setTimeout(resolve, 300));
		}
	}

	/**
	 * The bytes of a binary entry of an execution's output, whether stored inline or in n8n's binary store.
	 * @param {{ id?: string, data?: string }} binary
	 */
	async binaryBytes(binary) {
		if (!binary.id) return Buffer.from(binary.data ?? '', 'base64');
		const response = /** @type {Response} */ (
			await this.rest(
				'GET',
				`/rest/binary-data?id=${encodeURIComponent(binary.id)}&action=download`,
				undefined,
				{ raw: true },
			)
		);
		if (!response.ok)
			throw new Error(`Binary ${binary.id}: ${response.status} ${await response.text()}`);
		return Buffer.from(await response.arrayBuffer());
	}
}

/** The example workflows shipped in examples/, by file name. */
export function readExamples() {
	if (!existsSync(examplesDir)) return [];
	return readdirSync(examplesDir)
		.filter((file) => file.endsWith('.json'))
		.sort()
		.map((file) => ({ file, workflow: JSON.parse(readFileSync(join(examplesDir, file), 'utf8')) }));
}

/**
 * Points every Seedream credential reference of a workflow at the given credential.
 * @param {Record<string, any> & { nodes: { credentials?: Record<string, { id: string, name: string }> }[] }} workflow
 * @param {{ id: string, name: string }} credential
 */
export function withCredential(workflow, credential) {
	/** @type {Record<string, any>} */
	const result = {
		...workflow,
		nodes: workflow.nodes.map((node) => {
			const linked = node.credentials?.[CREDENTIAL_TYPE]
				? {
						...node,
						credentials: {
							...node.credentials,
							[CREDENTIAL_TYPE]: { id: credential.id, name: credential.name },
						},
					}
				: node;
			// A webhook's ID is its URL: the shipped examples carry none, so each instance gets its own
			// unguessable one (the Seedream Trigger uses it as its URL token) instead of one everybody knows.
			return node.type?.endsWith('.seedreamTrigger') && !node.webhookId
				? { ...linked, webhookId: randomUUID() }
				: linked;
		}),
	};
	return result;
}

/**
 * Imports the examples that are not there yet (matched by name: a user's edits to an imported example are kept).
 * @param {N8nClient} client @param {{ id: string, name: string }} credential
 * @returns {Promise<{ file: string, id: string, name: string, created: boolean }[]>}
 */
export async function importExamples(client, credential) {
	const existing = await client.listWorkflows();
	const imported = [];
	for (const { file, workflow } of readExamples()) {
		const found = existing.find((w) => w.name === workflow.name);
		if (found) {
			imported.push({ file, id: found.id, name: found.name, created: false });
			continue;
		}
		const {
			id: _id,
			active: _active,
			versionId: _versionId,
			...body
		} = withCredential(workflow, credential);
		const created = await client.rest('POST', '/rest/workflows', body);
		imported.push({ file, id: created.id, name: created.name, created: true });
	}
	return imported;
}

/**
 * What `npm start` sets up in a running n8n (single or the main of a cluster): the owner's session and an API
 * key, the Seedream credential pointing at the emulator (or the real API), the examples.
 * @param {string} url n8n's editor URL
 * @param {{ owner: Owner, realApi?: { apiKey: string, baseUrl?: string, filesBaseUrl?: string }, emulatorUrl?: string }} options
 */
export async function setUpDemo(url, { owner, realApi, emulatorUrl }) {
	const client = new N8nClient(url);
	await client.login(owner);
	await client.createApiKey();
	const credentialData = realApi
		? {
				apiKey: realApi.apiKey,
				baseUrl: realApi.baseUrl ?? REAL_API.baseUrl,
				filesBaseUrl: realApi.filesBaseUrl ?? REAL_API.filesBaseUrl,
			}
		: { apiKey: EMULATOR_KEY, baseUrl: String(emulatorUrl), filesBaseUrl: String(emulatorUrl) };
	const credential = await client.upsertCredential(credentialData);
	const workflows = await importExamples(client, credential);
	return { client, credential, workflows };
}

/**
 * The whole instance: emulator, n8n with the package installed, owner login, API key, credential, examples.
 * @param {{
 *   userFolder: string, tarball: string, port: number, brokerPort: number, emulatorPort: number,
 *   owner?: Owner, taskMs?: number, realApi?: { apiKey: string, baseUrl?: string, filesBaseUrl?: string },
 *   env?: NodeJS.ProcessEnv, onStep?: (message: string) => void,
 * }} options
 */
export async function startInstance(options) {
	const owner = options.owner ?? DEMO_OWNER;
	const say = options.onStep ?? (() => {});
	const logs = join(options.userFolder, 'logs');
	mkdirSync(logs, { recursive: true });
	/** @type {Service[]} */
	const services = [];
	const stop = async () => {
		for (const service of services.reverse()) await service.stop();
		services.length = 0;
	};
	try {
		say(`Installing the package into ${nodesDir(options.userFolder)}`);
		const install = installPackage(options.userFolder, options.tarball);
		say(
			install.changed
				? `Installed ${PACKAGE_NAME}@${install.version}`
				: `${PACKAGE_NAME}@${install.version} already installed (same tarball)`,
		);

		/** @type {Service | undefined} */
		let emulator;
		if (!options.realApi) {
			say(`Starting the EvoLink emulator on 127.0.0.1:${options.emulatorPort}`);
			emulator = await startEmulator({
				port: options.emulatorPort,
				logFile: join(logs, 'emulator.log'),
				taskMs: options.taskMs,
			});
			services.push(emulator);
		}
		say(`Starting n8n on 127.0.0.1:${options.port} (about 20 s)`);
		const n8n = await startN8n({
			userFolder: options.userFolder,
			port: options.port,
			brokerPort: options.brokerPort,
			owner,
			logFile: join(logs, 'n8n.log'),
			env: options.env,
		});
		services.push(n8n);

		const { client, credential, workflows } = await setUpDemo(n8n.url, {
			owner,
			realApi: options.realApi,
			emulatorUrl: emulator?.url,
		});
		/** Resolves when n8n or the emulator ends by itself (a crash): `npm start` reports it instead of hanging. */
		const ended = Promise.race(
			[
				['n8n', n8n],
				['the emulator', emulator],
			]
				.filter(([, s]) => s)
				.map(([name, s]) =>
					/** @type {Service} */ (s).exited.then((how) => ({ name: String(name), ...how })),
				),
		);
		return {
			url: n8n.url,
			n8nPid: n8n.pid,
			emulatorUrl: emulator?.url,
			owner,
			client,
			credential,
			workflows,
			install,
			logs,
			ended,
			stop,
		};
	} catch (error) {
		await stop();
		throw error;
	}
}
