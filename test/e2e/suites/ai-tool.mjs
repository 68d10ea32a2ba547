// @ts-check
// examples/ai-agent-tool.json: the Seedream node as an AI agent's tool, in real n8n as
// `n8n-nodes-seedream.seedreamTool`. First the tool alone, the way the editor tests a tool (a partial run with
// the agent's arguments); then the whole agent, with n8n's own AI Agent and OpenAI Chat Model nodes, the model
// being a scripted OpenAI-compatible server on 127.0.0.1 (support/chat-model.mjs) instead of an account.
import { describe, expect, test } from '@jest/globals';
import { NODE_TYPE } from '../../../scripts/lib/n8n/install.mjs';
import { startChatModel } from '../support/chat-model.mjs';
import { readPng } from '../../harness/png.mjs';
import { errorOf, example, outputOf, removeWorkflow, runTool } from '../support/run.mjs';

/** @param {() => import('../support/instance.mjs').E2eInstance} get */
export function aiToolTests(get) {
	describe('examples/ai-agent-tool.json', () => {
		test('the example wires the Seedream tool variant to the agent', () => {
			const workflow = example('ai-agent-tool.json');
			const tool = workflow.nodes.find(
				(/** @type {{ name: string }} */ n) => n.name === 'Generate Image',
			);
			expect(tool.type).toBe(`${NODE_TYPE}Tool`);
			expect(tool.parameters.prompt).toContain('$fromAI(');
			expect(workflow.connections['Generate Image'].ai_tool[0][0].node).toBe('AI Agent');
		});

		test('called as a tool, it takes the prompt from the agent and returns task ID, image URLs, expiry and credits, no binary', async () => {
			const instance = get();
			const prompt = 'A lighthouse in a storm, oil painting';
			const execution = await runTool(
				instance,
				instance.workflow('ai-agent-tool.json').id,
				'Generate Image',
				{ prompt },
			);
			expect(errorOf(execution)).toBeUndefined();
			expect(execution.status).toBe('success');

			const run = execution.data.resultData.runData['Generate Image'][0];
			expect(run.inputOverride.ai_tool[0][0].json).toEqual({ prompt });
			const [answer] = run.data.ai_tool[0][0].json.response;
			expect(answer).toEqual({
				taskId: expect.stringMatching(/^task-unified-/),
				status: 'completed',
				imageUrls: [expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\//)],
				expiresAt: expect.any(String),
				creditsReserved: 1.8,
				creditsUsed: 1.8,
			});
			expect(run.data.ai_tool[0][0].binary).toBeUndefined();

			const created = (await instance.emulator.requests()).filter(
				(r) => r.taskId === answer.taskId && r.method === 'POST',
			);
			expect(created[0].body.prompt).toBe(prompt);
			// The URL the agent gets is a real 1K image (preset 1K = 1024x1024).
			const image = await fetch(answer.imageUrls[0]);
			expect(readPng(Buffer.from(await image.arrayBuffer()))).toEqual(
				expect.objectContaining({ width: 1024, height: 1024 }),
			);
		}, 180_000);

		test('the whole agent runs: the model calls the tool, Seedream makes the image, the answer gives its URL', async () => {
			const instance = get();
			const prompt = 'A red lighthouse on a cliff at dawn, watercolour';
			const chatModel = await startChatModel({
				toolName: 'Generate_Image',
				toolArguments: { prompt },
			});
			const credential = await instance.client.rest('POST', '/rest/credentials', {
				name: 'e2e: local chat model',
				type: 'openAiApi',
				data: { apiKey: 'sk-local-chat-model', url: chatModel.url },
			});
			/** @type {string | undefined} */
			let workflowId;
			try {
				// The example as shipped, started by hand with a fixed request instead of the chat window.
				const workflow = structuredClone(example('ai-agent-tool.json'));
				const trigger = workflow.nodes.find(
					(/** @type {any} */ n) => n.type === '@n8n/n8n-nodes-langchain.chatTrigger',
				);
				workflow.connections.Start = workflow.connections[trigger.name];
				delete workflow.connections[trigger.name];
				Object.assign(trigger, {
					type: 'n8n-nodes-base.manualTrigger',
					typeVersion: 1,
					parameters: {},
					name: 'Start',
				});
				const agent = workflow.nodes.find((/** @type {any} */ n) => n.name === 'AI Agent');
				// n8n 1.x has the AI Agent up to version 3 (the example's 3.1 is 2.x's), with the same parameters.
				if ((await instance.client.major()) < 2) agent.typeVersion = 3;
				Object.assign(agent.parameters, {
					promptType: 'define',
					text: 'Please draw me a lighthouse.',
				});
				for (const node of workflow.nodes) {
					if (node.type === '@n8n/n8n-nodes-langchain.lmChatOpenAi')
						node.credentials = { openAiApi: { id: credential.id, name: credential.name } };
					if (node.credentials?.seedreamApi)
						node.credentials = {
							seedreamApi: { id: instance.credential.id, name: instance.credential.name },
						};
				}
				const created = await instance.client.createWorkflow({
					name: 'e2e: AI agent with the Seedream tool',
					nodes: workflow.nodes,
					connections: workflow.connections,
					settings: workflow.settings,
				});
				workflowId = String(created.id);
				const since = await instance.emulator.lastSeq();
				const execution = await instance.client.waitForExecution(
					await instance.client.runWorkflow(workflowId, 'Start'),
				);
				expect(errorOf(execution)).toBeUndefined();
				expect(execution.status).toBe('success');

				// The agent offered our tool to the model, ran it with the model's arguments, and passed the result back.
				expect(chatModel.requests).toHaveLength(2);
				const offered = chatModel.requests[0].tools.map((/** @type {any} */ t) => t.function.name);
				expect(offered).toContain('Generate_Image');
				const creates = (await instance.emulator.requestsSince(since)).filter(
					(r) => r.method === 'POST' && r.path === '/v1/images/generations',
				);
				expect(creates).toHaveLength(1);
				expect(creates[0].body.prompt).toBe(prompt);
				// What the model read back is the tool answer (task ID, URLs, expiry), not the item of a workflow run:
				// n8n 2.x's agent runs the tool as an ordinary node, which the node must still recognise as a tool call.
				const toolResult = chatModel.requests[1].messages.find(
					(/** @type {any} */ m) => m.role === 'tool',
				);
				const taskId = creates[0].taskId;
				expect(JSON.parse(toolResult.content)).toEqual([
					{
						taskId,
						status: 'completed',
						imageUrls: [expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\//)],
						expiresAt: expect.any(String),
						creditsReserved: 1.8,
						creditsUsed: 1.8,
					},
				]);
				// As a tool it hands over URLs and downloads nothing.
				const downloads = (await instance.emulator.requestsSince(since)).filter(
					(r) => r.method === 'GET' && r.path.startsWith('/content/'),
				);
				expect(downloads).toEqual([]);

				// The agent's answer carries the image URL, and that URL is the task's real 1024x1024 PNG.
				const [answer] = outputOf(execution, 'AI Agent');
				const [url] = String(answer.json.output).match(/http:\/\/127\.0\.0\.1:\d+\/\S+/) ?? [];
				expect(url).toBeDefined();
				const [task] = (await instance.emulator.tasks()).filter((t) => t.id === taskId);
				expect(task.status).toBe('completed');
				const image = await fetch(/** @type {string} */ (url));
				expect(image.status).toBe(200);
				expect(readPng(Buffer.from(await image.arrayBuffer()))).toEqual(
					expect.objectContaining({ width: 1024, height: 1024 }),
				);
			} finally {
				if (workflowId) await removeWorkflow(instance, workflowId);
				await instance.client.rest('DELETE', `/rest/credentials/${credential.id}`).catch(() => {});
				await chatModel.close();
			}
		}, 180_000);
	});
}
