// @ts-check
// Node version 1.1 changes defaults (n8n saves only non-default values, so a saved version-1 node keeps the old
// ones): Task > Get waits and outputs binary like Generate; the trigger outputs Generate's binary shape;
// Generate asks for several images in the prompt. Also what the editor shows: download options only where
// images are downloaded, and Width/Height bounds it can enforce.
import { readPng } from '../harness/png.mjs';
import { readExamples } from '../../scripts/lib/n8n/seed.mjs';
import { workflowLib } from '../harness/n8n.mjs';
import { loadNodeTypes } from '../harness/node-types.mjs';
import { workflowFromFile } from '../harness/workflows.mjs';
import { GENERATE, startSuite } from './support.mjs';

const { NodeHelpers } = workflowLib;

/** @type {import('./support.mjs').Suite} */
let suite;
/** @type {Awaited<ReturnType<typeof loadNodeTypes>>} */
let types;
beforeAll(async () => {
	suite = await startSuite();
	types = await loadNodeTypes();
});
beforeEach(async () => await suite.reset());
afterAll(async () => await suite?.close());

/** @param {string} name */
function description(name) {
	return types.nodeTypes.getByNameAndVersion(`${types.packageName}.${name}`).description;
}

/**
 * The parameters n8n resolves for a saved node (what `getNodeParameter` then reads): stored values plus the
 * defaults of the node's version.
 * @param {string} name @param {Record<string, unknown>} saved @param {number} typeVersion
 */
function resolved(name, saved, typeVersion) {
	const node = description(name);
	return NodeHelpers.getNodeParameters(
		node.properties,
		/** @type {any} */ (saved),
		true,
		false,
		{ typeVersion },
		node,
	);
}

test('the nodes offer versions 1 and 1.1, and new nodes get 1.1', () => {
	for (const name of ['seedream', 'seedreamTrigger']) {
		expect(description(name).version).toEqual([1, 1.1]);
		expect(description(name).defaultVersion).toBe(1.1);
	}
});

describe('Task > Get', () => {
	const GET = { resource: 'task', operation: 'get', taskId: 'task-unified-1757165031-abcdefgh' };

	test("a saved version-1 node keeps Don't Wait and URLs Only; 1.1 waits and outputs binary", () => {
		expect(resolved('seedream', GET, 1)).toMatchObject({ waitMode: 'dontWait', output: 'urls' });
		expect(resolved('seedream', GET, 1.1)).toMatchObject({
			waitMode: 'wait',
			output: 'binaryPerImage',
		});
		// A value the user chose is kept in either version.
		expect(resolved('seedream', { ...GET, waitMode: 'wait', output: 'compact' }, 1)).toMatchObject({
			waitMode: 'wait',
			output: 'compact',
		});
	});

	test('1.1 with only a task ID: the next step after a Generate that did not wait gets the image, not "pending"', async () => {
		await suite.emulator.control.config({ taskMs: 800 });
		const submitted = await suite.run({ ...GENERATE, waitMode: 'dontWait' }, { typeVersion: 1.1 });
		const { taskId } = submitted.output('Seedream')[0].json;
		expect(submitted.output('Seedream')[0].json.status).not.toBe('completed');

		const result = await suite.run(
			{ resource: 'task', operation: 'get', taskId },
			{ typeVersion: 1.1 },
		);
		expect(result.status).toBe('success');
		const [item] = result.output('Seedream');
		expect(item.json).toMatchObject({
			taskId,
			status: 'completed',
			imageIndex: 0,
			creditsUsed: 1.8,
		});
		expect(readPng(await suite.harness.binaryBuffer(item.binary.data))).toMatchObject({
			width: 1024,
		});
	});

	test('version 1 with only a task ID still reads once and outputs the pending status', async () => {
		await suite.emulator.control.config({ taskMs: 5000 });
		const submitted = await suite.run({ ...GENERATE, waitMode: 'dontWait' });
		const { taskId } = submitted.output('Seedream')[0].json;
		const result = await suite.run({ resource: 'task', operation: 'get', taskId });
		const [item] = result.output('Seedream');
		expect(['pending', 'processing']).toContain(item.json.status);
		expect(item.binary).toBeUndefined();
		expect(await suite.requests({ method: 'GET', path: '/v1/tasks/' })).toHaveLength(1);
	});
});

test("the trigger: version 1 outputs URLs Only, 1.1 Generate's default (one binary item per image)", () => {
	expect(resolved('seedreamTrigger', {}, 1)).toMatchObject({ output: 'urls' });
	expect(resolved('seedreamTrigger', {}, 1.1)).toMatchObject({ output: 'binaryPerImage' });
});

test('Generate: version 1 sends the prompt as written, 1.1 asks for the images in it (shown once Max Images > 1)', () => {
	const saved = { ...GENERATE, n: 4 };
	expect(resolved('seedream', saved, 1)).toMatchObject({ imagesMode: 'asWritten' });
	expect(resolved('seedream', saved, 1.1)).toMatchObject({ imagesMode: 'askInPrompt' });
	expect(resolved('seedream', { ...GENERATE, n: 1 }, 1.1)?.imagesMode).toBeUndefined();
});

test('Max Images as an expression: each version still gets its own default (n8n cannot read the value)', () => {
	const saved = { ...GENERATE, n: '={{ $itemIndex + 2 }}' };
	expect(resolved('seedream', saved, 1)).toMatchObject({ imagesMode: 'asWritten' });
	expect(resolved('seedream', saved, 1.1)).toMatchObject({ imagesMode: 'askInPrompt' });
});

describe('the example workflows', () => {
	test('every Seedream node in examples/ is at the newest version, so an imported example gets its defaults', () => {
		const nodes = readExamples().flatMap(({ file, workflow }) =>
			workflow.nodes
				.filter((/** @type {any} */ node) => node.type.startsWith(`${types.packageName}.`))
				.map((/** @type {any} */ node) => ({
					file,
					node: node.name,
					typeVersion: node.typeVersion,
				})),
		);
		expect(nodes.length).toBeGreaterThan(9);
		const newest = description('seedream').defaultVersion;
		expect(nodes.filter((node) => node.typeVersion !== newest)).toEqual([]);
	});

	// test/nodes/fixtures/generate-then-get-v1.json is examples/generate-then-get.json as shipped at version 1.
	test('a workflow saved at version 1 still runs unchanged: Generate without waiting, then Task > Get downloads the image', async () => {
		const workflow = workflowFromFile('test/nodes/fixtures/generate-then-get-v1.json');
		workflow.nodes = workflow.nodes.filter(
			(/** @type {any} */ node) => node.type !== 'n8n-nodes-base.stickyNote',
		);
		const seedream = workflow.nodes.filter((/** @type {any} */ node) =>
			node.type.startsWith(`${types.packageName}.`),
		);
		expect(seedream.map((/** @type {any} */ node) => node.typeVersion)).toEqual([1, 1]);

		const result = await suite.harness.runWorkflow(workflow, { credentials: suite.credentials });
		expect(result.error?.message).toBeUndefined();
		const [started] = result.output('Start the Task');
		expect(started.json.taskId).toMatch(/^task-unified-/);
		expect(started.binary).toBeUndefined();
		const [image, ...more] = result.output('Get the Images');
		expect(more).toEqual([]);
		expect(image.json).toMatchObject({
			taskId: started.json.taskId,
			status: 'completed',
			imageIndex: 0,
		});
		expect(readPng(await suite.harness.binaryBuffer(image.binary.data))).toMatchObject({
			width: 1024,
			height: 1024,
		});
	});
});

describe('download options show only where images are downloaded', () => {
	/**
	 * Whether the editor shows an option of the Options collection for these parameters.
	 * @param {string} name node type @param {string} option @param {Record<string, unknown>} values
	 */
	function shown(name, option, values) {
		const node = description(name);
		const collection = node.properties.find(
			(/** @type {any} */ p) =>
				p.name === 'options' && NodeHelpers.displayParameter(values, p, { typeVersion: 1.1 }, node),
		);
		const property = collection.options.find((/** @type {any} */ o) => o.name === option);
		// As the editor asks for a collection's option: the node's values under `parameters`, the path of the collection.
		const nodeValues = { parameters: { ...values, options: {} } };
		return NodeHelpers.displayParameterPath(
			nodeValues,
			property,
			'parameters.options',
			{ typeVersion: 1.1 },
			node,
		);
	}
	const GENERATE_WAITING = { resource: 'image', operation: 'generate', waitMode: 'wait' };

	test.each(['binaryPropertyName', 'maxDownloadMB'])(
		"%s: shown with binary outputs, hidden with URLs Only, Compact Summary and Don't Wait",
		(option) => {
			for (const output of ['binaryPerImage', 'binaryPerTask']) {
				expect(shown('seedream', option, { ...GENERATE_WAITING, output })).toBe(true);
				expect(shown('seedream', option, { resource: 'task', operation: 'get', output })).toBe(
					true,
				);
				expect(shown('seedreamTrigger', option, { output })).toBe(true);
			}
			for (const output of ['urls', 'compact']) {
				expect(shown('seedream', option, { ...GENERATE_WAITING, output })).toBe(false);
				expect(shown('seedream', option, { resource: 'task', operation: 'get', output })).toBe(
					false,
				);
				expect(shown('seedreamTrigger', option, { output })).toBe(false);
			}
			expect(
				shown('seedream', option, {
					...GENERATE_WAITING,
					waitMode: 'dontWait',
					output: 'binaryPerImage',
				}),
			).toBe(false);
		},
	);
});

describe("Width and Height: bounds the editor can enforce, from each model's table", () => {
	/** The Width (or Height) copy shown for a model. @param {string} model @param {string} side */
	function bounds(model, side = 'width') {
		const node = description('seedream');
		const values = { resource: 'image', operation: 'generate', model, sizeMode: 'custom' };
		const shown = node.properties.filter(
			(/** @type {any} */ p) =>
				p.name === side && NodeHelpers.displayParameter(values, p, { typeVersion: 1.1 }, node),
		);
		expect(shown).toHaveLength(1);
		return shown[0].typeOptions;
	}

	test.each([
		['doubao-seedream-4.0', 240, 16384],
		['doubao-seedream-4.5', 480, 16384],
		['doubao-seedream-5.0-lite', 480, 16384],
		['doubao-seedream-5.0-pro', 240, 8595],
	])('%s: each side %i to %i', (model, minValue, maxValue) => {
		expect(bounds(model, 'width')).toEqual({ minValue, maxValue });
		expect(bounds(model, 'height')).toEqual({ minValue, maxValue });
	});

	/** @param {Record<string, unknown>} parameters */
	const check = (parameters) =>
		suite.run(
			{ ...GENERATE, sizeMode: 'custom', ...parameters, options: { validateOnly: true } },
			{ typeVersion: 1.1 },
		);

	test('the bounds are reachable: the extreme sizes pass every check', async () => {
		for (const [model, width, height] of [
			['doubao-seedream-4.0', 16384, 1024],
			['doubao-seedream-4.0', 240, 3840],
			['doubao-seedream-5.0-pro', 8595, 538],
			['doubao-seedream-5.0-lite', 480, 7680],
		]) {
			const result = await check({ model, width, height });
			expect([model, width, height, result.status]).toEqual([model, width, height, 'success']);
		}
	});

	test('one past a bound no height can save: 8596 wide on 5.0 Pro is refused, the range written 921,600 to 4,624,220', async () => {
		const flatter = await check({ model: 'doubao-seedream-5.0-pro', width: 8596, height: 537 });
		expect(flatter.error.message).toBe(
			'Width x Height (size): width / height must be from 1/16 to 16; 8596x537 is 16.01',
		);
		const larger = await check({ model: 'doubao-seedream-5.0-pro', width: 8596, height: 538 });
		expect(larger.error.message).toMatch(
			/^Width x Height \(size\): must be width x height from 921,600 \(1280x720\) to 4,624,220 .*; 8596x538 is 4,624,648$/,
		);
	});
});
