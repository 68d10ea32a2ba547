// @ts-check
// Generate > Wait Mode > Wait for the Callback, on n8n's engine: the task's callback_url is the execution's
// resume URL, the run pauses (putExecutionToWait) and the emulator's real callback over HTTP resumes it.
import { core, workflowLib } from '../harness/n8n.mjs';
import { readPng } from '../harness/png.mjs';
import { seedreamWorkflow } from '../harness/workflows.mjs';
import { GENERATE, startStallingApi, startSuite, waitUntil } from './support.mjs';

const { ExecutionLifecycleHooks, WorkflowExecute } = core;
const { Workflow } = workflowLib;

/** @type {import('./support.mjs').Suite} */
let suite;
beforeAll(async () => {
	suite = await startSuite({ allowInsecureCallbacks: true });
	await suite.harness.listenForWaitingWebhooks();
});
beforeEach(async () => await suite.reset());
afterAll(async () => await suite?.close());

const CALLBACK = Object.freeze({ ...GENERATE, waitMode: 'callback' });

/** GET /v1/tasks/... the node sent (polls and re-reads). */
const taskReads = () => suite.requests({ method: 'GET', path: '/v1/tasks/' });

/** Runs until the node pauses, then resolves the Result of the run the callback resumed. */
async function runToCallback(
	/** @type {Record<string, unknown>} */ parameters,
	/** @type {any} */ options = {},
) {
	const waiting = await suite.run(parameters, options);
	expect(waiting.status).toBe('waiting');
	return { waiting, resumed: await suite.harness.waitForResume(waiting) };
}

describe('Wait for the Callback', () => {
	test('pauses with the resume URL as callback_url, resumes on the callback without polling, outputs the images', async () => {
		const { waiting, resumed } = await runToCallback({
			...CALLBACK,
			prompt: 'a set of 2 images of kites',
			n: 2,
		});

		const [create] = await suite.requests({ method: 'POST', path: '/v1/images/generations' });
		// Compared, never printed: the URL carries the execution's resume signature.
		expect(create.body.callback_url === waiting.resumeUrl).toBe(true);
		expect(Date.parse(waiting.waitTill)).toBeGreaterThan(Date.now());

		const callbacks = await suite.emulator.control.callbacks();
		expect(callbacks.length).toBe(1); // (never print callbacks or tasks: their URL carries the resume signature)
		expect(callbacks[0].status).toBe(200);
		const reads = await taskReads();
		// One read, the confirmation after the callback; none before it.
		expect(reads).toHaveLength(1);
		expect(Date.parse(reads[0].time)).toBeGreaterThanOrEqual(Date.parse(callbacks[0].sentAt));

		expect(resumed.status).toBe('success');
		const items = resumed.output('Seedream');
		expect(items).toHaveLength(2);
		const [task] = await suite.emulator.control.tasks();
		for (const [index, item] of items.entries()) {
			expect(item.json).toMatchObject({
				taskId: task.id,
				status: 'completed',
				imageIndex: index,
				imageCount: 2,
				url: task.results[index],
			});
			expect(item.json.callbackWait).toBeUndefined();
			const bytes = await suite.harness.binaryBuffer(item.binary.data);
			expect(readPng(bytes)).toMatchObject({ width: 1024, height: 1024 });
		}
	});

	test.each(['binaryPerImage', 'binaryPerTask', 'urls', 'compact'])(
		'outputs exactly what polling outputs (%s)',
		async (output) => {
			const parameters = { ...GENERATE, prompt: 'a set of 2 images of boats', n: 2, output };
			const polled = await suite.run({ ...parameters, waitMode: 'wait' });
			expect(polled.status).toBe('success');
			const { resumed } = await runToCallback({ ...parameters, waitMode: 'callback' });
			expect(resumed.status).toBe('success');
			const [first, second] = await suite.emulator.control.tasks();
			/** Per-task values (ID, URLs, file names, expiry) made neutral so the rest can be compared whole. */
			const neutral = (/** @type {any[]} */ items, /** @type {any} */ task) =>
				JSON.parse(
					JSON.stringify(
						items.map(({ json, binary }) => ({ json, binary: Object.keys(binary ?? {}) })),
					)
						.replaceAll(task.id, 'TASK')
						.replace(/"expiresAt":"[^"]+"/g, '"expiresAt":"X"')
						.replace(/"created[^,}]*/g, '"created":0'),
				);
			const stripUrls = (/** @type {any} */ value) =>
				JSON.parse(JSON.stringify(value).replace(/http:\/\/127\.0\.0\.1:\d+\/[^"]+/g, 'URL'));
			expect(stripUrls(neutral(resumed.output('Seedream'), second))).toEqual(
				stripUrls(neutral(polled.output('Seedream'), first)),
			);
		},
	);

	test('several items: one pause for the execution, resumed once, by a callback that finds every task ended', async () => {
		// The first task ends quickly, the others later: its callback finds them running and does not resume.
		await suite.emulator.control.config({ taskMsQueue: [200, 1500, 1500] });
		const items = [
			{ json: { subject: 'owls' } },
			{ json: { subject: 'foxes' } },
			{ json: { subject: 'bees' } },
		];
		const { waiting, resumed } = await runToCallback(
			{ ...CALLBACK, prompt: '={{ "a drawing of " + $json.subject }}', output: 'urls' },
			{ items },
		);
		const tasks = await suite.emulator.control.tasks();
		expect(tasks.length).toBe(3);
		const creates = await suite.requests({ method: 'POST', path: '/v1/images/generations' });
		expect(
			new Set(creates.map((/** @type {any} */ c) => c.body.callback_url === waiting.resumeUrl)),
		).toEqual(new Set([true]));

		expect(resumed.status).toBe('success');
		const output = resumed.output('Seedream');
		// n8n pairs a resumed node's output with its input by position: one image per item keeps the lineage.
		expect(output.map((/** @type {any} */ item) => item.pairedItem)).toEqual([
			{ item: 0 },
			{ item: 1 },
			{ item: 2 },
		]);
		expect(output.map((/** @type {any} */ item) => item.json.status)).toEqual([
			'completed',
			'completed',
			'completed',
		]);
		const byPrompt = Object.fromEntries(tasks.map((/** @type {any} */ t) => [t.prompt, t.id]));
		expect(output.map((/** @type {any} */ item) => item.json.taskId)).toEqual([
			byPrompt['a drawing of owls'],
			byPrompt['a drawing of foxes'],
			byPrompt['a drawing of bees'],
		]);

		// The first callback, the quickest task's, came while the others ran and left the execution waiting. Each
		// callback ends taken (2xx) or finding the execution resumed (n8n answers 409); one that came while another
		// was being confirmed got 503 first, and EvoLink's retry 1 s later.
		/** The last attempt of each task's callback, once none is left to retry. */
		const lastAttempts = async () => {
			const callbacks = await suite.emulator.control.callbacks();
			return tasks.map((/** @type {any} */ task) =>
				callbacks.filter((/** @type {any} */ c) => c.taskId === task.id).at(-1),
			);
		};
		await waitUntil(
			async () => (await lastAttempts()).every((c) => c && c.status !== 503),
			'every callback taken or refused for good',
		);
		const [first] = await suite.emulator.control.callbacks();
		const [quickest] = [...tasks].sort(
			(/** @type {any} */ a, /** @type {any} */ b) => a.durationMs - b.durationMs,
		);
		expect(first).toMatchObject({ taskId: quickest.id, status: 200 });
		for (const callback of await lastAttempts()) expect([200, 409]).toContain(callback.status);
	});

	test('a completed task whose results are briefly empty comes out with its images, after the same grace as polling', async () => {
		await suite.emulator.control.fault({ action: { type: 'lateResults', ms: 1500 }, times: 1 });
		const { resumed } = await runToCallback({ ...CALLBACK, output: 'urls' });
		expect(resumed.status).toBe('success');
		const [item] = resumed.output('Seedream');
		const [task] = await suite.emulator.control.tasks();
		expect(task.results).toHaveLength(1);
		expect(item.json).toMatchObject({
			taskId: task.id,
			status: 'completed',
			imageIndex: 0,
			url: task.results[0],
		});
	});

	test('a task that fails reports like Continue On Fail, with its ID and error code', async () => {
		await suite.emulator.control.fault({
			action: { type: 'taskError', code: 'content_policy_violation' },
		});
		const { resumed } = await runToCallback({ ...CALLBACK });
		expect(resumed.status).toBe('success');
		const [item] = resumed.output('Seedream');
		const [task] = await suite.emulator.control.tasks();
		expect(item.json).toMatchObject({
			taskId: task.id,
			status: 'failed',
			errorCode: 'content_policy_violation',
			retryable: false,
		});
		expect(item.json.error).toContain(task.id);
	});

	test('a callback for another task, or one the API does not confirm as finished, does not resume', async () => {
		await suite.emulator.control.config({ taskMs: 60_000 });
		const waiting = await suite.run({ ...CALLBACK });
		expect(waiting.status).toBe('waiting');
		const [task] = await suite.emulator.control.tasks();

		const other = await suite.harness.resumeWorkflow(waiting, {
			body: { ...task, id: 'task-unified-1-forged00', status: 'completed' },
		});
		expect(other.response.status).toBe(400);
		const early = await suite.harness.resumeWorkflow(waiting, {
			body: { ...task, status: 'completed', results: ['https://evil.example/x.png'] },
		});
		expect(early.response.status).toBe(409);
		expect(early.result).toBeUndefined();

		// Still waiting: the real callback resumes it.
		await suite.emulator.control.advanceClock(60_000);
		const resumed = await suite.harness.waitForResume(waiting);
		expect(resumed.status).toBe('success');
		expect(JSON.stringify(resumed.output('Seedream'))).not.toContain('evil.example');
	});

	test('when the wait date passes without a callback, the output names each task that did not report back', async () => {
		await suite.emulator.control.config({ taskMs: 60_000 });
		const items = [{ json: { subject: 'moths' } }, { json: { subject: 'crabs' } }];
		const workflowJson = seedreamWorkflow({
			...CALLBACK,
			prompt: '={{ "a drawing of " + $json.subject }}',
			options: { maxWaitSeconds: 5 },
		});
		const waiting = await suite.harness.runWorkflow(workflowJson, {
			credentials: suite.credentials,
			items,
		});
		expect(waiting.status).toBe('waiting');
		const tasks = await suite.emulator.control.tasks();

		// What n8n's WaitTracker does at the wait date: run the saved execution again; the engine disables the
		// waiting node (handleWaitingState) and its input on the stack passes through. The node is not called.
		const expired = await continueAfterWaitDate(workflowJson, waiting);
		expect(expired.status).toBe('success');
		const output = expired.data.resultData.runData.Seedream.at(-1).data.main[0];
		expect(output).toHaveLength(2);
		for (const [index, item] of output.entries()) {
			const task = tasks.find(
				(/** @type {any} */ t) => t.prompt === `a drawing of ${items[index].json.subject}`,
			);
			expect(item.pairedItem).toEqual({ item: index });
			expect(item.json.taskId).toBe(task.id);
			expect(item.json.error).toBe(
				`No callback from EvoLink for task ${task.id} before ${item.json.callbackWait.waitUntil} (Options > Max Wait)`,
			);
			expect(item.json.description).toContain('Task > Get');
		}
		// Nothing was read: the node did not run again.
		expect(await taskReads()).toHaveLength(0);
	});

	test('a callback while another task still runs: read once each, no resume and no polling; the last callback resumes with every item', async () => {
		// The two tasks end only when the emulator's clock is moved: 60 s and 120 s after creation.
		await suite.emulator.control.config({ taskMsQueue: [60_000, 120_000] });
		const items = [{ json: { subject: 'moths' } }, { json: { subject: 'crabs' } }];
		const waiting = await suite.harness.runWorkflow(
			seedreamWorkflow({
				...CALLBACK,
				prompt: '={{ "a drawing of " + $json.subject }}',
				// Bounds the old behaviour (polling inside the webhook) so that it fails instead of hanging.
				options: { maxWaitSeconds: 30 },
			}),
			{ credentials: suite.credentials, items },
		);
		expect(waiting.status).toBe('waiting');
		const tasks = await suite.emulator.control.tasks();
		const [early, late] = [...tasks].sort(
			(/** @type {any} */ a, /** @type {any} */ b) => a.durationMs - b.durationMs,
		);
		const reads = async (/** @type {string} */ id) =>
			(await suite.requests({ method: 'GET', path: `/v1/tasks/${id}` })).length;

		await suite.emulator.control.advanceClock(60_000);
		// The harness answers a waiting webhook once webhook() has returned: its delivery is logged then.
		await waitUntil(
			async () => (await suite.emulator.control.callbacks()).length >= 1,
			"the early task's callback answered",
		);
		const [first] = await suite.emulator.control.callbacks();
		expect(first.status).toBe(200);
		// Its own confirmation, and one read of the task still running: nothing more.
		expect([await reads(early.id), await reads(late.id)]).toEqual([1, 1]);

		await suite.emulator.control.advanceClock(60_000);
		const resumed = await suite.harness.waitForResume(waiting);
		expect(resumed.status).toBe('success');
		expect([await reads(early.id), await reads(late.id)]).toEqual([2, 2]);
		const output = resumed.output('Seedream');
		expect(output).toHaveLength(2);
		for (const [index, item] of output.entries()) {
			const task = tasks.find(
				(/** @type {any} */ t) => t.prompt === `a drawing of ${items[index].json.subject}`,
			);
			expect(item.pairedItem).toEqual({ item: index });
			expect(item.json).toMatchObject({ taskId: task.id, status: 'completed', imageIndex: 0 });
			expect(item.json.callbackWait).toBeUndefined();
			const bytes = await suite.harness.binaryBuffer(item.binary.data);
			expect(readPng(bytes)).toMatchObject({ width: 1024, height: 1024 });
		}
	});

	test("a repeat while the first callback is being confirmed gets 503; the first ends by its deadline; EvoLink's next attempt resumes", async () => {
		await suite.emulator.control.config({
			taskMs: 60_000,
			// EvoLink's retry comes when the test moves the clock.
			callbackRetryDelaysMs: [600_000, 600_000, 600_000],
		});
		// Each read of the task: 307 to itself after 3 s (see trigger.test.mjs).
		const api = await startStallingApi(suite.emulator.url);
		try {
			const credentials = { seedreamApi: { ...suite.credentials.seedreamApi, baseUrl: api.url } };
			// A credential of its own (another ID): the resume keeps a decrypted credential in memory by ID for
			// a minute (transport/credentialCache.ts), and in n8n another ID is what another credential has.
			const workflowJson = seedreamWorkflow({ ...CALLBACK });
			for (const node of workflowJson.nodes) {
				if (node.credentials) {
					node.credentials = { seedreamApi: { id: 'stalling-api', name: 'Stalling API' } };
				}
			}
			const waiting = await suite.harness.runWorkflow(workflowJson, { credentials });
			expect(waiting.status).toBe('waiting');
			api.stalled = true;
			await suite.emulator.control.advanceClock(60_000);
			await waitUntil(() => api.reads.length >= 1, 'the confirming read of the first delivery');
			const [task] = await suite.emulator.control.tasks();
			const repeat = await suite.harness.resumeWorkflow(waiting, { body: { ...task } });
			expect(repeat.response.status).toBe(503);
			expect(repeat.result).toBeUndefined();

			await waitUntil(
				async () => (await suite.emulator.control.callbacks()).length >= 1,
				'the first delivery answered',
			);
			const [first] = await suite.emulator.control.callbacks();
			expect(first.status).toBe(503);
			expect(api.reads.length).toBeLessThanOrEqual(3);
			await waitUntil(() => api.reads.at(-1)?.aborted === true, 'the last read cut short');

			api.stalled = false;
			await suite.emulator.control.advanceClock(600_000);
			const resumed = await suite.harness.waitForResume(waiting);
			expect(resumed.status).toBe('success');
			expect(resumed.output('Seedream')[0].json).toMatchObject({
				taskId: task.id,
				status: 'completed',
			});
			expect((await suite.emulator.control.callbacks()).map((c) => c.status)).toEqual([503, 200]);
		} finally {
			await api.close();
		}
	});

	test('an AI agent call polls instead (no callback URL sent)', async () => {
		const { items, error } = await suite.harness.runAsTool(seedreamWorkflow({ ...CALLBACK }), {
			nodeName: 'Seedream',
			credentials: suite.credentials,
		});
		expect(error).toBeUndefined();
		expect(items[0].json).toMatchObject({ status: 'completed' });
		const [create] = await suite.requests({ method: 'POST', path: '/v1/images/generations' });
		expect(create.body.callback_url).toBeUndefined();
		expect((await taskReads()).length).toBeGreaterThan(0);
	});

	test('fails before sending when the API could not reach n8n (real service, resume URL not public https)', async () => {
		const realService = {
			...suite.credentials.seedreamApi,
			baseUrl: 'https://api.evolink.ai',
			filesBaseUrl: 'https://files-api.evolink.ai',
		};
		const result = await suite.run({ ...CALLBACK }, { credentials: { seedreamApi: realService } });
		expect(result.status).toBe('error');
		const error = result.nodeError('Seedream');
		expect(error.message).toMatch(
			/^EvoLink cannot reach this n8n to report back: its resume URL starts with http:\/\/127\.0\.0\.1:\d+, not a public https address$/,
		);
		expect(error.description).toContain('WEBHOOK_URL');
		expect(JSON.stringify(error)).not.toContain('signature');
	});
});

/**
 * Runs a waiting execution on after its wait date, as n8n's WaitTracker starts it (WorkflowRunner with the saved
 * run data): a fresh engine over the saved data, nothing resumed through a webhook.
 * @param {any} workflowJson @param {any} waiting a Result with status 'waiting'
 * @returns {Promise<import('n8n-workflow').IRun>}
 */
async function continueAfterWaitDate(workflowJson, waiting) {
	const workflow = new Workflow({
		id: 'harness-workflow',
		name: workflowJson.name,
		nodes: structuredClone(workflowJson.nodes),
		connections: workflowJson.connections,
		active: false,
		nodeTypes: suite.harness.nodeTypes,
		settings: workflowJson.settings,
	});
	const hooks = new ExecutionLifecycleHooks('manual', waiting.executionId, {
		...workflowJson,
		id: workflow.id,
	});
	const base = 'http://127.0.0.1:5678';
	const additionalData = /** @type {any} */ ({
		hooks,
		executionId: waiting.executionId,
		webhookWaitingBaseUrl: `${base}/webhook-waiting`,
		formWaitingBaseUrl: `${base}/form-waiting`,
		variables: {},
		currentNodeExecutionIndex: 0,
		setExecutionStatus: () => {},
		sendDataToUI: () => {},
	});
	return await new WorkflowExecute(
		additionalData,
		'manual',
		structuredClone(waiting.run.data),
	).processRunExecutionData(workflow);
}
