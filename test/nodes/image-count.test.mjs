// @ts-check
// Pure rules, on the built code: the node's reading of a count in a prompt (whether to add "Generate a set of
// N separate images."), and the credits a create would reserve per model (models/prices.ts).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const {
	promptAsksForCount,
	promptAskingFor,
} = require('../../dist/nodes/Seedream/helpers/imageCount.js');
const { creditsToReserve, PRICES } = require('../../dist/nodes/Seedream/models/prices.js');

describe('promptAsksForCount', () => {
	test.each([
		'a set of 4 images of a fox',
		'4 different images of a fox',
		'three watercolor postcards of Lisbon',
		'Two photos of a red bicycle',
		'a pair of matching icons',
		'several variations of this logo',
		'a series of foxes in the snow',
		'a grid of cats',
		'画4张狐狸',
		'12 frames of a running horse',
		'one image of a fox',
		'a single poster of a fox',
	])('asks for a number: %s', (prompt) => {
		expect(promptAsksForCount(prompt)).toBe(true);
	});

	test.each([
		'a fox',
		'a fox with 3 tails',
		'a poster for the 2026 festival',
		'two foxes playing in the snow',
		'a photo of 4 cats',
	])('names no number of images: %s', (prompt) => {
		expect(promptAsksForCount(prompt)).toBe(false);
	});
});

describe('promptAskingFor', () => {
	test('adds the instruction as a sentence of its own', () => {
		expect(promptAskingFor('a fox', 4)).toBe('a fox. Generate a set of 4 separate images.');
		expect(promptAskingFor('A fox in the snow!  ', 2)).toBe(
			'A fox in the snow! Generate a set of 2 separate images.',
		);
	});

	test('leaves a prompt that names a count, or Max Images 1, as it is', () => {
		expect(promptAskingFor('two images of a fox', 4)).toBe('two images of a fox');
		expect(promptAskingFor('a fox', 1)).toBe('a fox');
	});
});

describe('creditsToReserve', () => {
	test('per image for n, rounded to thousandths', () => {
		expect(creditsToReserve({ model: 'doubao-seedream-4.0', n: 3 })).toMatchObject({
			credits: 5.4,
			images: 3,
		});
		expect(creditsToReserve({ model: 'doubao-seedream-5.0-pro' })).toMatchObject({
			credits: 2.304,
			images: 1,
		});
	});

	test('5.0 Lite with web search adds the per-task search price', () => {
		const body = {
			model: 'doubao-seedream-5.0-lite',
			n: 2,
			model_params: { tools: [{ type: 'web_search' }] },
		};
		expect(creditsToReserve(body)?.credits).toBe(4.9);
		expect(creditsToReserve({ ...body, model_params: {} })?.credits).toBe(4.4);
	});

	test('layerize reserves for its 17 images whatever is asked', () => {
		expect(creditsToReserve({ model: 'doubao-seedream-5.0-pro-layerize' })?.credits).toBe(39.168);
	});

	test('every price says whether it is verified and what it rests on; an unknown model has none', () => {
		for (const price of Object.values(PRICES)) {
			expect(typeof price.verified).toBe('boolean');
			expect(price.note).toMatch(/docs\/evolink-(api|seedream-5)\.md §\d/);
		}
		expect(creditsToReserve({ model: 'doubao-seedream-9' })).toBeUndefined();
	});
});
