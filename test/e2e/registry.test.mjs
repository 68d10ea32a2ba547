// @ts-check
// Registry install, run, update and uninstall through n8n 2.x's editor in Chromium (suites/registry.mjs says
// what is proven; support/registry-instance.mjs how the registry is reached). Its own n8n, with no package
// installed at start. Screenshots of the install dialog and the installed package go to docs/screenshots/ for
// the README (when missing there, or with SEEDREAM_UPDATE_SCREENSHOTS=1) and to test-results/screenshots/.
import { afterAll, beforeAll, expect } from '@jest/globals';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_NAME } from '../../scripts/lib/n8n/install.mjs';
import { repoRoot } from '../../scripts/lib/toolchain.mjs';
import { openBrowser } from './support/browser.mjs';
import { startRegistryInstance } from './support/registry-instance.mjs';
import { WORKFLOW_NAME, registryTests } from './suites/registry.mjs';

/** @type {import('./support/registry-instance.mjs').RegistryInstance | undefined} */
let instance;
/** @type {Awaited<ReturnType<typeof openBrowser>> | undefined} */
let browser;
const get = () => {
	if (!instance) throw new Error('n8n did not start (see the beforeAll error above)');
	return instance;
};
const page = () => {
	if (!browser) throw new Error('Chromium did not start (see the beforeAll error above)');
	return browser.page;
};

/** @param {string} name */
async function screenshot(name) {
	const resultsDir = join(repoRoot, 'test-results', 'screenshots');
	mkdirSync(resultsDir, { recursive: true });
	const file = join(resultsDir, `${name}.jpg`);
	// JPEG, never PNG: `n8n-node build` copies every *.png of the repository into dist/ and the package.
	await page().screenshot({ path: file, type: 'jpeg', quality: 82 });
	const docs = join(repoRoot, 'docs', 'screenshots', `${name}.jpg`);
	if (!existsSync(docs) || process.env.SEEDREAM_UPDATE_SCREENSHOTS === '1') {
		mkdirSync(join(repoRoot, 'docs', 'screenshots'), { recursive: true });
		copyFileSync(file, docs);
	}
}

const card = () =>
	page().locator('[data-test-id=community-package-card]', { hasText: PACKAGE_NAME });

async function openCommunityNodes() {
	await page().goto(`${get().url}/settings/community-nodes`);
	// The page has loaded its list: an empty state, or the installed packages' cards.
	await page()
		.locator('[data-test-id=empty-state], [data-test-id=community-package-card]')
		.first()
		.waitFor();
}

beforeAll(async () => {
	instance = await startRegistryInstance();
	browser = await openBrowser();
	const { url, owner } = instance;
	await page().goto(`${url}/signin`);
	await page().locator('input[name=emailOrLdapLoginId]').fill(owner.email);
	await page().locator('input[name=password]').fill(owner.password);
	await page().locator('[data-test-id=form-submit-button]').click();
	await page().waitForURL((u) => !u.pathname.startsWith('/signin'));
}, 600_000);

afterAll(async () => {
	await browser?.close();
	await instance?.stop();
}, 60_000);

/** On a failed step, a picture of what the editor showed (test-results/screenshots/failed-<step>.jpg). */
async function showing(/** @type {string} */ step, /** @type {() => Promise<any>} */ run) {
	try {
		return await run();
	} catch (error) {
		await page()
			.screenshot({
				path: join(repoRoot, 'test-results', 'screenshots', `failed-${step}.jpg`),
				type: 'jpeg',
				quality: 70,
			})
			.catch(() => {});
		throw error;
	}
}

registryTests(get, {
	async install() {
		return await showing('install', async () => {
			await openCommunityNodes();
			await page().getByRole('button', { name: 'Install a community node' }).click();
			const modal = page().locator('[data-test-id=communityPackageInstall-modal]');
			await modal.waitFor();
			await modal
				.locator('[data-test-id=package-name-input]')
				.locator('xpath=self::input | .//input')
				.first()
				.fill(PACKAGE_NAME);
			await modal.locator('[data-test-id=user-agreement-checkbox]').click();
			await screenshot('community-nodes-install');
			await modal.locator('[data-test-id=install-community-package-button]').click();
			await card().waitFor({ timeout: 120_000 });
			await modal.waitFor({ state: 'hidden' });
			expect(await card().innerText()).toMatch(/Seedream/);
			// The "installed" toast slides in from the side: let it arrive before the picture.
			await page().waitForTimeout(800);
			await screenshot('community-nodes-installed');
		});
	},
	async findNode(workflowId) {
		return await showing('findNode', async () => {
			await page().goto(`${get().url}/workflow/${workflowId}`);
			// The + after the last node opens the nodes panel ("What happens next?"), as a user adds a step.
			await page().locator('[data-test-id=canvas-handle-plus]').last().click();
			const creator = page().locator('[data-test-id=node-creator]');
			await creator
				.locator(
					'[data-test-id=node-creator-search-bar] input, input[data-test-id=node-creator-search-bar]',
				)
				.first()
				.pressSequentially('Seedream');
			// The panel lists its categories until the search has run: wait for a result named Seedream, or for
			// "No results".
			await creator
				.locator('[data-test-id=node-creator-item-name]', { hasText: /^Seedream/ })
				.or(creator.locator('[data-test-id=node-creator-no-results]'))
				.first()
				.waitFor();
			await screenshot('community-node-in-nodes-panel');
			expect(
				await creator.locator('[data-test-id=node-creator-item-name]').allInnerTexts(),
			).toContain('Seedream');
			await page().keyboard.press('Escape');
		});
	},
	async openWorkflow(id) {
		return await showing('openWorkflow', async () => {
			await page().goto(`${get().url}/workflow/${id}`);
			for (const name of ['Seedream v1', 'Seedream v1.1']) {
				const node = page().locator(`[data-test-id=canvas-node][data-node-name="${name}"]`);
				await node.waitFor();
			}
			// A node n8n cannot load is drawn with a warning; these draw as any installed node.
			expect(await page().locator('[data-test-id=canvas-node-status-issues]').count()).toBe(0);
		});
	},
	async seeUpdate(version) {
		return await showing('seeUpdate', async () => {
			await openCommunityNodes();
			await card().waitFor();
			await card()
				.getByRole('button', { name: /update/i })
				.first()
				.waitFor();
			expect(await card().innerText()).toMatch(
				new RegExp(`${version.replaceAll('.', '\\.')}|[Uu]pdate`),
			);
			await screenshot('community-nodes-update');
		});
	},
	async update() {
		return await showing('update', async () => {
			await card()
				.getByRole('button', { name: /update/i })
				.first()
				.click();
			const confirm = page()
				.getByRole('dialog')
				.filter({ hasText: /update/i });
			await confirm
				.getByRole('button', { name: /update/i })
				.last()
				.click();
			await card()
				.getByRole('button', { name: /update/i })
				.waitFor({ state: 'detached', timeout: 120_000 });
		});
	},
	async uninstall() {
		return await showing('uninstall', async () => {
			await openCommunityNodes();
			await card().locator('[data-test-id=action-toggle]').click();
			await page()
				.getByRole('menuitem', { name: /uninstall/i })
				.click();
			const confirm = page()
				.getByRole('dialog')
				.filter({ hasText: /uninstall/i });
			// It lists the workflows that use the package's nodes once it has looked them up.
			await confirm.getByText(WORKFLOW_NAME).waitFor();
			// The dialog fades in: a picture taken at once is half transparent.
			await page().waitForTimeout(800);
			const shown = await confirm.innerText();
			await screenshot('community-nodes-uninstall');
			await confirm
				.getByRole('button', { name: /uninstall/i })
				.last()
				.click();
			await card().waitFor({ state: 'detached', timeout: 120_000 });
			return { dialog: shown };
		});
	},
});
