// @ts-check
// examples/ai-agent-tool.json: the Seedream node as an AI agent's tool. The agent itself needs a chat model
// account, so the tool is run the way the editor tests a tool alone (a partial run with the agent's arguments):
// the part of the example that is ours runs offline, in real n8n, as `n8n-nodes-seedream.seedreamTool`.
import { describe, expect, test } from '@jest/globals';
import { NODE_TYPE } from '../../../scripts/lib/n8n-instance.mjs';
import { readPng } from '../support/png.mjs';
import { errorOf, example, runTool } from '../support/run.mjs';

/** @param {() => import('../support/instance.mjs').E2eInstance} get */
export function aiToolTests(get) {
	describe('examples/ai-agent-tool.json', () => {
		test('the example wires the Seedream tool variant to the agent', () => {
			const workflow = example('ai-agent-tool.json');
			const tool = workflow.nodes.find((/** @type {{ name: string }} */ n) => n.name === 'Generate Image');
			expect(tool.type).toBe(`${NODE_TYPE}Tool`);
			expect(tool.parameters.prompt).toContain('$fromAI(');
			expect(workflow.connections['Generate Image'].ai_tool[0][0].node).toBe('AI Agent');
		});

		test('called as a tool, it takes the prompt from the agent and returns task ID, image URLs and expiry, no binary', async () => {
			const instance = get();
			const prompt = 'A lighthouse in a storm, oil painting';
			const execution = await runTool(instance, instance.workflow('ai-agent-tool.json').id, 'Generate Image', { prompt });
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
			});
			expect(run.data.ai_tool[0][0].binary).toBeUndefined();

			const created = (await instance.emulator.requests()).filter((r) => r.taskId === answer.taskId && r.method === 'POST');
			expect(created[0].body.prompt).toBe(prompt);
			// The URL the agent gets is a real 1K image (preset 1K = 1024x1024).
			const image = await fetch(answer.imageUrls[0]);
			expect(readPng(Buffer.from(await image.arrayBuffer()))).toEqual(expect.objectContaining({ width: 1024, height: 1024 }));
		}, 180_000);
	});
}
