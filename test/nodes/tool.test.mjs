// @ts-check
// As an AI Agent's tool (usableAsTool): compact JSON the agent can read, unless binary output is asked for.
// That n8n offers the node as a tool at all is for n8n to show: test/e2e/suites/package.mjs finds the
// `seedreamTool` type among the nodes real n8n loaded.
import { GENERATE, startSuite } from './support.mjs';
import { seedreamWorkflow } from '../harness/workflows.mjs';

/** @type {import('./support.mjs').Suite} */
let suite;
beforeAll(async () => {
	suite = await startSuite();
});
beforeEach(async () => await suite.reset());
afterAll(async () => await suite?.close());

/** Calls the Seedream node as an agent would, with `toolArgs` as its one input item. */
const asTool = (/** @type {Record<string, unknown>} */ parameters, toolArgs = {}) =>
	suite.harness.runAsTool(seedreamWorkflow(parameters), {
		nodeName: 'Seedream',
		toolArgs,
		credentials: suite.credentials,
	});

test('Generate as a tool answers compact JSON: task ID, status, image URLs, expiry, credits; nothing downloaded', async () => {
	const { response, items, error } = await asTool({
		...GENERATE,
		prompt: 'two images of a red kite',
		n: 2,
	});
	expect(error).toBeUndefined();
	const answer = JSON.parse(response);
	expect(answer).toEqual([
		{
			taskId: expect.stringMatching(/^task-unified-/),
			status: 'completed',
			imageUrls: [expect.any(String), expect.any(String)],
			expiresAt: expect.any(String),
			creditsReserved: 3.6,
			creditsUsed: 3.6,
			imagesMode: 'asWritten',
			maxImages: 2,
		},
	]);
	expect(items[0].binary).toBeUndefined();
	expect(await suite.requests({ path: '/content/' })).toEqual([]);
	const [task] = await suite.emulator.control.tasks();
	expect(task.prompt).toBe('two images of a red kite');
});

test("run by the engine for the agent's tool call (AI Agent v3), it still answers as a tool", async () => {
	// n8n 2.x's agent asks the engine to run the tool node as an ordinary node, with the call's arguments as its
	// input item, and marks it by sending its output to the ai_tool connection (core requests-response.ts sets
	// rewireOutputLogTo on the node). There isToolExecution() is false: this is the path the e2e agent run takes.
	const workflow = seedreamWorkflow(
		{ ...GENERATE, prompt: '={{ $json.prompt }}' },
		{ nodeOptions: { rewireOutputLogTo: 'ai_tool' } },
	);
	const result = await suite.harness.runWorkflow(workflow, {
		credentials: suite.credentials,
		items: [{ json: { prompt: 'a kite over the sea', toolCallId: 'call_1' } }],
	});
	expect(result.status).toBe('success');
	const [run] = result.run.data.resultData.runData.Seedream;
	const [[item]] = /** @type {any} */ (run.data?.ai_tool);
	expect(item.json).toEqual({
		taskId: expect.stringMatching(/^task-unified-/),
		status: 'completed',
		imageUrls: [expect.any(String)],
		expiresAt: expect.any(String),
		creditsReserved: 1.8,
		creditsUsed: 1.8,
	});
	expect(item.binary).toBeUndefined();
	expect(await suite.requests({ path: '/content/' })).toEqual([]);
});

test('binary output when asked for', async () => {
	const { items, error } = await asTool({ ...GENERATE, options: { binaryWhenTool: true } });
	expect(error).toBeUndefined();
	expect(Object.keys(items[0].binary)).toEqual(['data']);
	expect(items[0].json.imageIndex).toBe(0);
});

test('URLs output stays as chosen', async () => {
	const { items } = await asTool({ ...GENERATE, output: 'urls' });
	expect(items[0].json).toMatchObject({ imageIndex: 0, url: expect.stringMatching(/0\.png$/) });
});

test('a refused request reaches the agent as an error it can read', async () => {
	const { error, response } = await asTool({ ...GENERATE, n: 16 });
	expect(response).toBeUndefined();
	expect(error.message).toMatch(/^Max Images \(n\): must be a whole number from 1 to 15; got 16/);
	expect(await suite.requests()).toEqual([]);
});
