// @ts-check
// A node used as an AI Agent tool (usableAsTool), invoked the way n8n-core's makeHandleToolInvocation does it
// (execution-engine/node-execution-context/utils/get-input-connection-data.js): a SupplyDataContext on the
// ai_tool connection, the agent's arguments as the one input item, execute() called on that context. There,
// and only there, this.isToolExecution() is true.
import { core, workflowLib } from './n8n.mjs';

const { SupplyDataContext } = core;
const { NodeConnectionTypes, NodeOperationError, createRunExecutionData } = workflowLib;

/**
 * @param {{ workflow: import('n8n-workflow').Workflow, additionalData: any, nodeName: string,
 *   toolArgs: import('n8n-workflow').IDataObject, mode: import('n8n-workflow').WorkflowExecuteMode }} invocation
 */
export async function invokeAsTool({ workflow, additionalData, nodeName, toolArgs, mode }) {
	const node = workflow.getNode(nodeName);
	if (!node) throw new Error(`The workflow has no node "${nodeName}"`);
	const nodeType = workflow.nodeTypes.getByNameAndVersion(node.type, node.typeVersion);
	if (!nodeType.execute) throw new Error(`Node "${nodeName}" has no execute() to run as a tool`);
	const runExecutionData = createRunExecutionData();
	const abortController = new AbortController();
	const context = new SupplyDataContext(
		workflow,
		node,
		additionalData,
		mode,
		runExecutionData,
		0,
		[],
		{},
		NodeConnectionTypes.AiTool,
		{ node, data: {}, source: null },
		[],
		abortController.signal,
	);
	context.addInputData(NodeConnectionTypes.AiTool, [[{ json: toolArgs }]]);

	// G10: expressions need an isolate outside WorkflowExecute when the vm engine is active.
	return await workflow.expression.withIsolate(async () => {
		try {
			const result = /** @type {import('n8n-workflow').INodeExecutionData[][]} */ (
				await nodeType.execute?.call(/** @type {any} */ (context))
			);
			const items = result?.[0] ?? [];
			context.addOutputData(NodeConnectionTypes.AiTool, 0, [
				[{ json: { response: items.map((i) => i.json) } }],
			]);
			// What the agent receives (mapResult): the items' JSON; binary data never reaches it.
			return {
				items,
				response: JSON.stringify(items.map((item) => item.json)),
				error: undefined,
				runExecutionData,
			};
		} catch (error) {
			const nodeError = new NodeOperationError(node, /** @type {Error} */ (error));
			context.addOutputData(NodeConnectionTypes.AiTool, 0, nodeError);
			return { items: [], response: undefined, error: nodeError, runExecutionData };
		}
	});
}
