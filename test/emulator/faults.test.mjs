// @ts-check
// docs/evolink-api.md §8: injected faults (status with Retry-After, drop, delay, malformed JSON, task errors) and the control surface.
import { describe, expect, test } from '@jest/globals';
import { useEmulator } from './helpers.mjs';

const emu = useEmulator({ taskMs: 0 });

const fault = (/** @type {Record<string, unknown>} */ body) => emu.control('POST', 'faults', body);

describe('status faults', () => {
	test('429 with Retry-After, `times` times, on the matching method and path only', async () => {
		await fault({
			method: 'POST',
			path: '/v1/images/generations',
			times: 2,
			action: { type: 'status', status: 429, retryAfter: 7 },
		});
		expect((await emu.request('GET', '/v1/models')).status).toBe(200);
		for (let i = 0; i < 2; i++) {
			const { status, headers, json } = await emu.create({ prompt: 'x' });
			expect(status).toBe(429);
			expect(headers.get('retry-after')).toBe('7');
			expect(headers.get('x-request-id')).toMatch(/^req-/);
			expect(json.error).toMatchObject({ code: 'rate_limit_exceeded', type: 'rate_limit_error' });
		}
		expect((await emu.create({ prompt: 'x' })).status).toBe(200);
		const log = await emu.control('GET', 'requests');
		expect(log.map((/** @type {any} */ r) => [r.status, r.fault ?? null])).toEqual([
			[200, null],
			[429, 'status'],
			[429, 'status'],
			[200, null],
		]);
		// Nothing was created or reserved by the refused calls.
		expect(await emu.control('GET', 'tasks')).toHaveLength(1);
	});

	test.each([
		[500, 'internal_error'],
		[502, 'bad_gateway'],
		[503, 'service_unavailable'],
	])('%i answers the §5 body', async (status, code) => {
		await fault({ path: '/v1/tasks/', action: { type: 'status', status } });
		const response = await emu.request('GET', '/v1/tasks/task-unified-1-abcdefgh');
		expect(response.status).toBe(status);
		expect(response.json.error).toMatchObject({ code, type: 'api_error' });
	});

	test('a custom body is sent as given (e.g. an integer code, older form)', async () => {
		const body = { error: { code: 503, message: 'upstream busy', type: '' } };
		await fault({ action: { type: 'status', status: 503, body } });
		expect((await emu.request('GET', '/v1/models')).json).toEqual(body);
	});

	test('faults apply to content downloads too', async () => {
		const { json } = await emu.create({ prompt: 'x', size: '1280x720' });
		const task = await emu.waitFor(json.id);
		await fault({ path: '/content/', action: { type: 'status', status: 503 } });
		expect((await fetch(task.results[0])).status).toBe(503);
		expect((await fetch(task.results[0])).status).toBe(200);
	});
});

describe('connection faults', () => {
	test('drop destroys the socket without an answer', async () => {
		await fault({ path: '/v1/models', action: { type: 'drop' } });
		await expect(emu.request('GET', '/v1/models')).rejects.toThrow();
		expect((await emu.request('GET', '/v1/models')).status).toBe(200);
		const [dropped] = await emu.control('GET', 'requests');
		expect(dropped).toMatchObject({ fault: 'drop', status: null });
	});

	test('delay answers normally after the delay', async () => {
		await fault({ action: { type: 'delay', ms: 300 } });
		const started = Date.now();
		const { status } = await emu.request('GET', '/v1/models');
		expect(status).toBe(200);
		expect(Date.now() - started).toBeGreaterThanOrEqual(290);
	});

	test('malformed answers 200 with broken JSON', async () => {
		await fault({ action: { type: 'malformed' } });
		const { status, text, headers } = await emu.create({ prompt: 'x' });
		expect(status).toBe(200);
		expect(headers.get('content-type')).toContain('application/json');
		expect(() => JSON.parse(text)).toThrow();
	});
});

describe('fault management', () => {
	test('DELETE clears faults; GET lists them', async () => {
		await fault({ times: 5, action: { type: 'status', status: 500 } });
		expect(await emu.control('GET', 'faults')).toHaveLength(1);
		await emu.control('DELETE', 'faults');
		expect((await emu.request('GET', '/v1/models')).status).toBe(200);
	});
	test.each([
		[{ action: { type: 'explode' } }],
		[{ action: { type: 'status', status: 42 } }],
		[{ action: { type: 'taskError' } }],
		[{ times: 'twice', action: { type: 'drop' } }],
		[{ times: 0, action: { type: 'drop' } }],
		[{}],
	])('an invalid fault %j → 400', async (body) => {
		const { status } = await emu.request('POST', '/__emulator/faults', { body, key: null });
		expect(status).toBe(400);
	});
	test('control requests are not recorded, and faults never touch them', async () => {
		await fault({ action: { type: 'status', status: 500 } });
		expect(await emu.control('GET', 'config')).toMatchObject({ taskMs: 0 });
		expect(await emu.control('GET', 'requests')).toEqual([]);
	});
});

describe('config, keys and reset', () => {
	test('config starts at the documented defaults and refuses unknown or invalid fields', async () => {
		expect(await emu.control('GET', 'config')).toEqual({
			taskMs: 0,
			taskMsQueue: [],
			maxConcurrentTasks: null,
			allowInsecureCallbacks: false,
			callbackTimeoutMs: 10000,
			callbackRetryDelaysMs: [1000, 2000, 4000],
			// docs/evolink-api.md §7 (update of 2026-12-04): 100 files per key by default.
			maxFiles: 100,
			// docs/evolink-seedream-5.md §7: 2 layers without <bbox> tags; the emulator's prices.
			layerizeLayers: 2,
			// null: the documented 120 s estimate of a layerize task.
			layerizeEstimatedSeconds: null,
			prices: {
				'doubao-seedream-4.0': { perImage: 1.8 },
				'doubao-seedream-4.5': { perImage: 1.8 },
				'doubao-seedream-5.0-lite': { perImage: 2.2, webSearch: 0.5 },
				'doubao-seedream-5.0-pro': { perImage: 2.304 },
				'doubao-seedream-5.0-pro-layerize': { perImage: 2.304, reserveImages: 17 },
			},
		});
		for (const body of [
			{ layerizeLayers: 17 },
			{ layerizeLayers: -1 },
			{ layerizeEstimatedSeconds: 0 },
			{ layerizeEstimatedSeconds: 1.5 },
			{ prices: { 'doubao-seedream-9': { perImage: 1 } } },
			{ prices: { 'doubao-seedream-5.0-pro': { perImage: -1 } } },
			{ prices: { 'doubao-seedream-5.0-pro': { perPixel: 1 } } },
			{ taskMS: 5 },
			{ toString: 1 },
			{ constructor: 2 },
			{ taskMs: -1 },
			{ maxConcurrentTasks: 1.5 },
			{ callbackRetryDelaysMs: 'soon' },
		]) {
			expect((await emu.request('POST', '/__emulator/config', { body, key: null })).status).toBe(
				400,
			);
		}
	});

	test('reset clears tasks, logs, faults, keys, clock and config', async () => {
		await emu.control('POST', 'keys', { key: 'sk-temporary-0001', credits: 3 });
		await emu.control('POST', 'config', { taskMs: 999, maxConcurrentTasks: 3 });
		await emu.control('POST', 'clock', { advanceMs: 5000 });
		await fault({ times: 9, action: { type: 'delay', ms: 1 } });
		await emu.create({ prompt: 'x' });
		await emu.control('POST', 'reset');
		expect(await emu.control('GET', 'tasks')).toEqual([]);
		expect(await emu.control('GET', 'requests')).toEqual([]);
		expect(await emu.control('GET', 'faults')).toEqual([]);
		expect(await emu.control('GET', 'clock')).toMatchObject({ offsetMs: 0 });
		expect(await emu.control('GET', 'config')).toMatchObject({
			taskMs: 0,
			maxConcurrentTasks: null,
		});
		expect(Object.keys(await emu.control('GET', 'ledger'))).toEqual(['sk-e…demo']);
		expect((await emu.request('GET', '/v1/models', { key: 'sk-temporary-0001' })).status).toBe(401);
	});

	test('unknown control and API paths are 404 in the §5 shape', async () => {
		const control = await emu.request('GET', '/__emulator/nothing', { key: null });
		expect(control.status).toBe(404);
		const api = await emu.request('GET', '/v1/nothing');
		expect(api.json.error).toMatchObject({ code: 'not_found' });
		const wrongMethod = await emu.request('DELETE', '/v1/models');
		expect(wrongMethod.status).toBe(405);
	});
});
