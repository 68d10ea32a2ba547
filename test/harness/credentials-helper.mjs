// @ts-check
// ICredentialsHelper for in-process runs: credentials come from the test (by credential type; ids in the workflow
// JSON are ignored), everything else does what n8n's CLI CredentialsHelper does (packages/cli/src/credentials-helper.ts).
// G3: n8n's own test helper skips `authenticate: {type: 'generic'}`; this one applies it like the CLI.
import { core, workflowLib } from './n8n.mjs';

const { Credentials } = core;
const { ICredentialsHelper, NodeHelpers, isExpression } = workflowLib;

export class HarnessCredentialsHelper extends ICredentialsHelper {
	/**
	 * @param {Record<string, import('n8n-workflow').ICredentialType>} credentialTypes
	 * @param {Record<string, import('n8n-workflow').ICredentialDataDecryptedObject>} credentialsByType
	 */
	constructor(credentialTypes, credentialsByType) {
		super();
		this.credentialTypes = credentialTypes;
		this.credentialsByType = credentialsByType;
	}

	/** @param {string} typeName */
	getType(typeName) {
		const type = this.credentialTypes[typeName];
		if (!type) throw new Error(`Unknown credential type ${typeName}`);
		return type;
	}

	/** @param {string} typeName @returns {string[]} */
	getParentTypes(typeName) {
		const parents = this.credentialTypes[typeName]?.extends ?? [];
		return parents.flatMap((parent) => [parent, ...this.getParentTypes(parent)]);
	}

	isCredentialUsableByNode() {
		return true;
	}

	/**
	 * @param {import('n8n-workflow').ICredentialDataDecryptedObject} credentials
	 * @param {string} typeName
	 * @param {any} requestOptions
	 * @param {import('n8n-workflow').Workflow} [workflow]
	 * @param {import('n8n-workflow').INode} [node]
	 */
	async authenticate(credentials, typeName, requestOptions, workflow, node) {
		const { authenticate } = this.getType(typeName);
		if (typeof authenticate === 'function') return await authenticate(credentials, requestOptions);
		if (typeof authenticate !== 'object') return requestOptions;
		if (!workflow || !node)
			throw new Error('Workflow and node are required for declarative credential authentication');
		requestOptions.headers ??= {};
		if (authenticate.type === 'generic') {
			/** @param {string} value */
			const resolve = (value) => {
				if (!isExpression(value)) return value;
				const resolved = workflow.expression.getSimpleParameterValue(
					node,
					value,
					'internal',
					{ $credentials: credentials },
					undefined,
					'',
				);
				return resolved ? resolved.toString() : '';
			};
			for (const [outerKey, outerValue] of Object.entries(authenticate.properties)) {
				for (const [key, value] of Object.entries(outerValue ?? {})) {
					requestOptions[outerKey] ??= {};
					requestOptions[outerKey][resolve(key)] = resolve(/** @type {string} */ (value));
				}
			}
		}
		return requestOptions;
	}

	async preAuthentication() {
		return undefined;
	}

	async runPreAuthentication() {
		return undefined;
	}

	/** @param {import('n8n-workflow').INodeCredentialsDetails} nodeCredentials @param {string} type */
	async getCredentials(nodeCredentials, type) {
		return new Credentials(
			{ id: nodeCredentials.id ?? null, name: nodeCredentials.name },
			type,
			'',
		);
	}

	/**
	 * Like the CLI: the stored data with the type's defaults applied, then expressions resolved when the engine
	 * passes the values to resolve them with.
	 * @param {any} additionalData
	 * @param {import('n8n-workflow').INodeCredentialsDetails} nodeCredentials
	 * @param {string} type
	 * @param {import('n8n-workflow').WorkflowExecuteMode} mode
	 * @param {import('n8n-workflow').IExecuteData} [executeData]
	 * @param {boolean} [raw]
	 * @param {import('n8n-workflow').ICredentialsExpressionResolveValues} [resolveValues]
	 */
	async getDecrypted(additionalData, nodeCredentials, type, mode, executeData, raw, resolveValues) {
		const stored = this.credentialsByType[type];
		if (!stored) {
			// The wording of n8n's CredentialNotFoundError, so tests see what a user would.
			throw new Error(
				`Credential with ID "${nodeCredentials.id}" does not exist for type "${type}".`,
			);
		}
		if (raw === true) return { ...stored };
		let data = /** @type {import('n8n-workflow').ICredentialDataDecryptedObject} */ (
			NodeHelpers.getNodeParameters(
				this.getCredentialsProperties(type),
				/** @type {any} */ ({ ...stored }),
				true,
				false,
				null,
				null,
			)
		);
		if (resolveValues) {
			data = /** @type {import('n8n-workflow').ICredentialDataDecryptedObject} */ (
				resolveValues.workflow.expression.getParameterValue(
					/** @type {any} */ (data),
					resolveValues.runExecutionData,
					resolveValues.runIndex,
					resolveValues.itemIndex,
					resolveValues.node.name,
					resolveValues.connectionInputData,
					mode,
					core.getAdditionalKeys(additionalData, mode, null, { isCredential: true }),
					executeData,
					false,
					/** @type {any} */ (data),
				)
			);
		}
		return data;
	}

	async updateCredentials() {}

	async updateCredentialsOauthTokenData() {}

	/** @param {string} type @returns {import('n8n-workflow').INodeProperties[]} */
	getCredentialsProperties(type) {
		const credentialType = this.getType(type);
		if (!credentialType.extends) return credentialType.properties;
		/** @type {import('n8n-workflow').INodeProperties[]} */
		const combined = [];
		for (const parent of credentialType.extends) {
			NodeHelpers.mergeNodeProperties(combined, this.getCredentialsProperties(parent));
		}
		NodeHelpers.mergeNodeProperties(combined, credentialType.properties);
		return combined;
	}
}
