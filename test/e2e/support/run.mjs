// @ts-check
// Runs an imported example as the editor's "Execute workflow" button does (POST /rest/workflows/:id/run from
// its manual trigger) and reads the finished execution through n8n's public API.
import { readExamples } from '../../../scripts/lib/n8n/seed.mjs';

/** @typedef {import('./instance.mjs').E2eInstance} E2eInstance */
/** @typedef {{ json: Record<string, any>, binary?: Record<string, { id?: string, data?: string, mimeType: string, fileName?: string, fileExtension?: string, fileSize?: string | number }>, pairedItem?: unknown }} Item */

/** The example's workflow JSON as shipped in examples/. @param {string} file */
export function example(file) {
	const found = readExamples().find((e) => e.file === file);
	if (!found) throw new Error(`examples/${file} not found`);
	return found.workflow;
}

/** @param {string} file */
export function manualTriggerOf(file) {
	const trigger = example(file).nodes.find(
		(/** @type {{ type: string }} */ n) => n.type === 'n8n-nodes-base.manualTrigger',
	);
	if (!trigger) throw new Error(`examples/${file} has no manual trigger`);
	return trigger.name;
}

/**
 * @param {E2eInstance} instance @param {string} file @param {{ workflowId?: string }} [options]
 * @returns {Promise<Record<string, any>>} the execution with its data
 */
export async function runExample(instance, file, options = {}) {
	const workflowId = options.workflowId ?? instance.workflow(file).id;
	const executionId = await instance.client.runWorkflow(workflowId, manualTriggerOf(file));
	return await instance.client.waitForExecution(executionId);
}

/**
 * Items of a node's first output in its last run.
 * @param {Record<string, any>} execution @param {string} nodeName @returns {Item[]}
 */
export function outputOf(execution, nodeName) {
	const runs = execution.data?.resultData?.runData?.[nodeName];
	if (!runs?.length) {
		throw new Error(
			`node "${nodeName}" did not run; ran: ${Object.keys(execution.data?.resultData?.runData ?? {}).join(', ')}`,
		);
	}
	return runs.at(-1).data?.main?.[0] ?? [];
}

/** The error n8n recorded for the execution (what the editor shows on the failed node). @param {Record<string, any>} execution */
export function errorOf(execution) {
	return execution.data?.resultData?.error;
}

/**
 * Runs one tool node of a workflow as the editor does when a tool is tested on its own: a partial run to the
 * tool with an `agentRequest` that stands in for the agent's arguments ($fromAI values). No chat model needed.
 * @param {E2eInstance} instance @param {string} workflowId @param {string} toolNodeName @param {Record<string, unknown>} args
 */
export async function runTool(instance, workflowId, toolNodeName, args) {
	const toolName = toolNodeName.replaceAll(' ', '_');
	const result = await instance.client.manualRun(workflowId, {
		destinationNode: { nodeName: toolNodeName, mode: 'inclusive' },
		// n8n 1.x's tool executor hands `query` to the tool as its arguments; 2.x keys them by tool name.
		agentRequest: {
			query: (await instance.client.major()) < 2 ? args : { [toolName]: args },
			tool: { name: toolName },
		},
	});
	return await instance.client.waitForExecution(String(result.executionId));
}

/**
 * Saves a variant of an example as a new workflow (for cases the shipped examples must not contain, such as an
 * invalid size), with the instance's credential on its Seedream nodes (other nodes keep the credentials the
 * change gave them). Remove it with removeWorkflow.
 * @param {E2eInstance} instance @param {string} file @param {string} name
 * @param {(workflow: Record<string, any>) => void} change edits the example's JSON in place
 * @returns {Promise<string>} the new workflow's id
 */
export async function saveVariant(instance, file, name, change) {
	const workflow = structuredClone(example(file));
	change(workflow);
	const created = await instance.client.createWorkflow({
		name,
		nodes: workflow.nodes.map((/** @type {any} */ n) =>
			n.credentials?.seedreamApi
				? {
						...n,
						credentials: {
							...n.credentials,
							seedreamApi: { id: instance.credential.id, name: instance.credential.name },
						},
					}
				: n,
		),
		connections: workflow.connections,
		settings: workflow.settings,
	});
	return String(created.id);
}

/** n8n 2.x deletes only archived workflows: archive, then delete. @param {E2eInstance} instance @param {string} id */
export async function removeWorkflow(instance, id) {
	await instance.client.rest('POST', `/rest/workflows/${id}/archive`, {}).catch(() => {});
	await instance.client.rest('DELETE', `/rest/workflows/${id}`);
}

/**
 * Polls until `condition` holds (something n8n or the emulator reaches by itself), failing after `timeoutMs`.
 * @param {() => Promise<boolean> | boolean} condition @param {string} what @param {number} [timeoutMs]
 */
export async function until(condition, what, timeoutMs = 60_000) {
	const deadline = Date.now() + timeoutMs;
	while (!(await condition())) {
		if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}
