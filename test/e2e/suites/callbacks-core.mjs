// @ts-check
// The two callback paths as the examples set them up, in few runs (the full callback cases are in
// test/e2e/callbacks.test.mjs): Generate > Wait for the Callback resumes a paused execution, and the Seedream
// Trigger example, activated, starts once per finished task with the images as binary.
import { describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readPng } from '../../harness/png.mjs';
import { errorOf, outputOf, removeWorkflow, runExample, saveVariant } from '../support/run.mjs';

const RUN_TIMEOUT = 180_000;

/** @param {() => import('../support/instance.mjs').E2eInstance} get */
export function callbackCoreTests(get) {
	describe('callbacks', () => {
		test(
			'examples/generate-wait-for-callback.json pauses, is resumed by the callback and outputs two PNGs',
			async () => {
				const instance = get();
				const execution = await runExample(instance, 'generate-wait-for-callback.json');
				expect(errorOf(execution)).toBeUndefined();
				expect(execution.status).toBe('success');
				const items = outputOf(execution, 'Generate and Wait for the Callback');
				expect(items).toHaveLength(2);
				for (const item of items) {
					const bytes = await instance.client.binaryBytes(
						/** @type {{ id?: string, data?: string }} */ (item.binary?.data),
					);
					expect(readPng(bytes)).toEqual(expect.objectContaining({ width: 1024, height: 1024 }));
				}
			},
			RUN_TIMEOUT,
		);

		test(
			"examples/seedream-trigger.json, activated, starts once for a task Generate reports to its URL, with the task's PNG",
			async () => {
				const instance = get();
				const token = `e2e-${randomBytes(12).toString('hex')}`;
				const triggerId = await saveVariant(
					instance,
					'seedream-trigger.json',
					'e2e: trigger (core)',
					(workflow) => {
						const trigger = workflow.nodes.find((/** @type {{ type: string }} */ n) =>
							n.type.endsWith('.seedreamTrigger'),
						);
						trigger.parameters.token = token;
						trigger.webhookId = token;
					},
				);
				const generateId = await saveVariant(
					instance,
					'generate-images.json',
					'e2e: generate reporting to the trigger',
					(workflow) => {
						const generate = workflow.nodes.find(
							(/** @type {{ name: string }} */ n) => n.name === 'Generate Images',
						);
						generate.parameters.n = 1;
						generate.parameters.options = {
							...generate.parameters.options,
							callbackUrl: `${instance.url}/webhook/${token}`,
						};
					},
				);
				try {
					await instance.client.activateWorkflow(triggerId);
					const productionUrl = `${instance.url}/webhook/${token}`;
					// Webhooks register a moment after activation: a well-formed request stops getting 404.
					for (
						let tries = 0;
						(
							await fetch(productionUrl, {
								method: 'POST',
								headers: { 'content-type': 'application/json' },
								body: '{}',
							})
						).status === 404;
						tries++
					) {
						if (tries > 120) throw new Error(`${productionUrl} still 404`);
						await new Promise((resolve) => setTimeout(resolve, 250));
					}
					const execution = await runExample(instance, 'generate-images.json', {
						workflowId: generateId,
					});
					expect(execution.status).toBe('success');
					const [generated] = outputOf(execution, 'Generate Images');

					/** @type {any[]} */
					let started = [];
					for (let tries = 0; started.length === 0; tries++) {
						if (tries > 240) throw new Error('the trigger workflow never ran');
						await new Promise((resolve) => setTimeout(resolve, 250));
						const { data } = await instance.client.api(
							'GET',
							`/api/v1/executions?workflowId=${triggerId}&includeData=true`,
						);
						started = data.filter(
							(/** @type {any} */ e) =>
								e.finished || e.status === 'success' || e.status === 'error',
						);
					}
					expect(started).toHaveLength(1);
					const [item] = outputOf(started[0], 'Use the Images');
					expect(item.json).toEqual(
						expect.objectContaining({ taskId: generated.json.taskId, status: 'completed' }),
					);
					const bytes = await instance.client.binaryBytes(
						/** @type {{ id?: string, data?: string }} */ (item.binary?.data),
					);
					expect(readPng(bytes)).toEqual(expect.objectContaining({ width: 1280, height: 720 }));
				} finally {
					await removeWorkflow(instance, generateId);
					await instance.client
						.api('POST', `/api/v1/workflows/${triggerId}/deactivate`)
						.catch(() => {});
					await removeWorkflow(instance, triggerId);
				}
			},
			RUN_TIMEOUT,
		);
	});
}
