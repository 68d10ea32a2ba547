// @ts-check
// Image > Generate with each model's table (docs/evolink-seedream-5.md §2-§3, §5, §7), through n8n's engine against
// the emulator: every rule at its boundary in the node's validation (the error names the field and range, nothing
// is sent), and the request body per model (fields a model does not list are never sent: the emulator's request
// log and its log of ignored fields), and the results' real file types.
import jpeg from 'jpeg-js';
import { encodePng } from '../../emulator/raster.mjs';
import { readPng } from '../harness/png.mjs';
import { GENERATE, itemsWithFiles, png, startSuite } from './support.mjs';

/** @type {import('./support.mjs').Suite} */
let suite;
beforeAll(async () => {
	suite = await startSuite({ imageHost: true });
});
beforeEach(async () => await suite.reset());
afterAll(async () => await suite?.close());

const LITE = 'doubao-seedream-5.0-lite';
const PRO = 'doubao-seedream-5.0-pro';
const LITE_RUN = { ...GENERATE, model: LITE, sizeMode: 'ratio', aspectRatio: '1:1', quality: '2K' };
const PRO_RUN = { ...GENERATE, model: PRO, sizeMode: 'ratio', aspectRatio: '1:1', quality: '1K' };

/** Runs, then expects an error with this message and no request at all. */
async function expectRefused(
	/** @type {Record<string, unknown>} */ parameters,
	/** @type {RegExp} */ message,
	/** @type {any} */ options = {},
) {
	const result = await suite.run(parameters, options);
	expect(result.status).toBe('error');
	expect(result.error.message).toMatch(message);
	expect(await suite.requests()).toEqual([]);
	return result;
}

/** Runs without waiting and returns the one create's body, once the emulator accepted it. */
async function sentBody(
	/** @type {Record<string, unknown>} */ parameters,
	/** @type {any} */ options = {},
) {
	const result = await suite.run({ ...parameters, waitMode: 'dontWait' }, options);
	expect(result.error?.message).toBeUndefined();
	expect(result.status).toBe('success');
	const creates = await suite.requests({ method: 'POST', path: '/v1/images/generations' });
	expect(creates).toHaveLength(1);
	expect(creates[0].status).toBe(200);
	return creates[0].body;
}

/** Fields the emulator received but the model does not list (docs/evolink-seedream-5.md §7). */
async function ignoredFields() {
	return (await suite.emulator.control.ignoredFields()).flatMap(
		(/** @type {any} */ entry) => entry.fields,
	);
}

const urlReferences = (/** @type {number} */ count) => ({
	images: Array.from({ length: count }, (_, i) => ({
		source: 'url',
		url: `https://example.com/${i}.png`,
	})),
});
const binaryReference = { images: [{ source: 'binary', binaryPropertyName: 'data' }] };

/** A PNG signature and IHDR of this size and colour type, padded to `bytes`: enough for a header check. */
function pngHeader(width, height, bytes = 64, colorType = 6) {
	const buffer = Buffer.alloc(Math.max(bytes, 33));
	Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').copy(buffer, 0);
	buffer.writeUInt32BE(width, 16);
	buffer.writeUInt32BE(height, 20);
	buffer[24] = 8;
	buffer[25] = colorType;
	return buffer;
}

/** An RGBA PNG whose left half is transparent. */
async function transparentPng(width = 64, height = 48) {
	const data = Buffer.alloc(width * height * 4, 200);
	for (let y = 0; y < height; y++)
		for (let x = 0; x < width / 2; x++) data[(y * width + x) * 4 + 3] = 0;
	return await encodePng({ width, height, data }, 4);
}

/** A real JPEG (no alpha) of this size. */
function jpegOf(width = 64, height = 48) {
	return jpeg.encode({ width, height, data: Buffer.alloc(width * height * 4, 128) }, 80).data;
}

/** An ISO-BMFF header with a HEIC brand. */
function heicHeader() {
	const buffer = Buffer.alloc(64);
	buffer.writeUInt32BE(24, 0);
	buffer.write('ftypheic', 4, 'latin1');
	return buffer;
}

describe('the picker and defaults', () => {
	test('existing workflows: no model parameter means 4.0 with its own defaults (preset 2K), body as before', async () => {
		const { model: _omit, ...parameters } = { ...GENERATE, model: undefined };
		const body = await sentBody({
			resource: 'image',
			operation: 'generate',
			prompt: parameters.prompt,
		});
		expect(body).toEqual({
			model: 'doubao-seedream-4.0',
			prompt: parameters.prompt,
			n: 1,
			size: '2K',
			prompt_priority: 'standard',
		});
	});

	test('5.0 Lite with nothing chosen: ratio auto at its default 2K, JPEG, n 1, under model_params only what Lite lists', async () => {
		const body = await sentBody({
			resource: 'image',
			operation: 'generate',
			prompt: 'a kite',
			model: LITE,
		});
		expect(body).toEqual({
			model: LITE,
			prompt: 'a kite',
			n: 1,
			size: 'auto',
			quality: '2K',
			prompt_priority: 'standard',
			model_params: { output_format: 'jpeg' },
		});
		expect(await ignoredFields()).toEqual([]);
	});

	test('5.0 Pro with nothing chosen: ratio auto at 1K, JPEG, no watermark, opaque; no n and no model_params', async () => {
		const body = await sentBody({
			resource: 'image',
			operation: 'generate',
			prompt: 'a kite',
			model: PRO,
		});
		expect(body).toEqual({
			model: PRO,
			prompt: 'a kite',
			size: 'auto',
			quality: '1K',
			prompt_priority: 'standard',
			output_format: 'jpeg',
			watermark: false,
			background: 'opaque',
		});
		expect(await ignoredFields()).toEqual([]);
	});

	test('a Max Images value left from another model is never sent to Pro', async () => {
		const body = await sentBody({ ...PRO_RUN, n: 4 });
		expect(body).not.toHaveProperty('n');
	});
});

describe('5.0 Lite', () => {
	test('Output Format PNG and Web Search go under model_params', async () => {
		const body = await sentBody({ ...LITE_RUN, outputFormat: 'png', webSearch: true });
		expect(body.model_params).toEqual({ output_format: 'png', tools: [{ type: 'web_search' }] });
		for (const field of ['output_format', 'tools', 'watermark', 'background', 'seed']) {
			expect(body).not.toHaveProperty(field);
		}
		expect(await ignoredFields()).toEqual([]);
	});

	test('Watermark and Background values left from Pro are never sent', async () => {
		const body = await sentBody({ ...LITE_RUN, watermark: true, background: 'transparent' });
		expect(body).not.toHaveProperty('watermark');
		expect(body).not.toHaveProperty('background');
	});

	test.each([
		['3K at 16:9', { quality: '3K', aspectRatio: '16:9' }, { size: '16:9', quality: '3K' }],
		['4K', { quality: '4K' }, { size: '1:1', quality: '4K' }],
		[
			'custom 2560x1440 (the least pixels)',
			{ sizeMode: 'custom', width: 2560, height: 1440 },
			{ size: '2560x1440' },
		],
		[
			'custom 4096x4096 (the most)',
			{ sizeMode: 'custom', width: 4096, height: 4096 },
			{ size: '4096x4096' },
		],
	])('accepted: %s', async (_, parameters, expected) => {
		expect(await sentBody({ ...LITE_RUN, ...parameters })).toMatchObject(expected);
	});

	test.each([
		[
			'quality 1K',
			{ quality: '={{ "1K" }}' },
			/^Quality \(quality\): must be one of 2K, 3K, 4K with doubao-seedream-5.0-lite; got "1K"/,
		],
		[
			'a preset size',
			{ sizeMode: '={{ "preset" }}', size: '2K' },
			/^Size \(size\): takes no preset with doubao-seedream-5.0-lite/,
		],
		[
			'2559x1440',
			{ sizeMode: 'custom', width: 2559, height: 1440 },
			/^Width x Height \(size\): must be width x height from 3,686,400 \(2560x1440\) to 16,777,216 \(4096x4096\) pixels; 2559x1440 is 3,684,960/,
		],
		[
			'4097x4096',
			{ sizeMode: 'custom', width: 4097, height: 4096 },
			/^Width x Height \(size\): must be width x height from 3,686,400 .* 4097x4096 is 16,781,312/,
		],
		[
			'a 2001-character prompt',
			{ prompt: 'x'.repeat(2001) },
			/^Prompt \(prompt\): must be at most 2,000 characters; it has 2,001/,
		],
		['Max Images 16', { n: 16 }, /^Max Images \(n\): must be a whole number from 1 to 15; got 16/],
		[
			'Max Images 2 with 14 references',
			{ n: 2, referenceImages: urlReferences(14) },
			/^Max Images \(n\) \+ Reference Images \(image_urls\): must be at most 15 together; got 2 \+ 14/,
		],
		[
			'15 references',
			{ referenceImages: urlReferences(15) },
			/^Reference Images \(image_urls\): at most 14 allowed with doubao-seedream-5.0-lite; got 15/,
		],
		[
			'Output Format WebP',
			{ outputFormat: '={{ "webp" }}' },
			/^Output Format \(output_format\): must be one of png, jpeg with doubao-seedream-5.0-lite; got "webp"/,
		],
	])('refused before sending: %s', async (_, parameters, message) => {
		await expectRefused({ ...LITE_RUN, ...parameters }, message);
	});

	test('prompt priority: the option is not offered for Lite, standard is sent', async () => {
		const body = await sentBody({ ...LITE_RUN, options: { promptPriority: 'fast' } });
		expect(body.prompt_priority).toBe('standard');
	});

	test('the default JPEG result comes out as image/jpeg with a .jpg name, a real JPEG of the size asked for', async () => {
		const result = await suite.run({ ...LITE_RUN, sizeMode: 'custom', width: 2560, height: 1440 });
		expect(result.error?.message).toBeUndefined();
		const [item] = result.output('Seedream');
		expect(item.json.mimeType).toBe('image/jpeg');
		expect(item.json.fileName).toMatch(/^task-unified-.+-0\.jpg$/);
		expect(item.binary.data).toMatchObject({ mimeType: 'image/jpeg', fileExtension: 'jpg' });
		const decoded = jpeg.decode(await suite.harness.binaryBuffer(item.binary.data), {
			useTArray: true,
		});
		expect([decoded.width, decoded.height]).toEqual([2560, 1440]);
	});
});

describe('5.0 Pro', () => {
	test('Output Format PNG and Watermark at the top level; no model_params', async () => {
		const body = await sentBody({ ...PRO_RUN, outputFormat: 'png', watermark: true });
		expect(body).toMatchObject({ output_format: 'png', watermark: true, background: 'opaque' });
		expect(body).not.toHaveProperty('model_params');
		expect(await ignoredFields()).toEqual([]);
	});

	test('a Web Search value left from Lite is never sent', async () => {
		const body = await sentBody({ ...PRO_RUN, webSearch: true });
		expect(body).not.toHaveProperty('model_params');
		expect(body).not.toHaveProperty('tools');
	});

	test.each([
		['1.5K at 9:21', { quality: '1.5K', aspectRatio: '9:21' }, { size: '9:21', quality: '1.5K' }],
		['prompt priority fast', { options: { promptPriority: 'fast' } }, { prompt_priority: 'fast' }],
		[
			'custom 1280x720 (the least pixels)',
			{ sizeMode: 'custom', width: 1280, height: 720 },
			{ size: '1280x720' },
		],
		[
			'custom 2150x2150 (4 622 500, under the most)',
			{ sizeMode: 'custom', width: 2150, height: 2150 },
			{ size: '2150x2150' },
		],
		['10 references', { referenceImages: urlReferences(10) }, {}],
		// 4000 tokens is not pre-checked (docs/evolink-seedream-5.md §7): the API's 400 costs nothing.
		[
			'a 2600-character prompt',
			{ prompt: 'a calm harbour at dawn. '.repeat(108).slice(0, 2600) },
			{},
		],
	])('accepted: %s', async (_, parameters, expected) => {
		expect(await sentBody({ ...PRO_RUN, ...parameters })).toMatchObject(expected);
	});

	test('a HEIC reference by URL is sent (Pro reads HEIC; only the Files API does not)', async () => {
		const body = await sentBody({
			...PRO_RUN,
			referenceImages: { images: [{ source: 'url', url: 'https://example.com/photo.heic' }] },
		});
		expect(body.image_urls).toEqual(['https://example.com/photo.heic']);
	});

	test.each([
		[
			'quality 2K is the most',
			{ quality: '={{ "4K" }}' },
			/^Quality \(quality\): must be one of 1K, 1\.5K, 2K with doubao-seedream-5.0-pro; got "4K"/,
		],
		[
			'1279x720',
			{ sizeMode: 'custom', width: 1279, height: 720 },
			/^Width x Height \(size\): must be width x height from 921,600 \(1280x720\) to 4,624,220 \(about 2150x2150\) pixels; 1279x720 is 920,880/,
		],
		[
			'2151x2150',
			{ sizeMode: 'custom', width: 2151, height: 2150 },
			/to 4,624,220 \(about 2150x2150\) pixels; 2151x2150 is 4,624,650/,
		],
		[
			'a side of 14 pixels',
			{ sizeMode: 'custom', width: 14, height: 4000 },
			/^Width \(size\): must be a whole number of pixels more than 14/,
		],
		[
			'11 references',
			{ referenceImages: urlReferences(11) },
			/^Reference Images \(image_urls\): at most 10 allowed with doubao-seedream-5.0-pro; got 11/,
		],
		[
			'Background Transparent without a reference',
			{ background: 'transparent' },
			/^Background \(background\): Transparent needs exactly 1 reference image, with an alpha channel .*; got 0/,
		],
		[
			'Background Transparent with 2 references',
			{ background: 'transparent', referenceImages: urlReferences(2) },
			/^Background \(background\): Transparent needs exactly 1 reference image.*; got 2/,
		],
		// The UI hides Output Format once Background is Transparent; an expression for Background keeps it shown.
		[
			'Background Transparent with JPEG output',
			{
				background: '={{ "transparent" }}',
				outputFormat: 'jpeg',
				referenceImages: urlReferences(1),
			},
			/^Output Format \(output_format\): must be png with Background Transparent; got "jpeg"/,
		],
	])('refused before sending: %s', async (_, parameters, message) => {
		await expectRefused({ ...PRO_RUN, ...parameters }, message);
	});

	test.each([
		[
			'a HEIC file (the Files API takes jpeg, png, gif, webp)',
			() => heicHeader(),
			/^Reference Image 1 \(binary field "data"\): is heic; binary images are uploaded to EvoLink Files, which takes jpeg, png, gif, webp only \(pass heic images by URL instead\)/,
		],
		[
			'over 30 MB',
			() => pngHeader(64, 64, 30 * 1024 * 1024 + 1),
			/must be at most 30 MB with doubao-seedream-5.0-pro/,
		],
		['13 pixels of 196 (a 13x1 image)', () => pngHeader(15, 13), /width x height|width and height/],
	])('binary reference refused: %s', async (_, bytes, message) => {
		await expectRefused({ ...PRO_RUN, referenceImages: binaryReference }, message, {
			items: await itemsWithFiles(suite, [bytes()]),
		});
	});

	test("a 20 MB binary reference: refused by 4.0 before anything is sent, within Pro's 30 MB so it goes to the Files API", async () => {
		const file = Buffer.concat([await png(64, 64), Buffer.alloc(20 * 1024 * 1024)]);
		const items = await itemsWithFiles(suite, [file]);
		await expectRefused(
			{ ...GENERATE, referenceImages: binaryReference },
			/must be at most 10 MB with doubao-seedream-4.0/,
			{ items },
		);
		// The Files API takes up to 100 MB (docs/evolink-api.md §7 update): uploaded once, then created.
		const result = await suite.run({ ...PRO_RUN, referenceImages: binaryReference }, { items });
		expect(await suite.requests({ method: 'POST', path: '/api/v1/files/upload' })).toHaveLength(1);
		expect(result.error?.message).toBeUndefined();
		expect(await suite.requests({ method: 'POST', path: '/v1/images/generations' })).toHaveLength(
			1,
		);
	});

	test('Background Transparent with a binary JPEG reference: refused, it has no alpha channel', async () => {
		await expectRefused(
			{ ...PRO_RUN, background: 'transparent', referenceImages: binaryReference },
			/^Reference Image 1 \(binary field "data"\): has no alpha channel/,
			{ items: await itemsWithFiles(suite, [jpegOf()]) },
		);
	});

	test('Background Transparent with a PNG without alpha: refused', async () => {
		await expectRefused(
			{ ...PRO_RUN, background: 'transparent', referenceImages: binaryReference },
			/has no alpha channel/,
			{ items: await itemsWithFiles(suite, [await png(64, 48)]) },
		);
	});

	test('Background Transparent with one RGBA PNG: PNG sent, and the result keeps its transparency', async () => {
		const items = await itemsWithFiles(suite, [await transparentPng()]);
		const result = await suite.run(
			{ ...PRO_RUN, background: 'transparent', referenceImages: binaryReference },
			{ items },
		);
		expect(result.error?.message).toBeUndefined();
		const [create] = await suite.requests({ method: 'POST', path: '/v1/images/generations' });
		expect(create.body).toMatchObject({ background: 'transparent', output_format: 'png' });
		const [item] = result.output('Seedream');
		expect(item.json.mimeType).toBe('image/png');
		const picture = readPng(await suite.harness.binaryBuffer(item.binary.data));
		expect(picture.colorType).toBe(6);
	});

	test('Background Transparent with a URL reference: sent; the API judges its alpha', async () => {
		const body = await sentBody({
			...PRO_RUN,
			background: 'transparent',
			referenceImages: { images: [{ source: 'url', url: `${suite.imageHostUrl}/cutout.png` }] },
		});
		expect(body).toMatchObject({ background: 'transparent', output_format: 'png' });
	});
});

describe('4.5 narrowed by the addendum (docs/evolink-seedream-5.md §5)', () => {
	test.each([
		['the 1K preset', { size: '={{ "1K" }}' }, /^Size \(size\): must be one of 2K, 4K; got "1K"/],
		[
			'2560x1439',
			{ sizeMode: 'custom', width: 2560, height: 1439 },
			/from 3,686,400 \(2560x1440\) to 16,777,216 \(4096x4096\) pixels; 2560x1439 is 3,683,840/,
		],
	])('refused: %s', async (_, parameters, message) => {
		await expectRefused({ ...GENERATE, model: 'doubao-seedream-4.5', ...parameters }, message);
	});

	test('2560x1440 is accepted, and nothing but the 4.x fields is sent', async () => {
		const body = await sentBody({
			...GENERATE,
			model: 'doubao-seedream-4.5',
			sizeMode: 'custom',
			width: 2560,
			height: 1440,
			outputFormat: 'png',
			watermark: true,
		});
		expect(Object.keys(body).sort()).toEqual(['model', 'n', 'prompt', 'prompt_priority', 'size']);
	});
});
