// @ts-check
// The package in n8n's queue mode (docs/n8n-queue-mode.md): the cluster of `npm start -- --queue`
// (Postgres, Redis, main, two workers, a webhook processor, binary data in the database, manual
// runs on the workers), started once for this file. The single-process suites that make sense there
// run unchanged; then who ran what, the callbacks across processes, one callback delivered to two
// processes at once, and a worker killed mid-task. `npm test -- --skip-queue` leaves this file out
// locally (never in CI). The figures for the note are written to test-results/queue-figures.json.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMULATOR_KEY } from '../../scripts/lib/n8n/seed.mjs';
import { repoRoot } from '../../scripts/lib/toolchain.mjs';
import { startQueueCluster } from './support/cluster.mjs';
import { readPng } from '../harness/png.mjs';
import { example, outputOf } from './support/run.mjs';
import { accountTests } from './suites/account.mjs';
import { credentialTests } from './suites/credentials.mjs';
import { imageTests } from './suites/images.mjs';

/** @type {import('./support/cluster.mjs').QueueCluster | undefined} */
let cluster;
const get = () => {
	if (!cluster) throw new Error('the cluster did not start (see the beforeAll error above)');
	return cluster;
};
/** @type {Record<string, unknown>} */
const figures = {};
const RUN_TIMEOUT = 240_000;

beforeAll(async () => {
	cluster = await startQueueCluster();
	figures.startSeconds = Math.round(cluster.startSeconds * 10) / 10;
	figures.memoryIdleMb = cluster.memory();
}, 600_000);

afterAll(async () => {
	if (cluster) figures.memoryAfterMb = cluster.memory();
	await cluster?.stop();
	mkdirSync(join(repoRoot, 'test-results'), { recursive: true });
	writeFileSync(
		join(repoRoot, 'test-results', 'queue-figures.json'),
		JSON.stringify(figures, null, 2) + '\n',
	);
}, 120_000);

const SEEDREAM = 'n8n-nodes-seedream.seedream';
const TRIGGER = 'n8n-nodes-seedream.seedreamTrigger';
const MANUAL_NAME = 'Run';

/**
 * Creates a workflow with the cluster's Seedream credential (and `redis`, when given) on the nodes
 * that take one.
 */
async function createWorkflow(
	/** @type {string} */ name,
	/** @type {any[]} */ nodes,
	/** @type {any} */ connections = {},
	/** @type {Record<string, { id: string, name: string }>} */ more = {},
) {
	const { client, credential } = get();
	const linked = nodes.map((node) => {
		if (node.type.startsWith('n8n-nodes-seedream.'))
			return {
				...node,
				credentials: { seedreamApi: { id: credential.id, name: credential.name } },
			};
		if (node.type === 'n8n-nodes-base.redis' && more.redis)
			return { ...node, credentials: { redis: more.redis } };
		return node;
	});
	return await client.rest('POST', '/rest/workflows', {
		name,
		nodes: linked,
		connections,
		settings: { executionOrder: 'v1' },
	});
}

/** Nodes in a chain, connected first to last. @param {any[]} nodes */
function chain(nodes) {
	/** @type {Record<string, any>} */
	const connections = {};
	for (let index = 1; index < nodes.length; index++) {
		connections[nodes[index - 1].name] = {
			main: [[{ node: nodes[index].name, type: 'main', index: 0 }]],
		};
	}
	return { nodes, connections };
}

/**
 * @param {string} name @param {string} type @param {Record<string, unknown>} parameters
 * @param {Record<string, unknown>} [extra]
 */
function node(name, type, parameters, extra = {}) {
	return { id: randomUUID(), name, type, typeVersion: 1, position: [0, 0], parameters, ...extra };
}

const manual = () => node(MANUAL_NAME, 'n8n-nodes-base.manualTrigger', {});
/**
 * @param {string} name @param {Record<string, unknown>} parameters
 * @param {Record<string, unknown>} [extra]
 */
const generate = (name, parameters, extra) =>
	node(
		name,
		SEEDREAM,
		{ resource: 'image', operation: 'generate', sizeMode: 'preset', size: '1K', ...parameters },
		extra,
	);

/** Polls until `condition` holds (the cluster reaches it by itself); fails after `timeoutMs`. */
async function until(
	/** @type {() => Promise<boolean> | boolean} */ condition,
	/** @type {string} */ what,
	timeoutMs = 120_000,
) {
	const deadline = Date.now() + timeoutMs;
	while (!(await condition())) {
		if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}

/** Runs a saved workflow from its manual trigger, waits for the end. @param {string} workflowId */
async function run(workflowId) {
	const { client } = get();
	const executionId = await client.runWorkflow(workflowId, MANUAL_NAME);
	return {
		executionId,
		execution: await client.waitForExecution(executionId, { timeoutMs: 180_000 }),
	};
}

/**
 * Who ran an execution, once every job of it has been logged as started.
 * @param {string} executionId @param {number} jobs
 */
async function jobsOf(executionId, jobs) {
	await until(
		() => get().jobsOf(executionId).ranOn.length >= jobs,
		`${jobs} job(s) of execution ${executionId} in the workers' logs`,
		30_000,
	);
	return get().jobsOf(executionId);
}

/**
 * Executions of a workflow, newest first, with their data, once none is still running.
 * @param {string} workflowId
 */
async function executionsOf(workflowId) {
	/** @type {any[]} */
	let executions = [];
	await until(async () => {
		({ data: executions } = await get().client.api(
			'GET',
			`/api/v1/executions?workflowId=${workflowId}&includeData=true&limit=100`,
		));
		return executions.every(
			(e) => e.finished || ['success', 'error', 'crashed', 'canceled'].includes(e.status),
		);
	}, `the executions of workflow ${workflowId} to end`);
	return executions;
}

/** The task JSON the API serves (what its callback carries). @param {string} taskId */
async function taskAsApiServesIt(taskId) {
	const response = await fetch(`${get().emulatorUrl}/v1/tasks/${taskId}`, {
		headers: { authorization: `Bearer ${EMULATOR_KEY}` },
	});
	return await response.json();
}

const workers = () =>
	get()
		.processes.filter((p) => p.role === 'worker')
		.map((p) => p.name);

// The single-process suites, unchanged, on the cluster: Generate (Wait for the Result, binary
// output, a failed task, a refused size), binary references, Don't Wait then Task > Get, the
// credential test, Get Credits.
imageTests(/** @type {any} */ (get));
credentialTests(/** @type {any} */ (get));
accountTests(/** @type {any} */ (get));

describe('who ran what in queue mode', () => {
	test(
		'a manual run is queued by main and runs on one worker; its images are in the database',
		async () => {
			const { executionId, execution } = await run(get().workflow('generate-images.json').id);
			expect(execution.status).toBe('success');
			const jobs = await jobsOf(executionId, 1);
			expect(jobs.enqueuedBy).toEqual(['main']);
			expect(jobs.ranOn).toHaveLength(1);
			expect(workers()).toContain(jobs.ranOn[0]);
			const items = outputOf(execution, 'Generate Images');
			expect(items).toHaveLength(2);
			for (const item of items) {
				expect(item.binary?.data?.id).toMatch(/^database:[0-9a-f-]{36}$/);
				expect(
					readPng(await get().client.binaryBytes(/** @type {any} */ (item.binary?.data))),
				).toEqual(expect.objectContaining({ width: 1280, height: 720 }));
			}
		},
		RUN_TIMEOUT,
	);

	test(
		'Wait for the Callback: the webhook processor takes the callback, a worker resumes; no polling',
		async () => {
			const { emulator, webhookUrl, client } = get();
			const { nodes, connections } = chain([
				manual(),
				generate('Generate', {
					prompt: 'a set of 2 images of lanterns',
					n: 2,
					waitMode: 'callback',
					output: 'binaryPerImage',
				}),
			]);
			const workflow = await createWorkflow('queue: wait for the callback', nodes, connections);
			const since = await emulator.lastSeq();
			const { executionId, execution } = await run(workflow.id);
			expect(execution.status).toBe('success');

			const creates = (await emulator.requestsSince(since)).filter(
				(r) => r.method === 'POST' && r.path === '/v1/images/generations',
			);
			expect(creates).toHaveLength(1);
			// The resume URL is WEBHOOK_URL's, the webhook processor's (checked by shape, never
			// printed: it is signed).
			expect(
				String(creates[0].body.callback_url).startsWith(
					`${webhookUrl}/webhook-waiting/${executionId}?signature=`,
				),
			).toBe(true);

			// Two jobs: main queued the run, the webhook processor queued the resume; workers ran both.
			const jobs = await jobsOf(executionId, 2);
			expect(jobs.enqueuedBy).toEqual(['main', 'webhook-1']);
			expect(jobs.ranOn).toHaveLength(2);
			for (const worker of jobs.ranOn) expect(workers()).toContain(worker);

			const items = outputOf(execution, 'Generate');
			expect(items).toHaveLength(2);
			const taskId = items[0].json.taskId;
			const callbacks = (await emulator.callbacks()).filter(
				(/** @type {any} */ c) => c.taskId === taskId,
			);
			expect(callbacks.map((/** @type {any} */ c) => c.status)).toEqual([200]);
			const reads = (await emulator.requestsSince(since)).filter(
				(r) => r.method === 'GET' && r.path === `/v1/tasks/${taskId}`,
			);
			expect(reads.filter((r) => Date.parse(r.time) < Date.parse(callbacks[0].sentAt))).toEqual([]);
			for (const item of items) {
				expect(item.binary?.data?.id).toMatch(/^database:/);
				expect(readPng(await client.binaryBytes(/** @type {any} */ (item.binary?.data)))).toEqual(
					expect.objectContaining({ width: 1024, height: 1024 }),
				);
			}
			figures.waitForTheCallback = {
				jobs,
				callbacks: callbacks.length,
				pollsBeforeTheCallback: 0,
				readsAfter: reads.length,
			};
		},
		RUN_TIMEOUT,
	);

	test(
		'Continue On Fail: a failed task is an item naming the task; the run succeeds on the worker',
		async () => {
			const { emulator } = get();
			await emulator.failNextTask('content_policy_violation');
			try {
				const { nodes, connections } = chain([
					manual(),
					generate(
						'Generate',
						{ prompt: 'a forbidden picture', waitMode: 'wait', output: 'urls' },
						{ onError: 'continueRegularOutput' },
					),
				]);
				const workflow = await createWorkflow('queue: continue on fail', nodes, connections);
				const { executionId, execution } = await run(workflow.id);
				expect(execution.status).toBe('success');
				const [item, ...rest] = outputOf(execution, 'Generate');
				expect(rest).toEqual([]);
				expect(item.json.error).toMatch(
					/^Seedream task task-unified-\d+-[a-z0-9]{8} failed: content_policy_violation/,
				);
				expect(item.pairedItem).toEqual({ item: 0 });
				expect((await jobsOf(executionId, 1)).enqueuedBy).toEqual(['main']);
			} finally {
				await emulator.clearFaults();
			}
		},
		RUN_TIMEOUT,
	);

	test(
		'the Seedream Trigger example: the webhook processor takes the callback, a worker runs it',
		async () => {
			const { client, webhookUrl } = get();
			const token = `queue-${randomBytes(16).toString('hex')}`;
			const shipped = structuredClone(example('seedream-trigger.json'));
			const trigger = shipped.nodes.find((/** @type {any} */ n) => n.type === TRIGGER);
			Object.assign(trigger, {
				webhookId: randomUUID(),
				parameters: { ...trigger.parameters, token },
			});
			const triggerWorkflow = await createWorkflow(
				'queue: the trigger example',
				shipped.nodes,
				shipped.connections,
			);
			await client.api('POST', `/api/v1/workflows/${triggerWorkflow.id}/activate`);
			const productionUrl = `${webhookUrl}/webhook/${token}`;
			await until(
				async () =>
					(
						await fetch(productionUrl, {
							method: 'POST',
							headers: { 'content-type': 'application/json' },
							body: '{}',
						})
					).status === 400,
				'the trigger URL on the webhook processor',
			);

			const { nodes, connections } = chain([
				manual(),
				generate('Start', {
					prompt: 'a paper crane',
					waitMode: 'dontWait',
					options: { callbackUrl: productionUrl },
				}),
			]);
			const starter = await createWorkflow(
				'queue: start a task for the trigger',
				nodes,
				connections,
			);
			const { execution } = await run(starter.id);
			const taskId = outputOf(execution, 'Start')[0].json.taskId;
			await until(
				async () => (await executionsOf(triggerWorkflow.id)).length >= 1,
				'the trigger workflow to run',
			);
			const [started, ...more] = await executionsOf(triggerWorkflow.id);
			expect(more).toEqual([]);
			expect(started.status).toBe('success');
			expect(started.mode).toBe('webhook');
			const jobs = await jobsOf(String(started.id), 1);
			expect(jobs.enqueuedBy).toEqual(['webhook-1']);
			expect(workers()).toContain(jobs.ranOn[0]);
			const [item] = outputOf(started, 'Use the Images');
			expect(item.json).toMatchObject({
				taskId,
				status: 'completed',
				imageIndex: 0,
				imageCount: 1,
			});
			expect(item.binary?.data?.id).toMatch(/^database:/);
			await client.api('POST', `/api/v1/workflows/${triggerWorkflow.id}/deactivate`);
		},
		RUN_TIMEOUT,
	);
});

describe('one callback delivered to two processes at once', () => {
	test(
		'sent to main and the webhook processor at once, both start it; a Redis gate lets one through',
		async () => {
			const { client, url, webhookUrl, infrastructure, emulator } = get();
			const redisPort = /** @type {{ port: number }} */ (
				infrastructure.find((p) => p.name === 'redis')
			).port;
			const redis = await client.rest('POST', '/rest/credentials', {
				name: 'Queue Redis',
				type: 'redis',
				data: { host: '127.0.0.1', port: redisPort, database: 0, password: '' },
			});
			const token = `twice-${randomBytes(16).toString('hex')}`;
			const key =
				"={{ 'seedream:' + $json.taskId + ':' + $json.status + ':' + ($json.imageIndex ?? 0) }}";
			const { nodes, connections } = chain([
				node(
					'Seedream Trigger',
					TRIGGER,
					{ token, statuses: ['completed', 'failed', 'cancelled'], output: 'urls' },
					{ webhookId: randomUUID() },
				),
				node('Count Deliveries', 'n8n-nodes-base.redis', {
					operation: 'incr',
					key,
					expire: true,
					ttl: 7 * 24 * 3600,
				}),
				node('First Delivery Only', 'n8n-nodes-base.if', {
					conditions: {
						number: [{ value1: '={{ Object.values($json)[0] }}', operation: 'equal', value2: 1 }],
					},
				}),
				// The effect: reads the trigger's item behind the gate, as the README's recipe says.
				node('Use the Images', 'n8n-nodes-base.set', {
					keepOnlySet: true,
					values: {
						string: [{ name: 'taskId', value: "={{ $('Seedream Trigger').item.json.taskId }}" }],
					},
					options: {},
				}),
			]);
			const workflow = await createWorkflow(
				'queue: a callback delivered twice at once',
				nodes,
				connections,
				{ redis: { id: redis.id, name: redis.name } },
			);
			await client.api('POST', `/api/v1/workflows/${workflow.id}/activate`);
			const targets = [`${url}/webhook/${token}`, `${webhookUrl}/webhook/${token}`];
			for (const target of targets) {
				await until(
					async () =>
						(
							await fetch(target, {
								method: 'POST',
								headers: { 'content-type': 'application/json' },
								body: '{}',
							})
						).status === 400,
					`the trigger URL ${target}`,
				);
			}

			// A finished task with no callback of its own; its callback body is what EvoLink would send.
			const starter = chain([
				manual(),
				generate('Start', {
					prompt: 'a lighthouse, delivered twice',
					waitMode: 'wait',
					output: 'urls',
				}),
			]);
			const { execution } = await run(
				(await createWorkflow('queue: a task to deliver twice', starter.nodes, starter.connections))
					.id,
			);
			const taskId = outputOf(execution, 'Start')[0].json.taskId;
			const body = JSON.stringify(await taskAsApiServesIt(taskId));
			const since = await emulator.lastSeq();
			// Each process checks its copy of the static data, then confirms the task with the API.
			// Holding both reads for 2 s keeps either from recording the callback before the other has
			// checked: both take it, as two processes do when EvoLink's callback and its retry meet.
			await emulator.call('POST', 'faults', {
				method: 'GET',
				path: `/v1/tasks/${taskId}`,
				times: 2,
				action: { type: 'delay', ms: 2000 },
			});

			const answers = await Promise.all(
				targets.map((target) =>
					fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body }),
				),
			);
			expect(answers.map((a) => a.status)).toEqual([200, 200]);
			const replies = await Promise.all(answers.map((a) => a.json()));
			await emulator.clearFaults();
			// Both took it (a process that had seen it would answer started: false): the gate is tested.
			expect(replies).toEqual([{ received: true }, { received: true }]);
			await until(
				async () => (await executionsOf(workflow.id)).length >= 2,
				'the two started executions',
			);
			const executions = await executionsOf(workflow.id);
			expect(executions).toHaveLength(2);
			for (const e of executions) expect(e.status).toBe('success');
			const effects = executions.filter(
				(e) => (e.data.resultData.runData['Use the Images']?.[0]?.data?.main?.[0] ?? []).length > 0,
			);
			expect(effects).toHaveLength(1);
			expect(outputOf(effects[0], 'Seedream Trigger')[0].json.taskId).toBe(taskId);
			expect(outputOf(effects[0], 'Use the Images').map((i) => i.json)).toEqual([{ taskId }]);
			const reads = (await emulator.requestsSince(since)).filter(
				(r) => r.method === 'GET' && r.path === `/v1/tasks/${taskId}`,
			);
			figures.doubleDelivery = {
				deliveries: 2,
				workflowsStarted: executions.length,
				effects: effects.length,
				apiReads: reads.length,
				replies,
			};
			await client.api('POST', `/api/v1/workflows/${workflow.id}/deactivate`);
		},
		RUN_TIMEOUT,
	);
});

// Last: it leaves one worker.
describe('a worker killed mid-task', () => {
	test(
		"Reuse Identical Recent Task: a rerun gets the dead worker's task; one task billed, images out",
		async () => {
			const { client, emulator, processNamed } = get();
			const prompt = `a set of 2 images of a kite in a storm ${randomBytes(4).toString('hex')}`;
			const { nodes, connections } = chain([
				manual(),
				generate('Generate', {
					prompt,
					n: 2,
					waitMode: 'wait',
					output: 'binaryPerImage',
					options: { reuseRecentTask: true },
				}),
			]);
			const workflow = await createWorkflow('queue: a worker dies mid-task', nodes, connections);
			// A long task, so that the worker is surely polling it when it dies.
			await emulator.config({ taskMsQueue: [600_000] });
			/** @type {string} */
			let taskId;
			try {
				const firstId = await client.runWorkflow(workflow.id, MANUAL_NAME);
				const [victim] = (await jobsOf(firstId, 1)).ranOn;
				await until(
					async () => (await emulator.tasks()).some((t) => t.prompt === prompt),
					'the task to be created',
				);
				// As if its host died: the worker and its task runner, no chance to clean up.
				process.kill(-(/** @type {number} */ (processNamed(victim).pid)), 'SIGKILL');
				await processNamed(victim).exited;
				[{ id: taskId }] = (await emulator.tasks()).filter((t) => t.prompt === prompt);
			} finally {
				await emulator.config({ taskMsQueue: [] });
			}
			// The task goes on at the API and finishes there, paid for, with nobody to download it.
			await emulator.call('POST', 'clock', { advanceMs: 600_000 });
			expect((await emulator.tasks()).find((t) => t.id === taskId)?.status).toBe('completed');

			const { executionId, execution } = await run(workflow.id);
			expect(execution.status).toBe('success');
			const items = outputOf(execution, 'Generate');
			expect(items.map((i) => i.json.taskId)).toEqual([taskId, taskId]);
			for (const item of items)
				expect(readPng(await client.binaryBytes(/** @type {any} */ (item.binary?.data)))).toEqual(
					expect.objectContaining({ width: 1024, height: 1024 }),
				);
			expect((await jobsOf(executionId, 1)).ranOn).toHaveLength(1);

			const tasks = (await emulator.tasks()).filter((t) => t.prompt === prompt);
			expect(tasks).toHaveLength(1);
			const ledger = Object.values(await emulator.call('GET', 'ledger'))[0];
			const charges = ledger.entries.filter(
				(/** @type {any} */ e) => e.taskId === taskId && e.type === 'reserve',
			);
			expect(charges).toHaveLength(1);
			figures.workerKilled = {
				tasksCreated: tasks.length,
				reservations: charges.length,
				imagesDelivered: items.length,
			};
		},
		RUN_TIMEOUT,
	);
});
