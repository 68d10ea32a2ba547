// @ts-check
// docs/evolink-api.md §2, §3, §9: result sizes (ratio × quality table, presets, pixels, default, auto), real PNGs, plain links, 24 h expiry.
import { describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { useEmulator, readPng } from './helpers.mjs';

const emu = useEmulator({ taskMs: 0 });

// The spec's table, typed again here on purpose: the emulator's copy in limits.mjs is what is under test.
/** @type {Record<string, [string, string, string]>} */
const TABLE = {
	'1:1': ['1024x1024', '2048x2048', '4096x4096'],
	'16:9': ['1280x720', '2848x1600', '5504x3040'],
	'9:16': ['720x1280', '1600x2848', '3040x5504'],
	'4:3': ['1152x864', '2304x1728', '4704x3520'],
	'3:4': ['864x1152', '1728x2304', '3520x4704'],
	'3:2': ['1248x832', '2496x1664', '4992x3328'],
	'2:3': ['832x1248', '1664x2496', '3328x4992'],
	'4:5': ['896x1120', '1792x2240', '3584x4480'],
	'5:4': ['1120x896', '2240x1792', '4480x3584'],
	'21:9': ['1512x648', '3136x1344', '6240x2656'],
	'9:21': ['648x1512', '1344x3136', '2656x6240'],
};

/** Creates a task, waits for it, returns it with its resolved size on the emulator's side. */
async function made(/** @type {Record<string, unknown>} */ body) {
	const { json, status } = await emu.create({ prompt: 'a kite', ...body });
	expect(status).toBe(200);
	const done = await emu.waitFor(json.id);
	const internal = (await emu.control('GET', 'tasks')).find(
		(/** @type {any} */ t) => t.id === json.id,
	);
	return { done, size: `${internal.width}x${internal.height}` };
}

/** Downloads a result without a key and checks it as a decoder would. */
async function download(/** @type {string} */ url) {
	const response = await fetch(url);
	const bytes = Buffer.from(await response.arrayBuffer());
	expect(response.status).toBe(200);
	expect(response.headers.get('content-type')).toBe('image/png');
	expect(Number(response.headers.get('content-length'))).toBe(bytes.length);
	return { png: readPng(bytes), bytes };
}

describe('ratio × quality resolves to the table of §2 (transposes included)', () => {
	const cases = Object.entries(TABLE).flatMap(([ratio, sizes]) =>
		['1K', '2K', '4K'].map(
			(quality, i) => /** @type {[string, string, string]} */ ([ratio, quality, sizes[i]]),
		),
	);
	test.each(cases)('%s at %s → %s', async (size, quality, expected) => {
		expect((await made({ size, quality })).size).toBe(expected);
	});
	test('quality defaults to 2K', async () =>
		expect((await made({ size: '16:9' })).size).toBe('2848x1600'));
});

describe('other sizes (§9)', () => {
	test.each([
		['1K', '1024x1024'],
		['2K', '2048x2048'],
		['4K', '4096x4096'],
		['1920x1080', '1920x1080'],
		[undefined, '2048x2048'],
		['auto', '2048x2048'],
	])('size %p → %s', async (size, expected) => expect((await made({ size })).size).toBe(expected));
	test('auto at 4K without references is 1:1', async () =>
		expect((await made({ size: 'auto', quality: '4K' })).size).toBe('4096x4096'));
	test('4.5 resolves the same table', async () =>
		expect((await made({ model: 'doubao-seedream-4.5', size: '9:16', quality: '4K' })).size).toBe(
			'3040x5504',
		));
});

describe('result files are real PNGs of the exact size', () => {
	test.each(Object.keys(TABLE))('every 1K ratio decodes at its size: %s', async (size) => {
		const { done } = await made({ size, quality: '1K' });
		const { png } = await download(done.results[0]);
		expect(`${png.width}x${png.height}`).toBe(TABLE[size][0]);
		expect(png).toMatchObject({ bitDepth: 8, colorType: 2 });
	});

	test.each([
		['9:16', '2K', 1600, 2848],
		['21:9', '4K', 6240, 2656],
		['1:1', '4K', 4096, 4096],
	])(
		'%s at %s decodes at %ix%i, and weighs several MB at 4K',
		async (size, quality, width, height) => {
			const { done } = await made({ size, quality });
			const { png, bytes } = await download(done.results[0]);
			expect([png.width, png.height]).toEqual([width, height]);
			if (quality === '4K') {
				expect(bytes.length).toBeGreaterThan(2_000_000);
			}
		},
	);

	test('images are distinct per index and per task, and a second download is the same bytes', async () => {
		const { done: a } = await made({ prompt: '3 images of a kite', n: 3, size: '1280x720' });
		const { done: b } = await made({ prompt: '3 images of a kite', n: 1, size: '1280x720' });
		const hashes = [];
		for (const url of [...a.results, ...b.results]) {
			const { bytes } = await download(url);
			hashes.push(createHash('sha256').update(bytes).digest('hex'));
		}
		expect(new Set(hashes).size).toBe(4);
		const again = await download(a.results[0]);
		expect(createHash('sha256').update(again.bytes).digest('hex')).toBe(hashes[0]);
	});

	test('HEAD answers the length without a body', async () => {
		const { done } = await made({ size: '1280x720' });
		const full = await download(done.results[0]);
		const head = await fetch(done.results[0], { method: 'HEAD' });
		expect(head.status).toBe(200);
		expect(Number(head.headers.get('content-length'))).toBe(full.bytes.length);
	});

	test('an index beyond the images made, or an unknown task, is 404', async () => {
		const { done } = await made({ size: '1280x720' });
		expect((await fetch(done.results[0].replace(/0\.png$/, '1.png'))).status).toBe(404);
		expect((await fetch(`${emu.url}/content/results/task-unified-1-aaaaaaaa/0.png`)).status).toBe(
			404,
		);
	});
});

describe('result URLs expire 24 h after completion (§3)', () => {
	test('still served at 24 h − 1 s, 404 expired after', async () => {
		const { done } = await made({ size: '1280x720' });
		await emu.control('POST', 'clock', { advanceMs: 24 * 3600 * 1000 - 1000 });
		expect((await fetch(done.results[0])).status).toBe(200);
		await emu.control('POST', 'clock', { advanceMs: 1000 });
		const expired = await fetch(done.results[0]);
		expect(expired.status).toBe(404);
		expect((await expired.json()).error.code).toBe('expired');
		// The task itself can still be read; only its links expire.
		expect((await emu.request('GET', `/v1/tasks/${done.id}`)).json.status).toBe('completed');
	});
});
