// @ts-check
// docs/evolink-seedream-5.md §1-§5 and §7: what the create call of each 5.0 model accepts and refuses (400
// invalid_request naming the field), at every boundary; fields a model does not list are accepted and logged.
import { describe, expect, test } from '@jest/globals';
import { useEmulator } from './helpers.mjs';

// Tasks never finish here: these tests are about what the create call accepts.
const emu = useEmulator({ taskMs: 600_000 });

const LITE = 'doubao-seedream-5.0-lite';
const PRO = 'doubao-seedream-5.0-pro';
const LAYERIZE = 'doubao-seedream-5.0-pro-layerize';
const urls = (/** @type {number} */ count) =>
	Array.from({ length: count }, (_, i) => `https://example.com/ref-${i}.png`);
const lite = { model: LITE, prompt: 'a lighthouse at dusk' };
const pro = { model: PRO, prompt: 'a lighthouse at dusk' };
const layerize = { model: LAYERIZE, image_urls: urls(1) };

const rejects = (
	/** @type {Record<string, unknown>} */ body,
	/** @type {string} */ param,
	fragment = '',
) => emu.rejects(body, param, fragment);
const accepts = (/** @type {Record<string, unknown>} */ body) => emu.accepts(body);
/** The fields the emulator logged as ignored for the last create. */
const ignoredFields = async () => (await emu.control('GET', 'ignored-fields')).at(-1)?.fields ?? [];
/** The internal view of the only task. */
const onlyTask = async () => (await emu.control('GET', 'tasks'))[0];

// "a prompt of N English words" and "N Chinese characters" for the 4000-token estimate of §7.
const words = (/** @type {number} */ count) => Array(count).fill('word').join(' ');
const han = (/** @type {number} */ count) => '山'.repeat(count);

describe('every 5.0 model: the create answer is the 4.x task object (§1)', () => {
	test.each([
		[LITE, lite],
		[PRO, pro],
		[LAYERIZE, layerize],
	])('%s: 200 with the task object', async (model, body) => {
		const task = await accepts(body);
		expect(task).toMatchObject({
			model,
			object: 'image.generation.task',
			status: 'pending',
			type: 'image',
		});
		expect(task.id).toMatch(/^task-unified-\d{10}-[a-z0-9]{8}$/);
	});
});

describe(`${LITE} (§2)`, () => {
	test('prompt: 2000 characters pass, 2001 → 400, missing → 400', async () => {
		await accepts({ ...lite, prompt: 'a'.repeat(2000) });
		await rejects({ ...lite, prompt: 'a'.repeat(2001) }, 'prompt', '2000');
		await rejects({ ...lite, prompt: undefined }, 'prompt');
	});
	test.each([1, 15])('n = %p is accepted and reserves n × 2.2', async (n) => {
		expect((await accepts({ ...lite, n })).usage.credits_reserved).toBe(
			Math.round(n * 2200) / 1000,
		);
	});
	test.each([0, 16, 1.5])('n = %p → 400 naming n', (n) => rejects({ ...lite, n }, 'n', '1 to 15'));
	test('n defaults to 1 (§7): 2.2 reserved', async () =>
		expect((await accepts(lite)).usage.credits_reserved).toBe(2.2));
	test.each('auto 1:1 2:3 3:2 3:4 4:3 4:5 5:4 9:16 16:9 21:9 9:21'.split(' '))(
		'size %s is accepted',
		(size) => accepts({ ...lite, size }),
	);
	test.each([
		['2560x1440', true], // 3 686 400 px, the minimum
		['2559x1440', false],
		['4096x4096', true], // 16 777 216 px, the maximum
		['4096x4097', false],
		['7680x480', true], // W/H = 16 at the minimum area
		['7696x480', false], // W/H > 16
		['480x7680', true], // W/H = 1/16
		['480x7696', false],
	])('size %s accepted: %p', async (size, allowed) => {
		if (allowed) await accepts({ ...lite, size });
		else await rejects({ ...lite, size }, 'size', size);
	});
	test("the area message names Lite's range", () =>
		rejects({ ...lite, size: '1920x1080' }, 'size', '3686400'));
	test.each(['1K', '1.5K', '2K', '3K', '4K'])(
		'a tier string as size (%s) → 400 naming size (§5, §7)',
		(size) => rejects({ ...lite, size }, 'size', 'quality tier'),
	);
	test.each(['2048*2048', '2560X1440'])('size %s (not the documented WxH) → 400', (size) =>
		rejects({ ...lite, size }, 'size', 'WxH'),
	);
	test.each(['2K', '3K', '4K'])('quality %s is accepted with a ratio', (quality) =>
		accepts({ ...lite, size: '16:9', quality }),
	);
	test.each(['1K', '1.5K', '8K'])('quality %s → 400 naming quality', (quality) =>
		rejects({ ...lite, size: '1:1', quality }, 'quality', '2K, 3K, 4K'),
	);
	test('quality with pixels → 400; quality without size is accepted (the default size is auto)', async () => {
		await rejects({ ...lite, size: '2560x1440', quality: '2K' }, 'quality', 'ratio');
		await accepts({ ...lite, quality: '3K' });
	});
	test('prompt_priority standard passes, fast → 400 (§5)', async () => {
		await accepts({ ...lite, prompt_priority: 'standard' });
		await rejects({ ...lite, prompt_priority: 'fast' }, 'prompt_priority', 'standard');
	});
	test('image_urls: 14 pass, 15 → 400', async () => {
		await accepts({ ...lite, image_urls: urls(14) });
		await rejects({ ...lite, image_urls: urls(15) }, 'image_urls', '14');
	});
	test.each(['png', 'jpeg'])(
		'model_params.output_format %s is accepted and used',
		async (format) => {
			await accepts({ ...lite, model_params: { output_format: format } });
			expect((await onlyTask()).outputFormat).toBe(format);
			expect(await ignoredFields()).toEqual([]);
		},
	);
	test.each(['jpg', 'webp', 'PNG', 1])('model_params.output_format %p → 400 naming it', (format) =>
		rejects(
			{ ...lite, model_params: { output_format: format } },
			'model_params.output_format',
			'png, jpeg',
		),
	);
	test('output_format defaults to jpeg', async () => {
		await accepts(lite);
		expect((await onlyTask()).outputFormat).toBe('jpeg');
	});
	test("a top-level output_format (not Lite's place) is accepted, used, and logged (§7)", async () => {
		await accepts({ ...lite, output_format: 'png' });
		expect((await onlyTask()).outputFormat).toBe('png');
		expect(await ignoredFields()).toEqual(['output_format']);
	});
	test('both places set: model_params (the documented one) wins (§7)', async () => {
		await accepts({ ...lite, output_format: 'png', model_params: { output_format: 'jpeg' } });
		expect((await onlyTask()).outputFormat).toBe('jpeg');
	});
	test('model_params.tools [{type: web_search}] is accepted and reserves 0.5 more (§2, §7)', async () => {
		const task = await accepts({
			...lite,
			n: 2,
			model_params: { tools: [{ type: 'web_search' }] },
		});
		expect(task.usage.credits_reserved).toBe(4.9);
		expect((await onlyTask()).webSearch).toBe(true);
	});
	test('model_params.tools [] is accepted as off', async () => {
		expect((await accepts({ ...lite, model_params: { tools: [] } })).usage.credits_reserved).toBe(
			2.2,
		);
	});
	test.each([
		['another tool', [{ type: 'code_interpreter' }]],
		['a string', 'web_search'],
		['the tool twice', [{ type: 'web_search' }, { type: 'web_search' }]],
		['a bare string in the list', ['web_search']],
	])('model_params.tools as %s → 400 naming it', (_, tools) =>
		rejects({ ...lite, model_params: { tools } }, 'model_params.tools', 'web_search'),
	);
	test('model_params that is not an object → 400', () =>
		rejects({ ...lite, model_params: 'png' }, 'model_params'));
	test('watermark, background and seed (not in Lite) are accepted, ignored and logged (§2 "Not in L", §7)', async () => {
		await accepts({
			...lite,
			watermark: true,
			background: 'transparent',
			seed: 42,
			model_params: { quality: 'x' },
		});
		expect(await ignoredFields()).toEqual([
			'watermark',
			'background',
			'seed',
			'model_params.quality',
		]);
		expect(await onlyTask()).toMatchObject({ watermark: false, background: 'opaque' });
	});
});

describe(`${PRO} (§3)`, () => {
	test('prompt: 5000 English words (4000 tokens) pass, 5001 → 400 (§7 estimate)', async () => {
		await accepts({ ...pro, prompt: words(5000) });
		await rejects({ ...pro, prompt: words(5001) }, 'prompt', '4000 tokens');
	});
	test('prompt: 2597 Chinese characters pass (3999.38 tokens), 2598 → 400 (4000.92)', async () => {
		await accepts({ ...pro, prompt: han(2597) });
		await rejects({ ...pro, prompt: han(2598) }, 'prompt', '4000 tokens');
	});
	test('prompt: CJK and other words add up (2500 characters + 188 words = 4000.4 tokens → 400)', async () => {
		await accepts({ ...pro, prompt: `${han(2500)} ${words(187)}` });
		await rejects({ ...pro, prompt: `${han(2500)} ${words(188)}` }, 'prompt');
	});
	test('prompt: more than 2000 characters is fine on Pro (tokens, not characters)', () =>
		accepts({ ...pro, prompt: words(1000) }));
	test('prompt: missing or blank → 400', async () => {
		await rejects({ ...pro, prompt: undefined }, 'prompt');
		await rejects({ ...pro, prompt: '  ' }, 'prompt');
	});
	test('n: absent is fine; 1 is accepted and logged; 2 → 400 naming n (§3, §7)', async () => {
		await accepts(pro);
		expect(await emu.control('GET', 'ignored-fields')).toEqual([]);
		await accepts({ ...pro, n: 1 });
		expect(await ignoredFields()).toEqual(['n']);
		await rejects({ ...pro, n: 2 }, 'n', 'one image per task');
		await rejects({ ...pro, n: 0 }, 'n');
	});
	test.each('auto 1:1 2:3 3:2 3:4 4:3 4:5 5:4 9:16 16:9 21:9 9:21'.split(' '))(
		'size %s is accepted',
		(size) => accepts({ ...pro, size }),
	);
	test.each([
		['1280x720', true], // 921 600 px, the minimum
		['1279x720', false],
		['1634x2830', true], // 4 624 220 px, the maximum
		['1634x2831', false],
		['3840x240', true], // W/H = 16 at the minimum area
		['3856x240', false],
		['240x3840', true],
		['240x3856', false],
	])('size %s accepted: %p', async (size, allowed) => {
		if (allowed) await accepts({ ...pro, size });
		else await rejects({ ...pro, size }, 'size', size);
	});
	test("the area message names Pro's range", () =>
		rejects({ ...pro, size: '4096x4096' }, 'size', '4624220'));
	test.each(['1K', '1.5K', '2K', '4K'])('a tier string as size (%s) → 400 naming size', (size) =>
		rejects({ ...pro, size }, 'size', 'quality tier'),
	);
	test.each(['1K', '1.5K', '2K'])('quality %s is accepted', (quality) =>
		accepts({ ...pro, size: '1:1', quality }),
	);
	test.each(['3K', '4K', 'auto'])('quality %s → 400 naming quality', (quality) =>
		rejects({ ...pro, size: '1:1', quality }, 'quality', '1K, 1.5K, 2K'),
	);
	test('prompt_priority standard and fast pass, another → 400', async () => {
		await accepts({ ...pro, prompt_priority: 'standard' });
		await accepts({ ...pro, prompt_priority: 'fast' });
		await rejects({ ...pro, prompt_priority: 'slow' }, 'prompt_priority', 'standard, fast');
	});
	test('image_urls: 10 pass, 11 → 400', async () => {
		await accepts({ ...pro, image_urls: urls(10) });
		await rejects({ ...pro, image_urls: urls(11) }, 'image_urls', 'at most 10');
	});
	test.each(['png', 'jpeg'])(
		'output_format %s (top level) is accepted and used',
		async (format) => {
			await accepts({ ...pro, output_format: format });
			expect((await onlyTask()).outputFormat).toBe(format);
			expect(await ignoredFields()).toEqual([]);
		},
	);
	test.each(['jpg', 'webp', true])('output_format %p → 400 naming it', (format) =>
		rejects({ ...pro, output_format: format }, 'output_format', 'png, jpeg'),
	);
	test('output_format defaults to jpeg', async () => {
		await accepts(pro);
		expect((await onlyTask()).outputFormat).toBe('jpeg');
	});
	test('model_params.output_format (the old place) is accepted, used, and logged (§7)', async () => {
		await accepts({ ...pro, model_params: { output_format: 'png' } });
		expect((await onlyTask()).outputFormat).toBe('png');
		expect(await ignoredFields()).toEqual(['model_params.output_format']);
	});
	test('both places set: the top level (the documented one) wins (§7)', async () => {
		await accepts({ ...pro, output_format: 'jpeg', model_params: { output_format: 'png' } });
		expect((await onlyTask()).outputFormat).toBe('jpeg');
	});
	test('model_params.tools (not at HEAD on Pro) is ignored and logged: no web-search charge', async () => {
		const task = await accepts({ ...pro, model_params: { tools: [{ type: 'web_search' }] } });
		expect(task.usage.credits_reserved).toBe(2.304);
		expect(await ignoredFields()).toEqual(['model_params.tools']);
	});
	test('watermark true and false pass, a non-boolean → 400', async () => {
		await accepts({ ...pro, watermark: true });
		expect((await onlyTask()).watermark).toBe(true);
		await accepts({ ...pro, watermark: false });
		await rejects({ ...pro, watermark: 'yes' }, 'watermark', 'true or false');
	});
	test('background opaque passes, an unknown value → 400', async () => {
		await accepts({ ...pro, background: 'opaque' });
		await rejects({ ...pro, background: 'none' }, 'background', 'opaque, transparent');
	});
	test('background transparent with exactly one reference passes; 0 or 2 → 400 naming background (§7)', async () => {
		await accepts({ ...pro, background: 'transparent', image_urls: urls(1) });
		await rejects({ ...pro, background: 'transparent' }, 'background', 'got 0');
		await rejects(
			{ ...pro, background: 'transparent', image_urls: urls(2) },
			'background',
			'got 2',
		);
	});
	test('background transparent with output_format jpeg → 400 (§7); png passes; omitted makes PNG', async () => {
		const one = { ...pro, background: 'transparent', image_urls: urls(1) };
		await rejects({ ...one, output_format: 'jpeg' }, 'background', 'jpeg');
		await rejects({ ...one, model_params: { output_format: 'jpeg' } }, 'background', 'jpeg');
		await accepts({ ...one, output_format: 'png' });
		await emu.control('POST', 'reset');
		await accepts(one);
		expect((await onlyTask()).outputFormat).toBe('png');
	});
	test('a reservation is 2.304 for the one image', async () =>
		expect((await accepts(pro)).usage.credits_reserved).toBe(2.304));
	test('seed (never documented, §1) is accepted and logged', async () => {
		await accepts({ ...pro, seed: 1 });
		expect(await ignoredFields()).toEqual(['seed']);
	});
});

describe(`${LAYERIZE} (§4)`, () => {
	test('image_urls is required: missing, empty or two → 400 naming image_urls; one passes', async () => {
		await rejects({ model: LAYERIZE }, 'image_urls', 'exactly 1');
		await rejects({ model: LAYERIZE, image_urls: [] }, 'image_urls', 'got 0');
		await rejects({ model: LAYERIZE, image_urls: urls(2) }, 'image_urls', 'got 2');
		await accepts(layerize);
	});
	test.each(['auto', '1:1', '1024x1024', '2K'])('any size (%s) → 400 naming size', (size) =>
		rejects({ ...layerize, size }, 'size', 'no size'),
	);
	test.each(['auto', '1K', '1.5K', '2K'])('quality %s is accepted', (quality) =>
		accepts({ ...layerize, quality }),
	);
	test.each(['1:1', '1024x1024', '3K', '4K'])(
		'quality %s (a ratio, pixels or another tier) → 400',
		(quality) => rejects({ ...layerize, quality }, 'quality', 'auto, 1K, 1.5K, 2K'),
	);
	test('prompt is optional: omitted or empty passes; a number → 400', async () => {
		await accepts(layerize);
		await accepts({ ...layerize, prompt: '' });
		await accepts({ ...layerize, prompt: 'split the people from the background' });
		await rejects({ ...layerize, prompt: 7 }, 'prompt');
	});
	test('prompt: 5000 words pass, 5001 → 400 (§7: the Pro estimate applies)', async () => {
		await accepts({ ...layerize, prompt: words(5000) });
		await rejects({ ...layerize, prompt: words(5001) }, 'prompt', '4000 tokens');
	});
	test.each([
		['outside 0-1000', 'logo<bbox>0 0 1001 500</bbox>'],
		['empty (x1 = x2)', 'logo<bbox>300 0 300 500</bbox>'],
		['three numbers', 'logo<bbox>1 2 3</bbox>'],
		['not numbers', 'logo<bbox>a b c d</bbox>'],
	])('a <bbox> %s → 400 naming prompt', (_, prompt) =>
		rejects({ ...layerize, prompt }, 'prompt', '<bbox>'),
	);
	test('n: 1 is accepted and logged, 2 → 400 naming n', async () => {
		await accepts({ ...layerize, n: 1 });
		expect(await ignoredFields()).toEqual(['n']);
		await rejects({ ...layerize, n: 2 }, 'n', '1-17 images by itself');
	});
	test('prompt_priority standard and fast pass, another → 400', async () => {
		await accepts({ ...layerize, prompt_priority: 'fast' });
		await accepts({ ...layerize, prompt_priority: 'standard' });
		await rejects({ ...layerize, prompt_priority: 'turbo' }, 'prompt_priority', 'standard, fast');
	});
	test('output_format png and jpeg pass (default jpeg), another → 400', async () => {
		await accepts({ ...layerize, output_format: 'png' });
		expect((await onlyTask()).outputFormat).toBe('png');
		await rejects({ ...layerize, output_format: 'webp' }, 'output_format', 'png, jpeg');
		await emu.control('POST', 'reset');
		await accepts(layerize);
		expect((await onlyTask()).outputFormat).toBe('jpeg');
	});
	test('watermark, background and model_params (not in the schema, §4) are accepted, unused and logged', async () => {
		await accepts({
			...layerize,
			watermark: true,
			background: 'transparent',
			model_params: { output_format: 'png' },
		});
		expect(await ignoredFields()).toEqual([
			'watermark',
			'background',
			'model_params.output_format',
		]);
		expect(await onlyTask()).toMatchObject({
			outputFormat: 'jpeg',
			watermark: false,
			background: 'opaque',
		});
	});
	test('17 × 2.304 = 39.168 is reserved (§4, §7)', async () =>
		expect((await accepts(layerize)).usage.credits_reserved).toBe(39.168));
});

describe('the ignored-fields log', () => {
	test('records refused requests too, and nothing for a body with only listed fields', async () => {
		await accepts({
			...pro,
			output_format: 'png',
			watermark: true,
			background: 'opaque',
			size: '1:1',
			quality: '2K',
		});
		await accepts({ ...lite, n: 2, model_params: { output_format: 'png', tools: [] } });
		expect(await emu.control('GET', 'ignored-fields')).toEqual([]);
		await rejects({ ...pro, seed: 3, n: 4 }, 'n');
		expect(await emu.control('GET', 'ignored-fields')).toEqual([
			expect.objectContaining({ model: PRO, status: 400, taskId: null, fields: ['seed', 'n'] }),
		]);
	});
});
