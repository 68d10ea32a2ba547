// @ts-check
// Image > Decompose Layers (doubao-seedream-5.0-pro-layerize, docs/evolink-seedream-5.md §4 and §7) on n8n's
// engine against the emulator, in both binary modes: every wait mode (Wait for the Result, Don't Wait then
// Task > Get, Wait for the Callback) and every output shape; the request body the model gets; its rules
// before sending; and how a layer task's result_data becomes items when it comes in the unverified forms.
import http from 'node:http';
import jpeg from 'jpeg-js';
import { readPng } from '../harness/png.mjs';
import { itemsWithFiles, png, startSuite } from './support.mjs';

const LAYERIZE = 'doubao-seedream-5.0-pro-layerize';
const DECOMPOSE = Object.freeze({ resource: 'image', operation: 'decomposeLayers' });
const BINARY_INPUT = Object.freeze({
	...DECOMPOSE,
	imageSource: 'binary',
	inputBinaryField: 'data',
});

/** The task as the API reports it (with the suite's key). */
async function apiTask(/** @type {any} */ suite, /** @type {string} */ taskId) {
	const response = await fetch(`${suite.emulator.url}/v1/tasks/${taskId}`, {
		headers: { authorization: `Bearer ${suite.emulator.key}` },
	});
	return await response.json();
}

/** One input item with a 512x512 PNG (262 144 pixels, the fewest layerize takes) in binary field `data`. */
async function inputItems(/** @type {any} */ suite) {
	return await itemsWithFiles(suite, [await png(512, 512, 'poster')]);
}

/** The bytes of an item's binary field, decoded by format: { format, width, height, colorType? }. */
async function picture(/** @type {any} */ suite, /** @type {any} */ binary) {
	const bytes = await suite.harness.binaryBuffer(binary);
	if (bytes[0] === 0xff && bytes[1] === 0xd8) {
		const decoded = jpeg.decode(bytes, { useTArray: true });
		return { format: 'jpeg', width: decoded.width, height: decoded.height };
	}
	const { width, height, colorType } = readPng(bytes);
	return { format: 'png', width, height, colorType };
}

/** Checks one item per layer against the API's task: base first, then layers by z-index, each as the API says. */
async function expectLayerItems(
	/** @type {any} */ suite,
	/** @type {any[]} */ items,
	/** @type {any} */ task,
	{ resumed = false } = {},
) {
	expect(task.result_data.length).toBeGreaterThanOrEqual(2);
	expect(items).toHaveLength(task.result_data.length);
	for (const [index, item] of items.entries()) {
		const layer = task.result_data[index];
		// n8n pairs a resumed node's output with its input by position (see callback.test.mjs), not as the node set it.
		if (!resumed) expect(item.pairedItem).toEqual({ item: 0 });
		expect(item.json).toMatchObject({
			taskId: task.id,
			status: 'completed',
			model: LAYERIZE,
			imageIndex: index,
			imageCount: task.result_data.length,
			url: layer.image_url,
			zIndex: index,
			quality: 'auto',
		});
		if (index === 0) {
			expect(item.json).toMatchObject({ name: null, description: null, boundingBox: null });
			// The base comes in the format asked for (JPEG by default), named and typed by its bytes.
			expect(item.json.mimeType).toBe('image/jpeg');
			expect(item.binary.data).toMatchObject({
				mimeType: 'image/jpeg',
				fileName: `${task.id}-0.jpg`,
			});
			expect(await picture(suite, item.binary.data)).toMatchObject({ format: 'jpeg' });
		} else {
			expect(item.json).toMatchObject({
				name: layer.name,
				description: layer.description,
				boundingBox: layer.bounding_box,
			});
			expect(item.json.boundingBox).toEqual({
				absolute: expect.any(Array),
				normalized: expect.any(Array),
			});
			// Layers are PNGs with their alpha kept, the size of their box.
			expect(item.binary.data).toMatchObject({
				mimeType: 'image/png',
				fileName: `${task.id}-${index}.png`,
			});
			const [x1, y1, x2, y2] = layer.bounding_box.absolute;
			expect(await picture(suite, item.binary.data)).toEqual({
				format: 'png',
				width: x2 - x1,
				height: y2 - y1,
				colorType: 6,
			});
		}
	}
}

describe.each(['default', 'filesystem'])('binary mode %s', (binaryMode) => {
	/** @type {import('./support.mjs').Suite} */
	let suite;
	beforeAll(async () => {
		suite = await startSuite({
			binaryMode: /** @type {any} */ (binaryMode),
			allowInsecureCallbacks: true,
			imageHost: { width: 640, height: 480 },
		});
		await suite.harness.listenForWaitingWebhooks();
	});
	// The documented 120 s estimate would hold the node's first poll back a minute; the emulator's tasks take 300 ms.
	beforeEach(async () => {
		await suite.reset();
		await suite.emulator.control.config({ layerizeEstimatedSeconds: 1 });
	});
	afterAll(async () => await suite?.close());

	test('Wait for the Result, one item per layer: the base first, then each layer with its PNG, z-index, box, name and description', async () => {
		const result = await suite.run(BINARY_INPUT, { items: await inputItems(suite) });
		expect(result.error?.message).toBeUndefined();
		const [create] = await suite.requests({ method: 'POST', path: '/v1/images/generations' });
		// Only what layerize lists: no size, n, watermark, background or model_params; no prompt when empty.
		expect(Object.keys(create.body).sort()).toEqual([
			'image_urls',
			'model',
			'output_format',
			'prompt_priority',
			'quality',
		]);
		expect(create.body).toMatchObject({
			model: LAYERIZE,
			quality: 'auto',
			output_format: 'jpeg',
			prompt_priority: 'standard',
		});
		expect(create.body.image_urls).toHaveLength(1);
		const items = result.output('Seedream');
		await expectLayerItems(suite, items, await apiTask(suite, items[0].json.taskId));
		if (binaryMode === 'filesystem') expect(items[1].binary.data.id).toMatch(/^filesystem/);
	});

	test("Don't Wait outputs the task at once; Task > Get waits for it and outputs the same layer items", async () => {
		const started = await suite.run(
			{ ...BINARY_INPUT, waitMode: 'dontWait' },
			{ items: await inputItems(suite) },
		);
		expect(started.error?.message).toBeUndefined();
		const [summary] = started.output('Seedream');
		expect(summary.json).toMatchObject({ model: LAYERIZE, quality: 'auto' });
		expect(summary.json.taskId).toMatch(/^task-unified-/);
		const got = await suite.run({
			resource: 'task',
			operation: 'get',
			taskId: summary.json.taskId,
			waitMode: 'wait',
			output: 'binaryPerImage',
		});
		expect(got.error?.message).toBeUndefined();
		const items = got
			.output('Seedream')
			.map((/** @type {any} */ item) => ({ ...item, json: { ...item.json, quality: 'auto' } }));
		await expectLayerItems(suite, items, await apiTask(suite, summary.json.taskId));
	});

	test('Wait for the Callback: pauses, and the callback resumes it with the layer items', async () => {
		const waiting = await suite.run(
			{ ...BINARY_INPUT, waitMode: 'callback' },
			{ items: await inputItems(suite) },
		);
		expect(waiting.status).toBe('waiting');
		const [create] = await suite.requests({ method: 'POST', path: '/v1/images/generations' });
		expect(create.body.callback_url === waiting.resumeUrl).toBe(true);
		const resumed = await suite.harness.waitForResume(waiting);
		expect(resumed.status).toBe('success');
		const items = resumed.output('Seedream');
		await expectLayerItems(suite, items, await apiTask(suite, items[0].json.taskId), {
			resumed: true,
		});
	});

	test('All Layers on One Item: image_0 is the base, then the layers, each described in layers order', async () => {
		const result = await suite.run(
			{ ...BINARY_INPUT, output: 'binaryPerTask', outputFormat: 'png' },
			{ items: await inputItems(suite) },
		);
		expect(result.error?.message).toBeUndefined();
		const [item] = result.output('Seedream');
		const task = await apiTask(suite, item.json.taskId);
		const count = task.result_data.length;
		expect(Object.keys(item.binary).sort()).toEqual(
			Array.from({ length: count }, (_, i) => `image_${i}`).sort(),
		);
		expect(item.json.images.map((/** @type {any} */ image) => image.zIndex)).toEqual([
			...Array(count).keys(),
		]);
		expect(item.json.images[1]).toMatchObject({
			binaryProperty: 'image_1',
			name: task.result_data[1].name,
			boundingBox: task.result_data[1].bounding_box,
			mimeType: 'image/png',
		});
		// Base Image Format PNG: the base is a PNG too (opaque), the layers keep alpha.
		expect(await picture(suite, item.binary.image_0)).toMatchObject({
			format: 'png',
			colorType: 2,
		});
		expect(await picture(suite, item.binary.image_1)).toMatchObject({
			format: 'png',
			colorType: 6,
		});
	});
});

describe('one binary mode', () => {
	/** @type {import('./support.mjs').Suite} */
	let suite;
	/** @type {http.Server} */
	let files;
	let filesUrl = '';
	beforeAll(async () => {
		suite = await startSuite({ imageHost: { width: 640, height: 480 } });
		// A content host whose links lie about the type: a JPEG at a .png path, sent as octet-stream.
		const jpegBytes = jpeg.encode(
			{ width: 40, height: 30, data: Buffer.alloc(40 * 30 * 4, 90) },
			80,
		).data;
		const pngBytes = await png(40, 30, 'layer');
		files = http.createServer((req, res) => {
			const body = req.url?.includes('jpeg-bytes') ? jpegBytes : pngBytes;
			res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
		});
		await new Promise((resolve) => files.listen(0, '127.0.0.1', () => resolve(undefined)));
		filesUrl = `http://127.0.0.1:${/** @type {any} */ (files.address()).port}`;
	});
	beforeEach(async () => {
		await suite.reset();
		await suite.emulator.control.config({ layerizeEstimatedSeconds: 1 });
	});
	afterAll(async () => {
		await new Promise((resolve) => files?.close(() => resolve(undefined)));
		await suite?.close();
	});

	test('an image URL and a prompt with <bbox> regions: one layer per region, named by its label, base PNG as asked', async () => {
		const prompt =
			'title text<bbox>100 50 900 200</bbox> player<bbox>0 300 500 1000</bbox> ball<bbox>600 600 800 800</bbox>';
		const result = await suite.run({
			...DECOMPOSE,
			imageUrl: `${suite.imageHostUrl}/poster.png`,
			prompt,
			quality: '1.5K',
			outputFormat: 'png',
			output: 'urls',
			options: { promptPriority: 'fast' },
		});
		expect(result.error?.message).toBeUndefined();
		const [create] = await suite.requests({ method: 'POST', path: '/v1/images/generations' });
		expect(create.body).toEqual({
			model: LAYERIZE,
			prompt,
			quality: '1.5K',
			prompt_priority: 'fast',
			output_format: 'png',
			image_urls: [`${suite.imageHostUrl}/poster.png`],
		});
		const items = result.output('Seedream');
		expect(items.map((/** @type {any} */ item) => item.json.zIndex)).toEqual([0, 1, 2, 3]);
		expect(items.slice(1).map((/** @type {any} */ item) => item.json.name)).toEqual([
			'title text',
			'player',
			'ball',
		]);
		expect(items.every((/** @type {any} */ item) => item.binary === undefined)).toBe(true);
	});

	test('Compact Summary: one item with the layer URLs base first, and each layer described', async () => {
		const result = await suite.run({
			...DECOMPOSE,
			imageUrl: `${suite.imageHostUrl}/poster.png`,
			output: 'compact',
		});
		expect(result.error?.message).toBeUndefined();
		const [item] = result.output('Seedream');
		const task = await apiTask(suite, item.json.taskId);
		expect(item.json.imageUrls).toEqual(
			task.result_data.map((/** @type {any} */ layer) => layer.image_url),
		);
		expect(item.json.layers[0]).toEqual({
			url: task.result_data[0].image_url,
			zIndex: 0,
			name: null,
			description: null,
			boundingBox: null,
		});
		expect(item.json.layers[1]).toMatchObject({
			zIndex: 1,
			name: task.result_data[1].name,
			boundingBox: task.result_data[1].bounding_box,
		});
	});

	test.each([
		// n8n refuses a literally empty required parameter itself; an expression can still produce one.
		[
			'no image URL',
			{ imageUrl: '={{ "" }}' },
			{},
			/^Input Image URL \(image_urls\): must be an http\(s\) URL/,
		],
		[
			'quality 4K',
			{ imageUrl: 'https://example.com/a.png', quality: '={{ "4K" }}' },
			{},
			/^Quality \(quality\): must be one of auto, 1K, 1\.5K, 2K with doubao-seedream-5.0-pro-layerize; got "4K"/,
		],
		[
			'Base Image Format WebP',
			{ imageUrl: 'https://example.com/a.png', outputFormat: '={{ "webp" }}' },
			{},
			/^Output Format \(output_format\): must be one of jpeg, png with doubao-seedream-5.0-pro-layerize; got "webp"/,
		],
	])('refused before sending: %s', async (_, parameters, __, message) => {
		const result = await suite.run({ ...DECOMPOSE, ...parameters });
		expect(result.status).toBe('error');
		expect(result.error.message).toMatch(message);
		expect(await suite.requests()).toEqual([]);
	});

	test.each([
		[
			'a GIF',
			async () => Buffer.from('GIF89a\x40\x02\x40\x02', 'latin1'),
			/^Input Image \(binary field "data"\): is gif, not in a format doubao-seedream-5.0-pro-layerize reads \(png, jpeg\)/,
		],
		[
			'511x512 (fewer than 262 144 pixels)',
			async () => await png(511, 512),
			/^Input Image \(binary field "data"\): width x height must be from 262,144 to 36,000,000 pixels; 511x512 is 261,632/,
		],
		[
			'wider than 16:1',
			async () => await png(2100, 128),
			/width \/ height must be from 1\/16 to 16; 2100x128 is 16\.41/,
		],
	])('binary input refused before sending: %s', async (_, bytes, message) => {
		const result = await suite.run(BINARY_INPUT, {
			items: await itemsWithFiles(suite, [await bytes()]),
		});
		expect(result.status).toBe('error');
		expect(result.error.message).toMatch(message);
		expect(await suite.requests()).toEqual([]);
	});

	/** Task > Get of a layer task the API reports as `task` (one answer injected on GET /v1/tasks/). */
	async function getReported(
		/** @type {Record<string, unknown>} */ task,
		output = 'binaryPerImage',
	) {
		await suite.emulator.control.fault({
			method: 'GET',
			path: '/v1/tasks/',
			times: 1,
			action: { type: 'status', status: 200, body: task },
		});
		const result = await suite.run({ resource: 'task', operation: 'get', taskId: task.id, output });
		expect(result.error?.message).toBeUndefined();
		return result.output('Seedream');
	}
	const reported = (/** @type {Record<string, unknown>} */ fields) => ({
		id: 'task-unified-1790340773-abcd1234',
		object: 'image.generation.task',
		model: LAYERIZE,
		status: 'completed',
		progress: 100,
		created: 1790340773,
		...fields,
	});

	test('result_data in the unverified forms: url instead of image_url, a missing URL from results[i], unsorted z-index, an array box', async () => {
		const items = await getReported(
			reported({
				results: [`${filesUrl}/r0.png`, `${filesUrl}/r1.png`, `${filesUrl}/r2.png`],
				result_data: [
					{ url: `${filesUrl}/second.png`, z_index: 2, bounding_box: [1, 2, 30, 40], name: 'cup' },
					{ z_index: 0 },
					{ image_url: `${filesUrl}/first.png`, z_index: 1, description: 'a saucer' },
				],
			}),
			'urls',
		);
		expect(items.map((/** @type {any} */ item) => [item.json.zIndex, item.json.url])).toEqual([
			[0, `${filesUrl}/r1.png`],
			[1, `${filesUrl}/first.png`],
			[2, `${filesUrl}/second.png`],
		]);
		expect(items[1].json).toMatchObject({ name: null, description: 'a saucer', boundingBox: null });
		expect(items[2].json).toMatchObject({
			name: 'cup',
			description: null,
			boundingBox: [1, 2, 30, 40],
		});
	});

	test('result_data as one object, and a layer task without result_data: results in order, z-index = position', async () => {
		const single = await getReported(
			reported({
				results: [`${filesUrl}/a.png`],
				result_data: { image_url: `${filesUrl}/only.png`, z_index: 0 },
			}),
			'urls',
		);
		expect(single.map((/** @type {any} */ item) => [item.json.zIndex, item.json.url])).toEqual([
			[0, `${filesUrl}/only.png`],
		]);

		await suite.reset();
		const bare = await getReported(
			reported({ results: [`${filesUrl}/a.png`, `${filesUrl}/b.png`] }),
			'urls',
		);
		expect(bare.map((/** @type {any} */ item) => item.json)).toEqual([
			expect.objectContaining({
				zIndex: 0,
				url: `${filesUrl}/a.png`,
				name: null,
				description: null,
				boundingBox: null,
			}),
			expect.objectContaining({
				zIndex: 1,
				url: `${filesUrl}/b.png`,
				name: null,
				description: null,
				boundingBox: null,
			}),
		]);
	});

	test('a file takes its type from its bytes, never from its URL: a JPEG at a .png link served as octet-stream', async () => {
		const items = await getReported(
			reported({
				results: [`${filesUrl}/jpeg-bytes/base.png`, `${filesUrl}/layer.jpeg`],
				result_data: [
					{ image_url: `${filesUrl}/jpeg-bytes/base.png`, z_index: 0 },
					{ image_url: `${filesUrl}/layer.jpeg`, z_index: 1 },
				],
			}),
		);
		expect(items[0].binary.data).toMatchObject({
			mimeType: 'image/jpeg',
			fileExtension: 'jpg',
			fileName: 'task-unified-1790340773-abcd1234-0.jpg',
		});
		expect(items[0].json.mimeType).toBe('image/jpeg');
		expect(items[1].binary.data).toMatchObject({
			mimeType: 'image/png',
			fileExtension: 'png',
			fileName: 'task-unified-1790340773-abcd1234-1.png',
		});
	});
});
