// @ts-check
// docs/evolink-seedream-5.md §2, §3, §5, §7: what 5.0 Lite and Pro tasks make (each model's pixel table, auto,
// real JPEG or PNG files of the exact size, Pro's transparent background keeping the reference's alpha), the
// references each model takes, and billing in the ledger.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
	headerImage,
	imageServer,
	padded,
	pngOf,
	pngPixels,
	localServer,
	readJpeg,
	readPng,
	realJpeg,
	rgbaPng,
	sleep,
	useEmulator,
} from './helpers.mjs';

const emu = useEmulator({ taskMs: 0, allowInsecureCallbacks: true });
const LITE = 'doubao-seedream-5.0-lite';
const PRO = 'doubao-seedream-5.0-pro';
const MB = 1024 * 1024;

/** @type {Awaited<ReturnType<typeof imageServer>>} */
let images;
beforeAll(async () => {
	images = await imageServer({
		'/ok.png': await pngOf(64, 48),
		'/wide.jpg': headerImage('jpeg', 1600, 900),
		'/tall.jpg': headerImage('jpeg', 900, 1600),
		'/ok.heic': headerImage('heic', 4032, 3024),
		'/ok.heif': headerImage('heif', 3000, 2000),
		'/ok.tiff': headerImage('tiff', 500, 500),
		'/ok.bmp': headerImage('bmp', 640, 480),
		'/ok.webp': headerImage('webp', 1024, 768),
		'/ok.gif': headerImage('gif', 300, 200),
		'/15.gif': headerImage('gif', 15, 15),
		'/14.gif': headerImage('gif', 14, 100),
		'/6000.jpg': headerImage('jpeg', 6000, 6000),
		'/6001x6000.jpg': headerImage('jpeg', 6001, 6000),
		'/7000x1000.jpg': headerImage('jpeg', 7000, 1000),
		'/16to1.gif': headerImage('gif', 1600, 100),
		'/17to1.gif': headerImage('gif', 1700, 100),
		'/10mb.png': padded(await pngOf(100, 100), 10 * MB),
		'/10mb+1.png': padded(await pngOf(100, 100), 10 * MB + 1),
		'/30mb.png': padded(await pngOf(100, 100), 30 * MB),
		'/30mb+1.png': padded(await pngOf(100, 100), 30 * MB + 1),
		// Left half transparent, right half opaque: the alpha a transparent result must keep.
		'/half-alpha.png': await rgbaPng(64, 32, (x) => [200, 40, 40, x < 32 ? 0 : 255]),
		'/real.jpg': realJpeg(64, 64),
		// IHDR says Adam7 interlacing, which the emulator's decoder does not read.
		'/interlaced.png': await (async () => {
			const png = Buffer.from(await pngOf(64, 48));
			png[28] = 1;
			return png;
		})(),
	});
});
afterAll(() => images.close());

/** Creates a task, waits for it; returns it with its resolved size and internal view. */
async function made(/** @type {Record<string, unknown>} */ body) {
	const { json, status } = await emu.create({ prompt: 'a kite', ...body });
	expect({ status, error: json.error }).toEqual({ status: 200, error: undefined });
	const done = await emu.waitFor(json.id);
	const internal = (await emu.control('GET', 'tasks')).find(
		(/** @type {any} */ t) => t.id === json.id,
	);
	return { done, internal, size: `${internal.width}x${internal.height}` };
}
const ref = (/** @type {string} */ path) => images.url + path;

/** Downloads a result without a key: status, content type and bytes. */
async function download(/** @type {string} */ url) {
	const response = await fetch(url);
	const bytes = Buffer.from(await response.arrayBuffer());
	expect(response.status).toBe(200);
	return { type: response.headers.get('content-type'), bytes };
}

const ledger = async () =>
	/** @type {any} */ (Object.values(await emu.control('GET', 'ledger'))[0]);

// The tables of §2 and §3, typed again here on purpose: the emulator's copy in models.mjs is what is under test.
/** @type {Record<string, string>} Lite's 3K column (§2) with the transposes. */
const LITE_3K = {
	'1:1': '3072x3072',
	'2:3': '2496x3744',
	'3:2': '3744x2496',
	'3:4': '2592x3456',
	'4:3': '3456x2592',
	'4:5': '2688x3360',
	'5:4': '3360x2688',
	'9:16': '2304x4096',
	'16:9': '4096x2304',
	'21:9': '4704x2016',
	'9:21': '2016x4704',
};
/** @type {Record<string, [string, string]>} Lite's 2K and 4K columns: the 4.0 table's (§2). */
const LITE_2K_4K = {
	'1:1': ['2048x2048', '4096x4096'],
	'16:9': ['2848x1600', '5504x3040'],
	'9:16': ['1600x2848', '3040x5504'],
	'4:3': ['2304x1728', '4704x3520'],
	'3:4': ['1728x2304', '3520x4704'],
	'3:2': ['2496x1664', '4992x3328'],
	'2:3': ['1664x2496', '3328x4992'],
	'4:5': ['1792x2240', '3584x4480'],
	'5:4': ['2240x1792', '4480x3584'],
	'21:9': ['3136x1344', '6240x2656'],
	'9:21': ['1344x3136', '2656x6240'],
};
/** @type {Record<string, [string, string, string]>} Pro's table (§3): 1K / 1.5K / 2K. */
const PRO_TABLE = {
	'1:1': ['1024x1024', '1536x1536', '2048x2048'],
	'2:3': ['832x1248', '1248x1872', '1664x2496'],
	'3:2': ['1248x832', '1872x1248', '2496x1664'],
	'3:4': ['864x1152', '1344x1792', '1776x2368'],
	'4:3': ['1152x864', '1792x1344', '2368x1776'],
	'4:5': ['896x1120', '1344x1680', '1792x2240'],
	'5:4': ['1120x896', '1680x1344', '2240x1792'],
	'9:16': ['800x1424', '1152x2048', '1584x2816'],
	'16:9': ['1424x800', '2048x1152', '2816x1584'],
	'9:21': ['672x1568', '1008x2352', '1344x3136'],
	'21:9': ['1568x672', '2352x1008', '3136x1344'],
};

describe(`${LITE}: sizes (§2, §7)`, () => {
	test.each(Object.entries(LITE_3K))('%s at 3K → %s', async (size, expected) =>
		expect((await made({ model: LITE, size, quality: '3K' })).size).toBe(expected),
	);
	test.each(Object.entries(LITE_2K_4K))(
		'%s at 2K and 4K → the 4.0 cells %p',
		async (size, [at2k, at4k]) => {
			expect((await made({ model: LITE, size, quality: '2K' })).size).toBe(at2k);
			expect((await made({ model: LITE, size, quality: '4K' })).size).toBe(at4k);
		},
	);
	test('no size and no quality → auto at 2K: 2048x2048', async () =>
		expect((await made({ model: LITE })).size).toBe('2048x2048'));
	test("auto follows the first reference's nearest ratio (§7)", async () =>
		expect(
			(await made({ model: LITE, size: 'auto', quality: '3K', image_urls: [ref('/wide.jpg')] }))
				.size,
		).toBe('4096x2304'));
	test('pixels are made as asked', async () =>
		expect((await made({ model: LITE, size: '2560x1440' })).size).toBe('2560x1440'));
});

describe(`${PRO}: sizes from its own table (§3, §7)`, () => {
	const cases = Object.entries(PRO_TABLE).flatMap(([ratio, sizes]) =>
		['1K', '1.5K', '2K'].map(
			(quality, i) => /** @type {[string, string, string]} */ ([ratio, quality, sizes[i]]),
		),
	);
	test.each(cases)('%s at %s → %s', async (size, quality, expected) =>
		expect((await made({ model: PRO, size, quality })).size).toBe(expected),
	);
	test('no size and no quality → auto at 1K (the default tier): 1024x1024', async () =>
		expect((await made({ model: PRO })).size).toBe('1024x1024'));
	test('a ratio without quality is at 1K', async () =>
		expect((await made({ model: PRO, size: '9:16' })).size).toBe('800x1424'));
	test("auto follows the first reference's nearest ratio", async () =>
		expect(
			(await made({ model: PRO, size: 'auto', quality: '2K', image_urls: [ref('/tall.jpg')] }))
				.size,
		).toBe('1584x2816'));
	test('one image per task, whatever the prompt asks', async () => {
		const { done } = await made({ model: PRO, prompt: 'a set of 4 images of a kite' });
		expect(done.results).toHaveLength(1);
	});
});

describe('real files: JPEG by default, PNG on request (§2, §3)', () => {
	test(`${PRO}: the default result is a decodable JPEG of the exact size, served as image/jpeg`, async () => {
		const { done } = await made({ model: PRO, size: '3:4' });
		expect(done.results[0]).toMatch(/\/0\.jpeg$/);
		const { type, bytes } = await download(done.results[0]);
		expect(type).toBe('image/jpeg');
		expect(readJpeg(bytes)).toMatchObject({ width: 864, height: 1152 });
	});
	test(`${LITE}: the default result is a decodable JPEG of the exact size`, async () => {
		const { done } = await made({ model: LITE, size: '2560x1440' });
		const { type, bytes } = await download(done.results[0]);
		expect(type).toBe('image/jpeg');
		expect(readJpeg(bytes)).toMatchObject({ width: 2560, height: 1440 });
	});
	test(`${LITE}: model_params.output_format png → a valid PNG, one file per image`, async () => {
		const { done } = await made({
			model: LITE,
			n: 2,
			prompt: 'two images of a kite',
			size: '2560x1440',
			model_params: { output_format: 'png' },
		});
		expect(done.results).toHaveLength(2);
		for (const url of done.results) {
			expect(url).toMatch(/\.png$/);
			const { type, bytes } = await download(url);
			expect(type).toBe('image/png');
			expect(readPng(bytes)).toMatchObject({ width: 2560, height: 1440 });
		}
	});
	test(`${PRO}: output_format png → a valid PNG`, async () => {
		const { done } = await made({ model: PRO, output_format: 'png' });
		const { bytes } = await download(done.results[0]);
		expect(readPng(bytes)).toMatchObject({ width: 1024, height: 1024, colorType: 2 });
	});
	test('a result asked with the other extension is a 404', async () => {
		const { done } = await made({ model: PRO });
		expect((await fetch(done.results[0].replace(/\.jpeg$/, '.png'))).status).toBe(404);
	});
	test('two JPEG results of one task differ', async () => {
		const { done } = await made({ model: LITE, n: 2, prompt: 'two images', size: '2560x1440' });
		const [a, b] = await Promise.all(done.results.map(download));
		expect(a.bytes.equals(b.bytes)).toBe(false);
	});
});

describe(`${PRO}: background transparent keeps the reference's alpha (§3, §7)`, () => {
	test("a PNG reference with alpha → an RGBA PNG of the resolved size whose alpha is the reference's", async () => {
		const { done, internal } = await made({
			model: PRO,
			background: 'transparent',
			image_urls: [ref('/half-alpha.png')],
			size: '2:3',
		});
		expect(done.status).toBe('completed');
		expect(done.results[0]).toMatch(/\.png$/);
		expect(internal.outputFormat).toBe('png');
		const { type, bytes } = await download(done.results[0]);
		expect(type).toBe('image/png');
		const png = pngPixels(bytes);
		expect(png).toMatchObject({ width: 832, height: 1248, colorType: 6 });
		// The reference is transparent on its left half: so is the result, and opaque on its right half.
		for (const y of [0, 600, 1247]) {
			expect(png.at(0, y)[3]).toBe(0);
			expect(png.at(415, y)[3]).toBe(0);
			expect(png.at(416, y)[3]).toBe(255);
			expect(png.at(831, y)[3]).toBe(255);
		}
	});
	test.each([
		['a JPEG', '/real.jpg', 'jpeg'],
		['a BMP', '/ok.bmp', 'bmp'],
	])(
		'%s reference fails the task with invalid_parameters, and nothing is charged',
		async (_, path, format) => {
			const { done } = await made({
				model: PRO,
				background: 'transparent',
				image_urls: [ref(path)],
			});
			expect(done).toMatchObject({
				status: 'failed',
				error: { code: 'invalid_parameters', type: 'task_error' },
			});
			expect(done.error.message).toContain(`is ${format}`);
			expect(await ledger()).toMatchObject({ reserved: 0, charged: 0 });
		},
	);
	test.each([
		['a WebP', '/ok.webp'],
		['an interlaced PNG', '/interlaced.png'],
	])('%s reference (alpha the emulator cannot decode) → an opaque RGBA PNG', async (_, path) => {
		const { done } = await made({ model: PRO, background: 'transparent', image_urls: [ref(path)] });
		const png = pngPixels((await download(done.results[0])).bytes);
		expect(png).toMatchObject({ colorType: 6, width: 1152, height: 864 });
		expect(png.at(0, 0)[3]).toBe(255);
	});
	test('background opaque with a JPEG reference completes', async () =>
		expect((await made({ model: PRO, image_urls: [ref('/real.jpg')] })).done.status).toBe(
			'completed',
		));
});

describe('references per model, checked when the task runs (§2, §3, §5, §7)', () => {
	/** Runs a task with these references; returns its final state. */
	const run = async (/** @type {string} */ model, /** @type {string[]} */ paths) =>
		(await made({ model, image_urls: paths.map(ref) })).done;
	test.each([
		[LITE, '/ok.png'],
		[LITE, '/ok.tiff'],
		[LITE, '/ok.bmp'],
		[LITE, '/6000.jpg'],
		[LITE, '/15.gif'],
		[LITE, '/16to1.gif'],
		[LITE, '/10mb.png'],
		[PRO, '/ok.heic'],
		[PRO, '/ok.heif'],
		[PRO, '/ok.tiff'],
		[PRO, '/ok.bmp'],
		[PRO, '/15.gif'],
		[PRO, '/16to1.gif'],
		[PRO, '/6000.jpg'],
		[PRO, '/7000x1000.jpg'], // 7 000 000 px: Pro's limit is on pixels, not sides
		[PRO, '/10mb+1.png'],
		[PRO, '/30mb.png'],
	])('%s takes %s', async (model, path) =>
		expect((await run(model, [path])).status).toBe('completed'),
	);
	test.each([
		[LITE, '/ok.heic', 'is heic'],
		[LITE, '/ok.heif', 'is heif'],
		[LITE, '/6001x6000.jpg', '6000x6000'],
		[LITE, '/7000x1000.jpg', '6000x6000'],
		[LITE, '/14.gif', 'greater than 14'],
		[LITE, '/17to1.gif', '1/16 to 16'],
		[LITE, '/10mb+1.png', '10 MB'],
		[PRO, '/6001x6000.jpg', '36000000'],
		[PRO, '/14.gif', 'greater than 14'],
		[PRO, '/17to1.gif', '1/16 to 16'],
		[PRO, '/30mb+1.png', '30 MB'],
	])('%s refuses %s: invalid_parameters naming the rule', async (model, path, fragment) => {
		const done = await run(model, ['/ok.png', path]);
		expect(done).toMatchObject({ status: 'failed', error: { code: 'invalid_parameters' } });
		expect(done.error.message).toContain('image_urls[1]');
		expect(done.error.message).toContain(fragment);
	});
	test('HEIC reaches Pro as a URL only: the Files API refuses it (§5)', async () => {
		const { status, json } = await emu.request('POST', '/api/v1/files/upload/base64', {
			body: {
				base64_data: headerImage('heic', 4032, 3024).toString('base64'),
				file_name: 'photo.heic',
			},
		});
		expect(status).toBe(400);
		expect(json).toMatchObject({ success: false, code: 400 });
		expect(json.msg).toContain('jpeg, png, gif, webp');
	});
});

describe('billing in the ledger (§2, §3, §7)', () => {
	test(`${LITE}: n 3 reserves 3 × 2.2; one image made settles 2.2 and releases 4.4`, async () => {
		const { done } = await made({ model: LITE, n: 3, size: '2560x1440' });
		expect(done.usage).toMatchObject({ credits_reserved: 6.6, credits_used: 2.2 });
		const account = await ledger();
		expect(account).toMatchObject({ reserved: 0, charged: 2.2 });
		expect(account.entries.map((/** @type {any} */ e) => [e.type, e.credits])).toEqual([
			['reserve', 6.6],
			['settle', 2.2],
			['release', 4.4],
		]);
	});
	test(`${LITE}: web search adds 0.5 per task, reserved and charged once`, async () => {
		const { done } = await made({
			model: LITE,
			n: 2,
			prompt: "two images of today's weather",
			size: '2560x1440',
			model_params: { tools: [{ type: 'web_search' }] },
		});
		expect(done.usage).toMatchObject({ credits_reserved: 4.9, credits_used: 4.9 });
		expect(await ledger()).toMatchObject({ charged: 4.9, reserved: 0 });
	});
	test(`${PRO}: 2.304 reserved and charged per image, whatever the tier`, async () => {
		await made({ model: PRO, size: '1:1', quality: '1K' });
		await made({ model: PRO, size: '1:1', quality: '2K' });
		expect(await ledger()).toMatchObject({ charged: 4.608, reserved: 0, balance: 9995.392 });
	});
	test('a failed task releases the whole reservation', async () => {
		await emu.control('POST', 'faults', { action: { type: 'taskError', code: 'service_error' } });
		const { done } = await made({
			model: LITE,
			n: 2,
			model_params: { tools: [{ type: 'web_search' }] },
		});
		expect(done.status).toBe('failed');
		expect(await ledger()).toMatchObject({ charged: 0, reserved: 0 });
	});
	test('prices are configurable per model through /__emulator/config', async () => {
		await emu.control('POST', 'config', {
			prices: { [PRO]: { perImage: 3 }, [LITE]: { webSearch: 0.04 } },
		});
		const config = await emu.control('GET', 'config');
		expect(config.prices[LITE]).toEqual({ perImage: 2.2, webSearch: 0.04 });
		const pro = await made({ model: PRO });
		expect(pro.done.usage).toMatchObject({ credits_reserved: 3, credits_used: 3 });
		const lite = await made({ model: LITE, model_params: { tools: [{ type: 'web_search' }] } });
		expect(lite.done.usage).toMatchObject({ credits_reserved: 2.24, credits_used: 2.24 });
	});
	test('402 when the balance cannot cover a 5.0 reservation', async () => {
		await emu.control('POST', 'keys', { key: 'sk-poor-key-00001', credits: 2.3 });
		const { status, json } = await emu.create(
			{ model: PRO, prompt: 'x' },
			{ key: 'sk-poor-key-00001' },
		);
		expect(status).toBe(402);
		expect(json.error.code).toBe('insufficient_quota');
		expect(
			(await emu.create({ model: LITE, prompt: 'x' }, { key: 'sk-poor-key-00001' })).status,
		).toBe(200);
	});
});

describe('common to the three 5.0 models (§1)', () => {
	const LAYERIZE = 'doubao-seedream-5.0-pro-layerize';
	test.each([LITE, PRO, LAYERIZE])('%s: 403 model_access_denied names the model', async (model) => {
		await emu.control('POST', 'keys', {
			key: 'sk-only-4x-000001',
			models: ['doubao-seedream-4.0'],
		});
		const { status, json } = await emu.create(
			{ model, prompt: 'x', image_urls: [ref('/ok.png')] },
			{ key: 'sk-only-4x-000001' },
		);
		expect(status).toBe(403);
		expect(json.error).toMatchObject({ code: 'model_access_denied', param: 'model' });
		expect(json.error.message).toContain(model);
	});
	test.each([LITE, PRO, LAYERIZE])(
		'%s: seed, response_format, stream and sequential_image_generation (never documented) are accepted and logged',
		async (model) => {
			const { status } = await emu.create({
				model,
				prompt: 'x',
				image_urls: [ref('/ok.png')],
				seed: 1,
				response_format: 'url',
				stream: false,
				sequential_image_generation: 'auto',
			});
			expect(status).toBe(200);
			const [entry] = await emu.control('GET', 'ignored-fields');
			expect(entry.fields).toEqual([
				'seed',
				'response_format',
				'stream',
				'sequential_image_generation',
			]);
		},
	);
	test('the callback of a 5.0 task is the GET body, JPEG result and all, after billing', async () => {
		/** @type {Buffer[]} */
		const bodies = [];
		const receiver = await localServer((_req, res, body) => {
			bodies.push(body);
			res.writeHead(200).end();
		});
		try {
			const { json } = await emu.create({
				model: PRO,
				prompt: 'x',
				callback_url: `${receiver.url}/hook`,
			});
			const done = await emu.waitFor(json.id);
			while (!bodies.length) await sleep(10);
			expect(JSON.parse(bodies[0].toString())).toEqual(done);
			expect(done.results[0]).toMatch(/\.jpeg$/);
			expect(done.usage.credits_used).toBe(2.304);
		} finally {
			await receiver.close();
		}
	});
	test('result links of a 5.0 task expire 24 h after completion', async () => {
		const { done } = await made({ model: PRO });
		expect((await fetch(done.results[0])).status).toBe(200);
		await emu.control('POST', 'clock', { advanceMs: 24 * 3600 * 1000 });
		const expired = await fetch(done.results[0]);
		expect(expired.status).toBe(404);
		expect((await expired.json()).error.code).toBe('expired');
	});
	test(`${PRO}: a prompt over 4000 tokens is a 400 that reserves nothing`, async () => {
		const { status } = await emu.create({ model: PRO, prompt: Array(5001).fill('w').join(' ') });
		expect(status).toBe(400);
		expect(await ledger()).toMatchObject({ reserved: 0, charged: 0, entries: [] });
	});
	test(`${LITE}: references + outputs over 15 are cut to 15 − references, billed on what is made (§2)`, async () => {
		const { done } = await made({
			model: LITE,
			n: 15,
			prompt: '15 images of this',
			size: '2560x1440',
			image_urls: Array(13).fill(ref('/ok.png')),
		});
		expect(done.results).toHaveLength(2);
		expect(done.usage).toMatchObject({ credits_reserved: 33, credits_used: 4.4 });
	});
});
