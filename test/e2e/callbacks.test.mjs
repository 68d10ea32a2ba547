// @ts-check
// Callbacks in a real n8n (the packed package, installed as a community package) against the emulator, which
// calls back on loopback: the Seedream Trigger started by Generate's callbacks (once per task, repeats
// dropped, wrong token or forged bodies starting nothing) and Generate's Wait for the Callback resuming a
// paused execution without polling. Its own n8n (started once for this file, like n8n.test.mjs).
// The figures for the note are written to test-results/callbacks-figures.json.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { EMULATOR_KEY } from '../../scripts/lib/n8n/seed.mjs';
import { repoRoot } from '../../scripts/lib/toolchain.mjs';
import { startE2eInstance } from './support/instance.mjs';
import { readPng } from '../harness/png.mjs';
import { outputOf, until } from './support/run.mjs';

/** @type {import('./support/instance.mjs').E2eInstance | undefined} */
let instance;
const get = () => {
	if (!instance) throw new Error('n8n did not start (see the beforeAll error above)');
	return instance;
};
/** @type {Record<string, unknown>} */
const figures = {};

beforeAll(async () => {
	instance = await startE2eInstance();
}, 600_000);

afterAll(async () => {
	await instance?.stop();
	mkdirSync(join(repoRoot, 'test-results'), { recursive: true });
	writeFileSync(
		join(repoRoot, 'test-results', 'callbacks-figures.json'),
		JSON.stringify(figures, null, 2) + '\n',
	);
}, 60_000);

const SEEDREAM = 'n8n-nodes-seedream.seedream';
const TRIGGER = 'n8n-nodes-seedream.seedreamTrigger';
const MANUAL = 'n8n-nodes-base.manualTrigger';
const MANUAL_NAME = 'Run';

/** Creates a workflow over n8n's REST API with the instance's Seedream credential on every Seedream node. */
async function createWorkflow(
	/** @type {string} */ name,
	/** @type {any[]} */ nodes,
	/** @type {any} */ connections = {},
	/** @type {any} */ extra = {},
) {
	const { client, credential } = get();
	const withCredential = nodes.map((node) =>
		node.type.startsWith('n8n-nodes-seedream.')
			? { ...node, credentials: { seedreamApi: { id: credential.id, name: credential.name } } }
			: node,
	);
	return await client.rest('POST', '/rest/workflows', {
		name,
		nodes: withCredential,
		connections,
		settings: { executionOrder: 'v1' },
		...extra,
	});
}

/** Manual trigger -> Seedream nodes in a chain. */
function chain(/** @type {any[]} */ seedreamNodes) {
	const nodes = [
		{
			id: randomUUID(),
			name: MANUAL_NAME,
			type: MANUAL,
			typeVersion: 1,
			position: [0, 0],
			parameters: {},
		},
		...seedreamNodes,
	];
	/** @type {Record<string, any>} */
	const connections = {};
	for (let index = 1; index < nodes.length; index++) {
		connections[nodes[index - 1].name] = {
			main: [[{ node: nodes[index].name, type: 'main', index: 0 }]],
		};
	}
	return { nodes, connections };
}

/** @param {string} name @param {Record<string, unknown>} parameters @param {number} index */
function generateNode(name, parameters, index) {
	return {
		id: randomUUID(),
		name,
		type: SEEDREAM,
		typeVersion: 1,
		position: [240 * (index + 1), 0],
		parameters: {
			resource: 'image',
			operation: 'generate',
			sizeMode: 'preset',
			size: '1K',
			...parameters,
		},
	};
}

/** Executions of a workflow, newest first, with their data; none may still be running. @param {string} workflowId */
async function executionsOf(workflowId) {
	/** @type {any[]} */
	let executions = [];
	await until(async () => {
		({ data: executions } = await get().client.api(
			'GET',
			`/api/v1/executions?workflowId=${workflowId}&includeData=true&limit=100`,
		));
		return executions.every(
			(execution) =>
				execution.finished ||
				['success', 'error', 'crashed', 'canceled'].includes(execution.status),
		);
	}, `the executions of workflow ${workflowId} to finish`);
	return executions;
}

/** The Task ID of each Generate node's output in an execution. */
function taskIdsOf(/** @type {any} */ execution, /** @type {string[]} */ nodeNames) {
	return nodeNames.map((name) => outputOf(execution, name)[0].json.taskId);
}

describe('Seedream Trigger in real n8n', () => {
	const token = `e2e-${randomBytes(16).toString('hex')}`;
	/** @type {{ id: string }} */
	let triggerWorkflow;
	let productionUrl = '';
	/** @type {import('node:http').Server | undefined} */
	let lossyProxy;
	let proxyUrl = '';
	/** Callback attempts through the proxy, by task ID. @type {Record<string, number>} */
	const proxied = {};

	beforeAll(async () => {
		triggerWorkflow = await createWorkflow('e2e: Seedream Trigger', [
			{
				id: randomUUID(),
				name: 'Seedream Trigger',
				type: TRIGGER,
				typeVersion: 1,
				position: [0, 0],
				webhookId: randomUUID(),
				parameters: { token, statuses: ['completed', 'failed', 'cancelled'], output: 'urls' },
			},
		]);
		await get().client.api('POST', `/api/v1/workflows/${triggerWorkflow.id}/activate`);
		productionUrl = `${get().url}/webhook/${token}`;
		// Registered a moment after activation: wait until n8n stops answering 404 to a well-formed request.
		await until(
			async () =>
				(
					await fetch(productionUrl, {
						method: 'POST',
						headers: { 'content-type': 'application/json' },
						body: '{}',
					})
				).status === 400,
			'the trigger URL',
		);

		// The trigger's URL, as EvoLink sees it, with the FIRST answer for each task lost on the way back: the
		// API then repeats the callback (docs/evolink-api.md §4) and n8n receives it twice.
		lossyProxy = createServer(async (req, res) => {
			const chunks = [];
			for await (const chunk of req) chunks.push(chunk);
			const body = Buffer.concat(chunks).toString('utf8');
			const forwarded = await fetch(productionUrl, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body,
			});
			await forwarded.arrayBuffer();
			const taskId = JSON.parse(body).id;
			proxied[taskId] = (proxied[taskId] ?? 0) + 1;
			res.writeHead(proxied[taskId] === 1 ? 502 : forwarded.status, {
				'content-type': 'application/json',
			});
			res.end('{}');
		});
		await new Promise((resolve) => lossyProxy?.listen(0, '127.0.0.1', () => resolve(undefined)));
		proxyUrl = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (lossyProxy.address()).port}/webhook/${token}`;
	}, 120_000);

	afterAll(async () => {
		await new Promise((resolve) => (lossyProxy ? lossyProxy.close(resolve) : resolve(undefined)));
	});

	test('Generate with the trigger URL starts the trigger workflow once per task, though every callback came twice (and once more by hand)', async () => {
		const { client, emulator } = get();
		const startedBefore = (await executionsOf(triggerWorkflow.id)).length;
		const { nodes, connections } = chain([
			generateNode(
				'First Task',
				{ prompt: 'a paper boat', waitMode: 'dontWait', options: { callbackUrl: proxyUrl } },
				0,
			),
			generateNode(
				'Second Task',
				{ prompt: 'a paper plane', waitMode: 'dontWait', options: { callbackUrl: proxyUrl } },
				1,
			),
		]);
		const generate = await createWorkflow('e2e: Generate with the trigger URL', nodes, connections);
		const executionId = await client.runWorkflow(generate.id, MANUAL_NAME);
		const execution = await client.waitForExecution(executionId);
		expect(execution.status).toBe('success');
		const taskIds = taskIdsOf(execution, ['First Task', 'Second Task']);

		// Each task: a first attempt whose answer was lost, then the API's retry.
		await until(
			async () => taskIds.every((id) => proxied[id] === 2),
			'two callback attempts per task',
		);
		await until(
			async () => (await executionsOf(triggerWorkflow.id)).length >= startedBefore + 2,
			'the trigger workflow runs',
		);

		// Reads of the two tasks so far: the trigger's confirmations (Don't Wait polls nothing).
		const apiReads = (await emulator.requests()).filter(
			(r) => r.method === 'GET' && taskIds.some((id) => r.path === `/v1/tasks/${id}`),
		);
		// The same callback once more, straight to n8n, after the workflow ran.
		const [firstTask] = await emulator
			.tasks()
			.then((tasks) => tasks.filter((t) => t.id === taskIds[0]));
		const again = await fetch(productionUrl, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(await taskAsApiServesIt(firstTask.id)),
		});
		expect(again.status).toBe(200);
		expect(await again.json()).toEqual({
			received: true,
			started: false,
			reason: 'already received',
		});

		const all = await executionsOf(triggerWorkflow.id);
		const executions = all.slice(0, all.length - startedBefore);
		expect(executions.length).toBe(2); // (never print executions: they hold resume tokens)
		for (const started of executions) {
			expect(started.status).toBe('success');
			expect(started.mode).toBe('webhook');
		}
		const startedTaskIds = executions
			.map((started) => outputOf(started, 'Seedream Trigger')[0].json.taskId)
			.sort();
		expect(startedTaskIds).toEqual([...taskIds].sort());
		for (const started of executions) {
			const [item] = outputOf(started, 'Seedream Trigger');
			expect(item.json).toMatchObject({ status: 'completed', imageIndex: 0, imageCount: 1 });
			expect(item.json.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
		}

		// One confirming read per started workflow: the repeats were dropped before reading the API.
		expect(apiReads).toHaveLength(2);
		// The emulator logs an attempt once its answer is in, which may be just after the proxy counted it.
		const ownCallbacks = async () =>
			(await emulator.callbacks()).filter((/** @type {any} */ c) => taskIds.includes(c.taskId));
		await until(
			async () => (await ownCallbacks()).length >= 4,
			'four callback attempts in the log',
		);
		const callbacks = await ownCallbacks();
		expect(callbacks.map((/** @type {any} */ c) => c.status).sort()).toEqual([200, 200, 502, 502]);
		figures.trigger = {
			tasks: taskIds.length,
			callbacksSentByTheApi: callbacks.length,
			callbacksReceivedByN8n: callbacks.length + 1,
			workflowsStarted: executions.length,
			apiReadsToConfirm: apiReads.length,
			polls: apiReads.length - executions.length,
		};
	}, 180_000);

	test('a wrong or missing token, or a forged body for an unknown or unfinished task, starts nothing', async () => {
		const { client, emulator } = get();
		const startedBefore = (await executionsOf(triggerWorkflow.id)).length;
		const post = (/** @type {string} */ url, /** @type {unknown} */ body) =>
			fetch(url, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify(body),
			});
		const forgedId = `task-unified-1757165031-${randomBytes(4).toString('hex')}`;
		const forged = { id: forgedId, status: 'completed', results: ['https://evil.example/a.png'] };

		const wrongToken = await post(`${get().url}/webhook/${token.slice(0, -1)}x`, forged);
		expect(wrongToken.status).toBe(404);
		const missingToken = await post(`${get().url}/webhook/`, forged);
		expect(missingToken.status).toBe(404);
		const badShape = await post(productionUrl, { hello: 'world' });
		expect(badShape.status).toBe(400);

		// Refused without a start: unknown to the API (404), not finished (409).
		const unknown = await post(productionUrl, forged);
		expect(unknown.status).toBe(404);

		// A task still running, claimed completed.
		await get().emulator.config({ taskMs: 60_000 });
		/** @type {string} */
		let runningId;
		try {
			const { nodes, connections } = chain([
				generateNode('Start', { prompt: 'a slow kite', waitMode: 'dontWait' }, 0),
			]);
			const started = await createWorkflow('e2e: a task still running', nodes, connections);
			const execution = await client.waitForExecution(
				await client.runWorkflow(started.id, MANUAL_NAME),
			);
			[runningId] = taskIdsOf(execution, ['Start']);
			const body = {
				...(await taskAsApiServesIt(runningId)),
				status: 'completed',
				results: ['https://evil.example/b.png'],
			};
			const readsOf = async (/** @type {string} */ id) =>
				(await emulator.requests()).filter(
					(r) => r.method === 'GET' && r.path === `/v1/tasks/${id}`,
				).length;
			const readsBefore = await readsOf(runningId);
			const early = await post(productionUrl, body);
			expect(early.status).toBe(409);
			// Both were checked with the API (the trigger read them), and nothing started.
			await until(
				async () => (await readsOf(forgedId)) === 1 && (await readsOf(runningId)) > readsBefore,
				'the trigger to confirm both with the API',
			);
		} finally {
			await get().emulator.config({ taskMs: 400 });
		}

		// A genuine callback afterwards starts exactly one workflow: the forged ones added none.
		await emulator.call('POST', `tasks/${runningId}/cancel`);
		const genuine = await post(productionUrl, await taskAsApiServesIt(runningId));
		expect(genuine.status).toBe(200);
		await until(
			async () => (await executionsOf(triggerWorkflow.id)).length >= startedBefore + 1,
			'the genuine callback to start the workflow',
		);
		const executions = await executionsOf(triggerWorkflow.id);
		expect(executions.length).toBe(startedBefore + 1);
		const [item] = outputOf(executions[0], 'Seedream Trigger');
		expect(item.json).toMatchObject({ taskId: runningId, status: 'cancelled' });
		expect(JSON.stringify(executions.map((e) => e.data))).not.toContain('evil.example');
	}, 180_000);
});

describe('Generate > Wait for the Callback in real n8n', () => {
	test('pauses, is resumed by the callback without any polling, and outputs the images', async () => {
		const { client, emulator } = get();
		const { nodes, connections } = chain([
			generateNode(
				'Generate',
				{
					prompt: 'a set of 2 images of lanterns',
					n: 2,
					waitMode: 'callback',
					output: 'binaryPerImage',
				},
				0,
			),
		]);
		const workflow = await createWorkflow('e2e: wait for the callback', nodes, connections);
		const since = await emulator.lastSeq();
		const executionId = await client.runWorkflow(workflow.id, MANUAL_NAME);
		const execution = await client.waitForExecution(executionId);
		expect(execution.status).toBe('success');

		const requests = await emulator.requestsSince(since);
		const creates = requests.filter(
			(r) => r.method === 'POST' && r.path === '/v1/images/generations',
		);
		expect(creates.length).toBe(1); // (never print the body: its callback_url is signed)
		// The execution's resume URL (checked by shape, never printed: it carries the resume signature).
		const resumeUrl = new RegExp(
			`^${get().url.replace(/[.:/]/g, '\\$&')}/webhook-waiting/${executionId}\\?signature=[0-9a-f]{64}$`,
		);
		expect(resumeUrl.test(creates[0].body.callback_url)).toBe(true);

		const items = outputOf(execution, 'Generate');
		expect(items).toHaveLength(2);
		const taskId = items[0].json.taskId;
		const callbacks = (await emulator.callbacks()).filter(
			(/** @type {any} */ c) => c.taskId === taskId,
		);
		expect(callbacks.map((/** @type {any} */ c) => c.status)).toEqual([200]);
		const reads = requests.filter((r) => r.method === 'GET' && r.path === `/v1/tasks/${taskId}`);
		expect(reads.filter((r) => Date.parse(r.time) < Date.parse(callbacks[0].sentAt))).toEqual([]);
		expect(reads).toHaveLength(1);

		for (const [index, item] of items.entries()) {
			expect(item.json).toMatchObject({
				taskId,
				status: 'completed',
				imageIndex: index,
				imageCount: 2,
			});
			const bytes = await client.binaryBytes(/** @type {any} */ (item.binary?.data));
			expect(readPng(bytes)).toEqual(expect.objectContaining({ width: 1024, height: 1024 }));
		}
		figures.waitForTheCallback = {
			tasks: 1,
			callbacksSent: callbacks.length,
			generateRuns: execution.data.resultData.runData.Generate.length,
			pollsBeforeTheCallback: 0,
			apiReadsAfterTheCallback: reads.length,
			images: items.length,
		};
	}, 180_000);

	test('two items: the first callback finds the other task running and does not resume; the second resumes, nothing polled', async () => {
		const { client, emulator } = get();
		// One task ends fast, the other well after the first callback: the first callback's webhook reads it once
		// and leaves the execution waiting (issue 17, finding 7).
		await get().emulator.config({ taskMsQueue: [300, 10_000] });
		try {
			const { nodes, connections } = chain([
				generateNode(
					'Generate',
					{
						prompt: '={{ "a woodcut of " + $json.subject }}',
						waitMode: 'callback',
						output: 'urls',
					},
					0,
				),
			]);
			// Two input items, pinned on the manual trigger.
			const created = await createWorkflow(
				'e2e: two items wait for callbacks',
				nodes,
				connections,
				{
					pinData: {
						[MANUAL_NAME]: [{ json: { subject: 'an owl' } }, { json: { subject: 'a fox' } }],
					},
				},
			);
			const since = await emulator.lastSeq();
			const executionId = await client.runWorkflow(created.id, MANUAL_NAME);
			const execution = await client.waitForExecution(executionId);
			expect(execution.status).toBe('success');

			const items = outputOf(execution, 'Generate');
			const tasks = (await emulator.tasks()).filter(
				(t) => t.prompt === 'a woodcut of an owl' || t.prompt === 'a woodcut of a fox',
			);
			const idOf = (/** @type {string} */ prompt) => tasks.find((t) => t.prompt === prompt)?.id;
			expect(items.map((item) => item.json.taskId)).toEqual([
				idOf('a woodcut of an owl'),
				idOf('a woodcut of a fox'),
			]);
			expect(items.map((item) => item.json.status)).toEqual(['completed', 'completed']);
			expect(items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
			expect(execution.data.resultData.runData.Generate).toHaveLength(1);

			// Both callbacks were taken; the second resumed the execution (the node has one run).
			await until(
				async () =>
					(await emulator.callbacks()).filter((/** @type {any} */ c) =>
						tasks.some((t) => t.id === c.taskId),
					).length >= 2,
				'both callbacks',
			);
			const callbacks = (await emulator.callbacks()).filter((/** @type {any} */ c) =>
				tasks.some((t) => t.id === c.taskId),
			);
			// The two creates run concurrently, so either item's task may have drawn the 300 ms duration:
			// the fast task is the one whose callback was sent first, the slow one is the other.
			const first = [...callbacks].sort(
				(/** @type {any} */ a, /** @type {any} */ b) => Date.parse(a.sentAt) - Date.parse(b.sentAt),
			)[0];
			const slowId = tasks.find((t) => t.id !== first.taskId)?.id;
			expect(slowId).toBeDefined();
			// Only this execution's tasks: executions of earlier tests in this n8n may still read theirs.
			const ownPaths = tasks.map((t) => `/v1/tasks/${t.id}`);
			const reads = (await emulator.requestsSince(since)).filter(
				(r) => r.method === 'GET' && ownPaths.includes(r.path),
			);
			expect(reads.filter((r) => Date.parse(r.time) < Date.parse(first.sentAt))).toEqual([]);
			// The slow task: read once on the first callback, and once to confirm its own; never polled.
			const slowReads = reads.filter((r) => r.path === `/v1/tasks/${slowId}`);
			expect(slowReads.length).toBe(2);
			expect(callbacks.map((/** @type {any} */ c) => c.status)).toEqual([200, 200]);
			figures.waitForTheCallbackTwoItems = {
				tasks: 2,
				callbacksSent: callbacks.length,
				callbackAnswers: callbacks.map((/** @type {any} */ c) => c.status),
				generateRuns: execution.data.resultData.runData.Generate.length,
				pollsBeforeTheFirstCallback: 0,
				apiReadsAfterTheFirstCallback: reads.length,
			};
		} finally {
			await get().emulator.config({ taskMsQueue: [] });
		}
	}, 180_000);

	test('when no callback comes before Max Wait, n8n continues with the placeholder that names the task', async () => {
		const { client, emulator } = get();
		await get().emulator.config({ taskMs: 600_000 });
		try {
			const { nodes, connections } = chain([
				generateNode(
					'Generate',
					{
						prompt: 'a very slow comet',
						waitMode: 'callback',
						output: 'urls',
						options: { maxWaitSeconds: 2 },
					},
					0,
				),
			]);
			const workflow = await createWorkflow('e2e: callback never comes', nodes, connections);
			const executionId = await client.runWorkflow(workflow.id, MANUAL_NAME);
			// n8n's WaitTracker looks for due executions every 60 s.
			const execution = await client.waitForExecution(executionId, { timeoutMs: 150_000 });
			expect(execution.status).toBe('success');
			const [task] = (await emulator.tasks()).filter((t) => t.prompt === 'a very slow comet');
			const [item, ...rest] = outputOf(execution, 'Generate');
			expect(rest).toEqual([]);
			expect(item.json.taskId).toBe(task.id);
			expect(item.json.error).toMatch(
				new RegExp(`^No callback from EvoLink for task ${task.id} before `),
			);
			expect(item.json.description).toContain('Task > Get');
			expect(
				(await emulator.requests()).filter(
					(r) => r.method === 'GET' && r.path === `/v1/tasks/${task.id}`,
				),
			).toEqual([]);
		} finally {
			await get().emulator.config({ taskMs: 400 });
		}
	}, 200_000);
});

/** The task JSON the API serves (what its callback carries). @param {string} taskId */
async function taskAsApiServesIt(taskId) {
	const response = await fetch(`${get().emulatorUrl}/v1/tasks/${taskId}`, {
		headers: { authorization: `Bearer ${EMULATOR_KEY}` },
	});
	return await response.json();
}
