// @ts-check
// The 5.0 example workflows (examples/decompose-layers.json, examples/pro-transparent-edit.json) on n8n's engine
// against the emulator, as the files are (their sticky notes left out: a note is not a node the engine runs).
import { readPng } from '../harness/png.mjs';
import { workflowFromFile } from '../harness/workflows.mjs';
import { startSuite } from './support.mjs';

/** @type {import('./support.mjs').Suite} */
let suite;
beforeAll(async () => {
	suite = await startSuite();
});
beforeEach(async () => {
	await suite.reset();
	// The documented 120 s layerize estimate would hold the first poll back a minute; tasks here take 300 ms.
	await suite.emulator.control.config({ layerizeEstimatedSeconds: 1 });
});
afterAll(async () => await suite?.close());

async function runExample(/** @type {string} */ file) {
	const workflow = workflowFromFile(`examples/${file}`);
	workflow.nodes = workflow.nodes.filter(
		(/** @type {any} */ node) => node.type !== 'n8n-nodes-base.stickyNote',
	);
	return await suite.harness.runWorkflow(workflow, { credentials: suite.credentials });
}

test('decompose-layers.json: the poster becomes one item per layer, base first, one layer per <bbox> region', async () => {
	const result = await runExample('decompose-layers.json');
	expect(result.error?.message).toBeUndefined();
	const items = result.output('Decompose into Layers');
	expect(items.map((/** @type {any} */ item) => item.json.zIndex)).toEqual([0, 1, 2]);
	expect(items.map((/** @type {any} */ item) => item.json.name)).toEqual([
		null,
		'title text',
		'guitarist',
	]);
	for (const item of items) {
		expect(item.json.mimeType).toBe('image/png');
		readPng(await suite.harness.binaryBuffer(item.binary.data));
	}
	const creates = await suite.requests({ method: 'POST', path: '/v1/images/generations' });
	expect(creates.map((/** @type {any} */ create) => create.body.model)).toEqual([
		'doubao-seedream-4.0',
		'doubao-seedream-5.0-pro-layerize',
	]);
});

test('pro-transparent-edit.json: the cut-out layer goes to 5.0 Pro with a transparent background; the result keeps alpha', async () => {
	const result = await runExample('pro-transparent-edit.json');
	expect(result.error?.message).toBeUndefined();
	const [cutOut] = result.output('Cut Out the Teapot');
	expect(Object.keys(cutOut.binary).sort()).toEqual(['image_0', 'image_1']);
	const creates = await suite.requests({ method: 'POST', path: '/v1/images/generations' });
	expect(creates[2].body).toMatchObject({
		model: 'doubao-seedream-5.0-pro',
		background: 'transparent',
		output_format: 'png',
		image_urls: [expect.any(String)],
	});
	const [restyled] = result.output('Restyle, Keep Transparency');
	expect(restyled.json.mimeType).toBe('image/png');
	expect(readPng(await suite.harness.binaryBuffer(restyled.binary.data)).colorType).toBe(6);
});
