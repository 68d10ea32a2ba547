// @ts-check
// n8n's filesystem binary mode (n8n's default outside queue mode): downloads stream to disk, binary
// references are read from the store and uploaded.
import { createHash } from 'node:crypto';
import { readPng } from '../harness/png.mjs';
import { GENERATE, itemsWithFiles, png, startSuite } from './support.mjs';

/** @type {import('./support.mjs').Suite} */
let suite;
beforeAll(async () => {
	suite = await startSuite({ binaryMode: 'filesystem' });
});
beforeEach(async () => await suite.reset());
afterAll(async () => await suite?.close());

test('generated images are stored on disk and read back whole', async () => {
	const result = await suite.run({
		...GENERATE,
		prompt: 'a set of 3 images of boats',
		n: 3,
		output: 'binaryPerTask',
	});
	expect(result.status).toBe('success');
	const [item] = result.output('Seedream');
	for (const field of ['image_0', 'image_1', 'image_2']) {
		const binary = item.binary[field];
		// Stored by reference (an id), not inline base64.
		expect(binary.id).toMatch(/^filesystem/);
		expect(binary.data).not.toMatch(/^iVBOR/);
		const bytes = await suite.harness.binaryBuffer(binary);
		expect(readPng(bytes)).toMatchObject({ width: 1024, height: 1024 });
		expect(Number(binary.fileSize.replace(/\D/g, ''))).toBeGreaterThan(0);
	}
});

test('binary references stored on disk are uploaded byte for byte', async () => {
	const file = await png(48, 40, 'on-disk');
	const items = await itemsWithFiles(suite, [file]);
	expect(items[0].binary.data.id).toMatch(/^filesystem/);
	const result = await suite.run(
		{
			...GENERATE,
			output: 'urls',
			referenceImages: { images: [{ source: 'binary', binaryPropertyName: 'data' }] },
		},
		{ items },
	);
	expect(result.status).toBe('success');
	const [create] = await suite.requests({ method: 'POST', path: '/v1/images/generations' });
	// The emulator's record of the upload (the file itself is deleted once the task ended).
	const [uploaded] = await suite.emulator.control.files();
	expect(create.body.image_urls[0]).toContain(uploaded.id);
	expect(uploaded.sha256).toBe(createHash('sha256').update(file).digest('hex'));
});

test('an oversized reference in the store is refused from its stored size, before anything is sent', async () => {
	const big = Buffer.concat([await png(64, 64), Buffer.alloc(10 * 1024 * 1024)]);
	const items = await itemsWithFiles(suite, [big]);
	const result = await suite.run(
		{
			...GENERATE,
			referenceImages: { images: [{ source: 'binary', binaryPropertyName: 'data' }] },
		},
		{ items },
	);
	expect(result.error.message).toMatch(
		/^Reference Image 1 \(binary field "data"\): must be at most 10 MB/,
	);
	expect(await suite.requests()).toEqual([]);
});
