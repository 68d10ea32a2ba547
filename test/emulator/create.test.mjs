// @ts-check
// docs/evolink-api.md §2 and §9: every create rule at its boundary, the 200 task object, the §5 error body, Idempotency-Key.
import { describe, expect, test } from '@jest/globals';
import { useEmulator } from './helpers.mjs';
import { CALLBACK_URL_MAX_CHARS } from '../../emulator/limits.mjs';
import { MODEL_RULES } from '../../emulator/models.mjs';

const PROMPT_MAX_CHARS = MODEL_RULES['doubao-seedream-4.0'].prompt.maxChars;

// Tasks never finish here: these tests are about what the create call accepts.
const emu = useEmulator({ taskMs: 600_000 });

const ok = { prompt: 'a lighthouse at dusk' };
const urls = (/** @type {number} */ count) =>
	Array.from({ length: count }, (_, i) => `https://example.com/ref-${i}.png`);

describe('the task object (200, not 201)', () => {
	test('has the documented shape, an id of the documented form and x-request-id', async () => {
		const before = Math.floor(Date.now() / 1000);
		const { status, json, headers } = await emu.create({ ...ok, n: 3 });
		expect(status).toBe(200);
		expect(headers.get('x-request-id')).toMatch(/^req-[0-9a-f]{16}$/);
		expect(json.id).toMatch(/^task-unified-\d{10}-[a-z0-9]{8}$/);
		expect(Number(json.id.split('-')[2])).toBe(json.created);
		expect(json.created).toBeGreaterThanOrEqual(before);
		expect(json).toMatchObject({
			model: 'doubao-seedream-4.0',
			object: 'image.generation.task',
			progress: 0,
			status: 'pending',
			type: 'image',
			task_info: { can_cancel: true },
			usage: { billing_rule: 'per_call', credits_reserved: 5.4, user_group: 'default' },
		});
		expect(json.task_info.estimated_time).toBeGreaterThanOrEqual(1);
		expect(json.results).toBeUndefined();
	});

	test('every response has x-request-id, errors and unknown routes too', async () => {
		for (const response of [
			await emu.request('GET', '/v1/models'),
			await emu.create({ prompt: '' }),
			await emu.request('GET', '/v1/nothing'),
			await emu.request('GET', '/v1/models', { key: null }),
		]) {
			expect(response.headers.get('x-request-id')).toMatch(/^req-/);
		}
	});
});

const rejects = (
	/** @type {Record<string, unknown>} */ body,
	/** @type {string} */ param,
	fragment = '',
) => emu.rejects(body, param, fragment);
const accepts = (/** @type {Record<string, unknown>} */ body) => emu.accepts(body);

describe('model', () => {
	test('is required and one of the two models', async () => {
		await rejects({ ...ok, model: undefined }, 'model', 'doubao-seedream-4.0');
		await rejects({ ...ok, model: 'doubao-seedream-3.0' }, 'model', 'doubao-seedream-4.5');
		await accepts({ ...ok, model: 'doubao-seedream-4.5' });
	});
});

describe('prompt: non-empty, at most 2000 characters', () => {
	test.each([
		['missing', undefined],
		['empty', ''],
		['blank', '   '],
		['not a string', 42],
	])('%s → 400', (_, prompt) => rejects({ prompt }, 'prompt', String(PROMPT_MAX_CHARS)));
	test('2000 characters pass, 2001 do not', async () => {
		await accepts({ prompt: 'a'.repeat(2000) });
		await rejects({ prompt: 'a'.repeat(2001) }, 'prompt', '2000');
	});
	test('characters are counted as code points (2000 emoji pass)', () =>
		accepts({ prompt: '🌊'.repeat(2000) }));
});

describe('n: integer 1-15, default 1', () => {
	test.each([0, 16, 1.5, '2', -1])('n = %p → 400', (n) => rejects({ ...ok, n }, 'n', '1 to 15'));
	test.each([1, 15])('n = %p is accepted and reserves n × 1.8', async (n) => {
		const task = await accepts({ ...ok, n });
		expect(task.usage.credits_reserved).toBe(Math.round(n * 180) / 100);
	});
	test('default 1', async () => expect((await accepts(ok)).usage.credits_reserved).toBe(1.8));
});

describe('size', () => {
	// Every listed size of §2 (presets and ratios), typed again from the spec.
	test.each('1K 2K 4K auto 1:1 2:3 3:2 3:4 4:3 4:5 5:4 9:16 16:9 21:9 9:21'.split(' '))(
		'%s is accepted',
		(size) => accepts({ ...ok, size }),
	);
	test.each([
		['1280x720', true], // area 921600, the minimum
		['1279x720', false],
		['4096x4096', true], // area 16777216, the maximum
		['4096x4097', false],
		['3840x240', true], // W/H = 16 exactly
		['3856x240', false], // W/H > 16
		['240x3840', true], // W/H = 1/16 exactly
		['240x3856', false],
	])('%s accepted: %p', async (size, allowed) => {
		if (allowed) await accepts({ ...ok, size });
		else await rejects({ ...ok, size }, 'size', size);
	});
	test('the area message names the allowed range', () =>
		rejects({ ...ok, size: '1000x900' }, 'size', '921600'));
	test('the aspect message names the allowed range', () =>
		rejects({ ...ok, size: '4000x240' }, 'size', '1/16 to 16'));
	test.each(['banana', '2k', '3:1', '2048', 'x', 2048])('%p → 400', (size) =>
		rejects({ ...ok, size }, 'size'),
	);
	// docs/evolink-api.md §2 documents WxH with a lowercase x only.
	test.each(['2048*2048', '2048X2048', '2048×2048', ' 2048x2048'])(
		'%p, a form the docs do not list, → 400',
		(size) => rejects({ ...ok, size }, 'size', 'WxH'),
	);
});

describe('quality: 1K/2K/4K, only with a ratio size', () => {
	test.each(['1K', '2K', '4K'])('%s with 16:9 is accepted', (quality) =>
		accepts({ ...ok, size: '16:9', quality }),
	);
	test('with auto is accepted', () => accepts({ ...ok, size: 'auto', quality: '4K' }));
	test.each([
		['pixels', '2048x2048'],
		['a preset', '2K'],
		['no size at all', undefined],
	])('with %s → 400 naming quality', (_, size) =>
		rejects({ ...ok, size, quality: '2K' }, 'quality', 'ratio'),
	);
	test('an unknown quality → 400', () =>
		rejects({ ...ok, size: '1:1', quality: '8K' }, 'quality', '1K, 2K, 4K'));
});

describe('doubao-seedream-4.5', () => {
	const m45 = { ...ok, model: 'doubao-seedream-4.5' };
	test('quality 1K → 400, 2K and 4K pass', async () => {
		await rejects({ ...m45, size: '1:1', quality: '1K' }, 'quality', '2K, 4K');
		await accepts({ ...m45, size: '1:1', quality: '2K' });
		await accepts({ ...m45, size: '1:1', quality: '4K' });
	});
	test('prompt_priority fast → 400, standard passes (4.0 accepts fast)', async () => {
		await rejects({ ...m45, prompt_priority: 'fast' }, 'prompt_priority', 'standard');
		await accepts({ ...m45, prompt_priority: 'standard' });
		await accepts({ ...ok, prompt_priority: 'fast' });
	});
	test('quality without a ratio is refused for 4.5 too', () =>
		rejects({ ...m45, size: '4K', quality: '4K' }, 'quality'));
	test('size 1K, 1024x1024 and 2559x1440 → 400 (pixels from 3 686 400); 2K, 4K and 2560x1440 pass', async () => {
		await rejects({ ...m45, size: '1K' }, 'size', '2K, 4K');
		await rejects({ ...m45, size: '1024x1024' }, 'size', '3686400');
		await rejects({ ...m45, size: '2559x1440' }, 'size', '3686400');
		for (const size of ['2K', '4K', '2560x1440']) await accepts({ ...m45, size });
	});
});

describe('prompt_priority', () => {
	test('an unknown value → 400', () =>
		rejects({ ...ok, prompt_priority: 'slow' }, 'prompt_priority', 'standard, fast'));
});

describe('image_urls: at most 14 URLs', () => {
	test('14 pass, 15 → 400 naming the limit', async () => {
		await accepts({ ...ok, image_urls: urls(14) });
		await rejects({ ...ok, image_urls: urls(15) }, 'image_urls', '14');
	});
	test.each([['not a url'], ['ftp://example.com/a.png'], [''], [42]])('%p → 400 at submit', (url) =>
		rejects(
			{ ...ok, image_urls: ['https://example.com/ok.png', url] },
			'image_urls',
			'image_urls[1]',
		),
	);
	test('not an array → 400', () =>
		rejects({ ...ok, image_urls: 'https://example.com/a.png' }, 'image_urls'));
	test('references + n over 15 is accepted (the service clamps, §9)', async () => {
		const task = await accepts({ ...ok, n: 15, image_urls: urls(14) });
		expect(task.usage.credits_reserved).toBe(27);
	});
});

describe('callback_url: https, not internal, at most 2048 characters', () => {
	const long = (/** @type {number} */ length) => {
		const base = 'https://hooks.example.com/cb?t=';
		return base + 'x'.repeat(length - base.length);
	};
	test.each([
		'http://hooks.example.com/cb',
		'https://127.0.0.1/cb',
		'https://127.8.9.10/cb',
		'https://localhost/cb',
		'https://LOCALHOST:8443/cb',
		'https://10.0.0.1/cb',
		'https://172.16.0.1/cb',
		'https://172.31.255.255/cb',
		'https://192.168.1.10/cb',
		'https://[::1]/cb',
		'https://[fd12:3456::1]/cb',
		'https://169.254.169.254/latest',
		'not a url',
		42,
	])('%p → 400 naming callback_url', (callback_url) =>
		rejects({ ...ok, callback_url }, 'callback_url'),
	);
	test.each([
		'https://hooks.example.com/cb',
		'https://172.15.0.1/cb',
		'https://172.32.0.1/cb',
		'https://11.0.0.1/cb',
		'https://fcbarcelona.example/cb',
	])('%p is accepted', (callback_url) => accepts({ ...ok, callback_url }));
	test(`${CALLBACK_URL_MAX_CHARS} characters pass, ${CALLBACK_URL_MAX_CHARS + 1} do not`, async () => {
		await accepts({ ...ok, callback_url: long(2048) });
		await rejects({ ...ok, callback_url: long(2049) }, 'callback_url', '2048');
	});
	test('allowInsecureCallbacks admits http(s) to 127.0.0.1/localhost only', async () => {
		await rejects({ ...ok, callback_url: 'http://127.0.0.1:9/cb' }, 'callback_url');
		await emu.control('POST', 'config', { allowInsecureCallbacks: true });
		await accepts({ ...ok, callback_url: 'http://127.0.0.1:9/cb' });
		await accepts({ ...ok, callback_url: 'http://localhost:9/cb' });
		await rejects({ ...ok, callback_url: 'http://hooks.example.com/cb' }, 'callback_url', 'HTTPS');
		await rejects({ ...ok, callback_url: 'https://192.168.1.1/cb' }, 'callback_url', 'internal');
	});
});

describe('request body', () => {
	test.each([['{not json'], ['[1,2]'], ['null']])('%p → 400 invalid_request', async (body) => {
		const { status, json } = await emu.request('POST', '/v1/images/generations', { body });
		expect(status).toBe(400);
		expect(json.error).toMatchObject({ code: 'invalid_request', type: 'invalid_request_error' });
	});
	test('unknown fields are accepted, ignored and listed by /__emulator/ignored-fields', async () => {
		const task = await accepts({ ...ok, seed: 7, watermark: false });
		expect(await emu.control('GET', 'ignored-fields')).toEqual([
			expect.objectContaining({
				model: 'doubao-seedream-4.0',
				status: 200,
				taskId: task.id,
				fields: ['seed', 'watermark'],
			}),
		]);
	});
	test('a body that is not JSON is logged as text', async () => {
		await emu.request('POST', '/v1/images/generations', { body: '{"prompt": oops' });
		const [entry] = await emu.control('GET', 'requests');
		expect(entry).toMatchObject({ status: 400, body: '{"prompt": oops' });
	});
});

describe('Idempotency-Key', () => {
	const withKey = (/** @type {string} */ key) =>
		emu.create(ok, { headers: { 'idempotency-key': key } });
	test.each([
		['15 characters', 'a'.repeat(15)],
		['97 characters', 'a'.repeat(97)],
		['a forbidden character', 'abcdefghijklmno!'],
	])('%s → 400 naming Idempotency-Key', async (_, key) => {
		const { status, json } = await withKey(key);
		expect(status).toBe(400);
		expect(json.error.param).toBe('Idempotency-Key');
		expect(json.error.message).toContain('16-96');
	});
	test.each([
		['16', 'a'.repeat(16)],
		['96', 'A._-'.repeat(24)],
	])('%s characters pass', async (_, key) => {
		expect((await withKey(key)).status).toBe(200);
	});
	test('a repeat returns the first task, says so in a header and bills once', async () => {
		const first = await withKey('order-0001-abcdefgh');
		const again = await withKey('order-0001-abcdefgh');
		expect(first.headers.get('idempotency-replayed')).toBeNull();
		expect(again.headers.get('idempotency-replayed')).toBe('true');
		expect(again.json.id).toBe(first.json.id);
		const tasks = await emu.control('GET', 'tasks');
		expect(tasks).toHaveLength(1);
		const ledger = await emu.control('GET', 'ledger');
		expect(ledger['sk-e…demo'].reserved).toBe(1.8);
		expect(
			ledger['sk-e…demo'].entries.filter((/** @type {any} */ e) => e.type === 'reserve'),
		).toHaveLength(1);
	});
	test('the same key on another API key is another task', async () => {
		await emu.control('POST', 'keys', { key: 'sk-second-key-0002' });
		const first = await withKey('shared-key-abcdefghij');
		const other = await emu.create(ok, {
			key: 'sk-second-key-0002',
			headers: { 'idempotency-key': 'shared-key-abcdefghij' },
		});
		expect(other.json.id).not.toBe(first.json.id);
		expect(other.headers.get('idempotency-replayed')).toBeNull();
	});
});
