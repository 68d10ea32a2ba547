// @ts-check
// The editor in a real browser: log in with the owner's form, open examples/generate-images.json, open the
// Seedream node, check its parameters render without issues, run it, and see the images in the output panel;
// then run examples/decompose-layers.json and see its layers there (table and binary view).
// Screenshots go to test-results/screenshots/ on every run, and to docs/screenshots/ (the README's) when a file
// is missing there or SEEDREAM_UPDATE_SCREENSHOTS=1: pixels (task IDs, sizes in kB) differ between runs, so
// the test never depends on them.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EMULATOR_KEY } from '../../../scripts/lib/n8n/seed.mjs';
import { NODE_TYPE } from '../../../scripts/lib/n8n/install.mjs';
import { repoRoot } from '../../../scripts/lib/toolchain.mjs';
import { openBrowser } from '../support/browser.mjs';
import { removeWorkflow, saveVariant } from '../support/run.mjs';

const NODE = 'Generate Images';
/** Per test: the editor's first loads are slow on a loaded CI machine; these are limits, never assertions. */
const UI_TIMEOUT = 240_000;
const resultsDir = join(repoRoot, 'test-results', 'screenshots');
const docsDir = join(repoRoot, 'docs', 'screenshots');

/** @param {import('playwright-core').Page} page @param {string} name */
async function screenshot(page, name) {
	mkdirSync(resultsDir, { recursive: true });
	const file = join(resultsDir, `${name}.jpg`);
	// JPEG, never PNG: `n8n-node build` copies every *.png of the repository into dist/ and the package.
	await page.screenshot({ path: file, type: 'jpeg', quality: 82 });
	const docs = join(docsDir, `${name}.jpg`);
	if (!existsSync(docs) || process.env.SEEDREAM_UPDATE_SCREENSHOTS === '1') {
		mkdirSync(docsDir, { recursive: true });
		copyFileSync(file, docs);
	}
}

/**
 * Opens a workflow, opens one node and runs it with Execute step until it succeeded.
 * @param {import('playwright-core').Page} page @param {string} workflowUrl @param {string} nodeName
 * @returns {Promise<import('playwright-core').Locator>} the output panel
 */
async function executeStep(page, workflowUrl, nodeName) {
	await page.goto(workflowUrl);
	await page.locator(`[data-test-id=canvas-node][data-node-name="${nodeName}"]`).dblclick();
	const ndv = page.locator('[data-test-id=ndv]');
	await ndv.locator('[data-test-id=node-execute-button]').click();
	await ndv.locator('[data-test-id=node-run-status-success]').waitFor({ timeout: 120_000 });
	return ndv.locator('[data-test-id=output-panel]');
}

/**
 * Opens an item's image from the output panel's binary view and waits until it has loaded.
 * @param {import('playwright-core').Page} page @param {import('playwright-core').Locator} output @param {number} index
 * @returns {Promise<{ width: number, height: number }>} its size in pixels (a broken image never gets one)
 */
async function viewImage(page, output, index) {
	await output
		.locator(`[data-test-id=ndv-binary-data_${index}] [data-test-id=ndv-view-binary-data]`)
		.click();
	const image = output.locator('img[src*="/rest/binary-data"]');
	await image.waitFor();
	await page.waitForFunction(
		(img) => img instanceof HTMLImageElement && img.complete && img.naturalWidth > 0,
		await image.elementHandle(),
	);
	return await image.evaluate((img) => ({
		width: /** @type {HTMLImageElement} */ (img).naturalWidth,
		height: /** @type {HTMLImageElement} */ (img).naturalHeight,
	}));
}

/** @param {() => import('../support/instance.mjs').E2eInstance} get */
export function browserTests(get) {
	describe('the editor in Chromium', () => {
		/** @type {Awaited<ReturnType<typeof openBrowser>> | undefined} */
		let browser;
		/** @returns {import('playwright-core').Page} */
		const page = () => {
			if (!browser) throw new Error('the browser did not start');
			return browser.page;
		};

		beforeAll(async () => {
			browser = await openBrowser();
			// First loads of the editor's bundles take 15-25 s on a busy 2-core machine.
			page().setDefaultTimeout(90_000);
		}, 300_000);

		afterAll(async () => {
			await browser?.close();
		});

		test(
			'the owner logs in with the sign-in form',
			async () => {
				const { url, owner } = get();
				await page().goto(`${url}/signin`);
				await page().locator('input[name=emailOrLdapLoginId]').fill(owner.email);
				await page().locator('input[name=password]').fill(owner.password);
				await page().locator('[data-test-id=form-submit-button]').click();
				await page().waitForURL((u) => !u.pathname.startsWith('/signin'));
				expect(new URL(page().url()).pathname).not.toMatch(/^\/signin/);
			},
			UI_TIMEOUT,
		);

		test(
			'the example opens with the Seedream node on the canvas, no issues flagged',
			async () => {
				const { url, workflow } = get();
				await page().goto(`${url}/workflow/${workflow('generate-images.json').id}`);
				const node = page().locator(`[data-test-id=canvas-node][data-node-name="${NODE}"]`);
				await node.waitFor();
				expect(await node.getAttribute('data-node-type')).toBe(NODE_TYPE);
				// Its icon is served from the installed package and loads (a broken image never gets a width).
				const icon = node.locator('img').first();
				expect(await icon.getAttribute('src')).toMatch(/\/icons\/n8n-nodes-seedream\//);
				await page().waitForFunction(
					(img) => img instanceof HTMLImageElement && img.complete && img.naturalWidth > 0,
					await icon.elementHandle(),
				);
				expect(await page().locator('[data-test-id=canvas-node-status-issues]').count()).toBe(0);
				await page().locator('[data-test-id=zoom-to-fit]').click();
				await screenshot(page(), 'workflow-canvas');
			},
			UI_TIMEOUT,
		);

		test(
			"the node's parameters render with the example's values and no parameter issues",
			async () => {
				await page().locator(`[data-test-id=canvas-node][data-node-name="${NODE}"]`).dblclick();
				const ndv = page().locator('[data-test-id=ndv]');
				await ndv.waitFor();
				for (const name of [
					'resource',
					'operation',
					'model',
					'prompt',
					'n',
					'sizeMode',
					'aspectRatio',
					'quality',
					'waitMode',
					'output',
				]) {
					await expect(ndv.locator(`[data-test-id=parameter-input-${name}]`).count()).resolves.toBe(
						1,
					);
				}
				await expect(
					ndv.locator('[data-test-id=parameter-input-prompt] textarea').inputValue(),
				).resolves.toBe('A set of 2 watercolor postcards of Lisbon trams at sunset');
				await expect(
					ndv.locator('[data-test-id=parameter-input-aspectRatio] input').inputValue(),
				).resolves.toBe('16:9');
				await expect(
					ndv.locator('[data-test-id=node-credentials-select] input').inputValue(),
				).resolves.toBe('Seedream account');
				expect(await ndv.locator('[data-test-id=parameter-issues]').count()).toBe(0);
				expect(
					await ndv
						.locator(
							'[data-test-id=node-credentials-select] .has-issues, [data-test-id=node-issues]',
						)
						.count(),
				).toBe(0);
				await screenshot(page(), 'node-parameters');
			},
			UI_TIMEOUT,
		);

		test(
			'Execute step runs it; the output panel shows two PNGs and the first one opens at 1280x720',
			async () => {
				const ndv = page().locator('[data-test-id=ndv]');
				await ndv.locator('[data-test-id=node-execute-button]').click();
				await ndv.locator('[data-test-id=node-run-status-success]').waitFor({ timeout: 120_000 });
				const output = ndv.locator('[data-test-id=output-panel]');
				await output.locator('[data-test-id=radio-button-binary]').click();
				const cards = output.locator('[data-test-id^=ndv-binary-data_]');
				await cards.first().waitFor();
				expect(await cards.count()).toBe(2);
				for (const text of await cards.allInnerTexts()) {
					expect(text).toMatch(/task-unified-\d+-[a-z0-9]{8}-\d\.png/);
					expect(text).toContain('image/png');
				}
				await screenshot(page(), 'node-output-binary');

				expect(await viewImage(page(), output, 0)).toEqual({ width: 1280, height: 720 });
				await screenshot(page(), 'node-output-image');
			},
			UI_TIMEOUT,
		);

		test(
			'back on the canvas, the node shows its two output items',
			async () => {
				await page().locator('[data-test-id=ndv-close-button]').click();
				await page().locator('[data-test-id=ndv]').waitFor({ state: 'hidden' });
				const edge = page().locator('[data-test-id=edge-label]', { hasText: '2 items' });
				await edge.first().waitFor();
				await page().locator('[data-test-id=zoom-to-fit]').click();
				await screenshot(page(), 'workflow-after-run');
			},
			UI_TIMEOUT,
		);

		test(
			'an invalid size shows in the output panel the way n8n shows node errors, nothing sent',
			async () => {
				const instance = get();
				const workflowId = await saveVariant(
					instance,
					'generate-images.json',
					'e2e: invalid size in the editor',
					(workflow) => {
						const generate = workflow.nodes.find(
							(/** @type {{ name: string }} */ n) => n.name === NODE,
						);
						Object.assign(generate.parameters, { sizeMode: 'custom', width: 640, height: 480 });
					},
				);
				try {
					await page().goto(`${instance.url}/workflow/${workflowId}`);
					await page().locator(`[data-test-id=canvas-node][data-node-name="${NODE}"]`).dblclick();
					const ndv = page().locator('[data-test-id=ndv]');
					await ndv.locator('[data-test-id=node-execute-button]').click();
					const message = ndv.locator('[data-test-id=node-error-message]');
					await message.waitFor();
					expect(await message.innerText()).toMatch(/640x480/);
					expect(await ndv.locator('[data-test-id=node-error-description]').innerText()).toMatch(
						/nothing was sent/i,
					);
					await screenshot(page(), 'node-error');
				} finally {
					await removeWorkflow(instance, workflowId);
				}
			},
			UI_TIMEOUT,
		);

		test(
			'Validate Only (node version 1.1) shows the body and the credits it would reserve, nothing sent',
			async () => {
				const instance = get();
				const workflowId = await saveVariant(
					instance,
					'generate-images.json',
					'e2e: validate only in the editor',
					(workflow) => {
						const generate = workflow.nodes.find(
							(/** @type {{ name: string }} */ n) => n.name === NODE,
						);
						generate.typeVersion = 1.1;
						Object.assign(generate.parameters, {
							prompt: 'a fox',
							n: 4,
							options: { ...generate.parameters.options, validateOnly: true },
						});
					},
				);
				try {
					const since = await instance.emulator.lastSeq();
					const output = await executeStep(page(), `${instance.url}/workflow/${workflowId}`, NODE);
					await output.locator('[data-test-id=radio-button-json]').click();
					await output.getByText('creditsToReserve').first().waitFor();
					const text = await output.innerText();
					expect(text).toContain('Generate a set of 4 separate images.');
					expect(text).toMatch(/creditsToReserve[^0-9]*7\.2/);
					expect(await instance.emulator.requestsSince(since)).toEqual([]);
					await screenshot(page(), 'node-output-validate-only');
				} finally {
					await removeWorkflow(instance, workflowId);
				}
			},
			UI_TIMEOUT,
		);

		test(
			'Decompose Layers: the output panel lists the layers, base first, with z-index, name and box; a layer opens as a PNG of its box',
			async () => {
				const { url, workflow } = get();
				// Execute step runs the poster node before it, as in the editor.
				const output = await executeStep(
					page(),
					`${url}/workflow/${workflow('decompose-layers.json').id}`,
					'Decompose into Layers',
				);

				await output.locator('[data-test-id=radio-button-table]').click();
				const table = output.locator('table');
				await table.waitFor();
				const headers = (await table.locator('th').allInnerTexts()).map((text) => text.trim());
				expect(headers).toEqual(
					expect.arrayContaining(['zIndex', 'name', 'description', 'boundingBox']),
				);
				const column = (/** @type {string} */ name) => headers.indexOf(name);
				const rows = table.locator('tbody tr');
				expect(await rows.count()).toBe(3);
				/** @type {string[][]} */
				const cells = [];
				for (let row = 0; row < 3; row++)
					cells.push(
						(await rows.nth(row).locator('td').allInnerTexts()).map((text) => text.trim()),
					);
				expect(cells.map((row) => row[column('zIndex')])).toEqual(['0', '1', '2']);
				expect(cells.map((row) => row[column('name')])).toEqual([
					'null',
					'title text',
					'guitarist',
				]);
				expect(cells[1][column('boundingBox')]).toMatch(/absolute/);
				// The layer columns sit right of the task's: scroll the table to them for the picture.
				await table
					.locator('th', { hasText: 'zIndex' })
					.first()
					.evaluate((th) => th.scrollIntoView({ inline: 'start', block: 'nearest' }));
				await screenshot(page(), 'node-output-layers');

				await output.locator('[data-test-id=radio-button-binary]').click();
				const cards = output.locator('[data-test-id^=ndv-binary-data_]');
				await cards.first().waitFor();
				expect(await cards.count()).toBe(3);
				const cardTexts = await cards.allInnerTexts();
				const taskId = cardTexts[0].match(/task-unified-\d+-[a-z0-9]{8}/)?.[0];
				for (const [index, text] of cardTexts.entries()) {
					expect(text).toContain(`${taskId}-${index}.png`);
					expect(text).toContain('image/png');
				}
				const size = await viewImage(page(), output, 1);
				// The title layer, as big as its box in the API's answer.
				const task = await (
					await fetch(`${get().emulatorUrl}/v1/tasks/${taskId}`, {
						headers: { authorization: `Bearer ${EMULATOR_KEY}` },
					})
				).json();
				const [x1, y1, x2, y2] = task.result_data[1].bounding_box.absolute;
				expect(size).toEqual({ width: x2 - x1, height: y2 - y1 });
				await screenshot(page(), 'node-output-layer-image');
			},
			UI_TIMEOUT,
		);

		test('nothing in the editor tried to reach a host other than 127.0.0.1', () => {
			expect(browser?.blocked ?? []).toEqual([]);
		});
	});
}
