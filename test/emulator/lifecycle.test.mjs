// @ts-check
// docs/evolink-api.md §3, §5, §6, §9: task lifecycle, output count, billing and the ledger, auth and access errors.
import { describe, expect, test } from '@jest/globals';
import { KEY, useEmulator } from './helpers.mjs';
import { countFromPrompt } from '../../emulator/validation.mjs';

const emu = useEmulator();

const MASKED = 'sk-e…demo';

describe('lifecycle: pending → processing → completed on taskMs', () => {
	test('progress rises, estimated_time counts down in seconds, results at the end', async () => {
		// A 10 s task read on the emulator clock: at creation, then 1, 3, 5, 7 and 9 s in, then at its end.
		// Reads land a few real milliseconds after each step, which moves no figure across a whole second.
		await emu.control('POST', 'config', { taskMs: 10_000 });
		const { json: created } = await emu.create({ prompt: 'a red kite' });
		/** @type {any[]} */
		const seen = [created];
		for (const advanceMs of [1000, 2000, 2000, 2000, 2000, 1000]) {
			await emu.control('POST', 'clock', { advanceMs });
			seen.push((await emu.request('GET', `/v1/tasks/${created.id}`)).json);
		}
		expect(seen.map((t) => t.status)).toEqual([
			'pending',
			...Array(5).fill('processing'),
			'completed',
		]);
		const processing = seen.filter((t) => t.status === 'processing');
		// Whole seconds left, rounded up: 9 s left at 1 s in, then 7, 5, 3 and 1.
		expect(seen.slice(0, 6).map((t) => t.task_info.estimated_time)).toEqual([10, 9, 7, 5, 3, 1]);
		const progress = processing.map((t) => t.progress);
		expect(progress).toEqual([...progress].sort((a, b) => a - b));
		expect(new Set(progress).size).toBe(5);
		expect(progress.every((p) => p >= 1 && p <= 99)).toBe(true);
		expect(created.progress).toBe(0);
		const done = seen.at(-1);
		expect(done).toMatchObject({
			progress: 100,
			task_info: { can_cancel: false },
			usage: { credits_used: 1.8 },
		});
		expect(done.results).toEqual([
			expect.stringMatching(new RegExp(`^${emu.url}/content/results/${created.id}/0\\.png$`)),
		]);
		const [internal] = await emu.control('GET', 'tasks');
		expect(internal.durationMs).toBe(10_000);
		expect(internal.endAt - internal.createdAt).toBe(10_000);
		expect(internal.completedAt).toBeGreaterThanOrEqual(internal.endAt);
		expect(internal.startedAt).toBeGreaterThan(internal.createdAt);
	});

	test('taskMsQueue gives durations one per task, then taskMs', async () => {
		await emu.control('POST', 'config', { taskMs: 30, taskMsQueue: [400, 0] });
		const ids = [];
		for (let i = 0; i < 3; i++) ids.push((await emu.create({ prompt: `p${i}` })).json.id);
		const tasks = await emu.control('GET', 'tasks');
		expect(tasks.map((/** @type {any} */ t) => t.durationMs)).toEqual([400, 0, 30]);
		expect((await emu.control('GET', 'config')).taskMsQueue).toEqual([]);
	});

	test('advancing the clock brings a long task to its end', async () => {
		await emu.control('POST', 'config', { taskMs: 3_600_000 });
		const { json } = await emu.create({ prompt: 'slow' });
		await emu.control('POST', 'clock', { advanceMs: 3_600_000 });
		expect((await emu.waitFor(json.id, KEY, 2000)).status).toBe('completed');
	});
});

describe('output count: min(n, the prompt count, 15 − references)', () => {
	test.each([
		['4 different images of a fox', 4],
		['a fox', 1],
		['Generate five pictures of a fox', 5],
		['three cute little photos', 3],
		['a set of three foxes', 3],
		['a series of 6 posters', 6],
		['15 variations on a logo', 15],
		['versions: two', 1],
		['2 foxes in 7 different cities', 1],
		['twelve very nice cute images', 1], // the noun is four words away
		['0 images', 1],
	])('%p asks for %p', (prompt, count) => expect(countFromPrompt(prompt)).toBe(count));

	test.each([
		[4, '3 images of a fox', 3],
		[2, 'five pictures of a fox', 2],
		[6, 'a fox', 1],
		[15, 'fifteen images', 15],
	])('n = %p with %p makes %p images', async (n, prompt, made) => {
		const { json } = await emu.create({ prompt, n, size: '1280x720' });
		const done = await emu.waitFor(json.id);
		expect(done.results).toHaveLength(made);
		expect(new Set(done.results).size).toBe(made);
	});
});

describe('billing: reserve n, settle images made, release the rest', () => {
	test('a completed task charges per image and releases the rest', async () => {
		const { json } = await emu.create({ prompt: '3 images of a fox', n: 5 });
		let ledger = (await emu.control('GET', 'ledger'))[MASKED];
		expect(ledger).toMatchObject({ initial: 10000, balance: 10000, reserved: 9, charged: 0 });
		const done = await emu.waitFor(json.id);
		expect(done.usage).toMatchObject({ credits_reserved: 9, credits_used: 5.4 });
		ledger = (await emu.control('GET', 'ledger'))[MASKED];
		expect(ledger).toMatchObject({ initial: 10000, balance: 9994.6, reserved: 0, charged: 5.4 });
		expect(ledger.entries.map((/** @type {any} */ e) => [e.type, e.taskId, e.credits])).toEqual([
			['reserve', json.id, 9],
			['settle', json.id, 5.4],
			['release', json.id, 3.6],
		]);
		const credits = await emu.request('GET', '/v1/credits');
		expect(credits.json).toEqual({
			data: {
				token: { remaining_credits: 9994.6, unlimited_credits: false, used_credits: 5.4 },
				user: { remaining_credits: 9994.6, used_credits: 5.4 },
			},
			message: '',
			success: true,
		});
	});

	test('a failed task releases everything', async () => {
		await emu.control('POST', 'faults', {
			action: { type: 'taskError', code: 'content_policy_violation' },
		});
		const { json } = await emu.create({ prompt: 'x', n: 2 });
		const done = await emu.waitFor(json.id);
		expect(done.status).toBe('failed');
		const ledger = (await emu.control('GET', 'ledger'))[MASKED];
		expect(ledger).toMatchObject({ balance: 10000, reserved: 0, charged: 0 });
		expect(ledger.entries.map((/** @type {any} */ e) => [e.type, e.credits])).toEqual([
			['reserve', 3.6],
			['release', 3.6],
		]);
	});

	test('remaining credits count reservations of running tasks', async () => {
		await emu.control('POST', 'config', { taskMs: 600_000 });
		await emu.create({ prompt: 'x', n: 10 });
		const credits = await emu.request('GET', '/v1/credits');
		expect(credits.json.data.token.remaining_credits).toBe(9982);
	});

	test('402 insufficient_quota when the balance cannot cover n × 1.8 (exactly enough passes)', async () => {
		await emu.control('POST', 'keys', { key: 'sk-poor-key-0001', credits: 5.4 });
		await emu.control('POST', 'config', { taskMs: 600_000 });
		const tooMuch = await emu.create({ prompt: 'x', n: 4 }, { key: 'sk-poor-key-0001' });
		expect(tooMuch.status).toBe(402);
		expect(tooMuch.json.error).toMatchObject({ code: 'insufficient_quota' });
		expect(tooMuch.json.error.message).toContain('7.2');
		expect((await emu.create({ prompt: 'x', n: 3 }, { key: 'sk-poor-key-0001' })).status).toBe(200);
		expect((await emu.create({ prompt: 'x', n: 1 }, { key: 'sk-poor-key-0001' })).status).toBe(402);
	});
});

describe('failed tasks (§3)', () => {
	test('carry error {code, message, type: task_error} and no results', async () => {
		await emu.control('POST', 'faults', {
			times: 2,
			action: { type: 'taskError', code: 'service_error', message: 'GPU on fire' },
		});
		const first = await emu.waitFor((await emu.create({ prompt: 'x' })).json.id);
		const second = await emu.waitFor((await emu.create({ prompt: 'x' })).json.id);
		const third = await emu.waitFor((await emu.create({ prompt: 'x' })).json.id);
		expect(first).toMatchObject({
			status: 'failed',
			error: { code: 'service_error', message: 'GPU on fire', type: 'task_error' },
		});
		expect(first.results).toBeUndefined();
		expect(second.status).toBe('failed');
		expect(third.status).toBe('completed');
	});
});

describe('shapes the node must tolerate (§3)', () => {
	test('a cancelled task (control surface) is terminal, carries request_cancelled and releases its credits', async () => {
		await emu.control('POST', 'config', { taskMs: 600_000 });
		const { json } = await emu.create({ prompt: 'x', n: 2 });
		const cancelled = await emu.control('POST', `tasks/${json.id}/cancel`);
		expect(cancelled).toMatchObject({
			status: 'cancelled',
			error: { code: 'request_cancelled', type: 'task_error' },
		});
		expect((await emu.request('GET', `/v1/tasks/${json.id}`)).json.status).toBe('cancelled');
		expect((await emu.control('GET', 'ledger'))[MASKED]).toMatchObject({ reserved: 0, charged: 0 });
		const again = await emu.request('POST', `/__emulator/tasks/${json.id}/cancel`, { key: null });
		expect(again.status).toBe(409);
	});

	test('lateResults: completed with empty results for a while, then the URLs', async () => {
		await emu.control('POST', 'faults', { action: { type: 'lateResults', ms: 400 } });
		const { json } = await emu.create({ prompt: 'x' });
		const done = await emu.waitFor(json.id);
		expect(done).toMatchObject({ status: 'completed', results: [] });
		await emu.control('POST', 'clock', { advanceMs: 400 });
		expect((await emu.request('GET', `/v1/tasks/${json.id}`)).json.results).toHaveLength(1);
	});
});

describe('auth and access', () => {
	test.each([
		['no header', null],
		['an unknown key', 'sk-nobody'],
	])('401 with %s on every API path', async (_, key) => {
		for (const [method, path] of [
			['GET', '/v1/models'],
			['GET', '/v1/credits'],
			['POST', '/v1/images/generations'],
			['GET', '/v1/tasks/task-unified-1-abcdefgh'],
		]) {
			const body = method === 'POST' ? { model: 'doubao-seedream-4.0', prompt: 'x' } : undefined;
			const { status, json } = await emu.request(method, path, { key, body });
			expect({ path, status, error: json.error }).toEqual({
				path,
				status: 401,
				error: { code: 'unauthorized', message: expect.any(String), type: 'authentication_error' },
			});
		}
		const malformed = await emu.request('GET', '/v1/models', {
			key: null,
			headers: { authorization: `Basic ${KEY}` },
		});
		expect(malformed.status).toBe(401);
	});

	test('403 model_access_denied for a model the key may not use', async () => {
		await emu.control('POST', 'keys', {
			key: 'sk-only-40-key-01',
			models: ['doubao-seedream-4.0'],
		});
		const denied = await emu.create(
			{ prompt: 'x', model: 'doubao-seedream-4.5' },
			{ key: 'sk-only-40-key-01' },
		);
		expect(denied.status).toBe(403);
		expect(denied.json.error).toMatchObject({
			code: 'model_access_denied',
			type: 'permission_error',
		});
		expect((await emu.create({ prompt: 'x' }, { key: 'sk-only-40-key-01' })).status).toBe(200);
	});

	test('task read: 400 invalid_task_id, 404 task_not_found, 403 permission_denied', async () => {
		const bad = await emu.request('GET', '/v1/tasks/abc-123');
		expect(bad.status).toBe(400);
		expect(bad.json.error).toMatchObject({ code: 'invalid_task_id', param: 'task_id' });
		const malformed = await emu.request('GET', '/v1/tasks/%E0%A4%A');
		expect(malformed.json.error).toMatchObject({ code: 'invalid_task_id', param: 'task_id' });
		const missing = await emu.request('GET', '/v1/tasks/task-unified-1757165031-zzzzzzzz');
		expect(missing.status).toBe(404);
		expect(missing.json.error).toMatchObject({ code: 'task_not_found' });
		await emu.control('POST', 'keys', { key: 'sk-other-key-0001' });
		const { json } = await emu.create({ prompt: 'x' });
		const foreign = await emu.request('GET', `/v1/tasks/${json.id}`, { key: 'sk-other-key-0001' });
		expect(foreign.status).toBe(403);
		expect(foreign.json.error).toMatchObject({ code: 'permission_denied' });
	});
});

describe('account (§6)', () => {
	test('GET /v1/models lists the five models', async () => {
		const { status, json } = await emu.request('GET', '/v1/models');
		expect(status).toBe(200);
		expect(json.data.map((/** @type {any} */ m) => m.id)).toEqual([
			'doubao-seedream-4.0',
			'doubao-seedream-4.5',
			'doubao-seedream-5.0-lite',
			'doubao-seedream-5.0-pro',
			'doubao-seedream-5.0-pro-layerize',
		]);
	});
	test('a configured starting balance shows in /v1/credits', async () => {
		await emu.control('POST', 'keys', { key: 'sk-small-key-0001', credits: 12.5 });
		const { json } = await emu.request('GET', '/v1/credits', { key: 'sk-small-key-0001' });
		expect(json.data.token).toEqual({
			remaining_credits: 12.5,
			unlimited_credits: false,
			used_credits: 0,
		});
	});
});

describe('concurrency cap', () => {
	test('beyond maxConcurrentTasks, create answers 429 with Retry-After and reserves nothing', async () => {
		await emu.control('POST', 'config', { maxConcurrentTasks: 1, taskMs: 2500 });
		const first = await emu.create({ prompt: 'x' });
		const second = await emu.create({ prompt: 'x' });
		expect(second.status).toBe(429);
		expect(second.json.error).toMatchObject({
			code: 'rate_limit_exceeded',
			type: 'rate_limit_error',
		});
		expect(second.headers.get('retry-after')).toBe('3');
		expect((await emu.control('GET', 'ledger'))[MASKED].reserved).toBe(1.8);
		await emu.control('POST', 'clock', { advanceMs: 2500 });
		await emu.waitFor(first.json.id);
		expect((await emu.create({ prompt: 'x' })).status).toBe(200);
	});
});

describe('concurrency cap of 0', () => {
	test('refuses every create with Retry-After 1', async () => {
		await emu.control('POST', 'config', { maxConcurrentTasks: 0 });
		const refused = await emu.create({ prompt: 'x' });
		expect([refused.status, refused.headers.get('retry-after')]).toEqual([429, '1']);
	});
});

describe('never echo the full key', () => {
	test('requests, tasks and ledger show masked keys only', async () => {
		const { json } = await emu.create({ prompt: 'x' });
		await emu.waitFor(json.id);
		const dump = JSON.stringify([
			await emu.control('GET', 'requests'),
			await emu.control('GET', 'tasks'),
			await emu.control('GET', 'ledger'),
		]);
		expect(dump).not.toContain(KEY);
		const [entry] = await emu.control('GET', 'requests');
		expect(entry).toMatchObject({
			seq: 1,
			method: 'POST',
			path: '/v1/images/generations',
			key: MASKED,
			status: 200,
			taskId: json.id,
			body: { prompt: 'x' },
			headers: { authorization: `Bearer ${MASKED}` },
		});
	});
});
