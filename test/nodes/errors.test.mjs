// @ts-check
// Failures: every task error code, API errors and retries, continueOnFail with pairedItem, no double billing
// when a create is sent again, and the API key in no output or error.
import { randomUUID } from 'node:crypto';
import { seedreamWorkflow } from '../harness/workflows.mjs';
import { GENERATE, everything, startSuite } from './support.mjs';

/** @type {import('./support.mjs').Suite} */
let suite;
beforeAll(async () => {
	suite = await startSuite({ imageHost: true });
});
beforeEach(async () => await suite.reset());
afterAll(async () => await suite?.close());

const CONTINUE = { onError: 'continueRegularOutput' };
const fault = (/** @type {Record<string, unknown>} */ spec) => suite.emulator.control.fault(spec);
const reserves = async () =>
	(await suite.ledger()).entries.filter((/** @type {any} */ e) => e.type === 'reserve');

describe('task error codes', () => {
	const CLIENT = [
		'content_policy_violation',
		'invalid_parameters',
		'image_processing_error',
		'image_dimension_mismatch',
		'request_cancelled',
	];
	const SERVER = [
		'generation_failed_no_content',
		'service_error',
		'generation_timeout',
		'resource_exhausted',
		'quota_exceeded',
		'service_unavailable',
		'resource_not_found',
		'unknown_error',
	];

	test('each code: an error with the task ID, the code and message, and whether a new task may help', async () => {
		// One item per code, all in one run; each created task takes the next injected code.
		const codes = [...CLIENT, ...SERVER];
		for (const code of codes)
			await fault({ action: { type: 'taskError', code, message: `emulated ${code}` } });
		const result = await suite.run(
			{ ...GENERATE, output: 'urls', options: { concurrency: codes.length } },
			{ items: codes.map((_, index) => ({ json: { index } })), nodeOptions: CONTINUE },
		);
		const items = result.output('Seedream');
		expect(items.map((/** @type {any} */ i) => i.pairedItem.item)).toEqual(
			codes.map((_, index) => index),
		);
		const taskCode = new Map(
			(await suite.emulator.control.tasks()).map((/** @type {any} */ t) => [t.id, t.error?.code]),
		);
		const seen = items.map((/** @type {any} */ { json }) => {
			expect(json).toMatchObject({
				error: `Seedream task ${json.taskId} failed: ${json.errorCode}: emulated ${json.errorCode}`,
				status: 'failed',
				retryable: SERVER.includes(json.errorCode),
			});
			expect(taskCode.get(json.taskId)).toBe(json.errorCode);
			expect(json.description).toMatch(
				json.retryable ? /may succeed as a new task later/ : /will fail again/,
			);
			return json.errorCode;
		});
		expect(seen.sort()).toEqual([...codes].sort());
	});

	test('without continueOnFail the run fails with the same error', async () => {
		await fault({ action: { type: 'taskError', code: 'service_error' } });
		const result = await suite.run({ ...GENERATE });
		expect(result.status).toBe('error');
		expect(result.error.message).toMatch(/^Seedream task task-unified-\S+ failed: service_error: /);
		expect(result.error.context).toMatchObject({
			errorCode: 'service_error',
			retryable: true,
			itemIndex: 0,
		});
		// A failed task releases its reservation.
		const ledger = await suite.ledger();
		expect(ledger.charged).toBe(0);
	});
});

describe('continueOnFail', () => {
	test('the failed item keeps its pairedItem and task ID; the others keep their results', async () => {
		const refs = [
			`${suite.imageHostUrl}/a.png`,
			'http://127.0.0.1:1/unreachable.png',
			`${suite.imageHostUrl}/c.png`,
		];
		const result = await suite.run(
			{
				...GENERATE,
				output: 'urls',
				referenceImages: { images: [{ source: 'url', url: '={{ $json.ref }}' }] },
			},
			{ items: refs.map((ref) => ({ json: { ref } })), nodeOptions: CONTINUE },
		);
		expect(result.status).toBe('success');
		const items = result.output('Seedream');
		expect(items.map((/** @type {any} */ i) => i.pairedItem)).toEqual([
			{ item: 0 },
			{ item: 1 },
			{ item: 2 },
		]);
		expect(items[0].json.status).toBe('completed');
		expect(items[2].json.status).toBe('completed');
		expect(items[1].json).toMatchObject({ errorCode: 'image_processing_error', status: 'failed' });
		expect(items[1].json.taskId).toMatch(/^task-unified-/);
		expect(items[1].json.error).toContain(items[1].json.taskId);
	});

	test('an API error item keeps the HTTP status, API code and request ID', async () => {
		await fault({
			method: 'POST',
			path: '/v1/images/generations',
			action: { type: 'status', status: 400 },
		});
		const result = await suite.run({ ...GENERATE }, { nodeOptions: CONTINUE });
		const [item] = result.output('Seedream');
		expect(item.json).toMatchObject({ httpCode: 400, apiCode: 'invalid_request' });
		expect(item.json.requestId).toMatch(/\S+/);
		expect(item.pairedItem).toEqual({ item: 0 });
	});
});

describe('API errors', () => {
	test('401: the key was rejected, said so, and the key is not in the error', async () => {
		const wrongKey = 'sk-wrong-0123456789abcdef';
		const credentials = { seedreamApi: { ...suite.credentials.seedreamApi, apiKey: wrongKey } };
		const result = await suite.run({ ...GENERATE }, { credentials });
		expect(result.status).toBe('error');
		expect(result.error.message).toMatch(/^EvoLink error 401 \(unauthorized\): /);
		expect(result.error.description).toMatch(
			/The API key was rejected: check the Seedream API credential/,
		);
		expect(everything(result)).not.toContain(wrongKey);
	});

	test('402: no balance', async () => {
		await suite.emulator.control.keys({ key: suite.emulator.key, credits: 0 });
		const result = await suite.run({ ...GENERATE });
		expect(result.error.message).toMatch(/^EvoLink error 402 \(insufficient_quota\)/);
		expect(result.error.httpCode).toBe('402');
	});

	test('integer error codes (older bodies) are read too', async () => {
		await fault({
			method: 'GET',
			path: '/v1/credits',
			action: {
				type: 'status',
				status: 403,
				body: { error: { code: 403, message: 'Model access denied', type: '' } },
			},
		});
		const result = await suite.run({ resource: 'account', operation: 'getCredits' });
		expect(result.error.message).toBe('EvoLink error 403 (403): Model access denied');
	});
});

describe('retries', () => {
	test.each([429, 500, 502, 503])(
		'a read answered %s (Retry-After: 0) is retried until it succeeds',
		async (status) => {
			await fault({
				method: 'GET',
				path: '/v1/tasks/',
				times: 2,
				action: { type: 'status', status, retryAfter: 0 },
			});
			const result = await suite.run({ ...GENERATE, output: 'urls' });
			expect(result.status).toBe('success');
			const reads = await suite.requests({ method: 'GET', path: '/v1/tasks/' });
			expect(reads.map((/** @type {any} */ r) => r.status).slice(0, 3)).toEqual([
				status,
				status,
				200,
			]);
		},
	);

	/** Get Credits refused `times` times with 429 and this Retry-After: the arrival times of its requests. */
	async function creditsAfter429(/** @type {number} */ retryAfter, /** @type {number} */ times) {
		await fault({
			method: 'GET',
			path: '/v1/credits',
			times,
			action: { type: 'status', status: 429, retryAfter },
		});
		const result = await suite.run({ resource: 'account', operation: 'getCredits' });
		expect(result.status).toBe('success');
		const requests = await suite.requests({ method: 'GET', path: '/v1/credits' });
		return requests.map((/** @type {any} */ r) => Date.parse(r.time));
	}

	test('Retry-After is honoured: the retry waits as long as asked', async () => {
		const [refused, accepted] = await creditsAfter429(1, 1);
		expect(accepted - refused).toBeGreaterThanOrEqual(1000);
	});

	test('Retry-After: 0 does not mean no pause: each retry waits at least the backoff floor (125, 250, 500 ms)', async () => {
		const times = await creditsAfter429(0, 3);
		expect(times).toHaveLength(4);
		// Backoff is ceiling/2 + jitter with ceiling 250 ms x 2^attempt; request times are whole milliseconds.
		[125, 250, 500].forEach((floor, attempt) => {
			expect(times[attempt + 1] - times[attempt]).toBeGreaterThanOrEqual(floor - 1);
		});
	});

	test('a poll answered with a body cut short is read again, like a failed read', async () => {
		await fault({ method: 'GET', path: '/v1/tasks/', times: 2, action: { type: 'malformed' } });
		const result = await suite.run({ ...GENERATE, output: 'urls' });
		expect(result.status).toBe('success');
		const reads = await suite.requests({ method: 'GET', path: '/v1/tasks/' });
		expect(reads.slice(0, 2).map((/** @type {any} */ r) => r.fault)).toEqual([
			'malformed',
			'malformed',
		]);
		expect(result.output('Seedream')[0].json.status).toBe('completed');
	});

	test('a create whose answer is cut short after the task was made is sent again with the same key: one task, its ID recovered', async () => {
		await fault({
			method: 'POST',
			path: '/v1/images/generations',
			times: 1,
			action: { type: 'malformed', afterProcessing: true },
		});
		const result = await suite.run({ ...GENERATE, output: 'urls' });
		expect(result.status).toBe('success');
		const creates = await suite.requests({ method: 'POST', path: '/v1/images/generations' });
		expect(creates).toHaveLength(2);
		expect(creates[1].headers['idempotency-key']).toBe(creates[0].headers['idempotency-key']);
		const tasks = await suite.emulator.control.tasks();
		expect(tasks).toHaveLength(1);
		expect(await reserves()).toHaveLength(1);
		expect(result.output('Seedream')[0].json.taskId).toBe(tasks[0].id);
	});

	test('a read that keeps failing ends in an error with the status, request ID and the task to resume', async () => {
		await fault({
			method: 'GET',
			path: '/v1/tasks/',
			times: 10,
			action: { type: 'status', status: 500, retryAfter: 0 },
		});
		const result = await suite.run({ ...GENERATE }, { nodeOptions: CONTINUE });
		const [item] = result.output('Seedream');
		expect(item.json).toMatchObject({ httpCode: 500, apiCode: 'internal_error' });
		expect(item.json.taskId).toMatch(/^task-unified-/);
		expect(item.json.description).toMatch(/read it later with Task > Get/);
		// 1 + 4 retries.
		expect(await suite.requests({ method: 'GET', path: '/v1/tasks/' })).toHaveLength(5);
	});

	test.each([
		['answered 429 (twice)', { times: 2, action: { type: 'status', status: 429, retryAfter: 0 } }],
		['answered 500', { times: 1, action: { type: 'status', status: 500, retryAfter: 0 } }],
		['whose connection dropped', { times: 1, action: { type: 'drop' } }],
	])('a create %s is sent again with the same key and creates one task', async (_, spec) => {
		await fault({ method: 'POST', path: '/v1/images/generations', ...spec });
		const result = await suite.run({ ...GENERATE, output: 'urls' });
		expect(result.status).toBe('success');
		const creates = await suite.requests({ method: 'POST', path: '/v1/images/generations' });
		expect(creates).toHaveLength(1 + spec.times);
		expect(new Set(creates.map((/** @type {any} */ c) => c.headers['idempotency-key'])).size).toBe(
			1,
		);
		expect(await suite.emulator.control.tasks()).toHaveLength(1);
		expect(await reserves()).toHaveLength(1);
	});
});

describe('paid results are never thrown away', () => {
	test('without Continue On Fail, one failing item fails the node and the error lists the tasks the other items created', async () => {
		await fault({ action: { type: 'taskError', code: 'content_policy_violation' }, times: 1 });
		const items = Array.from({ length: 5 }, (_, index) => ({ json: { subject: `kite ${index}` } }));
		const result = await suite.run(
			{
				...GENERATE,
				prompt: '={{ "a drawing of a " + $json.subject }}',
				output: 'urls',
				options: { concurrency: 5 },
			},
			{ items },
		);
		expect(result.status).toBe('error');
		const tasks = await suite.emulator.control.tasks();
		expect(tasks).toHaveLength(5);
		const failed = tasks.filter((/** @type {any} */ t) => t.status === 'failed');
		expect(failed).toHaveLength(1);
		expect(result.error.message).toContain(failed[0].id);
		const others = tasks.filter((/** @type {any} */ t) => t.status !== 'failed');
		expect(others).toHaveLength(4);
		for (const task of others) expect(result.error.description).toContain(task.id);
		expect(result.error.description).toMatch(/Task > Get/);
	});

	test('a downloaded result that is not an image (JSON served for it) is an error naming the task, not an image/png file', async () => {
		await fault({
			method: 'GET',
			path: '/content/results/',
			times: 1,
			action: { type: 'status', status: 200, body: { not: 'an image' } },
		});
		const result = await suite.run(
			{ ...GENERATE, output: 'binaryPerImage' },
			{ nodeOptions: CONTINUE },
		);
		expect(result.status).toBe('success');
		const [item] = result.output('Seedream');
		const [task] = await suite.emulator.control.tasks();
		expect(item.binary).toBeUndefined();
		expect(item.json.taskId).toBe(task.id);
		expect(item.json.error).toBe(
			`Image 0 of task ${task.id} is not an image: its first bytes match no image format (served as application/json)`,
		);
	});
});

describe('rate limits', () => {
	test('more items at once than the service takes: 429s are waited out, never shown, order kept', async () => {
		await suite.emulator.control.config({ maxConcurrentTasks: 3 });
		const prompts = Array.from({ length: 12 }, (_, i) => `picture number ${i}`);
		const result = await suite.run(
			{ ...GENERATE, prompt: '={{ $json.prompt }}', output: 'urls', options: { concurrency: 6 } },
			{ items: prompts.map((prompt) => ({ json: { prompt } })) },
		);
		expect(result.status).toBe('success');
		const refused = await suite.requests(
			(/** @type {any} */ r) => r.path === '/v1/images/generations' && r.status === 429,
		);
		expect(refused.length).toBeGreaterThan(0);
		const promptOf = new Map(
			(await suite.emulator.control.tasks()).map((/** @type {any} */ t) => [t.id, t.prompt]),
		);
		const items = result.output('Seedream');
		expect(items.map((/** @type {any} */ i) => promptOf.get(i.json.taskId))).toEqual(prompts);
		expect(items.every((/** @type {any} */ i) => i.json.status === 'completed')).toBe(true);
	});
});

describe("n8n's Retry On Fail", () => {
	const RETRY = { retryOnFail: true, maxTries: 2, waitBetweenTries: 0 };

	test('re-running the item replays its task: one task, billed once', async () => {
		// The first try creates the task, then cannot read it (1 + 4 reads answered 500) and fails.
		await fault({
			method: 'GET',
			path: '/v1/tasks/',
			times: 5,
			action: { type: 'status', status: 500, retryAfter: 0 },
		});
		const result = await suite.run({ ...GENERATE, output: 'urls' }, { nodeOptions: RETRY });
		expect(result.status).toBe('success');
		const creates = await suite.requests({ method: 'POST', path: '/v1/images/generations' });
		expect(creates).toHaveLength(2);
		expect(creates[1].headers['idempotency-key']).toBe(creates[0].headers['idempotency-key']);
		expect(creates[1].taskId).toBe(creates[0].taskId);
		expect(await suite.emulator.control.tasks()).toHaveLength(1);
		expect(await reserves()).toHaveLength(1);
		expect(result.output('Seedream')[0].json.taskId).toBe(creates[0].taskId);
	});

	test('a task that failed server-side is not replayed: the re-run makes a new task', async () => {
		await fault({ action: { type: 'taskError', code: 'service_error' } });
		const result = await suite.run({ ...GENERATE, output: 'urls' }, { nodeOptions: RETRY });
		expect(result.status).toBe('success');
		const tasks = await suite.emulator.control.tasks();
		expect(tasks.map((/** @type {any} */ t) => t.status).sort()).toEqual(['completed', 'failed']);
		const completed = tasks.find((/** @type {any} */ t) => t.status === 'completed');
		expect(result.output('Seedream')[0].json.taskId).toBe(completed.id);
		const ledger = await suite.ledger();
		expect(ledger.charged).toBe(1.8);
	});

	test('a task refused for its content is replayed, not paid for again: the same request would fail again', async () => {
		await fault({ action: { type: 'taskError', code: 'content_policy_violation' } });
		const result = await suite.run({ ...GENERATE, output: 'urls' }, { nodeOptions: RETRY });
		expect(result.status).toBe('error');
		expect(await suite.emulator.control.tasks()).toHaveLength(1);
		expect(await reserves()).toHaveLength(1);
	});

	test('a new execution is a new task', async () => {
		await suite.run({ ...GENERATE, output: 'urls' });
		await suite.run({ ...GENERATE, output: 'urls' });
		expect(await suite.emulator.control.tasks()).toHaveLength(2);
	});

	test('Reuse Identical Recent Task: a new execution of the same request gets the first task back, billed once', async () => {
		// One saved workflow (same workflow and node IDs), run by two executions.
		const workflow = seedreamWorkflow({
			...GENERATE,
			output: 'urls',
			options: { reuseRecentTask: true },
		});
		const run = (/** @type {string} */ executionId) =>
			suite.harness.runWorkflow(workflow, { credentials: suite.credentials, executionId });
		const first = await run('execution-that-crashed');
		const second = await run('execution-run-again');
		expect([first.status, second.status]).toEqual(['success', 'success']);
		const creates = await suite.requests({ method: 'POST', path: '/v1/images/generations' });
		expect(creates).toHaveLength(2);
		expect(creates[1].headers['idempotency-key']).toBe(creates[0].headers['idempotency-key']);
		expect(await suite.emulator.control.tasks()).toHaveLength(1);
		expect(await reserves()).toHaveLength(1);
		expect(second.output('Seedream').map((/** @type {any} */ i) => i.json.url)).toEqual(
			first.output('Seedream').map((/** @type {any} */ i) => i.json.url),
		);
	});

	test('Reuse Identical Recent Task: a changed request is a new task', async () => {
		const workflow = seedreamWorkflow({
			...GENERATE,
			output: 'urls',
			options: { reuseRecentTask: true },
		});
		await suite.harness.runWorkflow(workflow, {
			credentials: suite.credentials,
			executionId: 'execution-1',
		});
		workflow.nodes[1].parameters.prompt = 'another prompt';
		await suite.harness.runWorkflow(workflow, {
			credentials: suite.credentials,
			executionId: 'execution-2',
		});
		expect(await suite.emulator.control.tasks()).toHaveLength(2);
		expect(await reserves()).toHaveLength(2);
	});

	test('a second run of the node in one execution (a loop, two branches) is a new task', async () => {
		// Two branches feed the node: n8n runs it twice in the same execution with the same item and
		// parameters, as runs 0 and 1. Only the run index tells the passes apart.
		const workflow = seedreamWorkflow({ ...GENERATE, output: 'urls' });
		const [trigger, seedream] = workflow.nodes;
		const pass = (/** @type {string} */ name, /** @type {number} */ y) => ({
			parameters: {},
			type: 'n8n-nodes-base.noOp',
			typeVersion: 1,
			position: [220, y],
			id: randomUUID(),
			name,
		});
		workflow.nodes.push(pass('First Pass', -100), pass('Second Pass', 100));
		const to = (/** @type {string} */ node) => ({ main: [[{ node, type: 'main', index: 0 }]] });
		workflow.connections = {
			[trigger.name]: {
				main: [
					[
						{ node: 'First Pass', type: 'main', index: 0 },
						{ node: 'Second Pass', type: 'main', index: 0 },
					],
				],
			},
			'First Pass': to(seedream.name),
			'Second Pass': to(seedream.name),
		};
		const result = await suite.harness.runWorkflow(workflow, { credentials: suite.credentials });
		expect(result.status).toBe('success');
		const runs = [0, 1].map((runIndex) => result.output(seedream.name, 0, runIndex)[0].json.taskId);
		const creates = await suite.requests({ method: 'POST', path: '/v1/images/generations' });
		expect(creates).toHaveLength(2);
		expect(creates[1].headers['idempotency-key']).not.toBe(creates[0].headers['idempotency-key']);
		expect(creates.map((/** @type {any} */ c) => c.body)).toEqual([
			creates[0].body,
			creates[0].body,
		]);
		const tasks = await suite.emulator.control.tasks();
		expect(tasks).toHaveLength(2);
		expect(new Set(runs)).toEqual(new Set(tasks.map((/** @type {any} */ t) => t.id)));
	});
});

describe('the API key appears in no output and no error', () => {
	test.each([
		['a success with binary output', async () => suite.run({ ...GENERATE }), true],
		[
			'a failed task',
			async () => {
				await fault({ action: { type: 'taskError', code: 'service_error' } });
				return suite.run({ ...GENERATE });
			},
			true,
		],
		[
			'an API error',
			async () => {
				await fault({
					method: 'POST',
					path: '/v1/images/',
					action: { type: 'status', status: 401 },
				});
				return suite.run({ ...GENERATE });
			},
			true,
		],
		['a validation error', async () => suite.run({ ...GENERATE, n: 99 }), false],
		[
			'an error item',
			async () => {
				await fault({ action: { type: 'taskError', code: 'service_error' } });
				return suite.run({ ...GENERATE }, { nodeOptions: CONTINUE });
			},
			true,
		],
		['credits', async () => suite.run({ resource: 'account', operation: 'getCredits' }), true],
	])('%s', async (_, run, sent) => {
		const result = await run();
		expect(everything(result)).not.toContain(suite.emulator.key);
		// The key was in use: the emulator saw it (masked in its log) on every API request.
		const apiRequests = await suite.requests({ path: '/v1/' });
		expect(apiRequests.length > 0).toBe(sent);
		expect(
			apiRequests.every(
				(/** @type {any} */ r) => r.key === suite.emulator.maskKey(suite.emulator.key),
			),
		).toBe(true);
	});

	test('a network error (nothing listening) says where it failed, without the key', async () => {
		const credentials = {
			seedreamApi: { ...suite.credentials.seedreamApi, baseUrl: 'http://127.0.0.1:1' },
		};
		const result = await suite.run(
			{ resource: 'account', operation: 'getCredits' },
			{ credentials },
		);
		expect(result.status).toBe('error');
		expect(result.error.message).toBe('Could not reach EvoLink (ECONNREFUSED)');
		expect(everything(result)).not.toContain(suite.emulator.key);
	});
});
