// @ts-check
// Reference images: URLs pass through, binary fields are uploaded to EvoLink Files (seen in the emulator's
// log) and their file URLs sent in image_urls, in the order of the entries.
import { GENERATE, png, startSuite } from './support.mjs';

/** @type {import('./support.mjs').Suite} */
let suite;
beforeAll(async () => {
	// Reference URLs live somewhere the service can fetch: a plain image host on this machine.
	suite = await startSuite({ imageHost: true });
});
beforeEach(async () => await suite.reset());
afterAll(async () => await suite?.close());

/** One item with these PNGs in binary fields ref0, ref1, ... */
async function itemWithPngs(/** @type {number} */ count) {
	/** @type {Record<string, any>} */
	const binary = {};
	/** @type {Buffer[]} */
	const files = [];
	for (let i = 0; i < count; i++) {
		const bytes = await png(32 + i, 32, `ref-${i}`);
		files.push(bytes);
		binary[`ref${i}`] = await suite.harness.storeBinary(bytes, {
			mimeType: 'image/png',
			fileName: `ref-${i}.png`,
		});
	}
	return { items: [{ json: {}, binary }], files };
}

const binaryEntry = (/** @type {number} */ i) => ({
	source: 'binary',
	binaryPropertyName: `ref${i}`,
});
const urlEntry = (/** @type {string} */ url) => ({ source: 'url', url });

async function createBody() {
	const [create] = await suite.requests({ method: 'POST', path: '/v1/images/generations' });
	return create.body;
}

test('URL references go to image_urls as given, and the task uses them', async () => {
	const urls = [`${suite.imageHostUrl}/a.png`, `${suite.imageHostUrl}/b.png`];
	const result = await suite.run({
		...GENERATE,
		sizeMode: 'ratio',
		aspectRatio: 'auto',
		quality: '1K',
		referenceImages: { images: urls.map(urlEntry) },
	});
	expect(result.status).toBe('success');
	expect((await createBody()).image_urls).toEqual(urls);
	expect(await suite.requests({ path: '/api/v1/files/' })).toEqual([]);
	// `auto` took the first reference's aspect (96x64 is 3:2).
	const [task] = await suite.emulator.control.tasks();
	expect([task.width, task.height]).toEqual([1248, 832]);
});

test('binary references are uploaded to Files and their file URLs sent, byte for byte', async () => {
	const { items, files } = await itemWithPngs(2);
	const result = await suite.run(
		{
			...GENERATE,
			referenceImages: { images: [binaryEntry(0), binaryEntry(1)] },
			// Kept, to read them back below (by default they are deleted once the task ends).
			options: { keepUploadedReferences: true },
		},
		{ items },
	);
	expect(result.status).toBe('success');
	const uploads = await suite.requests({ method: 'POST', path: '/api/v1/files/upload/' });
	expect(uploads).toHaveLength(2);
	expect(uploads.map((/** @type {any} */ u) => u.status)).toEqual([200, 200]);

	const imageUrls = (await createBody()).image_urls;
	expect(imageUrls).toHaveLength(2);
	// In entry order, whatever order the parallel uploads finished in.
	for (const [index, url] of imageUrls.entries()) {
		const served = Buffer.from(await (await fetch(url)).arrayBuffer());
		expect(served.equals(files[index])).toBe(true);
	}
	// Uploads happen before the create.
	const create = (await suite.requests({ method: 'POST', path: '/v1/images/' }))[0];
	expect(uploads.every((/** @type {any} */ u) => u.seq < create.seq)).toBe(true);
});

test('URL and binary references mix freely and keep their order', async () => {
	const { items } = await itemWithPngs(1);
	const first = `${suite.imageHostUrl}/first.png`;
	const last = `${suite.imageHostUrl}/last.png`;
	const result = await suite.run(
		{ ...GENERATE, referenceImages: { images: [urlEntry(first), binaryEntry(0), urlEntry(last)] } },
		{ items },
	);
	expect(result.status).toBe('success');
	const imageUrls = (await createBody()).image_urls;
	const [file] = await suite.emulator.control.requests({
		method: 'POST',
		path: '/api/v1/files/upload/',
	});
	expect(file).toBeDefined();
	expect(imageUrls[0]).toBe(first);
	expect(imageUrls[1]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.+/);
	expect(imageUrls[1]).not.toBe(first);
	expect(imageUrls[2]).toBe(last);
});

test("an item's uploads run in parallel", async () => {
	const { items } = await itemWithPngs(10);
	// The first upload is held for 1.5 s: had the uploads run one after another, no other could arrive meanwhile.
	await suite.emulator.control.fault({
		method: 'POST',
		path: '/api/v1/files/upload/',
		times: 1,
		action: { type: 'delay', ms: 1500 },
	});
	const result = await suite.run(
		{
			...GENERATE,
			referenceImages: { images: Array.from({ length: 10 }, (_, i) => binaryEntry(i)) },
			output: 'urls',
		},
		{ items },
	);
	expect(result.status).toBe('success');
	const uploads = await suite.requests({ method: 'POST', path: '/api/v1/files/upload/' });
	expect(uploads).toHaveLength(10);
	const held = uploads.find((/** @type {any} */ u) => u.fault === 'delay');
	const heldUntil = Date.parse(held.time) + 1500;
	const others = uploads.filter((/** @type {any} */ u) => u !== held);
	expect(others.every((/** @type {any} */ u) => Date.parse(u.time) < heldUntil)).toBe(true);
	expect((await createBody()).image_urls).toHaveLength(10);
});

test('a failed upload stops the item before a task is created (nothing billed)', async () => {
	const { items } = await itemWithPngs(1);
	await suite.emulator.control.config({ maxFiles: 0 });
	const result = await suite.run(
		{ ...GENERATE, referenceImages: { images: [binaryEntry(0)] } },
		{ items },
	);
	expect(result.status).toBe('error');
	expect(result.error.message).toMatch(/^EvoLink's file quota is full: File quota exceeded/);
	expect(await suite.requests({ method: 'POST', path: '/v1/images/generations' })).toEqual([]);
	expect((await suite.ledger()).entries).toEqual([]);
});

test('a reference the service cannot read fails the task with image_processing_error', async () => {
	const result = await suite.run({
		...GENERATE,
		referenceImages: {
			images: [urlEntry(`${suite.imageHostUrl.replace(/:\d+$/, ':1')}/gone.png`)],
		},
	});
	expect(result.status).toBe('error');
	expect(result.error.message).toMatch(
		/^Seedream task task-unified-\S+ failed: image_processing_error: /,
	);
});
