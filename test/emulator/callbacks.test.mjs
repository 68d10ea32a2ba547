// @ts-check
// docs/evolink-api.md §4: the task JSON is POSTed on completed/failed after billing; non-2xx or errors retry after 1, 2, 4 s; 10 s timeout.
import { afterEach, describe, expect, test } from '@jest/globals';
import { localServer, sleep, useEmulator } from './helpers.mjs';

const emu = useEmulator({ taskMs: 0, allowInsecureCallbacks: true });
/** @type {Awaited<ReturnType<typeof localServer>>[]} */
let receivers = [];
afterEach(async () => {
	await Promise.all(receivers.map((r) => r.close()));
	receivers = [];
});

/** A receiver answering the statuses in turn (the last one repeats); `null` never answers. */
async function receiver(/** @type {(number | null)[]} */ statuses) {
	let calls = 0;
	const server = await localServer(async (_req, res) => {
		const status = statuses[Math.min(calls++, statuses.length - 1)];
		if (status !== null) res.writeHead(status).end();
	});
	receivers.push(server);
	return server;
}

/** What GET /__emulator/callbacks/pending answers when no callback can be sent until a task ends again. */
const NOTHING_PENDING = { scheduled: 0, inFlight: 0 };

/** Waits until the emulator has recorded `count` callback attempts. */
async function attempts(/** @type {number} */ count, timeoutMs = 10000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const log = await emu.control('GET', 'callbacks');
		if (log.length >= count) return log;
		if (Date.now() > deadline) throw new Error(`only ${log.length} callback attempts`);
		await sleep(20);
	}
}

describe('delivery', () => {
	test('a completed task POSTs the same JSON as GET /v1/tasks/{id}, after billing', async () => {
		/** @type {any} */
		let ledgerAtCallback;
		const server = await localServer(async (_req, res) => {
			ledgerAtCallback = await emu.control('GET', 'ledger');
			res.writeHead(204).end();
		});
		receivers.push(server);
		const { json } = await emu.create({
			prompt: 'x',
			n: 2,
			callback_url: `${server.url}/hook?token=abc`,
		});
		const [log] = await attempts(1);
		const task = (await emu.request('GET', `/v1/tasks/${json.id}`)).json;
		expect(server.hits).toHaveLength(1);
		expect(server.hits[0].path).toBe('/hook?token=abc');
		expect(JSON.parse(server.hits[0].body.toString())).toEqual(task);
		expect(task.status).toBe('completed');
		expect(Object.values(ledgerAtCallback)[0]).toMatchObject({ reserved: 0, charged: 1.8 });
		expect(log).toMatchObject({
			taskId: json.id,
			attempt: 1,
			status: 204,
			url: `${server.url}/hook?token=abc`,
			body: task,
		});
		expect(typeof log.sentAt).toBe('string');
		expect(typeof log.durationMs).toBe('number');
	});

	test('a failed task calls back with its error', async () => {
		const server = await receiver([200]);
		await emu.control('POST', 'faults', {
			action: { type: 'taskError', code: 'generation_timeout' },
		});
		await emu.create({ prompt: 'x', callback_url: server.url });
		await attempts(1);
		const body = JSON.parse(server.hits[0].body.toString());
		expect(body).toMatchObject({
			status: 'failed',
			error: { code: 'generation_timeout', type: 'task_error' },
		});
	});

	test('a cancelled task calls back too', async () => {
		const server = await receiver([200]);
		await emu.control('POST', 'config', { taskMs: 600_000 });
		const { json } = await emu.create({ prompt: 'x', callback_url: server.url });
		await emu.control('POST', `tasks/${json.id}/cancel`);
		await attempts(1);
		expect(JSON.parse(server.hits[0].body.toString())).toMatchObject({
			id: json.id,
			status: 'cancelled',
		});
	});

	test('no callback_url, no callback', async () => {
		const { json } = await emu.create({ prompt: 'x' });
		await emu.waitFor(json.id);
		// A callback starts when the task ends: none was sent, none is on the wire or waiting.
		expect(await emu.control('GET', 'callbacks')).toEqual([]);
		expect(await emu.control('GET', 'callbacks/pending')).toEqual(NOTHING_PENDING);
	});
});

describe('retries', () => {
	test('the documented schedule, on the emulator clock: retries 1 s then 2 s after failures, stops at the first 2xx', async () => {
		const server = await receiver([500, 503, 200]);
		await emu.create({ prompt: 'x', callback_url: server.url });
		await attempts(1);
		// Each retry waits for the clock: advancing it by the documented delay sends the next attempt.
		await emu.control('POST', 'clock', { advanceMs: 1000 });
		await attempts(2);
		await emu.control('POST', 'clock', { advanceMs: 2000 });
		const log = await attempts(3);
		expect(log.map((/** @type {any} */ l) => [l.attempt, l.status])).toEqual([
			[1, 500],
			[2, 503],
			[3, 200],
		]);
		const at = (/** @type {string} */ iso) => Date.parse(iso);
		expect([1, 2].map((i) => at(log[i].dueAt) - at(log[i - 1].answeredAt))).toEqual([1000, 2000]);
		for (const l of log) expect(at(l.sentAt)).toBeGreaterThanOrEqual(at(l.dueAt));
		expect(server.hits).toHaveLength(3);
	});

	test('at most 3 retries (4 attempts) on a receiver that always fails', async () => {
		const server = await receiver([502]);
		await emu.create({ prompt: 'x', callback_url: server.url });
		await attempts(1);
		// The documented delays, on the emulator clock.
		for (const [advanceMs, count] of [
			[1000, 2],
			[2000, 3],
			[4000, 4],
		]) {
			await emu.control('POST', 'clock', { advanceMs });
			await attempts(count);
		}
		expect(
			(await emu.control('GET', 'callbacks')).map((/** @type {any} */ l) => l.attempt),
		).toEqual([1, 2, 3, 4]);
		expect(server.hits).toHaveLength(4);
		expect(await emu.control('GET', 'callbacks/pending')).toEqual(NOTHING_PENDING);
	});

	test('a receiver slower than the timeout counts as a failure ("timeout")', async () => {
		await emu.control('POST', 'config', { callbackTimeoutMs: 150, callbackRetryDelaysMs: [20] });
		const server = await receiver([null, 200]);
		await emu.create({ prompt: 'x', callback_url: server.url });
		const log = await attempts(2);
		expect(log.map((/** @type {any} */ l) => l.status)).toEqual(['timeout', 200]);
		expect(log[0].durationMs).toBeGreaterThanOrEqual(140);
	});

	test('a refused connection is recorded as its error code, and retried', async () => {
		await emu.control('POST', 'config', { callbackRetryDelaysMs: [10, 10, 10] });
		await emu.create({ prompt: 'x', callback_url: 'http://127.0.0.1:1/hook' });
		const log = await attempts(4);
		expect(log.map((/** @type {any} */ l) => l.status)).toEqual(Array(4).fill('ECONNREFUSED'));
	});

	test('reset stops pending retries', async () => {
		const server = await receiver([500]);
		await emu.create({ prompt: 'x', callback_url: server.url });
		await attempts(1);
		expect(await emu.control('GET', 'callbacks/pending')).toEqual({ scheduled: 1, inFlight: 0 });
		await emu.control('POST', 'reset');
		expect(await emu.control('GET', 'callbacks/pending')).toEqual(NOTHING_PENDING);
		expect(server.hits).toHaveLength(1);
	});
});
