// @ts-check
// The credential "Test" button, as n8n's CLI runs it (packages/cli/src/services/credentials-tester.service.ts):
// the credential's test.request becomes the routing of a temporary copy of the NoOp node, RoutingNode sends it
// through httpRequestWithAuthentication, and failures map to rules first, then to the HTTP status text or the
// network error code.
import { core, workflowLib } from './n8n.mjs';
import { HarnessCredentialsHelper } from './credentials-helper.mjs';

const { ExecuteContext, RoutingNode } = core;
const { NodeHelpers, Workflow, createRunExecutionData } = workflowLib;

const TEST_NODE_TYPE = 'n8n-nodes-base.noOp';

/**
 * @param {{ nodes: Record<string, any>, credentials: Record<string, import('n8n-workflow').ICredentialType> }} types
 * @param {string} credentialType
 * @param {import('n8n-workflow').ICredentialDataDecryptedObject} data
 * @param {(helper: HarnessCredentialsHelper) => any} createAdditionalData
 * @returns {Promise<import('n8n-workflow').INodeCredentialTestResult>}
 */
export async function testCredential(types, credentialType, data, createAdditionalData) {
	const testRequest = types.credentials[credentialType]?.test;
	if (!testRequest)
		return { status: 'Error', message: 'No testing function found for this credential.' };

	const credentialsHelper = new HarnessCredentialsHelper(types.credentials, {
		[credentialType]: data,
	});
	const additionalData = createAdditionalData(credentialsHelper);
	const nodeCredentials = { id: 'harness-credential', name: `${credentialType} (harness)` };
	// The CLI applies the type's defaults before testing (applyDefaultsAndOverwrites).
	const credentialsDecrypted = {
		...nodeCredentials,
		type: credentialType,
		data: await credentialsHelper.getDecrypted(
			additionalData,
			nodeCredentials,
			credentialType,
			'internal',
		),
	};

	const noOp = types.nodes[TEST_NODE_TYPE];
	const testNodeType = {
		description: {
			...noOp.description,
			credentials: [{ name: credentialType, required: true }],
			properties: [
				{
					displayName: 'Temp',
					name: 'temp',
					type: 'string',
					routing: { request: testRequest.request },
					default: '',
				},
			],
		},
	};
	/** @type {import('n8n-workflow').INode} */
	const node = {
		id: 'temp',
		parameters: {},
		name: 'Temp-Node',
		type: TEST_NODE_TYPE,
		typeVersion: 1,
		position: [0, 0],
		credentials: { [credentialType]: nodeCredentials },
	};
	const workflow = new Workflow({
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes: {
			getByName: () => testNodeType,
			getByNameAndVersion: (type, version) =>
				NodeHelpers.getVersionedNodeType(testNodeType, version),
			getKnownTypes: () => ({}),
		},
	});
	const context = new ExecuteContext(
		workflow,
		node,
		additionalData,
		'internal',
		createRunExecutionData(),
		0,
		[],
		{ main: [[{ json: {} }]] },
		{ node, data: {}, source: null },
		[],
	);

	/** @type {import('n8n-workflow').INodeExecutionData[][] | null | undefined} */
	let response;
	try {
		// G10: outside an execution the vm engine needs an isolate acquired around expression evaluation.
		response = await workflow.expression.withIsolate(
			async () => await new RoutingNode(context, testNodeType, credentialsDecrypted).runNode(),
		);
	} catch (error) {
		const cause = /** @type {any} */ (error).cause;
		if (cause?.response) {
			const statusCode = cause.response.status;
			for (const rule of testRequest.rules ?? []) {
				if (rule.type === 'responseCode' && statusCode === rule.properties.value) {
					return { status: 'Error', message: rule.properties.message };
				}
			}
			if (statusCode < 199 || statusCode > 299) {
				return {
					status: 'Error',
					message: cause.response.statusText || `Received HTTP status code: ${statusCode}`,
				};
			}
		} else if (cause?.code) {
			return { status: 'Error', message: cause.code };
		}
		return { status: 'Error', message: String(/** @type {Error} */ (error).message) };
	}

	for (const rule of testRequest.rules ?? []) {
		if (rule.type === 'responseSuccessBody') {
			const json = /** @type {Record<string, unknown>} */ (response?.[0]?.[0]?.json ?? {});
			if (getPath(json, rule.properties.key) === rule.properties.value) {
				return { status: 'Error', message: rule.properties.message };
			}
		}
	}
	return { status: 'OK', message: 'Connection successful!' };
}

/** lodash.get for dotted keys, as the CLI uses for responseSuccessBody rules. */
function getPath(/** @type {any} */ object, /** @type {string} */ key) {
	return key.split('.').reduce((value, part) => value?.[part], object);
}
