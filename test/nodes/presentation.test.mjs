// @ts-check
// What the editor shows of the nodes, read from the BUILT package through n8n's own loader: the Seedream node's
// subtitle as n8n evaluates it on the canvas (both expression engines), the trigger's listening and activation
// messages, and the codex aliases the node panel searches.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHarness } from '../harness/index.mjs';
import { workflowLib } from '../harness/n8n.mjs';
import { loadNodeTypes } from '../harness/node-types.mjs';

const { Workflow } = workflowLib;

/** @type {Awaited<ReturnType<typeof loadNodeTypes>>} */
let types;
beforeAll(async () => {
	types = await loadNodeTypes();
});

/** @param {string} name @returns {import('n8n-workflow').INodeTypeDescription} */
const descriptionOf = (name) =>
	/** @type {any} */ (types.nodeTypes.getByName(`${types.packageName}.${name}`)).description;

/**
 * The subtitle as the editor computes it (NodeHelpers.getNodeSubtitle: the description's subtitle, evaluated
 * for the node with its parameters by the workflow's expression engine).
 * @param {import('n8n-workflow').INodeParameters} parameters
 */
async function subtitleFor(parameters) {
	const node = {
		id: 'subtitle',
		name: 'Seedream',
		type: `${types.packageName}.seedream`,
		typeVersion: 1,
		position: /** @type {[number, number]} */ ([0, 0]),
		parameters,
	};
	const workflow = new Workflow({
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes: types.nodeTypes,
	});
	// The vm engine evaluates inside an isolate the caller holds (n8n acquires one per execution).
	const acquired = await workflow.expression.acquireIsolate();
	try {
		return workflow.expression.getSimpleParameterValue(
			node,
			descriptionOf('seedream').subtitle,
			'internal',
			{},
		);
	} finally {
		if (acquired) await workflow.expression.releaseIsolate();
	}
}

/** Every resource/operation pair the node offers, with the operation's display name. */
function operations() {
	return descriptionOf('seedream')
		.properties.filter((/** @type {any} */ p) => p.name === 'operation')
		.flatMap((/** @type {any} */ p) =>
			p.options.map((/** @type {any} */ o) => ({
				resource: p.displayOptions.show.resource[0],
				operation: o.value,
				name: o.name,
			})),
		);
}

describe.each(['legacy', 'vm'])('the Seedream subtitle on expression engine %s', (engine) => {
	/** @type {import('../harness/index.mjs').Harness} */
	let harness;
	beforeAll(async () => {
		harness = await createHarness({ engine: /** @type {'legacy' | 'vm'} */ (engine) });
	});
	afterAll(async () => await harness?.close());

	test('reads as a short sentence: Generate image, Get task, Get credits', async () => {
		expect(await subtitleFor({ resource: 'image', operation: 'generate' })).toBe('Generate image');
		expect(await subtitleFor({ resource: 'task', operation: 'get' })).toBe('Get task');
		expect(await subtitleFor({ resource: 'account', operation: 'getCredits' })).toBe('Get credits');
	});

	test('every operation the node offers gets a subtitle in sentence case that starts with its name, no raw "value: resource"', async () => {
		const all = operations();
		expect(all.length).toBeGreaterThanOrEqual(3);
		for (const { resource, operation, name } of all) {
			const subtitle = String(await subtitleFor({ resource, operation }));
			expect(subtitle).not.toContain(':');
			expect(subtitle.toLowerCase().startsWith(name.toLowerCase())).toBe(true);
			expect(subtitle[0]).toBe(subtitle[0].toUpperCase());
			expect(subtitle.slice(1)).toBe(subtitle.slice(1).toLowerCase());
		}
	});
});

describe('the Seedream Trigger in the editor', () => {
	test("tells what it waits for while listening and what activation means, as n8n's webhook triggers do", () => {
		const description = descriptionOf('seedreamTrigger');
		expect(description.eventTriggerDescription).toMatch(
			/^Waiting for EvoLink to call the Test URL/,
		);
		expect(description.eventTriggerDescription).toContain('Callback URL');
		expect(description.activationMessage).toMatch(/Production URL/);
		expect(description.activationMessage).toContain('Seedream > Generate > Options > Callback URL');
	});
});

describe('codex', () => {
	test('the node panel finds the Seedream node as ByteDance, Doubao, text to image or EvoLink', () => {
		expect(descriptionOf('seedream').codex).toEqual(
			expect.objectContaining({
				alias: expect.arrayContaining(['ByteDance', 'Doubao', 'text to image', 'EvoLink']),
				categories: ['AI', 'Marketing'],
			}),
		);
	});

	test('and the trigger as ByteDance, Doubao, EvoLink, callback or webhook', () => {
		expect(descriptionOf('seedreamTrigger').codex).toEqual(
			expect.objectContaining({
				alias: expect.arrayContaining(['ByteDance', 'Doubao', 'EvoLink', 'callback', 'webhook']),
			}),
		);
	});
});
