// @ts-check
// Workflow JSON for tests, in the shape n8n exports (so the same JSON imports into a real instance).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { packageDir } from './paths.mjs';

const { name: packageName } = JSON.parse(readFileSync(resolve(packageDir, 'package.json'), 'utf8'));

/** The name n8n gives a new Manual Trigger node. */
const MANUAL_TRIGGER_NAME = 'When clicking ‘Execute workflow’';

/** Credential reference as an export carries it; the harness ignores the id and supplies data by type. */
export const SEEDREAM_CREDENTIAL_REFERENCE = {
	seedreamApi: { id: 'seedream-test-credential', name: 'Seedream account' },
};

/**
 * Manual Trigger -> one node.
 * @param {{ type: string, parameters: Record<string, unknown>, nodeName: string, typeVersion?: number,
 *   credentials?: Record<string, { id: string, name: string }>, nodeOptions?: Record<string, unknown> }} node
 */
export function triggeredNodeWorkflow({
	type,
	parameters,
	nodeName,
	typeVersion = 1,
	credentials,
	nodeOptions = {},
}) {
	return {
		name: `${nodeName} test`,
		nodes: [
			{
				parameters: {},
				type: 'n8n-nodes-base.manualTrigger',
				typeVersion: 1,
				position: [0, 0],
				id: randomUUID(),
				name: MANUAL_TRIGGER_NAME,
			},
			{
				parameters,
				type,
				typeVersion,
				position: [220, 0],
				id: randomUUID(),
				name: nodeName,
				...(credentials ? { credentials } : {}),
				...nodeOptions,
			},
		],
		connections: {
			[MANUAL_TRIGGER_NAME]: { main: [[{ node: nodeName, type: 'main', index: 0 }]] },
		},
		pinData: {},
		settings: { executionOrder: 'v1' },
	};
}

/**
 * Manual Trigger -> Seedream node with the credential reference.
 * @param {Record<string, unknown>} parameters e.g. { resource: 'account', operation: 'getCredits' }
 * @param {{ nodeName?: string, nodeOptions?: Record<string, unknown>, typeVersion?: number }} [options]
 *   nodeOptions: node settings such as { onError: 'continueRegularOutput' } or { retryOnFail: true }
 */
export function seedreamWorkflow(
	parameters,
	{ nodeName = 'Seedream', nodeOptions = {}, typeVersion = 1 } = {},
) {
	return triggeredNodeWorkflow({
		type: `${packageName}.seedream`,
		parameters,
		nodeName,
		typeVersion,
		credentials: SEEDREAM_CREDENTIAL_REFERENCE,
		nodeOptions,
	});
}

/** Parsed workflow JSON from a file; relative paths are from the repository root (e.g. 'examples/x.json'). */
export function workflowFromFile(/** @type {string} */ path) {
	return JSON.parse(readFileSync(resolve(packageDir, path), 'utf8'));
}
