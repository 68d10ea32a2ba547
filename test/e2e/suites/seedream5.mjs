// @ts-check
// The Seedream 5.0 examples in real n8n against the emulator, as `npm start` imports them: Decompose Layers
// (examples/decompose-layers.json) and a 5.0 Pro transparent-background edit (examples/pro-transparent-edit.json).
// Every layer is read back from n8n's binary store and decoded: PNGs whose alpha really has transparent pixels,
// each the size of its bounding box, with the fields the API gave for it.
import { createHash } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { EMULATOR_KEY } from '../../../scripts/lib/n8n/seed.mjs';
import { alphaCounts, pngPixels } from '../../harness/png.mjs';
import { errorOf, example, outputOf, runExample } from '../support/run.mjs';

/** Per test: a run takes seconds, but a loaded CI machine can stretch it; a limit, not an assertion. */
const RUN_TIMEOUT = 180_000;
const LAYERIZE = 'doubao-seedream-5.0-pro-layerize';

/** @typedef {import('../support/instance.mjs').E2eInstance} E2eInstance */

/** The task as the API reports it to the credential's key. @param {E2eInstance} instance @param {string} taskId */
async function apiTask(instance, taskId) {
	const response = await fetch(`${instance.emulatorUrl}/v1/tasks/${taskId}`, {
		headers: { authorization: `Bearer ${EMULATOR_KEY}` },
	});
	expect(response.status).toBe(200);
	return await response.json();
}

/** @param {E2eInstance} instance @param {{ id?: string, data?: string } | undefined} binary */
async function pngOf(instance, binary) {
	expect(binary).toBeDefined();
	return pngPixels(
		await instance.client.binaryBytes(/** @type {{ id?: string, data?: string }} */ (binary)),
	);
}

/** @param {E2eInstance} instance @param {number} since */
async function sentSince(instance, since) {
	const requests = await instance.emulator.requestsSince(since);
	return {
		creates: requests.filter((r) => r.method === 'POST' && r.path === '/v1/images/generations'),
		uploads: requests.filter(
			(r) => r.method === 'POST' && r.path.startsWith('/api/v1/files/upload/'),
		),
	};
}

/** @param {() => E2eInstance} get */
export function seedream5Tests(get) {
	describe('examples/decompose-layers.json', () => {
		test(
			'the poster becomes one item per layer, base first: each a PNG with its z-index, box, name and description',
			async () => {
				const instance = get();
				const since = await instance.emulator.lastSeq();
				const execution = await runExample(instance, 'decompose-layers.json');
				expect(errorOf(execution)).toBeUndefined();
				expect(execution.status).toBe('success');

				const [poster] = outputOf(execution, 'Make a Poster');
				expect(await pngOf(instance, poster.binary?.data)).toEqual(
					expect.objectContaining({ width: 1024, height: 1024 }),
				);

				const items = outputOf(execution, 'Decompose into Layers');
				const taskId = items[0]?.json.taskId;
				expect(taskId).toMatch(/^task-unified-\d+-[a-z0-9]{8}$/);
				const task = await apiTask(instance, taskId);
				// One layer per <bbox> region of the example's prompt, after the base.
				expect(task.result_data).toHaveLength(3);
				expect(items).toHaveLength(task.result_data.length);
				expect(items.map((i) => i.json.zIndex)).toEqual([0, 1, 2]);
				expect(items.map((i) => i.json.name)).toEqual([null, 'title text', 'guitarist']);

				for (const [index, item] of items.entries()) {
					const layer = task.result_data[index];
					expect(item.pairedItem).toEqual({ item: 0 });
					expect(item.json).toEqual(
						expect.objectContaining({
							taskId,
							status: 'completed',
							model: LAYERIZE,
							imageIndex: index,
							imageCount: 3,
							url: layer.image_url,
						}),
					);
					expect(item.binary?.data).toEqual(
						expect.objectContaining({
							mimeType: 'image/png',
							fileExtension: 'png',
							fileName: `${taskId}-${index}.png`,
						}),
					);
					const png = await pngOf(instance, item.binary?.data);
					if (index === 0) {
						// The base: the whole poster at its own size (Quality Auto keeps 1024x1024), in the asked-for PNG.
						expect(item.json).toEqual(
							expect.objectContaining({ boundingBox: null, name: null, description: null }),
						);
						expect(png).toEqual(expect.objectContaining({ width: 1024, height: 1024 }));
						continue;
					}
					expect(item.json.description).toEqual(expect.any(String));
					expect(item.json).toEqual(
						expect.objectContaining({
							name: layer.name,
							description: layer.description,
							boundingBox: layer.bounding_box,
						}),
					);
					expect(item.json.boundingBox).toEqual({
						absolute: [
							expect.any(Number),
							expect.any(Number),
							expect.any(Number),
							expect.any(Number),
						],
						normalized: [
							expect.any(Number),
							expect.any(Number),
							expect.any(Number),
							expect.any(Number),
						],
					});
					// A layer is a PNG with alpha, the size of its box, transparent around what it holds.
					const [x1, y1, x2, y2] = item.json.boundingBox.absolute;
					expect(png).toEqual(
						expect.objectContaining({ width: x2 - x1, height: y2 - y1, colorType: 6 }),
					);
					const alpha = alphaCounts(png);
					expect(alpha.transparent).toBeGreaterThan(0);
					expect(alpha.opaque).toBeGreaterThan(0);
				}

				const { creates, uploads } = await sentSince(instance, since);
				expect(uploads).toHaveLength(1);
				expect(creates.map((c) => c.body.model)).toEqual(['doubao-seedream-4.0', LAYERIZE]);
				const decompose = example('decompose-layers.json').nodes.find(
					(/** @type {{ name: string }} */ n) => n.name === 'Decompose into Layers',
				);
				expect(creates[1].body).toEqual({
					model: LAYERIZE,
					prompt: decompose.parameters.prompt,
					quality: 'auto',
					output_format: 'png',
					prompt_priority: 'standard',
					image_urls: [expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\//)],
				});
			},
			RUN_TIMEOUT,
		);

		test("the instance's emulator says its layer tasks take as long as they do, not the documented 120 s", async () => {
			const config = await get().emulator.call('GET', 'config');
			expect(config).toEqual(expect.objectContaining({ taskMs: 400, layerizeEstimatedSeconds: 1 }));
		});
	});

	describe('examples/pro-transparent-edit.json', () => {
		test(
			'the cut-out layer is the one reference of a 5.0 Pro transparent edit, whose result is an RGBA PNG with transparency',
			async () => {
				const instance = get();
				const since = await instance.emulator.lastSeq();
				const execution = await runExample(instance, 'pro-transparent-edit.json');
				expect(errorOf(execution)).toBeUndefined();
				expect(execution.status).toBe('success');

				// All layers on one item: the base in image_0 (JPEG, the default), the teapot in image_1.
				const [cutOut, ...more] = outputOf(execution, 'Cut Out the Teapot');
				expect(more).toEqual([]);
				expect(Object.keys(cutOut.binary ?? {}).sort()).toEqual(['image_0', 'image_1']);
				expect(cutOut.binary?.image_0).toEqual(expect.objectContaining({ mimeType: 'image/jpeg' }));
				expect(
					cutOut.json.images.map((/** @type {{ zIndex: number, name: string | null }} */ i) => [
						i.zIndex,
						i.name,
					]),
				).toEqual([
					[0, null],
					[1, 'teapot'],
				]);
				const teapot = await instance.client.binaryBytes(
					/** @type {{ id?: string }} */ (cutOut.binary?.image_1),
				);
				const teapotPng = pngPixels(teapot);
				expect(teapotPng.colorType).toBe(6);
				expect(alphaCounts(teapotPng).transparent).toBeGreaterThan(0);

				const { creates, uploads } = await sentSince(instance, since);
				expect(uploads).toHaveLength(2);
				expect(creates.map((c) => c.body.model)).toEqual([
					'doubao-seedream-4.0',
					LAYERIZE,
					'doubao-seedream-5.0-pro',
				]);
				const pro = creates[2].body;
				expect(pro).toEqual(
					expect.objectContaining({
						background: 'transparent',
						output_format: 'png',
						image_urls: [expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\//)],
					}),
				);
				// The reference EvoLink got is the teapot layer, byte for byte (by the emulator's record of the
				// upload: the node deleted the file once the task ended).
				const files = await (await fetch(`${instance.emulatorUrl}/__emulator/files`)).json();
				const reference = files.find((/** @type {any} */ f) => pro.image_urls[0].includes(f.id));
				expect(reference.sha256).toBe(createHash('sha256').update(teapot).digest('hex'));

				const [restyled, ...others] = outputOf(execution, 'Restyle, Keep Transparency');
				expect(others).toEqual([]);
				expect(restyled.json).toEqual(
					expect.objectContaining({
						status: 'completed',
						model: 'doubao-seedream-5.0-pro',
						mimeType: 'image/png',
					}),
				);
				expect(restyled.binary?.data).toEqual(
					expect.objectContaining({ mimeType: 'image/png', fileExtension: 'png' }),
				);
				const png = await pngOf(instance, restyled.binary?.data);
				expect(png).toEqual(expect.objectContaining({ colorType: 6, bitDepth: 8 }));
				const alpha = alphaCounts(png);
				expect(alpha.transparent).toBeGreaterThan(0);
				expect(alpha.opaque).toBeGreaterThan(0);
			},
			RUN_TIMEOUT,
		);
	});
}
