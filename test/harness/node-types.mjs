// @ts-check
// Node and credential types for the harness: our BUILT package through n8n's own PackageDirectoryLoader (it reads
// package.json "n8n" -> dist/, so whatever the list holds, a SeedreamTrigger added later included), plus the two
// n8n-nodes-base nodes the engine needs. n8n-nodes-base itself is not installed (its Kafka dependency cannot
// install offline), so those two are copies of n8n's code.
import { core, workflowLib } from './n8n.mjs';
import { packageDir } from './paths.mjs';

const { PackageDirectoryLoader } = core;
const { NodeConnectionTypes, NodeHelpers } = workflowLib;

/** Same code as n8n's ManualTrigger node: in manual mode, trigger() emits one empty item. */
class ManualTrigger {
	description = {
		displayName: 'Manual Trigger',
		name: 'manualTrigger',
		group: ['trigger'],
		version: 1,
		description: 'Runs the flow on clicking a button in n8n',
		defaults: { name: 'When clicking ‘Execute workflow’' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		properties: [],
	};

	/** @this {import('n8n-workflow').ITriggerFunctions} */
	async trigger() {
		const manualTriggerFunction = async () => {
			this.emit([this.helpers.returnJsonArray([{}])]);
		};
		return { manualTriggerFunction };
	}
}

/** n8n's CredentialsTester runs a credential's `test.request` on a copy of this node's description. */
class NoOp {
	description = {
		displayName: 'No Operation, do nothing',
		name: 'noOp',
		group: ['organization'],
		version: 1,
		description: 'No Operation',
		defaults: { name: 'No Operation, do nothing' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: [],
	};

	/** @this {import('n8n-workflow').IExecuteFunctions} */
	async execute() {
		return [this.getInputData()];
	}
}

/**
 * Loads the package from dist/ and builds an INodeTypes registry.
 * Types are registered as `<package>.<name>` (community install) and `CUSTOM.<name>` (N8N_CUSTOM_EXTENSIONS).
 */
export async function loadNodeTypes() {
	const loader = new PackageDirectoryLoader(packageDir);
	await loader.loadAll();
	const packageName = loader.packageName;

	/** @type {Record<string, any>} */
	const nodes = {
		'n8n-nodes-base.manualTrigger': new ManualTrigger(),
		'n8n-nodes-base.noOp': new NoOp(),
	};
	for (const [name, { type }] of Object.entries(loader.nodeTypes)) {
		nodes[`${packageName}.${name}`] = type;
		nodes[`CUSTOM.${name}`] = type;
	}

	/** @type {Record<string, import('n8n-workflow').ICredentialType>} */
	const credentials = {};
	for (const [name, { type }] of Object.entries(loader.credentialTypes)) credentials[name] = type;

	/** @type {import('n8n-workflow').INodeTypes} */
	const nodeTypes = {
		getByName(type) {
			return lookup(type);
		},
		getByNameAndVersion(type, version) {
			return NodeHelpers.getVersionedNodeType(lookup(type), version);
		},
		getKnownTypes() {
			return {};
		},
	};

	/** @param {string} type */
	function lookup(type) {
		const nodeType = nodes[type];
		if (!nodeType) {
			throw new Error(
				`Unknown node type ${type}: the harness knows ${Object.keys(nodes).join(', ')}. ` +
					'Is the node listed in package.json "n8n".nodes and built (npx tsc)?',
			);
		}
		return nodeType;
	}

	return {
		packageName,
		nodeTypes,
		nodes,
		credentials,
		nodeTypeNames: Object.keys(loader.nodeTypes),
	};
}
