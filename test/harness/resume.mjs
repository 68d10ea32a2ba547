// @ts-check
// Resuming an execution that a node paused with putExecutionToWait, as n8n's CLI does when its waiting webhook
// (<instance>/webhook-waiting/<executionId>) is called: WaitingWebhooks.getWebhookExecutionData +
// WebhookService.getNodeWebhooks/runWebhook + WebhookHelpers.executeWebhook (packages/cli/src/webhooks/).
// The waiting node is disabled on the stack, its restart webhook's webhook() runs with the request, and what it
// returns as workflowData becomes that node's output; then the engine continues from there.
import { core, workflowLib } from './n8n.mjs';

const { WebhookContext, WorkflowExecute } = core;
const { NodeHelpers } = workflowLib;

/**
 * @typedef {{ method?: string, body?: unknown, headers?: Record<string, string>, query?: Record<string, string> }} WaitingRequest
 * @typedef {{ status: number, body: unknown }} WaitingResponse
 */

/** A response object with the parts of express's that webhook() implementations use. */
function createResponse() {
	const response = {
		statusCode: 200,
		/** @type {unknown} */ body: undefined,
		/** @type {Record<string, string>} */ headers: {},
		sent: false,
		status(/** @type {number} */ code) {
			response.statusCode = code;
			return response;
		},
		setHeader(/** @type {string} */ name, /** @type {string} */ value) {
			response.headers[name.toLowerCase()] = value;
			return response;
		},
		json(/** @type {unknown} */ body) {
			response.body = body;
			response.sent = true;
			return response;
		},
		send(/** @type {unknown} */ body) {
			response.body = body;
			response.sent = true;
			return response;
		},
		end(/** @type {unknown} */ body) {
			response.body = body;
			response.sent = true;
			return response;
		},
	};
	return response;
}

/**
 * @param {{ run: import('n8n-workflow').IRun, workflow: import('n8n-workflow').Workflow, additionalData: any,
 *   mode: import('n8n-workflow').WorkflowExecuteMode, request: WaitingRequest }} resume
 * @returns {Promise<{ response: WaitingResponse, execution?: Promise<import('n8n-workflow').IRun> & { cancel(): void } }>}
 */
export async function resumeWaitingExecution({ run, workflow, additionalData, mode, request }) {
	const runExecutionData = run.data;
	const nodeName = runExecutionData.resultData.lastNodeExecuted;
	const node = nodeName ? workflow.getNode(nodeName) : null;
	const stackEntry = runExecutionData.executionData?.nodeExecutionStack[0];
	if (!node || !stackEntry) throw new Error('The run has no waiting node to resume');
	const nodeType = workflow.nodeTypes.getByNameAndVersion(node.type, node.typeVersion);
	const method = (request.method ?? 'POST').toUpperCase();

	const webhookDescription = await workflow.expression.withIsolate(async () =>
		(nodeType.description.webhooks ?? []).find(
			(description) =>
				workflow.expression.getSimpleParameterValue(
					node,
					description.restartWebhook,
					'internal',
					{},
					undefined,
					false,
				) === true &&
				String(
					workflow.expression.getSimpleParameterValue(
						node,
						description.httpMethod,
						'internal',
						{},
						undefined,
						'GET',
					),
				)
					.split(',')
					.map((candidate) => candidate.trim())
					.includes(method),
		),
	);
	if (!webhookDescription || !nodeType.webhook) {
		// n8n answers 404 without saying whether the execution exists.
		return {
			response: {
				status: 404,
				body: {
					message: `The workflow for execution "${additionalData.executionId}" does not contain a waiting webhook with a matching path/method.`,
				},
			},
		};
	}

	// WaitingWebhooks: disable the node so it does not wait again, clear waitTill so the run continues, and drop
	// the node's waiting run so it is not shown twice (its output comes from webhook() below).
	const { waitTill } = runExecutionData;
	stackEntry.node.disabled = true;
	runExecutionData.waitTill = undefined;
	const waitingRun = runExecutionData.resultData.runData[node.name]?.pop();

	const httpResponse = createResponse();
	additionalData.httpRequest = {
		method,
		body: request.body ?? {},
		headers: request.headers ?? {},
		query: request.query ?? {},
		params: {},
	};
	additionalData.httpResponse = httpResponse;
	additionalData.restartExecutionId = additionalData.executionId;
	/** @type {import('n8n-workflow').IWebhookData} */
	const webhookData = {
		httpMethod: /** @type {import('n8n-workflow').IHttpRequestMethods} */ (method),
		node: node.name,
		path: NodeHelpers.getNodeWebhookPath(workflow.id, node, '', false, true),
		webhookDescription,
		workflowId: workflow.id,
		workflowExecuteAdditionalData: additionalData,
	};
	const context = new WebhookContext(
		workflow,
		node,
		additionalData,
		mode,
		webhookData,
		[],
		runExecutionData,
	);
	const webhookResult = await workflow.expression.withIsolate(
		async () => await /** @type {any} */ (nodeType.webhook).call(context),
	);

	const response = httpResponse.sent
		? { status: httpResponse.statusCode, body: httpResponse.body }
		: webhookResult.webhookResponse !== undefined
			? { status: 200, body: webhookResult.webhookResponse }
			: // responseData 'noData' answers an empty 200; otherwise n8n says the workflow started.
				{
					status: 200,
					body:
						webhookDescription.responseData === 'noData' ? '' : { message: 'Workflow was started' },
				};
	if (webhookResult.workflowData === undefined) {
		// Nothing to continue with: the execution stays as it was, waiting (n8n saves nothing in this case).
		stackEntry.node.disabled = false;
		runExecutionData.waitTill = waitTill;
		if (waitingRun) runExecutionData.resultData.runData[node.name].push(waitingRun);
		return { response };
	}

	stackEntry.data.main = webhookResult.workflowData;
	const execution = new WorkflowExecute(
		additionalData,
		mode,
		runExecutionData,
	).processRunExecutionData(workflow);
	return { response, execution };
}
