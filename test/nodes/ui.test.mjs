// @ts-check
// What the editor shows for each model: the Seedream node's description resolved as n8n resolves it
// (NodeHelpers.getNodeParameters and displayParameter, the functions the editor and the engine use), so a user
// never sees a field the chosen model cannot take, and each field offers that model's values and defaults.
import { createRequire } from 'node:module';
import { packageDir } from '../harness/paths.mjs';

const require = createRequire(import.meta.url);
/** @type {typeof import('n8n-workflow')} */
const { NodeHelpers } = require('n8n-workflow');
/** @type {any} */
const { Seedream } = require(`${packageDir}dist/nodes/Seedream/Seedream.node.js`);
const description = new Seedream().description;
const node = /** @type {any} */ ({
	name: 'Seedream',
	type: 'n8n-nodes-seedream.seedream',
	typeVersion: 1,
	parameters: {},
});

/** The parameters n8n keeps for these values, with defaults filled in (what the editor shows and the engine reads). */
function shown(/** @type {Record<string, unknown>} */ values) {
	return /** @type {Record<string, any>} */ (
		NodeHelpers.getNodeParameters(
			description.properties,
			/** @type {any} */ (values),
			true,
			false,
			node,
			description,
		)
	);
}

/** The option values of the copy of `name` shown for these values. */
function optionsOf(/** @type {string} */ name, /** @type {Record<string, unknown>} */ values) {
	const all = shown(values);
	const copies = description.properties.filter(
		(/** @type {any} */ property) =>
			property.name === name && NodeHelpers.displayParameter(all, property, node, description),
	);
	expect(copies).toHaveLength(1);
	return copies[0].options.map((/** @type {any} */ option) => option.value);
}

/** The options of the Options collection shown for these values (children with `/model` conditions). */
function optionNames(/** @type {Record<string, unknown>} */ values) {
	const all = shown(values);
	const collection = description.properties.find(
		(/** @type {any} */ property) =>
			property.name === 'options' && NodeHelpers.displayParameter(all, property, node, description),
	);
	return collection.options
		.filter((/** @type {any} */ option) =>
			NodeHelpers.displayParameterPath(all, option, 'options', node, description),
		)
		.map((/** @type {any} */ option) => option.name);
}

const GENERATE = { resource: 'image', operation: 'generate' };
const COMMON = [
	'resource',
	'operation',
	'model',
	'prompt',
	'sizeMode',
	'referenceImages',
	'waitMode',
	'output',
	'options',
];

test.each([
	['doubao-seedream-4.0', ['n', 'size'], { sizeMode: 'preset', size: '2K' }],
	['doubao-seedream-4.5', ['n', 'size'], { sizeMode: 'preset', size: '2K' }],
	[
		'doubao-seedream-5.0-lite',
		['n', 'aspectRatio', 'quality', 'outputFormat', 'webSearch'],
		{
			sizeMode: 'ratio',
			aspectRatio: 'auto',
			quality: '2K',
			outputFormat: 'jpeg',
			webSearch: false,
		},
	],
	[
		'doubao-seedream-5.0-pro',
		['aspectRatio', 'quality', 'outputFormat', 'watermark', 'background'],
		{
			sizeMode: 'ratio',
			aspectRatio: 'auto',
			quality: '1K',
			outputFormat: 'jpeg',
			watermark: false,
			background: 'opaque',
		},
	],
])('Generate with %s shows exactly its fields, with its defaults', (model, own, defaults) => {
	const parameters = shown({ ...GENERATE, model });
	expect(Object.keys(parameters).sort()).toEqual([...COMMON, ...own].sort());
	expect(parameters).toMatchObject(defaults);
});

test('an existing 4.0 workflow (no model stored) resolves to 4.0 and its defaults of today', () => {
	expect(shown({ ...GENERATE, prompt: 'a cat' })).toMatchObject({
		model: 'doubao-seedream-4.0',
		n: 1,
		sizeMode: 'preset',
		size: '2K',
	});
	expect(shown({ ...GENERATE, sizeMode: 'ratio' })).toMatchObject({
		aspectRatio: '1:1',
		quality: '2K',
	});
});

test.each([
	['doubao-seedream-4.0', ['1K', '2K', '4K']],
	['doubao-seedream-4.5', ['2K', '4K']],
	['doubao-seedream-5.0-lite', ['2K', '3K', '4K']],
	['doubao-seedream-5.0-pro', ['1K', '1.5K', '2K']],
])('%s: Quality offers its tiers', (model, tiers) => {
	expect(optionsOf('quality', { ...GENERATE, model, sizeMode: 'ratio' })).toEqual(tiers);
});

test('Size offers presets on 4.x only (4.5: 2K and 4K)', () => {
	expect(optionsOf('sizeMode', { ...GENERATE, model: 'doubao-seedream-4.0' })).toEqual([
		'preset',
		'custom',
		'ratio',
	]);
	expect(
		optionsOf('size', { ...GENERATE, model: 'doubao-seedream-4.5', sizeMode: 'preset' }),
	).toEqual(['2K', '4K']);
	expect(optionsOf('sizeMode', { ...GENERATE, model: 'doubao-seedream-5.0-lite' })).toEqual([
		'custom',
		'ratio',
	]);
	expect(optionsOf('sizeMode', { ...GENERATE, model: 'doubao-seedream-5.0-pro' })).toEqual([
		'custom',
		'ratio',
	]);
});

test('Prompt Priority is offered where there is a choice: 4.0, 5.0 Pro and Decompose Layers', () => {
	expect(optionNames({ ...GENERATE, model: 'doubao-seedream-4.0' })).toContain('promptPriority');
	expect(optionNames({ ...GENERATE, model: 'doubao-seedream-5.0-pro' })).toContain(
		'promptPriority',
	);
	expect(optionNames({ ...GENERATE, model: 'doubao-seedream-4.5' })).not.toContain(
		'promptPriority',
	);
	expect(optionNames({ ...GENERATE, model: 'doubao-seedream-5.0-lite' })).not.toContain(
		'promptPriority',
	);
	expect(optionNames({ resource: 'image', operation: 'decomposeLayers' })).toContain(
		'promptPriority',
	);
});

test('5.0 Pro with Background Transparent hides Output Format (the result is always PNG)', () => {
	const parameters = shown({
		...GENERATE,
		model: 'doubao-seedream-5.0-pro',
		background: 'transparent',
		outputFormat: 'jpeg',
	});
	expect(parameters).not.toHaveProperty('outputFormat');
	expect(parameters.background).toBe('transparent');
});

test('Decompose Layers shows its input, prompt, quality and base format, and no generation field', () => {
	const parameters = shown({ resource: 'image', operation: 'decomposeLayers' });
	expect(Object.keys(parameters).sort()).toEqual(
		[
			'resource',
			'operation',
			'billingNotice',
			'imageSource',
			'imageUrl',
			'prompt',
			'quality',
			'outputFormat',
			'waitMode',
			'output',
			'options',
		].sort(),
	);
	expect(parameters).toMatchObject({
		imageSource: 'url',
		quality: 'auto',
		outputFormat: 'jpeg',
		output: 'binaryPerImage',
	});
	expect(optionsOf('quality', { resource: 'image', operation: 'decomposeLayers' })).toEqual([
		'auto',
		'1K',
		'1.5K',
		'2K',
	]);
	expect(
		Object.keys(shown({ resource: 'image', operation: 'decomposeLayers', imageSource: 'binary' })),
	).toContain('inputBinaryField');
});
