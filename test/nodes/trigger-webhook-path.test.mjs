// @ts-check
// The trigger's URL, as n8n 2.41 works it out for every callback: from a native resolver declared beside the
// path's template (n8n-workflow's webhook-description fields), so that n8n evaluates no expression for it, and
// to the same URL the template gives where n8n evaluates it (n8n versions without resolvers).
import { createRequire } from 'node:module';
import { workflowLib } from '../harness/n8n.mjs';

const require = createRequire(import.meta.url);
const { SeedreamTrigger } = require('../../dist/nodes/SeedreamTrigger/SeedreamTrigger.node.js');
const {
	NodeHelpers,
	Workflow,
	resolveWebhookDescriptionField,
	webhookDescriptionIsNativelyResolvable,
} = workflowLib;

const [hook] = new SeedreamTrigger().description.webhooks;
const WEBHOOK_ID = '5b0d3c9e-2f41-4c55-9a1e-1f6f0f5f7a10';
const TOKEN = 'a-token-chosen-by-hand-0123';

/** The trigger as it stands in a saved workflow. @param {Record<string, unknown>} parameters */
function triggerNode(parameters) {
	return {
		id: 'trigger',
		name: 'Seedream Trigger',
		type: 'n8n-nodes-seedream.seedreamTrigger',
		typeVersion: 1.1,
		position: /** @type {[number, number]} */ ([0, 0]),
		webhookId: WEBHOOK_ID,
		parameters,
	};
}

/** The path n8n registers: the field's value as n8n's getNodeWebhookPath makes it a URL path. */
const urlPath = (/** @type {ReturnType<typeof triggerNode>} */ node, /** @type {string} */ value) =>
	NodeHelpers.getNodeWebhookPath('workflow-1', node, value, hook.isFullPath);

test('every field of the webhook description resolves without the expression engine', () => {
	expect(webhookDescriptionIsNativelyResolvable(hook)).toBe(true);
});

test.each([
	['a token chosen by hand', { token: TOKEN }, TOKEN],
	['no token: the webhook ID n8n generated', {}, WEBHOOK_ID],
	['an empty token: the webhook ID n8n generated', { token: '' }, WEBHOOK_ID],
])('%s: the resolver and the template give the same URL path', (_, parameters, expected) => {
	const node = triggerNode(parameters);
	const native = resolveWebhookDescriptionField(node, hook, 'path');
	expect(native.resolved).toBe(true);
	expect(urlPath(node, /** @type {string} */ (native.value ?? ''))).toBe(expected);

	// What n8n without resolvers (1.x) does: evaluate the template.
	const workflow = new Workflow({
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes: {
			getByName: () => undefined,
			getByNameAndVersion: () => undefined,
			getKnownTypes: () => ({}),
		},
	});
	const evaluated = workflow.expression.getSimpleParameterValue(node, hook.path, 'internal', {});
	expect(urlPath(node, String(evaluated ?? ''))).toBe(expected);
});

test('a token made by an expression is left to the engine', () => {
	const node = triggerNode({ token: '={{ "abc" }}' });
	expect(resolveWebhookDescriptionField(node, hook, 'path')).toEqual({ resolved: false });
});
