// @ts-check
// n8n in queue mode on this machine, as it runs on separate hosts (docs/n8n-queue-mode.md): Postgres and Redis
// from Debian's packages, started as processes we own on free loopback ports with their data under the user
// folder; one main, `workers` workers and one webhook processor, each with its own user folder and our packed
// package installed into it; binary data in the database; manual executions run on the workers; the EvoLink
// emulator. Used by `npm start -- --queue`, the queue-mode end-to-end tests and the bench.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
	chmodSync,
	chownSync,
	existsSync,
	mkdirSync,
	readFileSync,
	readdirSync,
	rmSync,
	statSync,
	writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { DEMO_OWNER, setUpDemo } from './n8n/seed.mjs';
import { PACKAGE_NAME, installPackage } from './n8n/install.mjs';
import { freePorts } from './n8n/ports.mjs';
import { spawnService, startEmulator, startN8n, tail } from './n8n/process.mjs';
import { ensureDebianPackages } from './toolchain.mjs';

const REDIS_SERVER = '/usr/bin/redis-server';
const POSTGRES_ROOT = '/usr/lib/postgresql';
const DATABASE = Object.freeze({ name: 'n8n', user: 'n8n', password: 'n8n' });

/** The newest Postgres server Debian installed (15 on Debian 12), or undefined. */
export function postgresBinDir() {
	if (!existsSync(POSTGRES_ROOT)) return undefined;
	const versions = readdirSync(POSTGRES_ROOT)
		.filter((v) => existsSync(join(POSTGRES_ROOT, v, 'bin', 'postgres')))
		.sort((a, b) => Number(b) - Number(a));
	return versions.length ? join(POSTGRES_ROOT, versions[0], 'bin') : undefined;
}

/** Postgres and Redis from Debian, installed once when missing (apt-get, its progress shown). */
export function ensureClusterPackages() {
	ensureDebianPackages([
		{ name: 'postgresql', installed: () => postgresBinDir() !== undefined },
		{ name: 'redis-server', installed: () => existsSync(REDIS_SERVER) },
	]);
}

/** Postgres refuses to run as root: as root it runs as the `postgres` user Debian's package created. */
function asPostgresUser() {
	if (process.getuid?.() !== 0)
		return { prefix: /** @type {string[]} */ ([]), uid: undefined, gid: undefined };
	const id = (/** @type {string} */ flag) =>
		Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
	const uid = id('-u');
	if (!Number.isInteger(uid) || uid <= 0)
		throw new Error(
			'Running as root, but there is no "postgres" user to run Postgres as (Debian\'s postgresql package creates it)',
		);
	return {
		prefix: ['setpriv', `--reuid=${uid}`, `--regid=${id('-g')}`, '--init-groups', '--'],
		uid,
		gid: id('-g'),
	};
}

/** The postgres user must reach its data folder: every folder above it must be searchable by others. */
function assertReachable(/** @type {string} */ folder) {
	for (let dir = dirname(folder); ; dir = dirname(dir)) {
		if ((statSync(dir).mode & 0o001) === 0) {
			throw new Error(
				`Postgres runs as the "postgres" user and cannot reach ${folder}: ${dir} is not searchable by others (chmod o+x ${dir}, or choose another user folder)`,
			);
		}
		if (dirname(dir) === dir) return;
	}
}

/**
 * Postgres on `port`, data under `folder` (created on the first start), owned by this run's process group. The
 * first start is complete only when n8n's role and database exist: a marker written after them says so, and a
 * folder without it (a first start killed after initdb) is set up the rest of the way, not taken as ready.
 * @param {{ folder: string, port: number, logFile: string }} options
 */
export async function startPostgres({ folder, port, logFile }) {
	const bin = /** @type {string} */ (postgresBinDir());
	const user = asPostgresUser();
	const data = join(folder, 'data');
	const sockets = join(folder, 'sockets');
	mkdirSync(sockets, { recursive: true });
	if (user.uid !== undefined) {
		chmodSync(folder, 0o755);
		assertReachable(folder);
		for (const dir of [folder, sockets]) chownSync(dir, user.uid, /** @type {number} */ (user.gid));
	}
	// Written last, when n8n's role and database exist. Without it the setup is finished now: initdb where no
	// cluster is, then whatever of the role and database is missing. A folder set up before this marker existed
	// has both and only gets the marker: its data is kept.
	const ready = join(folder, 'database-ready');
	const setUp = !existsSync(ready);
	if (setUp && !existsSync(join(data, 'PG_VERSION'))) {
		rmSync(data, { recursive: true, force: true });
		const initdb = [
			...user.prefix,
			join(bin, 'initdb'),
			'-D',
			data,
			'-U',
			'postgres',
			'--auth=trust',
			'-E',
			'UTF8',
			'--locale=C.UTF-8',
		];
		const init = spawnSync(initdb[0], initdb.slice(1), { encoding: 'utf8' });
		if (init.status !== 0) throw new Error(`initdb failed:\n${init.stdout}\n${init.stderr}`);
	}
	const command = [
		...user.prefix,
		join(bin, 'postgres'),
		'-D',
		data,
		'-p',
		String(port),
		'-c',
		'listen_addresses=127.0.0.1',
		'-k',
		sockets,
	];
	// SIGINT is Postgres' fast shutdown (SIGTERM would wait for every client to leave).
	const service = spawnService(command[0], command.slice(1), {
		cwd: folder,
		env: process.env,
		logFile,
		stopSignal: 'SIGINT',
	});
	const psql = (/** @type {string[]} */ args) =>
		spawnSync(
			join(bin, 'psql'),
			['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-v', 'ON_ERROR_STOP=1', ...args],
			{ encoding: 'utf8' },
		);
	const accepting = await until(
		() => psql(['-c', 'select 1']).status === 0,
		60_000,
		service.exited,
	);
	if (!accepting) {
		await service.stop();
		throw new Error(
			`Postgres did not accept connections on 127.0.0.1:${port}. Last lines of ${logFile}:\n${tail(logFile)}`,
		);
	}
	if (setUp) {
		const exists = (/** @type {string} */ query) => psql(['-tAc', query]).stdout.trim() === '1';
		const statements = [
			...(exists(`SELECT 1 FROM pg_roles WHERE rolname = '${DATABASE.user}'`)
				? []
				: [`CREATE ROLE ${DATABASE.user} LOGIN PASSWORD '${DATABASE.password}'`]),
			...(exists(`SELECT 1 FROM pg_database WHERE datname = '${DATABASE.name}'`)
				? []
				: [`CREATE DATABASE ${DATABASE.name} OWNER ${DATABASE.user}`]),
		];
		const created = statements.length
			? psql(statements.flatMap((statement) => ['-c', statement]))
			: { status: 0, stderr: '' };
		if (created.status !== 0) {
			await service.stop();
			throw new Error(`Could not create n8n's database: ${created.stderr}`);
		}
		writeFileSync(ready, `${new Date().toISOString()}\n`);
	}
	return { port, pid: service.child.pid, exited: service.exited, stop: () => service.stop(30_000) };
}

/** @param {{ folder: string, port: number, logFile: string }} options */
async function startRedis({ folder, port, logFile }) {
	mkdirSync(folder, { recursive: true });
	// Only the queue lives here: nothing to keep across restarts.
	const service = spawnService(
		REDIS_SERVER,
		[
			'--port',
			String(port),
			'--bind',
			'127.0.0.1',
			'--dir',
			folder,
			'--save',
			'',
			'--appendonly',
			'no',
			'--daemonize',
			'no',
		],
		{
			cwd: folder,
			env: process.env,
			logFile,
		},
	);
	const ready = await until(
		() => /Ready to accept connections/.test(tail(logFile, 200)),
		30_000,
		service.exited,
	);
	if (!ready) {
		await service.stop();
		throw new Error(
			`Redis did not start on 127.0.0.1:${port}. Last lines of ${logFile}:\n${tail(logFile)}`,
		);
	}
	return { port, pid: service.child.pid, exited: service.exited, stop: () => service.stop(10_000) };
}

/**
 * Polls `check` every 200 ms; false after `timeoutMs` or once `exited` settles.
 * @param {() => boolean} check @param {number} timeoutMs @param {Promise<unknown>} exited
 */
async function until(check, timeoutMs, exited) {
	let gone = false;
	exited.then(() => (gone = true));
	const deadline = Date.now() + timeoutMs;
	while (!gone && Date.now() < deadline) {
		if (check()) return true;
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
	return false;
}

/**
 * Starts services in parallel and hands every one that started to `record`, even when a sibling failed (a
 * Promise.all would drop them: nothing would stop them, or they would be recorded after the cleanup ran); then
 * throws the first failure.
 * @template T @param {Promise<T>[]} starts @param {(started: T) => void} record @returns {Promise<T[]>}
 */
export async function startTogether(starts, record) {
	const results = await Promise.allSettled(starts);
	for (const result of results) if (result.status === 'fulfilled') record(result.value);
	const failed = results.find((result) => result.status === 'rejected');
	if (failed) throw /** @type {PromiseRejectedResult} */ (failed).reason;
	return results.map((result) => /** @type {PromiseFulfilledResult<T>} */ (result).value);
}

/**
 * Resident memory of a process group in MB (n8n's task runner is a child of its process): read from /proc.
 * @param {number | undefined} pgid
 */
export function groupRssMb(pgid) {
	if (!pgid) return 0;
	let kb = 0;
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
			// Fields after the command name (which may hold spaces): state ppid pgrp ...
			const group = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
			if (group !== pgid) continue;
			const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'));
			kb += rss ? Number(rss[1]) : 0;
		} catch {
			// The process ended while we looked.
		}
	}
	return Math.round(kb / 1024);
}

/**
 * One n8n process of the cluster.
 * @typedef {{ role: 'main' | 'worker' | 'webhook', name: string, url: string, port: number, pid: number | undefined, userFolder: string, logFile: string, exited: Promise<{ code: number | null, signal: string | null }>, stop(): Promise<void> }} ClusterProcess
 */

/**
 * Starts the whole cluster and sets up the demo on main (owner, API key, credential, examples).
 * Data lives under `folder`: postgres/, redis/, an n8n user folder per process (main, worker-1.., webhook-1),
 * logs/ and the encryption key all processes share.
 * @param {{
 *   folder: string, tarball: string, port: number, brokerPort: number, emulatorPort: number,
 *   workers?: number, concurrency?: number, owner?: import('./n8n/process.mjs').Owner, taskMs?: number,
 *   realApi?: { apiKey: string, baseUrl?: string, filesBaseUrl?: string }, env?: NodeJS.ProcessEnv,
 *   onStep?: (message: string) => void, webhookProcessors?: number, publicWebhookUrl?: string,
 * }} options
 */
export async function startCluster(options) {
	const startedAt = Date.now();
	const owner = options.owner ?? DEMO_OWNER;
	const say = options.onStep ?? (() => {});
	const workerCount = options.workers ?? 2;
	const logs = join(options.folder, 'logs');
	mkdirSync(logs, { recursive: true });
	/** @type {{ name: string, stop(): Promise<void> }[]} */
	const services = [];
	/** @type {ClusterProcess[]} */
	const processes = [];
	const stop = async () => {
		// n8n first (in parallel: each waits for its executions), then the queue and the database.
		const n8n = services.filter((s) => processes.some((p) => p.name === s.name));
		await Promise.all(n8n.map((s) => s.stop()));
		for (const service of services.filter((s) => !n8n.includes(s)).reverse()) await service.stop();
		services.length = 0;
	};
	try {
		ensureClusterPackages();
		const roles = [
			{ role: /** @type {const} */ ('main'), name: 'main' },
			...Array.from({ length: workerCount }, (_, i) => ({
				role: /** @type {const} */ ('worker'),
				name: `worker-${i + 1}`,
			})),
			...Array.from({ length: options.webhookProcessors ?? 1 }, (_, i) => ({
				role: /** @type {const} */ ('webhook'),
				name: `webhook-${i + 1}`,
			})),
		];
		// main: N8N_PORT and its broker port as `npm start`; everything else on ports free right now (a worker's
		// `port` is its health server's, which n8n's worker serves; its N8N_PORT is unused but must be set apart).
		const free = await freePorts(2 + (roles.length - 1) * 3);
		const [postgresPort, redisPort] = free.splice(0, 2);
		/** @type {Record<string, { port: number, brokerPort: number, healthPort?: number }>} */
		const ports = { main: { port: options.port, brokerPort: options.brokerPort } };
		for (const { role, name } of roles.slice(1)) {
			const [port, brokerPort, healthPort] = free.splice(0, 3);
			ports[name] = role === 'worker' ? { port, brokerPort, healthPort } : { port, brokerPort };
		}

		say(
			`Installing the package into each process's user folder (${roles.map((r) => r.name).join(', ')})`,
		);
		let install = { changed: false, directory: '', version: '' };
		for (const { name } of roles) {
			const result = installPackage(join(options.folder, name), options.tarball);
			install = { ...result, changed: install.changed || result.changed };
		}
		say(
			install.changed
				? `Installed ${PACKAGE_NAME}@${install.version} on every process`
				: `${PACKAGE_NAME}@${install.version} already installed on every process (same tarball)`,
		);

		say(`Starting Postgres on 127.0.0.1:${postgresPort} and Redis on 127.0.0.1:${redisPort}`);
		const [postgres, redis] = await startTogether(
			[
				startPostgres({
					folder: join(options.folder, 'postgres'),
					port: postgresPort,
					logFile: join(logs, 'postgres.log'),
				}).then((db) => ({ name: 'postgres', ...db })),
				startRedis({
					folder: join(options.folder, 'redis'),
					port: redisPort,
					logFile: join(logs, 'redis.log'),
				}).then((queue) => ({ name: 'redis', ...queue })),
			],
			(service) => services.push(service),
		);

		/** @type {Awaited<ReturnType<typeof startEmulator>> | undefined} */
		let emulator;
		if (!options.realApi) {
			say(`Starting the EvoLink emulator on 127.0.0.1:${options.emulatorPort}`);
			emulator = await startEmulator({
				port: options.emulatorPort,
				logFile: join(logs, 'emulator.log'),
				taskMs: options.taskMs,
			});
			services.push({ name: 'emulator', stop: emulator.stop });
		}

		const keyFile = join(options.folder, 'encryption-key');
		if (!existsSync(keyFile))
			writeFileSync(keyFile, randomBytes(24).toString('base64url') + '\n', { mode: 0o600 });
		const mainUrl = `http://127.0.0.1:${options.port}`;
		const webhookUrl = `http://127.0.0.1:${ports['webhook-1'].port}`;
		/** Every process: the same queue, database, key and public URLs (docs/n8n-queue-mode.md, "Starting the cluster"). */
		const shared = {
			EXECUTIONS_MODE: 'queue',
			N8N_ENCRYPTION_KEY: readFileSync(keyFile, 'utf8').trim(),
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(postgresPort),
			DB_POSTGRESDB_DATABASE: DATABASE.name,
			DB_POSTGRESDB_USER: DATABASE.user,
			DB_POSTGRESDB_PASSWORD: DATABASE.password,
			QUEUE_BULL_REDIS_HOST: '127.0.0.1',
			QUEUE_BULL_REDIS_PORT: String(redisPort),
			QUEUE_HEALTH_CHECK_ACTIVE: 'true',
			N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
			OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
			N8N_DEFAULT_BINARY_DATA_MODE: 'database',
			N8N_EDITOR_BASE_URL: mainUrl,
			// Webhooks, resume URLs included, go to the webhook processor; workers build resume URLs, so they need it too.
			WEBHOOK_URL: `${options.publicWebhookUrl ?? webhookUrl}/`,
			...options.env,
		};

		/** @param {typeof roles[number]} role */
		const startProcess = async (role) => {
			const { port, brokerPort, healthPort } = ports[role.name];
			const userFolder = join(options.folder, role.name);
			const logFile = join(logs, `${role.name}.log`);
			const service = await startN8n({
				userFolder,
				port,
				brokerPort,
				owner,
				logFile,
				command: role.role === 'main' ? 'start' : role.role,
				args: role.role === 'worker' ? [`--concurrency=${options.concurrency ?? 5}`] : [],
				readyUrl: healthPort ? `http://127.0.0.1:${healthPort}/healthz/readiness` : undefined,
				env: { ...shared, ...(healthPort ? { QUEUE_HEALTH_CHECK_PORT: String(healthPort) } : {}) },
			});
			/** @type {ClusterProcess} */
			const started = {
				...role,
				url: service.url,
				port: healthPort ?? port,
				pid: service.pid,
				userFolder,
				logFile,
				exited: service.exited,
				stop: service.stop,
			};
			return started;
		};
		/** @param {ClusterProcess} started */
		const record = (started) => {
			services.push({ name: started.name, stop: started.stop });
			processes.push(started);
		};

		say(
			`Starting n8n main on 127.0.0.1:${options.port} (migrations on a new database: about 30 s)`,
		);
		const [main] = await startTogether([startProcess(roles[0])], record);
		say(`Starting ${workerCount} worker${workerCount === 1 ? '' : 's'} and the webhook processor`);
		await startTogether(roles.slice(1).map(startProcess), record);
		const order = roles.map((r) => r.name);
		processes.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));

		const { client, credential, workflows } = await setUpDemo(main.url, {
			owner,
			realApi: options.realApi,
			emulatorUrl: emulator?.url,
		});
		const startSeconds = (Date.now() - startedAt) / 1000;
		/** Resolves when any process of the cluster ends by itself (a crash). */
		const ended = Promise.race(
			[
				...processes.map((p) => /** @type {const} */ ([p.name, p.exited])),
				['postgres', postgres.exited],
				['redis', redis.exited],
				...(emulator ? [['the emulator', emulator.exited]] : []),
			].map(([name, exited]) =>
				/** @type {Promise<{ code: number | null, signal: string | null }>} */ (exited).then(
					(how) => ({ name: String(name), ...how }),
				),
			),
		);
		return {
			url: main.url,
			webhookUrl,
			emulatorUrl: emulator?.url,
			owner,
			client,
			credential,
			workflows,
			install,
			logs,
			processes,
			infrastructure: [
				{ role: 'postgres', name: 'postgres', port: postgresPort, pid: postgres.pid },
				{ role: 'redis', name: 'redis', port: redisPort, pid: redis.pid },
				...(emulator
					? [{ role: 'emulator', name: 'emulator', port: options.emulatorPort, pid: emulator.pid }]
					: []),
			],
			startSeconds,
			ended,
			/** Resident memory per process group now, in MB (n8n processes include their task runners). */
			memory: () =>
				Object.fromEntries(
					[
						...processes,
						{ name: 'postgres', pid: postgres.pid },
						{ name: 'redis', pid: redis.pid },
					].map((p) => [p.name, groupRssMb(p.pid)]),
				),
			stop,
			/** Starts a process of the cluster again (after it was killed), in place of its old entry. @param {string} name */
			async restart(name) {
				const index = processes.findIndex((p) => p.name === name);
				if (index >= 0) processes.splice(index, 1);
				const started = await startProcess(
					/** @type {typeof roles[number]} */ (roles.find((r) => r.name === name)),
				);
				record(started);
				return started;
			},
		};
	} catch (error) {
		await stop();
		throw error;
	}
}
