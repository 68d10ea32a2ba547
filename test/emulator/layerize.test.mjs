// @ts-check
// docs/evolink-seedream-5.md §4 and §7: doubao-seedream-5.0-pro-layerize splits its one input into a base image and
// alpha PNG layers whose boxes match their pixels; result_data; quality; its reference limits; failures; billing.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
	headerImage,
	imageServer,
	padded,
	pngOf,
	pngPixels,
	readJpeg,
	readPng,
	realJpeg,
	rgbaPng,
	useEmulator,
} from './helpers.mjs';

const emu = useEmulator({ taskMs: 0 });
const LAYERIZE = 'doubao-seedream-5.0-pro-layerize';
const MB = 1024 * 1024;
const PRICE = 2.304;

/** A PNG whose IHDR says width × height (the emulator reads the header before it decodes). */
async function pngHeaderOnly(/** @type {number} */ width, /** @type {number} */ height) {
	const png = Buffer.from(await pngOf(16, 16));
	png.writeUInt32BE(width, 16);
	png.writeUInt32BE(height, 20);
	return png;
}

/** @type {Awaited<ReturnType<typeof imageServer>>} */
let images;
beforeAll(async () => {
	images = await imageServer({
		'/photo.png': await pngOf(1024, 1024),
		'/x-720x1078.png': await pngOf(720, 1078),
		'/large.jpg': realJpeg(2400, 2000),
		'/512.png': await pngOf(512, 512),
		'/511x512.png': await pngHeaderOnly(511, 512),
		'/16to1.png': await pngOf(2048, 128),
		'/17to1.png': await pngHeaderOnly(2200, 129),
		'/6000.png': await pngOf(6000, 6000),
		'/6001x6000.png': await pngHeaderOnly(6001, 6000),
		'/30mb.png': padded(await pngOf(600, 600), 30 * MB),
		'/30mb+1.png': padded(await pngOf(600, 600), 30 * MB + 1),
		'/uniform.png': await rgbaPng(600, 600, () => [30, 90, 160, 255]),
		'/ok.webp': headerImage('webp', 1024, 768),
		'/header-only.jpg': headerImage('jpeg', 800, 600),
	});
});
afterAll(() => images.close());

/** Runs a layerize task on one input; returns the final task and the emulator's internal view. */
async function split(
	/** @type {string} */ path,
	/** @type {Record<string, unknown>} */ extra = {},
) {
	const { json, status } = await emu.create({
		model: LAYERIZE,
		image_urls: [images.url + path],
		...extra,
	});
	expect({ status, error: json.error }).toEqual({ status: 200, error: undefined });
	const done = await emu.waitFor(json.id);
	const internal = (await emu.control('GET', 'tasks')).find(
		(/** @type {any} */ t) => t.id === json.id,
	);
	return { done, internal, size: `${internal.width}x${internal.height}` };
}
const download = async (/** @type {string} */ url) => {
	const response = await fetch(url);
	expect(response.status).toBe(200);
	return {
		type: response.headers.get('content-type'),
		bytes: Buffer.from(await response.arrayBuffer()),
	};
};
const ledger = async () =>
	/** @type {any} */ (Object.values(await emu.control('GET', 'ledger'))[0]);

describe('the result: a base and alpha layers (§4, §7)', () => {
	test('by default 2 layers plus the base; results and result_data in z_index order, as §4 describes', async () => {
		const { done } = await split('/photo.png');
		expect(done.status).toBe('completed');
		expect(done.results).toHaveLength(3);
		expect(done.result_data.map((/** @type {any} */ d) => d.image_url)).toEqual(done.results);
		expect(done.result_data.map((/** @type {any} */ d) => d.z_index)).toEqual([0, 1, 2]);
		expect(done.result_data[0]).toEqual({ image_url: done.results[0], z_index: 0 });
		for (const layer of done.result_data.slice(1)) {
			expect(layer).toEqual({
				image_url: expect.stringMatching(/\.png$/),
				z_index: expect.any(Number),
				name: expect.any(String),
				description: expect.any(String),
				bounding_box: {
					absolute: [
						expect.any(Number),
						expect.any(Number),
						expect.any(Number),
						expect.any(Number),
					],
					normalized: [
						expect.any(Number),
						expect.any(Number),
						expect.any(Number),
						expect.any(Number),
					],
				},
			});
		}
	});

	test('the base is a JPEG by default (a decodable one, of the input size under auto); layers are PNGs', async () => {
		const { done } = await split('/photo.png');
		expect(done.results[0]).toMatch(/\/0\.jpeg$/);
		const base = await download(done.results[0]);
		expect(base.type).toBe('image/jpeg');
		expect(readJpeg(base.bytes)).toMatchObject({ width: 1024, height: 1024 });
		const layer = await download(done.results[1]);
		expect(layer.type).toBe('image/png');
		expect(readPng(layer.bytes).colorType).toBe(6);
	});

	test("each layer is the crop of the base over its box, with alpha, and the box is its visible pixels' bounding box", async () => {
		const { done } = await split('/photo.png', { output_format: 'png' });
		const base = pngPixels((await download(done.results[0])).bytes);
		expect(base).toMatchObject({ width: 1024, height: 1024, colorType: 2 });
		for (const item of done.result_data.slice(1)) {
			const [x1, y1, x2, y2] = item.bounding_box.absolute;
			expect(
				0 <= x1 && x1 < x2 && x2 <= base.width && 0 <= y1 && y1 < y2 && y2 <= base.height,
			).toBe(true);
			// normalized is absolute in thousandths of the base.
			expect(item.bounding_box.normalized).toEqual([
				Math.round((x1 * 1000) / base.width),
				Math.round((y1 * 1000) / base.height),
				Math.round((x2 * 1000) / base.width),
				Math.round((y2 * 1000) / base.height),
			]);
			const layer = pngPixels((await download(item.image_url)).bytes);
			expect(layer).toMatchObject({ width: x2 - x1, height: y2 - y1, colorType: 6 });
			let [minX, minY, maxX, maxY] = [Infinity, Infinity, -1, -1];
			let transparent = 0;
			let mismatched = 0;
			for (let y = 0; y < layer.height; y++) {
				for (let x = 0; x < layer.width; x++) {
					const at = (y * layer.width + x) * 4;
					if (layer.data[at + 3] === 0) {
						transparent++;
						continue;
					}
					minX = Math.min(minX, x);
					minY = Math.min(minY, y);
					maxX = Math.max(maxX, x);
					maxY = Math.max(maxY, y);
					const inBase = ((y1 + y) * base.width + x1 + x) * 3;
					for (let c = 0; c < 3; c++)
						if (layer.data[at + c] !== base.data[inBase + c]) mismatched++;
				}
			}
			expect([minX, minY, maxX + 1, maxY + 1]).toEqual([0, 0, layer.width, layer.height]);
			expect(transparent).toBeGreaterThan(0);
			expect(mismatched).toBe(0);
		}
	});

	test("one layer per <bbox> tag, named by its label, at the box's pixels in the base", async () => {
		const prompt = 'title text<bbox>179 58 809 197</bbox>, logo<bbox>0 500 250 1000</bbox>';
		const { done } = await split('/photo.png', { prompt });
		expect(done.results).toHaveLength(3);
		const px = (/** @type {number} */ n) => Math.round((n * 1024) / 1000);
		expect(done.result_data.slice(1)).toEqual([
			expect.objectContaining({
				z_index: 1,
				name: 'title text',
				bounding_box: { absolute: [179, 58, 809, 197].map(px), normalized: [179, 58, 809, 197] },
			}),
			expect.objectContaining({
				z_index: 2,
				name: 'logo',
				bounding_box: { absolute: [0, 500, 250, 1000].map(px), normalized: [0, 500, 250, 1000] },
			}),
		]);
		const logo = readPng((await download(done.results[2])).bytes);
		expect(logo).toMatchObject({ width: px(250), height: px(1000) - px(500) });
	});

	test('17 <bbox> tags make 16 layers: 17 images at most, all charged', async () => {
		const prompt = Array.from(
			{ length: 17 },
			(_, i) => `part ${i}<bbox>${i * 50} 0 ${i * 50 + 40} 900</bbox>`,
		).join(' ');
		const { done } = await split('/512.png', { prompt });
		expect(done.results).toHaveLength(17);
		expect(done.result_data.at(-1)).toMatchObject({ z_index: 16, name: 'part 15' });
		expect(done.usage).toMatchObject({ credits_reserved: 39.168, credits_used: 39.168 });
	});

	test.each([
		[0, 1],
		[1, 2],
		[16, 17],
	])(
		'layerizeLayers %p (the control surface) → %p image(s) without <bbox>',
		async (layers, count) => {
			await emu.control('POST', 'config', { layerizeLayers: layers });
			const { done } = await split('/512.png');
			expect(done.results).toHaveLength(count);
			expect(done.usage.credits_used).toBe(Math.round(count * PRICE * 1000) / 1000);
		},
	);
});

describe('quality (§4, §7)', () => {
	test.each([
		['/photo.png', 'auto', '1024x1024'], // 1 048 576 px: within 921 600-4 624 220, kept as is
		['/x-720x1078.png', 'auto', '832x1248'], // 776 160 px: smaller → 1K at the nearest ratio, 2:3 (as X saw)
		['/large.jpg', 'auto', '2240x1792'], // 4 800 000 px: larger → 2K at the nearest ratio, 5:4
		['/photo.png', '1.5K', '1536x1536'],
		['/x-720x1078.png', '2K', '1664x2496'],
		['/large.jpg', '1K', '1120x896'],
	])('%s at %s → a %s base', async (path, quality, expected) => {
		const { done, size } = await split(path, { quality, output_format: 'png' });
		expect(size).toBe(expected);
		const base = readPng((await download(done.results[0])).bytes);
		expect(`${base.width}x${base.height}`).toBe(expected);
	});
	test('quality defaults to auto', async () =>
		expect((await split('/x-720x1078.png')).size).toBe('832x1248'));
});

describe('the input: exactly one png or jpeg image within the limits (§4)', () => {
	test.each([
		['512x512 (262 144 px, the minimum)', '/512.png'],
		['2048x128 (W/H = 16, the minimum area)', '/16to1.png'],
		['6000x6000 (the maximum)', '/6000.png'],
		['30 MB', '/30mb.png'],
		['a JPEG', '/large.jpg'],
	])('%s is split', async (_, path) => expect((await split(path)).done.status).toBe('completed'));
	test.each([
		['511x512 (under 262 144 px)', 'invalid_parameters', '/511x512.png', '262144'],
		['6001x6000 (over 6000x6000 px)', 'invalid_parameters', '/6001x6000.png', '36000000'],
		['W/H over 16', 'invalid_parameters', '/17to1.png', '1/16 to 16'],
		['30 MB + 1 byte', 'invalid_parameters', '/30mb+1.png', '30 MB'],
		['a WebP', 'invalid_parameters', '/ok.webp', 'png, jpeg'],
		[
			'a JPEG that cannot be decoded',
			'image_processing_error',
			'/header-only.jpg',
			'cannot be decoded',
		],
		['a missing file', 'image_processing_error', '/missing.png', 'HTTP 404'],
	])('%s fails the task with %s', async (_, code, path, fragment) => {
		const { done } = await split(path);
		expect(done).toMatchObject({ status: 'failed', error: { code, type: 'task_error' } });
		expect(done.error.message).toContain(fragment);
		expect(done.results).toBeUndefined();
	});
});

describe('failures and billing (§4, §7)', () => {
	test('17 × 2.304 reserved, settled per image made, the rest released', async () => {
		const { done } = await split('/photo.png');
		expect(done.usage).toMatchObject({ credits_reserved: 39.168, credits_used: 6.912 });
		const account = await ledger();
		expect(account).toMatchObject({ reserved: 0, charged: 6.912 });
		expect(account.entries.map((/** @type {any} */ e) => [e.type, e.credits])).toEqual([
			['reserve', 39.168],
			['settle', 6.912],
			['release', 32.256],
		]);
	});
	test('a forced failure leaves no results and releases the whole reservation', async () => {
		await emu.control('POST', 'faults', { action: { type: 'taskError', code: 'service_error' } });
		const { done } = await split('/photo.png');
		expect(done).toMatchObject({ status: 'failed', error: { code: 'service_error' } });
		expect(done.results).toBeUndefined();
		expect(done.result_data).toBeUndefined();
		expect(await ledger()).toMatchObject({ reserved: 0, charged: 0 });
		expect((await ledger()).entries.at(-1)).toMatchObject({ type: 'release', credits: 39.168 });
	});
	test('an image with nothing to split (uniform) fails with generation_failed_no_content, nothing charged', async () => {
		const { done } = await split('/uniform.png');
		expect(done).toMatchObject({
			status: 'failed',
			error: { code: 'generation_failed_no_content' },
		});
		expect(await ledger()).toMatchObject({ reserved: 0, charged: 0 });
	});
	test('while running, estimated_time says about 120 s and falls with the configured duration', async () => {
		await emu.control('POST', 'config', { taskMs: 600_000 });
		const { json } = await emu.create({ model: LAYERIZE, image_urls: [`${images.url}/photo.png`] });
		expect(json.task_info).toEqual({ can_cancel: true, estimated_time: 120 });
		await emu.control('POST', 'clock', { advanceMs: 300_000 });
		const running = (await emu.request('GET', `/v1/tasks/${json.id}`)).json;
		expect(running).toMatchObject({ status: 'processing', task_info: { estimated_time: 60 } });
		await emu.control('POST', 'clock', { advanceMs: 300_000 });
		expect((await emu.waitFor(json.id)).status).toBe('completed');
	});
	test('config layerizeEstimatedSeconds replaces the documented 120 s (for pollers under test); null restores it', async () => {
		await emu.control('POST', 'config', { taskMs: 600_000, layerizeEstimatedSeconds: 2 });
		const { json } = await emu.create({ model: LAYERIZE, image_urls: [`${images.url}/photo.png`] });
		expect(json.task_info).toEqual({ can_cancel: true, estimated_time: 2 });
		await emu.control('POST', 'config', { layerizeEstimatedSeconds: null });
		const again = await emu.create({ model: LAYERIZE, image_urls: [`${images.url}/photo.png`] });
		expect(again.json.task_info).toEqual({ can_cancel: true, estimated_time: 120 });
		const refused = await emu.request('POST', '/__emulator/config', {
			body: { layerizeEstimatedSeconds: 0 },
			key: null,
		});
		expect(refused.status).toBe(400);
		await emu.control('POST', 'clock', { advanceMs: 600_000 });
	});
	test('results and result_data stay empty while results are late (lateResults fault)', async () => {
		await emu.control('POST', 'faults', { action: { type: 'lateResults', ms: 60_000 } });
		const { done } = await split('/photo.png');
		expect(done).toMatchObject({ status: 'completed', results: [], result_data: [] });
		await emu.control('POST', 'clock', { advanceMs: 60_000 });
		const { json } = await emu.request('GET', `/v1/tasks/${done.id}`);
		expect(json.result_data).toHaveLength(3);
	});
});
