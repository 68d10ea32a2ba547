// @ts-check
// Task > Get: reading a task by ID, optionally waiting and downloading, is how a user resumes without paying
// again. Also the API's read errors and expired result URLs.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { readPng } from '../harness/png.mjs';
import { GENERATE, startSuite } from './support.mjs';

const otherKey = `sk-other-${randomBytes(8).toString('hex')}`;
/** @type {import('./support.mjs').Suite} */
let suite;
beforeAll(async () => {
	suite = await startSuite({ keys: [`sk-test-${randomBytes(12).toString('hex')}`, otherKey] });
});
beforeEach(async () => await suite.reset());
afterAll(async () => await suite?.close());

const GET = Object.freeze({ resource: 'task', operation: 'get' });

/**
 * Moves the emulator's clock past the 300 ms tasks' end: the advance runs the due transitions before it
 * answers, so the tasks are finished when it resolves (a real sleep would race a loaded machine). The
 * emulator's reset puts the clock back.
 */
async function finishTasks() {
	await suite.emulator.control.advanceClock(60_000);
}

/** Creates a task without waiting and returns its ID. */
async function submit(/** @type {Record<string, unknown>} */ parameters = {}) {
	const result = await suite.run({ ...GENERATE, waitMode: 'dontWait', ...parameters });
	expect(result.status).toBe('success');
	return result.output('Seedream')[0].json.taskId;
}

test("don't wait on a running task: its status, progress and estimate, nothing downloaded", async () => {
	await suite.emulator.control.config({ taskMs: 5000 });
	const taskId = await submit();
	const result = await suite.run({ ...GET, taskId });
	const items = result.output('Seedream');
	expect(items).toHaveLength(1);
	expect(items[0].json).toMatchObject({ taskId, model: 'doubao-seedream-4.0', imageUrls: [] });
	expect(['pending', 'processing']).toContain(items[0].json.status);
	expect(items[0].json.estimatedTime).toBeGreaterThan(0);
	expect(items[0].pairedItem).toEqual({ item: 0 });
	expect(await suite.requests({ method: 'GET', path: '/v1/tasks/' })).toHaveLength(1);
});

test('a finished task: URLs by default, one item per image', async () => {
	const taskId = await submit({ prompt: 'two images of a heron', n: 2 });
	await finishTasks();
	const result = await suite.run({ ...GET, taskId });
	const items = result.output('Seedream');
	expect(items.map((/** @type {any} */ i) => [i.json.taskId, i.json.imageIndex, i.binary])).toEqual(
		[
			[taskId, 0, undefined],
			[taskId, 1, undefined],
		],
	);
	expect(items[0].json.url).toMatch(/\/0\.png$/);
	expect(items[0].json.size).toBeUndefined();
});

test("don't wait on a completed task whose results are briefly empty: its images, after the same grace as polling", async () => {
	await suite.emulator.control.fault({ action: { type: 'lateResults', ms: 1500 }, times: 1 });
	const taskId = await submit();
	await finishTasks();
	const result = await suite.run({ ...GET, taskId });
	const [item] = result.output('Seedream');
	expect(item.json).toMatchObject({ taskId, status: 'completed', imageIndex: 0 });
	expect(item.json.url).toMatch(new RegExp(`/content/results/${taskId}/0\\.png$`));
});

test('wait and download: resumes a task without creating (or paying for) another', async () => {
	await suite.emulator.control.config({ taskMs: 800 });
	const taskId = await submit();
	const result = await suite.run({ ...GET, taskId, waitMode: 'wait', output: 'binaryPerImage' });
	expect(result.status).toBe('success');
	const [item] = result.output('Seedream');
	expect(item.json).toMatchObject({ taskId, status: 'completed', imageIndex: 0 });
	const bytes = await suite.harness.binaryBuffer(item.binary.data);
	expect(readPng(bytes)).toMatchObject({ width: 1024, height: 1024 });
	expect(await suite.requests({ method: 'POST' })).toHaveLength(1);
	const ledger = await suite.ledger();
	expect(ledger.entries.filter((/** @type {any} */ e) => e.type === 'reserve')).toHaveLength(1);
});

test('a task that does not exist: 404 task_not_found with the request ID', async () => {
	const result = await suite.run({ ...GET, taskId: 'task-unified-1757165031-nothere1' });
	expect(result.status).toBe('error');
	expect(result.error.message).toMatch(
		/^EvoLink error 404 \(task_not_found\): Task task-unified-1757165031-nothere1 not found/,
	);
	const [read] = await suite.requests({ method: 'GET', path: '/v1/tasks/' });
	expect(result.error.context).toMatchObject({ httpCode: 404, apiCode: 'task_not_found' });
	expect(result.error.context.requestId).toMatch(/\S+/);
	expect(result.error.description).toContain(`Request ID: ${result.error.context.requestId}`);
	expect(read.status).toBe(404);
});

test("another key's task: 403 permission_denied", async () => {
	const taskId = await submit();
	const other = { seedreamApi: { ...suite.credentials.seedreamApi, apiKey: otherKey } };
	const result = await suite.run({ ...GET, taskId }, { credentials: other });
	expect(result.status).toBe('error');
	expect(result.error.message).toMatch(/^EvoLink error 403 \(permission_denied\)/);
	expect(result.error.httpCode).toBe('403');
});

test('a failed task read back: the same error as when waiting for it', async () => {
	await suite.emulator.control.fault({
		action: { type: 'taskError', code: 'content_policy_violation' },
	});
	const taskId = await submit();
	await finishTasks();
	const result = await suite.run({ ...GET, taskId });
	expect(result.status).toBe('error');
	expect(result.error.message).toMatch(
		new RegExp(`^Seedream task ${taskId} failed: content_policy_violation: `),
	);
});

test('expired result URLs (24 h after completion) fail the download with a clear reason', async () => {
	const taskId = await submit();
	await finishTasks();
	await suite.emulator.control.advanceClock(24 * 3600 * 1000 + 1000);
	const result = await suite.run({ ...GET, taskId, output: 'binaryPerImage' });
	expect(result.status).toBe('error');
	expect(result.error.message).toMatch(
		new RegExp(`^Could not download image 0 of task ${taskId} \\(HTTP 404\\)`),
	);
	expect(result.error.description).toMatch(/Result URLs expire 24 hours after the task completes/);
});

test('several task IDs in, one result per task out, in order', async () => {
	const first = await submit({ prompt: 'a crane' });
	const second = await submit({ prompt: 'a stork' });
	await finishTasks();
	const result = await suite.run(
		{ ...GET, taskId: '={{ $json.id }}', output: 'compact' },
		{ items: [{ json: { id: second } }, { json: { id: first } }] },
	);
	const items = result.output('Seedream');
	expect(items.map((/** @type {any} */ i) => [i.json.taskId, i.pairedItem.item])).toEqual([
		[second, 0],
		[first, 1],
	]);
});

test('a download without a declared size is cut off once it passes the maximum', async () => {
	// A content host that streams 3 MB in 64 KB chunks without Content-Length (`sent` says when to stop), each
	// starting with PNG's signature, so the download is taken for an image until its size stops it.
	let sent = 0;
	const host = http.createServer((_, res) => {
		res.writeHead(200, { 'content-type': 'image/png' });
		const chunk = Buffer.alloc(64 * 1024, 1);
		Buffer.from('89504e470d0a1a0a', 'hex').copy(chunk);
		const pump = () => {
			while (sent < 3 * 1024 * 1024) {
				sent += chunk.length;
				if (!res.write(chunk)) return void res.once('drain', pump);
			}
			res.end();
		};
		pump();
	});
	await new Promise((resolve) => host.listen(0, '127.0.0.1', () => resolve(undefined)));
	try {
		const { port } = /** @type {import('node:net').AddressInfo} */ (host.address());
		const taskId = await submit();
		await suite.emulator.control.fault({
			method: 'GET',
			path: '/v1/tasks/',
			action: {
				type: 'status',
				status: 200,
				body: {
					id: taskId,
					status: 'completed',
					progress: 100,
					results: [`http://127.0.0.1:${port}/big.png`],
				},
			},
		});
		const result = await suite.run({
			...GET,
			taskId,
			output: 'binaryPerImage',
			options: { maxDownloadMB: 1 },
		});
		expect(result.status).toBe('error');
		expect(result.error.message).toBe(
			`Stopped downloading image 0 of task ${taskId}: it is more than 1 MB, over the maximum download size of 1 MB`,
		);
	} finally {
		host.close();
	}
});
