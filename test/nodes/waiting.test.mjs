// @ts-check
// Waiting for a task: the maximum wait, n8n's Stop while waiting, and what the spec says to tolerate
// (results as {url} objects, a completed task whose results are briefly empty, `cancelled` as terminal).
import { readPng } from '../harness/png.mjs';
import { GENERATE, startSuite, waitUntil } from './support.mjs';

/** @type {import('./support.mjs').Suite} */
let suite;
beforeAll(async () => {
	suite = await startSuite();
});
beforeEach(async () => await suite.reset());
afterAll(async () => await suite?.close());

const GET = Object.freeze({ resource: 'task', operation: 'get', waitMode: 'wait' });

/** Resolves once the emulator has received a request matching the filter. */
async function receivedRequest(/** @type {{ method: string, path: string }} */ filter) {
	await waitUntil(
		async () => (await suite.requests(filter)).length > 0,
		`${filter.method} ${filter.path}`,
	);
}

/** A finished task made for real, to read back through injected answers. */
async function finishedTask() {
	const result = await suite.run({ ...GENERATE, output: 'urls' });
	const [item] = result.output('Seedream');
	const [task] = await suite.emulator.control.tasks();
	return { id: item.json.taskId, url: item.json.url, created: task.created };
}

/** The next `times` reads of any task are answered with this body. */
async function answerReads(/** @type {Record<string, unknown>} */ body, times = 1) {
	await suite.emulator.control.fault({
		method: 'GET',
		path: '/v1/tasks/',
		times,
		action: { type: 'status', status: 200, body },
	});
}

describe('maximum wait', () => {
	test('past it: an error that carries the task ID and says to use Task > Get later', async () => {
		await suite.emulator.control.config({ taskMs: 10000 });
		const result = await suite.run({ ...GENERATE, options: { maxWaitSeconds: 1 } });
		expect(result.status).toBe('error');
		const [task] = await suite.emulator.control.tasks();
		expect(result.error.message).toMatch(
			new RegExp(
				`^Task ${task.id} did not finish within 1 s \\(status (pending|processing), \\d+%\\)$`,
			),
		);
		expect(result.error.description).toMatch(
			new RegExp(`Read it later with Seedream > Task > Get and the task ID ${task.id}`),
		);
		expect(result.error.context.taskId).toBe(task.id);
	});

	test('with continueOnFail the item carries the task ID, and Task > Get picks the task up without a new one', async () => {
		await suite.emulator.control.config({ taskMs: 3000 });
		const first = await suite.run(
			{ ...GENERATE, output: 'urls', options: { maxWaitSeconds: 1 } },
			{ nodeOptions: { onError: 'continueRegularOutput' } },
		);
		const [timedOut] = first.output('Seedream');
		expect(timedOut.json.error).toMatch(/did not finish within 1 s/);
		expect(timedOut.json.taskId).toMatch(/^task-unified-/);
		expect(timedOut.pairedItem).toEqual({ item: 0 });

		const resumed = await suite.run({ ...GET, taskId: timedOut.json.taskId, output: 'urls' });
		expect(resumed.output('Seedream')[0].json).toMatchObject({
			taskId: timedOut.json.taskId,
			status: 'completed',
		});
		expect(await suite.requests({ method: 'POST' })).toHaveLength(1);
	});
});

describe('polling', () => {
	test('a task read back mid-way (Task > Get) is polled sparingly, not every 100 ms', async () => {
		await suite.emulator.control.config({ taskMs: 4000 });
		const submitted = await suite.run({ ...GENERATE, waitMode: 'dontWait' });
		const taskId = submitted.output('Seedream')[0].json.taskId;
		const result = await suite.run({ ...GET, taskId, output: 'urls' });
		expect(result.output('Seedream')[0].json.status).toBe('completed');
		const reads = await suite.requests({ method: 'GET', path: '/v1/tasks/' });
		// About 4 s of waiting: a poll every 100 ms would be ~40 reads.
		expect(reads.length).toBeLessThanOrEqual(10);
	});
});

describe("n8n's Stop while waiting", () => {
	test('stops the wait at once: the run ends canceled with the task still running and never read', async () => {
		await suite.emulator.control.config({ taskMs: 60000 });
		const execution = suite.start({ ...GENERATE });
		await receivedRequest({ method: 'POST', path: '/v1/images/generations' });
		execution.cancel();
		const result = await execution.result;
		expect(result.status).toBe('canceled');
		// The run has ended (the harness settles once the node returns), so nothing of it reads later. The first
		// read was due at half the 60 s estimate: none came and the task still runs, so the wait was cut short.
		expect(await suite.requests({ method: 'GET' })).toHaveLength(0);
		const [task] = await suite.emulator.control.tasks();
		expect(task.completedAt).toBeNull();
	}, 10_000);

	test('stops Task > Get waiting too', async () => {
		await suite.emulator.control.config({ taskMs: 60000 });
		const submitted = await suite.run({ ...GENERATE, waitMode: 'dontWait' });
		const taskId = submitted.output('Seedream')[0].json.taskId;
		const execution = suite.start({ ...GET, taskId });
		await receivedRequest({ method: 'GET', path: `/v1/tasks/${taskId}` });
		execution.cancel();
		expect((await execution.result).status).toBe('canceled');
	}, 10_000);
});

describe('what the spec says to tolerate', () => {
	test('results as {url} objects', async () => {
		const task = await finishedTask();
		await answerReads({
			id: task.id,
			object: 'image.generation.task',
			status: 'completed',
			progress: 100,
			created: task.created,
			results: [{ url: task.url }],
		});
		const result = await suite.run({ ...GET, taskId: task.id, output: 'binaryPerImage' });
		expect(result.status).toBe('success');
		const [item] = result.output('Seedream');
		expect(item.json.url).toBe(task.url);
		const bytes = await suite.harness.binaryBuffer(item.binary.data);
		expect(readPng(bytes)).toMatchObject({ width: 1024, height: 1024 });
	});

	test('a completed task whose results are briefly empty: polled again until they come', async () => {
		const task = await finishedTask();
		await answerReads(
			{ id: task.id, status: 'completed', progress: 100, created: task.created, results: [] },
			2,
		);
		const result = await suite.run({ ...GET, taskId: task.id, output: 'urls' });
		expect(result.status).toBe('success');
		expect(result.output('Seedream')[0].json.url).toBe(task.url);
		expect(await suite.requests({ method: 'GET', path: '/v1/tasks/' })).toHaveLength(1 + 3);
	});

	test('cancelled is terminal: an error with the task ID, not an endless wait', async () => {
		const task = await finishedTask();
		await answerReads({ id: task.id, status: 'cancelled', progress: 40, created: task.created });
		const result = await suite.run({ ...GET, taskId: task.id });
		expect(result.status).toBe('error');
		expect(result.error.message).toBe(
			`Seedream task ${task.id} cancelled: request_cancelled: The task ended with status cancelled`,
		);
		expect(result.error.context).toMatchObject({ taskId: task.id, retryable: false });
	});

	test('a task already processing at creation is waited for like any other', async () => {
		const task = await finishedTask();
		await suite.emulator.control.fault({
			method: 'POST',
			path: '/v1/images/generations',
			action: {
				type: 'status',
				status: 200,
				body: {
					id: task.id,
					object: 'image.generation.task',
					status: 'processing',
					progress: 10,
					created: task.created,
					task_info: { estimated_time: 1 },
				},
			},
		});
		const result = await suite.run({ ...GENERATE, prompt: 'something else', output: 'urls' });
		expect(result.status).toBe('success');
		expect(result.output('Seedream')[0].json).toMatchObject({
			taskId: task.id,
			status: 'completed',
		});
	});

	test('an answer that is not a task, on every try, is an error, not a crash', async () => {
		// Once would be sent again with the same key, like a lost answer (test/nodes/errors.test.mjs).
		await suite.emulator.control.fault({
			method: 'POST',
			path: '/v1/images/generations',
			times: 5,
			action: { type: 'status', status: 200, body: { hello: 'world' } },
		});
		const result = await suite.run({ ...GENERATE });
		expect(result.error.message).toBe(
			'EvoLink answered with something that is not a task (no id or status)',
		);
	});
});
