// @ts-check
// docs/evolink-api.md §2, §9: references are fetched when the task runs; limits fail the task with the documented codes.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { headerImage, imageServer, pngOf, useEmulator } from './helpers.mjs';

const emu = useEmulator({ taskMs: 0 });
/** @type {Awaited<ReturnType<typeof imageServer>>} */
let images;

const TEN_MB = 10 * 1024 * 1024;
/** A PNG whose header says 100x100, padded to `size` bytes (the limit is on bytes, not pixels). */
const paddedPng = async (/** @type {number} */ size) => {
	const png = await pngOf(100, 100);
	return Buffer.concat([png, Buffer.alloc(size - png.length)]);
};

beforeAll(async () => {
	images = await imageServer({
		'/ok.png': await pngOf(64, 48),
		'/15.png': await pngOf(15, 15),
		'/14.png': await pngOf(14, 100),
		'/ok.jpg': headerImage('jpeg', 800, 600),
		'/ok.gif': headerImage('gif', 300, 200),
		'/ok.webp': headerImage('webp', 1024, 768),
		'/ok.bmp': headerImage('bmp', 640, 480),
		'/ok.tiff': headerImage('tiff', 500, 500),
		'/6000.jpg': headerImage('jpeg', 6000, 6000),
		'/6001.jpg': headerImage('jpeg', 6001, 3000),
		'/16to1.gif': headerImage('gif', 1600, 100),
		'/17to1.gif': headerImage('gif', 1700, 100),
		'/1to17.gif': headerImage('gif', 100, 1700),
		'/wide.jpg': headerImage('jpeg', 1600, 900),
		'/tall.jpg': headerImage('jpeg', 900, 1600),
		'/cinema.jpg': headerImage('jpeg', 2300, 1000),
		'/text.png': Buffer.from('this is not an image at all, just text'),
		'/10mb.png': await paddedPng(TEN_MB),
		'/10mb+1.png': await paddedPng(TEN_MB + 1),
	});
});
afterAll(() => images.close());

/** Runs a task with these references and returns its final state. */
async function run(/** @type {string[]} */ paths, extra = {}) {
	const image_urls = paths.map((p) => (p.startsWith('http') ? p : images.url + p));
	const { status, json } = await emu.create({
		prompt: 'edit this',
		size: '1280x720',
		image_urls,
		...extra,
	});
	expect(status).toBe(200);
	return emu.waitFor(json.id);
}

describe('accepted references', () => {
	test.each([
		'/ok.png',
		'/ok.jpg',
		'/ok.gif',
		'/ok.webp',
		'/ok.bmp',
		'/ok.tiff',
		'/15.png',
		'/6000.jpg',
		'/16to1.gif',
		'/10mb.png',
	])('%s', async (path) => expect((await run([path])).status).toBe('completed'));
	test('several at once', async () =>
		expect((await run(['/ok.png', '/ok.jpg', '/ok.webp'])).status).toBe('completed'));
});

describe('rejected references fail the task', () => {
	test.each([
		['a 404', '/missing.png', 'image_processing_error', 'HTTP 404'],
		[
			'an unreachable host',
			'http://127.0.0.1:1/a.png',
			'image_processing_error',
			'download failed',
		],
		[
			'a non-loopback host (the emulator fetches loopback only)',
			'https://example.com/a.png',
			'image_processing_error',
			'loopback',
		],
		['not an image', '/text.png', 'image_processing_error', 'not a readable image'],
		['width 14', '/14.png', 'invalid_parameters', 'greater than 14'],
		['6001 px wide', '/6001.jpg', 'invalid_parameters', '6000x6000'],
		['W/H 17', '/17to1.gif', 'invalid_parameters', '1/16 to 16'],
		['W/H 1/17', '/1to17.gif', 'invalid_parameters', '1/16 to 16'],
		['10 MB + 1 byte', '/10mb+1.png', 'invalid_parameters', '10 MB'],
	])('%s → %s', async (_, path, code, fragment) => {
		const task = await run(['/ok.png', path]);
		expect(task).toMatchObject({ status: 'failed', error: { code, type: 'task_error' } });
		expect(task.error.message).toContain('image_urls[1]');
		expect(task.error.message).toContain(fragment);
	});

	test('the reservation is released', async () => {
		await run(['/14.png'], { n: 3 });
		const [ledger] = Object.values(await emu.control('GET', 'ledger'));
		expect(ledger).toMatchObject({ reserved: 0, charged: 0, balance: 10000 });
	});
});

describe('references + n: the output is clamped to 15 − references (§9)', () => {
	test('14 references, n 15, a prompt asking for 15 → 1 image, charged 1', async () => {
		const task = await run(Array(14).fill('/ok.png'), { n: 15, prompt: '15 images of this' });
		expect(task.results).toHaveLength(1);
		expect(task.usage).toMatchObject({ credits_reserved: 27, credits_used: 1.8 });
	});
	test('3 references, n 15, fifteen asked → 12 images', async () => {
		const task = await run(Array(3).fill('/ok.jpg'), { n: 15, prompt: 'fifteen images of this' });
		expect(task.results).toHaveLength(12);
	});
});

describe('auto size follows the first reference (nearest listed ratio)', () => {
	test.each([
		['/wide.jpg', '2K', '2848x1600'],
		['/tall.jpg', '2K', '1600x2848'],
		['/cinema.jpg', '1K', '1512x648'],
		['/ok.tiff', '4K', '4096x4096'],
		['/ok.jpg', '1K', '1152x864'],
	])('%s at %s → %s', async (path, quality, expected) => {
		const task = await run([path, '/tall.jpg'], { size: 'auto', quality });
		expect(task.status).toBe('completed');
		const [internal] = await emu.control('GET', 'tasks');
		expect(`${internal.width}x${internal.height}`).toBe(expected);
	});
});
