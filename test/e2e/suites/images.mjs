// @ts-check
// The image examples in real n8n against the emulator: what users run after `npm start`. Binary data is read
// back from n8n's binary store and decoded: real PNGs of the requested size.
import { describe, expect, test } from '@jest/globals';

/** Per test: a run takes seconds, but a loaded CI machine can stretch it; a limit, not an assertion. */
const RUN_TIMEOUT = 180_000;
import { readPng } from '../../harness/png.mjs';
import {
	errorOf,
	example,
	outputOf,
	removeWorkflow,
	runExample,
	saveVariant,
} from '../support/run.mjs';

/** @typedef {import('../support/instance.mjs').E2eInstance} E2eInstance */

/**
 * Every item's image: a PNG of the given size, in binary field `data`, named after the task.
 * @param {E2eInstance} instance @param {import('../support/run.mjs').Item[]} items @param {number} width @param {number} height
 */
async function expectPngs(instance, items, width, height) {
	for (const item of items) {
		const binary = item.binary?.data;
		expect(binary).toEqual(
			expect.objectContaining({ mimeType: 'image/png', fileExtension: 'png' }),
		);
		const bytes = await instance.client.binaryBytes(
			/** @type {{ id?: string, data?: string }} */ (binary),
		);
		expect(readPng(bytes)).toEqual(expect.objectContaining({ width, height }));
	}
}

/** @param {() => E2eInstance} get */
export function imageTests(get) {
	test('the imported Seedream Trigger example gets a webhook ID of its own: its URL token is not one every user shares', async () => {
		const instance = get();
		const imported = await instance.client.rest(
			'GET',
			`/rest/workflows/${instance.workflow('seedream-trigger.json').id}`,
		);
		const trigger = imported.nodes.find(
			(/** @type {{ type: string }} */ n) => n.type === 'n8n-nodes-seedream.seedreamTrigger',
		);
		expect(trigger.webhookId).toMatch(
			/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
		);
		expect(
			example('seedream-trigger.json').nodes.some(
				(/** @type {{ webhookId?: string }} */ n) => n.webhookId,
			),
		).toBe(false);
	});

	describe('examples/generate-images.json', () => {
		test(
			'two 16:9 1K images come out as two items, each a 1280x720 PNG in binary field "data"',
			async () => {
				const instance = get();
				const since = await instance.emulator.lastSeq();
				const execution = await runExample(instance, 'generate-images.json');
				expect(errorOf(execution)).toBeUndefined();
				expect(execution.status).toBe('success');

				const items = outputOf(execution, 'Generate Images');
				expect(items).toHaveLength(2);
				expect(new Set(items.map((i) => i.json.taskId)).size).toBe(1);
				expect(items[0].json.taskId).toMatch(/^task-unified-\d+-[a-z0-9]{8}$/);
				expect(items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 0 }]);
				await expectPngs(instance, items, 1280, 720);

				// Slack and Drive need accounts: they are shown disabled as the next step, so n8n passes the images
				// through them untouched instead of calling out.
				const imported = await instance.client.rest(
					'GET',
					`/rest/workflows/${instance.workflow('generate-images.json').id}`,
				);
				for (const name of ['Post to Slack', 'Upload to Google Drive']) {
					expect(
						imported.nodes.find((/** @type {{ name: string }} */ n) => n.name === name).disabled,
					).toBe(true);
					expect(outputOf(execution, name).map((i) => i.json)).toEqual(items.map((i) => i.json));
				}

				const creates = (await instance.emulator.requestsSince(since)).filter(
					(r) => r.method === 'POST' && r.path === '/v1/images/generations',
				);
				expect(creates).toHaveLength(1);
				expect(creates[0].body).toEqual(
					expect.objectContaining({
						model: 'doubao-seedream-4.0',
						n: 2,
						size: '16:9',
						quality: '1K',
						prompt: example('generate-images.json').nodes[1].parameters.prompt,
					}),
				);
				expect(creates[0].headers['idempotency-key']).toMatch(/^[A-Za-z0-9._-]{16,96}$/);
			},
			RUN_TIMEOUT,
		);

		test(
			'a failed task fails the node the way n8n shows node errors: task ID, code, advice',
			async () => {
				const instance = get();
				await instance.emulator.failNextTask('content_policy_violation');
				try {
					const execution = await runExample(instance, 'generate-images.json');
					expect(execution.status).toBe('error');
					const error = errorOf(execution);
					expect(error.node.name).toBe('Generate Images');
					expect(error.message).toMatch(
						/^Seedream task task-unified-\d+-[a-z0-9]{8} failed: content_policy_violation/,
					);
					expect(error.description).toMatch(/running it again unchanged will fail again/);
					expect(execution.data.resultData.lastNodeExecuted).toBe('Generate Images');
					expect(execution.data.resultData.runData['Generate Images'][0].error.message).toBe(
						error.message,
					);
				} finally {
					await instance.emulator.clearFaults();
				}
			},
			RUN_TIMEOUT,
		);

		test(
			'an invalid size is refused before anything is sent, as a node error naming the field',
			async () => {
				const instance = get();
				const workflowId = await saveVariant(
					instance,
					'generate-images.json',
					'e2e: invalid size',
					(workflow) => {
						const generate = workflow.nodes.find(
							(/** @type {{ name: string }} */ n) => n.name === 'Generate Images',
						);
						Object.assign(generate.parameters, { sizeMode: 'custom', width: 640, height: 480 });
					},
				);
				try {
					const since = await instance.emulator.lastSeq();
					const execution = await runExample(instance, 'generate-images.json', { workflowId });
					expect(execution.status).toBe('error');
					const error = errorOf(execution);
					expect(error.name).toBe('NodeOperationError');
					expect(error.node.name).toBe('Generate Images');
					expect(error.message).toMatch(/640x480/);
					expect(error.description).toMatch(/nothing was sent/i);
					const sent = (await instance.emulator.requestsSince(since)).filter(
						(r) => r.path === '/v1/images/generations',
					);
					expect(sent).toEqual([]);
				} finally {
					await removeWorkflow(instance, workflowId);
				}
			},
			RUN_TIMEOUT,
		);
	});

	describe('examples/edit-with-references.json', () => {
		test(
			"the first node's image is uploaded and sent as the reference; the edit follows its 4:3 ratio",
			async () => {
				const instance = get();
				const since = await instance.emulator.lastSeq();
				const execution = await runExample(instance, 'edit-with-references.json');
				expect(errorOf(execution)).toBeUndefined();

				await expectPngs(instance, outputOf(execution, 'Make a Starting Image'), 1152, 864);
				const edited = outputOf(execution, 'Edit with the Image as Reference');
				expect(edited).toHaveLength(1);
				await expectPngs(instance, edited, 1152, 864);

				const requests = await instance.emulator.requestsSince(since);
				const uploads = requests.filter(
					(r) => r.method === 'POST' && r.path.startsWith('/api/v1/files/upload/'),
				);
				expect(uploads).toHaveLength(1);
				const creates = requests.filter(
					(r) => r.method === 'POST' && r.path === '/v1/images/generations',
				);
				expect(creates).toHaveLength(2);
				expect(creates[0].body.image_urls).toBeUndefined();
				expect(creates[1].body.image_urls).toEqual([
					expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\//),
				]);
				expect(creates[1].body.size).toBe('auto');
			},
			RUN_TIMEOUT,
		);
	});

	describe('examples/generate-then-get.json', () => {
		test(
			"Don't Wait returns the task ID at once; Task > Get waits for it and downloads a 1024x1024 PNG",
			async () => {
				const instance = get();
				const execution = await runExample(instance, 'generate-then-get.json');
				expect(errorOf(execution)).toBeUndefined();

				const [started, ...more] = outputOf(execution, 'Start the Task');
				expect(more).toEqual([]);
				expect(started.binary).toBeUndefined();
				expect(started.json.taskId).toMatch(/^task-unified-/);
				expect(['pending', 'processing']).toContain(started.json.status);

				const images = outputOf(execution, 'Get the Images');
				expect(images).toHaveLength(1);
				expect(images[0].json).toEqual(
					expect.objectContaining({ taskId: started.json.taskId, status: 'completed' }),
				);
				await expectPngs(instance, images, 1024, 1024);
			},
			RUN_TIMEOUT,
		);
	});
}
