// @ts-check
// `npm start`: a real n8n with this package in it, ready to click. Installs what is missing (Node 24, dev
// dependencies, the pinned n8n: once, into a cache outside the clone), builds and packs the package, installs
// the tarball into the instance's user folder the way n8n installs a community package, starts the EvoLink
// emulator and n8n on 127.0.0.1, logs in as the owner from the environment, points the "Seedream account"
// credential at the emulator (or at the real API when EVOLINK_API_KEY is set) and imports examples/*.json.
// Ctrl-C stops both. `npm start -- --queue`: the same as a queue-mode cluster (scripts/lib/queue-cluster.mjs:
// Postgres and Redis from Debian, installed once; main, two workers, a webhook processor), its data under
// <user folder>/queue; Ctrl-C stops every process it started. `npm start -- --n8n 1`: the same on n8n 1.x (the
// newest 1.x, installed once beside 2.x; its own user folder, as n8n's database does not go back from 2.x to 1.x).
// Settings (environment):
//   N8N_PORT (5678), N8N_RUNNERS_BROKER_PORT (N8N_PORT + 1), EVOLINK_EMULATOR_PORT (8787),
//   SEEDREAM_N8N_USER_FOLDER (<clone>/.n8n-dev, or .n8n-dev-1 for --n8n 1), SEEDREAM_CACHE_DIR (~/.cache/n8n-nodes-seedream),
//   SEEDREAM_OWNER_EMAIL / SEEDREAM_OWNER_PASSWORD (a documented demo login), EVOLINK_API_KEY (+ optional
//   EVOLINK_BASE_URL, EVOLINK_FILES_BASE_URL), SEEDREAM_TARBALL (install this .tgz instead of building).
import { join, resolve } from 'node:path';
import {
	n8nHome,
	n8nVersionFor,
	reexecUnderNode24,
	repoRoot,
	runTimes,
	step,
} from './lib/toolchain.mjs';

await reexecUnderNode24(import.meta.url);

const { buildAndPack } = await import('./lib/pack.mjs');
const { DEMO_OWNER, EMULATOR_KEY } = await import('./lib/n8n/seed.mjs');
const { CREDENTIAL_NAME } = await import('./lib/n8n/rest.mjs');
const { assertPortFree } = await import('./lib/n8n/ports.mjs');
const { startInstance } = await import('./lib/n8n/instance.mjs');
const { startCluster } = await import('./lib/queue-cluster.mjs');

const env = process.env;
/** `--queue`, and `--n8n <major>` (or `--n8n=<major>`): which n8n line to run, 2 unless told. */
function parseArguments(/** @type {string[]} */ args) {
	let queue = false;
	let major = '2';
	const unknown = [];
	for (let index = 0; index < args.length; index++) {
		const arg = args[index];
		if (arg === '--queue') queue = true;
		else if (arg === '--n8n') major = args[++index] ?? '';
		else if (arg.startsWith('--n8n=')) major = arg.slice('--n8n='.length);
		else unknown.push(arg);
	}
	if (unknown.length) {
		console.error(`Unknown argument ${unknown.join(' ')}: npm start takes --queue and --n8n <1|2>`);
		process.exit(2);
	}
	try {
		return { queue, n8nVersion: n8nVersionFor(major) };
	} catch (error) {
		console.error(/** @type {Error} */ (error).message);
		process.exit(2);
	}
}
const { queue, n8nVersion } = parseArguments(process.argv.slice(2));
if (queue && n8nVersion !== n8nVersionFor(2)) {
	console.error('npm start -- --queue runs n8n 2.x only (the queue-mode set-up is measured there)');
	process.exit(2);
}

/** @param {string} name @param {number} fallback */
function portFrom(name, fallback) {
	const raw = env[name];
	if (raw === undefined || raw === '') return fallback;
	const port = Number(raw);
	if (!Number.isInteger(port) || port < 1 || port > 65535) {
		console.error(`${name} must be a port number (1-65535), not "${raw}"`);
		process.exit(2);
	}
	return port;
}

const port = portFrom('N8N_PORT', 5678);
const brokerPort = portFrom('N8N_RUNNERS_BROKER_PORT', port + 1);
const emulatorPort = portFrom('EVOLINK_EMULATOR_PORT', 8787);
const userFolder = resolve(
	env.SEEDREAM_N8N_USER_FOLDER ||
		join(
			repoRoot,
			n8nVersion === n8nVersionFor(2) ? '.n8n-dev' : `.n8n-dev-${n8nVersion.split('.')[0]}`,
		),
);
const owner = {
	email: env.SEEDREAM_OWNER_EMAIL || DEMO_OWNER.email,
	password: env.SEEDREAM_OWNER_PASSWORD || DEMO_OWNER.password,
};
const realApi = env.EVOLINK_API_KEY
	? {
			apiKey: env.EVOLINK_API_KEY,
			baseUrl: env.EVOLINK_BASE_URL || undefined,
			filesBaseUrl: env.EVOLINK_FILES_BASE_URL || undefined,
		}
	: undefined;

if (port === brokerPort) {
	console.error(`N8N_PORT and N8N_RUNNERS_BROKER_PORT are both ${port}: n8n needs two ports.`);
	process.exit(2);
}

/** @type {Awaited<ReturnType<typeof startInstance>> | Awaited<ReturnType<typeof startCluster>> | undefined} */
let instance;
/** @type {Awaited<ReturnType<typeof startCluster>> | undefined} */
let cluster;
const what = queue ? 'the cluster' : realApi ? 'n8n' : 'n8n and the emulator';
let stopping = false;
async function shutdown(/** @type {number} */ code) {
	if (stopping) return;
	stopping = true;
	step(`Stopping ${what}`);
	await instance?.stop();
	process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
	step(`n8n ${n8nVersion}: ${n8nHome(n8nVersion)}`);
	await assertPortFree(port, 'n8n', 'N8N_PORT');
	await assertPortFree(brokerPort, "n8n's task-runner broker", 'N8N_RUNNERS_BROKER_PORT');
	if (!realApi) await assertPortFree(emulatorPort, 'the EvoLink emulator', 'EVOLINK_EMULATOR_PORT');

	let tarball = env.SEEDREAM_TARBALL ? resolve(env.SEEDREAM_TARBALL) : '';
	if (!tarball) {
		step('Packing the package (n8n-node build, npm pack; skipped when the sources are unchanged)');
		const packed = buildAndPack({ outDir: join(userFolder, 'package') });
		step(
			packed.reused
				? 'Sources unchanged since the last start: same tarball'
				: `Packed ${packed.tarball}`,
		);
		tarball = packed.tarball;
	}
	// n8n builds an expression isolate only when an expression is evaluated (bench/README.md, T1 and T2: less
	// n8n CPU per webhook for the trigger and n8n's Webhook node alike); set it to false to compare.
	const n8nEnv = {
		N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: env.N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE ?? 'true',
	};
	const common = {
		tarball,
		port,
		brokerPort,
		emulatorPort,
		owner,
		realApi,
		onStep: step,
		env: n8nEnv,
	};
	if (queue)
		instance = cluster = await startCluster({ ...common, folder: join(userFolder, 'queue') });
	else instance = await startInstance({ ...common, userFolder, n8nVersion });
} catch (error) {
	console.error(`\n${/** @type {Error} */ (error).message}`);
	await instance?.stop();
	process.exit(1);
}

// The whole start, from the command on the machine's Node: installs and the bootstrap included.
const { startedAt, installSeconds } = runTimes();
const seconds = ((Date.now() - startedAt) / 1000).toFixed(0);
const installed = installSeconds >= 1 ? `, of which ${installSeconds.toFixed(0)} s installing` : '';
const password = env.SEEDREAM_OWNER_PASSWORD
	? '(the password in SEEDREAM_OWNER_PASSWORD)'
	: owner.password;
const target = realApi
	? `the EvoLink API at ${realApi.baseUrl ?? 'https://api.evolink.ai'} (key from EVOLINK_API_KEY)`
	: `the EvoLink emulator at ${instance.emulatorUrl} (key ${EMULATOR_KEY}; control surface ${instance.emulatorUrl}/__emulator/)`;
const logFiles = cluster
	? `${instance.logs}/ (${[...cluster.processes.map((p) => p.name), ...cluster.infrastructure.map((p) => p.name)].join(', ')}).log`
	: `${join(instance.logs, 'n8n.log')}${realApi ? '' : `, ${join(instance.logs, 'emulator.log')}`}`;
const nameWidth = Math.max(...instance.workflows.map((w) => w.name.length));
const lines = [
	'',
	`n8n ${n8nVersion} with n8n-nodes-seedream@${instance.install.version} is ready${cluster ? ' in queue mode' : ''} (${seconds} s${installed}).`,
	'',
	`  Editor:      ${instance.url}`,
	`  Log in:      ${owner.email} / ${password}`,
	`  Credential:  "${CREDENTIAL_NAME}" -> ${target}`,
	'  Workflows:',
	...instance.workflows.map(
		(w) => `    ${w.name.padEnd(nameWidth)} ${instance?.url}/workflow/${w.id}`,
	),
	`  User folder: ${cluster ? join(userFolder, 'queue') : userFolder}`,
	`  Logs:        ${logFiles}`,
	...(cluster
		? [
				`  Webhooks:    ${cluster.webhookUrl}/ (WEBHOOK_URL of every process: production webhooks and resumes go to the webhook processor)`,
				'  Processes:',
				...[...cluster.processes, ...cluster.infrastructure].map(
					(p) =>
						`    ${p.role.padEnd(9)} ${p.name.padEnd(10)} 127.0.0.1:${String(p.port).padEnd(6)} pid ${p.pid}`,
				),
			]
		: []),
	'',
	`Open a workflow and click "Execute workflow". Press Ctrl-C to stop ${what}.`,
	'',
];
console.log(lines.join('\n'));

const ended = await instance.ended;
if (!stopping) {
	console.error(
		`\n${ended.name} stopped unexpectedly (${ended.code ?? ended.signal}); see the logs in ${instance.logs}`,
	);
	await shutdown(1);
}
