// @ts-check
// Generate > Options > Validate Only: every check of a real run, then the request body and the credits it
// would reserve, with nothing uploaded and nothing sent (the emulator's request log and ledger stay empty).
import { GENERATE, itemsWithFiles, png, startSuite } from './support.mjs';

/** @type {import('./support.mjs').Suite} */
let suite;
beforeAll(async () => {
	suite = await startSuite({ allowInsecureCallbacks: true });
});
beforeEach(async () => await suite.reset());
afterAll(async () => await suite?.close());

const V1_1 = { typeVersion: 1.1 };
const VALIDATE = { ...GENERATE, prompt: 'a fox', n: 4, options: { validateOnly: true } };

/** Nothing reached the API or the Files API, and no credit moved. */
async function expectNothingSent() {
	expect(await suite.requests()).toEqual([]);
	const ledger = await suite.ledger();
	expect(ledger.entries).toEqual([]);
	expect(ledger.balance).toBe(ledger.initial);
}

test('Max Images 4 with "a fox": sends nothing, outputs the body with the added instruction and 7.2 credits', async () => {
	const result = await suite.run(VALIDATE, V1_1);
	expect(result.status).toBe('success');
	await expectNothingSent();
	const items = result.output('Seedream');
	expect(items).toHaveLength(1);
	expect(items[0].pairedItem).toEqual({ item: 0 });
	expect(items[0].json).toMatchObject({
		validateOnly: true,
		valid: true,
		requestsToSend: 1,
		requestBody: {
			model: 'doubao-seedream-4.0',
			prompt: 'a fox. Generate a set of 4 separate images.',
			n: 4,
			size: '1K',
			prompt_priority: 'standard',
		},
		uploads: [],
		creditsToReserve: 7.2,
		creditsPerTask: 7.2,
		creditsPerImage: 1.8,
		priceVerified: false,
		imagesMode: 'askInPrompt',
		maxImages: 4,
	});
	expect(items[0].json.priceNote).toMatch(
		/^Unverified: 1\.8 is the reservation in the documented example/,
	);
});

test('Exactly N: 4 requests of one image would be sent, 1.8 credits each', async () => {
	const result = await suite.run({ ...VALIDATE, imagesMode: 'exactly' }, V1_1);
	await expectNothingSent();
	expect(result.output('Seedream')[0].json).toMatchObject({
		requestsToSend: 4,
		requestBody: { prompt: 'a fox', n: 1 },
		creditsPerTask: 1.8,
		creditsToReserve: 7.2,
		imagesMode: 'exactly',
	});
});

test('binary references are reported as "would be uploaded" with their size and type, not uploaded', async () => {
	const picture = await png(320, 240, 'validate-only');
	const items = await itemsWithFiles(suite, [picture]);
	const result = await suite.run(
		{
			...VALIDATE,
			n: 1,
			referenceImages: {
				images: [
					{ source: 'url', url: 'https://example.com/style.png' },
					{ source: 'binary', binaryPropertyName: 'data' },
				],
			},
		},
		{ ...V1_1, items },
	);
	expect(result.status).toBe('success');
	await expectNothingSent();
	const [item] = result.output('Seedream');
	expect(item.json.requestBody.image_urls).toEqual([
		'https://example.com/style.png',
		'<binary field "data", would be uploaded to EvoLink Files>',
	]);
	expect(item.json.uploads).toEqual([
		{
			referenceIndex: 1,
			binaryField: 'data',
			fileName: 'ref-0.png',
			mimeType: 'image/png',
			bytes: picture.length,
			size: `${Math.max(1, Math.round(picture.length / 1024))} KB`,
			wouldBeUploaded: true,
		},
	]);
	expect(item.json.creditsToReserve).toBe(1.8);
	expect(item.json.message).toBe(
		"Checked: nothing was uploaded or sent. A run would send this request after uploading 1 binary reference once (1 file of the account's EvoLink Files quota until the task ends).",
	);
});

test('a bad value is still refused, naming the field, and nothing is sent', async () => {
	const result = await suite.run(
		{ ...VALIDATE, sizeMode: 'custom', width: 100, height: 100 },
		V1_1,
	);
	expect(result.status).toBe('error');
	expect(result.error.message).toMatch(/^Width x Height \(size\)/);
	await expectNothingSent();
});

test('Wait for the Callback: the resume URL stands as a placeholder and the execution does not pause', async () => {
	const result = await suite.run({ ...VALIDATE, waitMode: 'callback' }, V1_1);
	expect(result.status).toBe('success');
	await expectNothingSent();
	expect(result.output('Seedream')[0].json.requestBody.callback_url).toBe(
		"<this execution's resume URL, set when the task is sent>",
	);
});

test('Seedream 4.5: the price says it is unverified for that model', async () => {
	const result = await suite.run(
		{ ...VALIDATE, model: 'doubao-seedream-4.5', sizeMode: 'preset', size: '2K', n: 2 },
		V1_1,
	);
	await expectNothingSent();
	const [item] = result.output('Seedream');
	expect(item.json).toMatchObject({ creditsToReserve: 3.6, priceVerified: false });
	expect(item.json.priceNote).toMatch(/no price is documented for 4\.5/);
});

test('Decompose Layers: its body and the reservation for 17 images (2.304 each, unverified), nothing sent', async () => {
	const result = await suite.run(
		{
			resource: 'image',
			operation: 'decomposeLayers',
			imageSource: 'url',
			imageUrl: 'https://example.com/poster.png',
			options: { validateOnly: true },
		},
		V1_1,
	);
	expect(result.status).toBe('success');
	await expectNothingSent();
	const [item] = result.output('Seedream');
	expect(item.json).toMatchObject({
		requestsToSend: 1,
		requestBody: {
			model: 'doubao-seedream-5.0-pro-layerize',
			image_urls: ['https://example.com/poster.png'],
		},
		creditsToReserve: 39.168,
		creditsPerImage: 2.304,
		priceVerified: false,
	});
	expect(item.json.imagesMode).toBeUndefined();
});
