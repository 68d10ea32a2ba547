// @ts-check
// T2 (issue 19): Seedream Trigger callbacks spread over webhook processors in queue mode. One cluster
// (scripts/lib/queue-cluster.mjs, as `npm start -- --queue`: Postgres, Redis, main, two workers, here two webhook
// processors, binary data in the database) behind a small round-robin proxy of the bench's own on 127.0.0.1,
// standing in for the load balancer users put in front of their webhook processors (WEBHOOK_URL on every
// process is the proxy's address). Open-loop load as T1's, RATE callbacks/s for SECONDS, every 20th a repeat of
// the one ~1 s before; a failed callback is sent again as EvoLink does (after 1, 2 and 4 s, then given up).
// Runs, one after another on the same cluster, each with a workflow of its own:
// - baseline: n8n's Webhook node receiving each task's image as an upload (binary, as the trigger's output);
// - ours: Seedream Trigger 1.1 as added today (Confirm With the API on, binary output) -> the README's Redis
//   gate (Redis Increment keyed by task, status and image -> If = 1 -> the effect), two webhook processors;
// - ours with one webhook processor behind the proxy (how the figures scale from one to two);
// - ours with two, one of them SIGKILLed FAULT_AT_S into the run and started again FAULT_FOR_S later.
// The trigger runs share one set of finished tasks; each has its own Redis database, so each gate starts empty.
// BENCH_T2_RATE, BENCH_T2_SECONDS, BENCH_T2_RUNS (baseline,ours,one,fault) change the load and the runs;
// BENCH_T2_N8N_ENV (JSON) gives every n8n process settings to try.
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_OWNER } from '../../scripts/lib/n8n/seed.mjs';
import { freePorts } from '../../scripts/lib/n8n/ports.mjs';
import { buildAndPack } from '../../scripts/lib/pack.mjs';
import { startCluster } from '../../scripts/lib/queue-cluster.mjs';
import { repoRoot } from '../../scripts/lib/toolchain.mjs';
import { percentile, round } from '../measure.mjs';
import {
	allExecutions,
	countBy,
	finishedTasks,
	inBatches,
	mb,
	REPEAT_EVERY,
	post,
	sampleProcessGroup,
	uniqueIndex,
	untilDrained,
	untilRegistered,
	uploadBody,
} from './t1-trigger.mjs';

const RATE = Number(process.env.BENCH_T2_RATE) || 40;
const SECONDS = Number(process.env.BENCH_T2_SECONDS) || 30;
const QUICK_SECONDS = 10;
const RUNS = (process.env.BENCH_T2_RUNS ?? 'baseline,ours,one,fault').split(',');
/** BENCH_T2_N8N_ENV, JSON: n8n settings for every process, e.g. {"N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE":"true"}. */
const N8N_ENV = JSON.parse(process.env.BENCH_T2_N8N_ENV || '{}');
/** EvoLink's retries of a failed callback (docs/evolink-api.md §4): after 1, 2 and 4 s, then it gives up. */
const RETRY_AFTER_S = [1, 2, 4];
const FAULT_AT_S = 10;
const FAULT_FOR_S = 10;
const TRIGGER = 'n8n-nodes-seedream.seedreamTrigger';

/** @param {import('../run.mjs').Context} context */
export async function t2({ quick, log }) {
	const seconds = quick ? Math.min(QUICK_SECONDS, SECONDS) : SECONDS;
	const slots = RATE * seconds;
	const uniqueTasks = slots - Math.floor(slots / REPEAT_EVERY);
	const root = mkdtempSync(join(tmpdir(), 'seedream-bench-t2-'));
	chmodSync(root, 0o755); // Postgres runs as its own user and must reach its folder
	const { tarball } = buildAndPack({ outDir: join(repoRoot, 'bench-results', 'pack') });
	const proxy = await startProxy();
	const [port, brokerPort, emulatorPort] = await freePorts(3);
	// Room in the emulator's cache for every image of the run, rendered before it (see T1).
	process.env.EVOLINK_EMULATOR_IMAGE_CACHE_MB = String(
		Math.max(256, Math.ceil(uniqueTasks * 0.6) + 64),
	);
	log(
		`  T2: starting the queue-mode cluster (2 workers, 2 webhook processors behind the proxy ${proxy.url})`,
	);
	const cluster = await startCluster({
		folder: join(root, 'cluster'),
		tarball,
		port,
		brokerPort,
		emulatorPort,
		owner: DEMO_OWNER,
		workers: 2,
		concurrency: 10,
		taskMs: 100,
		webhookProcessors: 2,
		publicWebhookUrl: proxy.url,
		env: N8N_ENV,
		onStep: (message) => log(`  T2: ${message}`),
	});
	/** @type {Record<string, any>} */
	const figures = { rate: RATE, seconds, requests: slots, uniqueTasks, n8nEnv: N8N_ENV };
	try {
		const webhooks = () => cluster.processes.filter((p) => p.role === 'webhook');
		const { client, credential } = cluster;
		const emulatorUrl = /** @type {string} */ (cluster.emulatorUrl);
		const redisPort = /** @type {{ port: number }} */ (
			cluster.infrastructure.find((p) => p.name === 'redis')
		).port;
		log(`  T2: ${uniqueTasks} finished tasks on the emulator, their images rendered`);
		const tasks = await finishedTasks(emulatorUrl, uniqueTasks);
		await inBatches(
			tasks.length,
			4,
			async (index) => await (await fetch(JSON.parse(tasks[index].body).results[0])).arrayBuffer(),
		);
		const image = Buffer.from(
			await (await fetch(JSON.parse(tasks[0].body).results[0])).arrayBuffer(),
		);

		let redisDatabase = 0;
		/** @param {string} name @param {{ upload?: boolean, processors: number, fault?: boolean }} how */
		const measure = async (name, how) => {
			proxy.targets = webhooks()
				.slice(0, how.processors)
				.map((p) => p.url);
			const workflow = await client.rest('POST', '/rest/workflows', {
				name: `bench T2: ${name}`,
				settings: { executionOrder: 'v1' },
				...(how.upload
					? webhookWorkflow()
					: await gatedTriggerWorkflow(client, credential, redisPort, ++redisDatabase)),
			});
			await client.api('POST', `/api/v1/workflows/${workflow.id}/activate`);
			const start = workflow.nodes[0];
			const path = how.upload ? start.parameters.path : start.webhookId;
			// Registered on every webhook processor the proxy sends to (each reads the active workflows itself).
			for (const target of proxy.targets) await untilRegistered(`${target}/webhook/${path}`);
			const bodies = tasks.map((task) => ({
				id: task.id,
				body: how.upload ? uploadBody(task.id, image) : task.body,
			}));
			log(
				`  T2 ${name}: ${slots} callbacks at ${RATE}/s through the proxy to ${how.processors} webhook processor(s)${how.fault ? `; webhook-2 killed at ${FAULT_AT_S} s, started again at ${FAULT_AT_S + FAULT_FOR_S} s` : ''}`,
			);
			const samplers = cluster.processes.map((p) => ({
				name: p.name,
				sampler: sampleProcessGroup(/** @type {number} */ (p.pid)),
			}));
			const fault = how.fault
				? killAndRestart(cluster, 'webhook-2', log)
				: Promise.resolve(undefined);
			const deliveries = await sendWithRetries(
				`${proxy.url}/webhook/${path}`,
				bodies,
				slots,
				seconds,
			);
			const restarted = await fault;
			await untilDrained(client, workflow.id);
			const perProcess = Object.fromEntries(
				samplers.map(({ name: processName, sampler }) => {
					const { rss, cpuMs } = sampler.stop();
					return [
						processName,
						{
							rssGrowthMb: mb(rss.growthBytes),
							rssPeakMb: mb(rss.peakBytes),
							cpuMsPerCallback: round(cpuMs / slots, 1),
						},
					];
				}),
			);
			const executions = await allExecutions(client, workflow.id, true);
			await client.api('POST', `/api/v1/workflows/${workflow.id}/deactivate`);
			return {
				...summarize(
					deliveries,
					executions,
					how.upload ? 'Webhook' : 'Seedream Trigger',
					how.upload,
				),
				perProcess,
				restarted,
				proxy: { ...proxy.counts },
			};
		};

		if (RUNS.includes('baseline'))
			figures.baseline = await measure('baseline', { upload: true, processors: 2 });
		if (RUNS.includes('ours')) figures.ours = await measure('ours', { processors: 2 });
		if (RUNS.includes('one'))
			figures.oneProcessor = await measure('ours, one webhook processor', { processors: 1 });
		if (RUNS.includes('fault'))
			figures.fault = await measure('ours, a webhook processor killed', {
				processors: 2,
				fault: true,
			});
		for (const [key, value] of Object.entries(figures))
			if (value && typeof value === 'object') log(`  T2 ${key}: ${JSON.stringify(value)}`);
	} finally {
		await cluster.stop();
		await proxy.close();
		rmSync(root, { recursive: true, force: true });
	}
	return { figures, rows: rows(figures) };
}

/** @param {Record<string, any>} figures @returns {import('../run.mjs').Row[]} */
function rows(figures) {
	const { baseline, ours, oneProcessor, fault } = figures;
	const settings = Object.entries(figures.n8nEnv)
		.map(([k, v]) => `${k}=${v}`)
		.join(' ');
	const load = `${figures.rate}/s for ${figures.seconds} s${settings ? `, ${settings}` : ''}`;
	/** @type {import('../run.mjs').Row[]} */
	const out = [];
	const webhookRss = (/** @type {any} */ run) =>
		Math.max(
			...Object.entries(run.perProcess)
				.filter(([n]) => n.startsWith('webhook'))
				.map(([, p]) => /** @type {any} */ (p).rssGrowthMb),
		);
	const cpu = (/** @type {any} */ run) =>
		Object.entries(run.perProcess)
			.map(([n, p]) => `${n} ${/** @type {any} */ (p).cpuMsPerCallback}`)
			.join(', ');
	if (ours) {
		out.push(
			{
				id: 'T2',
				figure: `queue mode, 2 webhook processors behind a proxy, ${load}, binary, Confirm on: answers not 2xx (first attempts) / given up after EvoLink's retries`,
				unit: '',
				ours: `${ours.failedFirst} / ${ours.givenUp}`,
				baseline: baseline ? `${baseline.failedFirst} / ${baseline.givenUp}` : null,
				goal: '0 / 0',
				holds: ours.failedFirst === 0 && ours.givenUp === 0,
			},
			{
				id: 'T2',
				figure: 'answer time p95 (every attempt)',
				unit: 'ms',
				ours: ours.p95Ms,
				baseline: baseline?.p95Ms ?? null,
				goal: '<= 1.5 x',
				holds: !baseline || ours.p95Ms <= 1.5 * baseline.p95Ms,
				note: `p50 ${ours.p50Ms} ms`,
			},
			{
				id: 'T2',
				figure:
					'tasks with no execution / executions beyond one per task / tasks past the Redis gate more than once',
				unit: '',
				ours: `${ours.notStarted} / ${ours.duplicateStarts} / ${ours.gateTwice}`,
				baseline: baseline ? `${baseline.notStarted} / ${baseline.duplicateStarts} / -` : null,
				goal: '0 / counted / 0',
				holds: ours.notStarted === 0 && ours.gateTwice === 0,
			},
			{
				id: 'T2',
				figure: 'RSS growth of the busiest webhook processor',
				unit: 'MB',
				ours: webhookRss(ours),
				baseline: baseline ? webhookRss(baseline) : null,
				goal: '<= 1.5 x',
				holds: !baseline || webhookRss(ours) <= 1.5 * Math.max(webhookRss(baseline), 1),
			},
			{
				id: 'T2',
				figure: 'CPU ms per callback, per process',
				unit: '',
				ours: cpu(ours),
				baseline: baseline ? cpu(baseline) : null,
			},
		);
	}
	if (oneProcessor && ours) {
		out.push({
			id: 'T2',
			figure:
				'one webhook processor instead of two: answer time p95 / not 2xx / webhook processor CPU per callback',
			unit: '',
			ours: `${oneProcessor.p95Ms} ms / ${oneProcessor.failedFirst} / ${oneProcessor.perProcess['webhook-1'].cpuMsPerCallback} ms`,
			baseline: `two: ${ours.p95Ms} ms / ${ours.failedFirst} / ${ours.perProcess['webhook-1'].cpuMsPerCallback} + ${ours.perProcess['webhook-2']?.cpuMsPerCallback} ms`,
		});
	}
	if (fault) {
		out.push({
			id: 'T2',
			figure: `fault: webhook-2 SIGKILLed at ${FAULT_AT_S} s, started again ${FAULT_FOR_S} s later: tasks with no execution / past the gate twice`,
			unit: '',
			ours: `${fault.notStarted} / ${fault.gateTwice}`,
			goal: '0 / 0',
			holds: fault.notStarted === 0 && fault.gateTwice === 0,
			note: `${fault.failedFirst} first attempts failed, ${fault.retried} retries sent, ${fault.givenUp} given up, ${fault.duplicateStarts} duplicate starts; ${JSON.stringify(fault.failures)}`,
		});
	}
	return out;
}

/**
 * Sends each task's callback on T1's schedule; a failed one is sent again after 1, 2 and 4 s, as EvoLink does.
 * @param {string} url @param {{ id: string, body: string | Buffer[] }[]} bodies @param {number} slots @param {number} seconds
 */
async function sendWithRetries(url, bodies, slots, seconds) {
	const started = performance.now();
	const pending = [];
	for (let slot = 0; slot < slots; slot++) {
		const repeat = slot % REPEAT_EVERY === REPEAT_EVERY - 1;
		const task = bodies[uniqueIndex(repeat ? slot - (REPEAT_EVERY - 1) : slot)];
		const due = started + (slot * seconds * 1000) / slots;
		const wait = due - performance.now();
		if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
		pending.push(
			(async () => {
				const attempts = [await post(url, task.body)];
				for (const delay of RETRY_AFTER_S) {
					if (/** @type {any} */ (attempts.at(-1)).ok) break;
					await new Promise((resolve) => setTimeout(resolve, delay * 1000));
					attempts.push(await post(url, task.body));
				}
				return { taskId: task.id, repeat, attempts };
			})(),
		);
	}
	return await Promise.all(pending);
}

/**
 * @param {Awaited<ReturnType<typeof sendWithRetries>>} deliveries @param {any[]} executions @param {string} startNode @param {boolean | undefined} upload
 */
function summarize(deliveries, executions, startNode, upload) {
	const started = new Map();
	const passed = new Map();
	for (const execution of executions) {
		const json = execution.data?.resultData?.runData?.[startNode]?.[0]?.data?.main?.[0]?.[0]?.json;
		const taskId = upload ? json?.body?.id : json?.taskId;
		// An execution n8n queued but never ran (or that failed before its start node) names no task.
		if (taskId === undefined) continue;
		started.set(taskId, (started.get(taskId) ?? 0) + 1);
		if (
			(execution.data?.resultData?.runData?.['Use the Images']?.[0]?.data?.main?.[0] ?? []).length >
			0
		)
			passed.set(taskId, (passed.get(taskId) ?? 0) + 1);
	}
	const attempts = deliveries.flatMap((d) => d.attempts);
	const ms = attempts.map((a) => /** @type {number} */ (a.ms));
	const taskIds = new Set(deliveries.map((d) => d.taskId));
	return {
		p50Ms: round(percentile(ms, 50)),
		p95Ms: round(percentile(ms, 95)),
		failedFirst: deliveries.filter((d) => !d.attempts[0].ok).length,
		retried: attempts.length - deliveries.length,
		givenUp: deliveries.filter((d) => !(/** @type {any} */ (d.attempts.at(-1)).ok)).length,
		failures: countBy(attempts.filter((a) => !a.ok).map((a) => a.error ?? `HTTP ${a.status}`)),
		notStarted: [...taskIds].filter((id) => !started.has(id)).length,
		duplicateStarts: [...started.values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0),
		gateTwice: [...passed.values()].filter((count) => count > 1).length,
		// What the gate saw for a task that passed it twice: its count in Redis and the trigger's item, per execution.
		gateTwiceSamples: [...passed.entries()]
			.filter(([, count]) => count > 1)
			.slice(0, 3)
			.map(([taskId]) =>
				executions
					.filter(
						(e) =>
							(upload
								? e.data?.resultData?.runData?.[startNode]?.[0]?.data?.main?.[0]?.[0]?.json?.body
										?.id
								: e.data?.resultData?.runData?.[startNode]?.[0]?.data?.main?.[0]?.[0]?.json
										?.taskId) === taskId,
					)
					.map((e) => ({
						id: e.id,
						startedAt: e.startedAt,
						count:
							e.data?.resultData?.runData?.['Count Deliveries']?.[0]?.data?.main?.[0]?.[0]?.json,
						item: {
							...e.data?.resultData?.runData?.[startNode]?.[0]?.data?.main?.[0]?.[0]?.json,
							usage: undefined,
						},
					})),
			),
		gatePassed: passed.size,
		executions: executions.length,
		executionsWithoutTask: executions.filter(
			(e) => e.data?.resultData?.runData?.[startNode] === undefined,
		).length,
		executionStatuses: countBy(executions.map((e) => e.status)),
	};
}

/** n8n's Webhook node receiving the image as an upload, answering on receipt. */
function webhookWorkflow() {
	const path = randomUUID();
	return {
		nodes: [
			{
				id: randomUUID(),
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: randomUUID(),
				parameters: { httpMethod: 'POST', path, responseMode: 'onReceived', options: {} },
			},
		],
		connections: {},
	};
}

/**
 * The trigger as added today, gated by the README's Redis recipe (its own Redis database, so it starts empty).
 * @param {any} client @param {{ id: string, name: string }} credential @param {number} redisPort @param {number} database
 */
async function gatedTriggerWorkflow(client, credential, redisPort, database) {
	const redis = await client.rest('POST', '/rest/credentials', {
		name: `bench T2 Redis ${database}`,
		type: 'redis',
		data: { host: '127.0.0.1', port: redisPort, database, password: '' },
	});
	const key =
		"={{ 'seedream:' + $json.taskId + ':' + $json.status + ':' + ($json.imageIndex ?? 0) }}";
	const node = (
		/** @type {string} */ name,
		/** @type {string} */ type,
		/** @type {any} */ parameters,
		/** @type {any} */ extra = {},
	) => ({ id: randomUUID(), name, type, typeVersion: 1, position: [0, 0], parameters, ...extra });
	const nodes = [
		node(
			'Seedream Trigger',
			TRIGGER,
			{},
			{
				typeVersion: 1.1,
				webhookId: randomUUID(),
				credentials: { seedreamApi: { id: credential.id, name: credential.name } },
			},
		),
		node(
			'Count Deliveries',
			'n8n-nodes-base.redis',
			{ operation: 'incr', key, expire: true, ttl: 7 * 24 * 3600 },
			{ credentials: { redis: { id: redis.id, name: redis.name } } },
		),
		node('First Delivery Only', 'n8n-nodes-base.if', {
			conditions: {
				number: [{ value1: '={{ Object.values($json)[0] }}', operation: 'equal', value2: 1 }],
			},
		}),
		node('Use the Images', 'n8n-nodes-base.set', {
			keepOnlySet: true,
			values: {
				string: [{ name: 'taskId', value: "={{ $('Seedream Trigger').item.json.taskId }}" }],
			},
			options: {},
		}),
	];
	/** @type {Record<string, any>} */
	const connections = {};
	for (let i = 1; i < nodes.length; i++)
		connections[nodes[i - 1].name] = { main: [[{ node: nodes[i].name, type: 'main', index: 0 }]] };
	return { nodes, connections };
}

/**
 * SIGKILLs a cluster process FAULT_AT_S after now (with nothing to clean up, as if its host died) and starts it
 * again FAULT_FOR_S later. Resolves to when each happened and how long the new one took to be ready.
 * @param {Awaited<ReturnType<typeof startCluster>>} cluster @param {string} name @param {(message: string) => void} log
 */
async function killAndRestart(cluster, name, log) {
	await new Promise((resolve) => setTimeout(resolve, FAULT_AT_S * 1000));
	const victim = /** @type {any} */ (cluster.processes.find((p) => p.name === name));
	process.kill(-victim.pid, 'SIGKILL');
	await victim.exited;
	log(`  T2: ${name} killed`);
	await new Promise((resolve) => setTimeout(resolve, FAULT_FOR_S * 1000));
	const restartedAt = performance.now();
	const again = await cluster.restart(name);
	log(`  T2: ${name} running again`);
	return { readyAfterMs: Math.round(performance.now() - restartedAt), url: again.url };
}

/**
 * The load balancer in front of the webhook processors: round robin over `targets`; a target that refuses the
 * connection (down) is skipped for the next one, so only requests already sent to a process that dies fail.
 */
async function startProxy() {
	const proxy = {
		url: '',
		/** @type {string[]} */ targets: [],
		counts: /** @type {Record<string, number>} */ ({}),
		next: 0,
		close: async () => {},
	};
	const server = http.createServer((req, res) => {
		/** @type {Buffer[]} */
		const chunks = [];
		req.on('data', (chunk) => chunks.push(chunk));
		req.on('end', () => forward(Buffer.concat(chunks), 0));
		/** @param {Buffer} body @param {number} tries */
		const forward = (body, tries) => {
			if (tries >= proxy.targets.length)
				return void res.writeHead(502).end('no webhook processor reachable');
			const target = proxy.targets[proxy.next++ % proxy.targets.length];
			const upstream = http.request(`${target}${req.url}`, {
				method: req.method,
				headers: req.headers,
				agent: false,
			});
			upstream.once('response', (answer) => {
				proxy.counts[target] = (proxy.counts[target] ?? 0) + 1;
				res.writeHead(answer.statusCode ?? 502, answer.headers);
				answer.pipe(res);
			});
			upstream.once('error', (/** @type {any} */ error) => {
				if (error.code === 'ECONNREFUSED') return forward(body, tries + 1);
				if (!res.headersSent) res.writeHead(502);
				res.end();
			});
			upstream.end(body);
		};
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
	proxy.url = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`;
	proxy.close = async () => {
		server.closeAllConnections();
		await new Promise((resolve) => server.close(() => resolve(undefined)));
	};
	return proxy;
}
