// @ts-check
// The package installed the way users install it: by name, from n8n's default registry setting
// (https://registry.npmjs.org), which the intercepting proxy hands to a local registry server where the packed
// package was published as a release publishes it (support/registry.mjs). Then a workflow with node versions 1
// and 1.1 runs against the emulator; a patch release is published; n8n offers it; the update is applied; the
// saved workflows still open and run, also after a restart; uninstalling shows what n8n says about workflows that
// still use the node. n8n 2.x through the editor in Chromium; n8n 1.x through the REST routes its editor calls.
// Timings (install, update) go to test-results/registry-figures-<version>.json for the note and the docs.
import { describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CREDENTIAL_TYPE, NODE_TYPE, PACKAGE_NAME } from '../../../scripts/lib/n8n/install.mjs';
import { EMULATOR_KEY } from '../../../scripts/lib/n8n/seed.mjs';
import { repoRoot } from '../../../scripts/lib/toolchain.mjs';
import { readPng } from '../../harness/png.mjs';
import { outputOf } from '../support/run.mjs';

/** Per test: limits for a loaded machine, never assertions. */
const TIMEOUT = 240_000;
const MANUAL = 'Run';
/** The saved workflow that uses the package's nodes through update, restart and uninstall. */
export const WORKFLOW_NAME = 'Registry install: Seedream 1 and 1.1';

/**
 * A manual trigger, then Generate at node version 1 (the first release's defaults) and at 1.1, each polling and
 * returning one 1K 1:1 PNG as binary.
 * @param {{ id: string, name: string }} credential
 */
function twoVersionsWorkflow(credential) {
	const generate = (
		/** @type {string} */ name,
		/** @type {number} */ typeVersion,
		/** @type {number} */ x,
	) => ({
		id: randomUUID(),
		name,
		type: NODE_TYPE,
		typeVersion,
		position: [x, 0],
		parameters: {
			resource: 'image',
			operation: 'generate',
			prompt: `a lighthouse, node version ${typeVersion}`,
			sizeMode: 'preset',
			size: '1K',
		},
		credentials: { [CREDENTIAL_TYPE]: credential },
	});
	return {
		name: WORKFLOW_NAME,
		nodes: [
			{
				id: randomUUID(),
				name: MANUAL,
				type: 'n8n-nodes-base.manualTrigger',
				typeVersion: 1,
				position: [0, 0],
				parameters: {},
			},
			generate('Seedream v1', 1, 240),
			generate('Seedream v1.1', 1.1, 480),
		],
		connections: {
			[MANUAL]: { main: [[{ node: 'Seedream v1', type: 'main', index: 0 }]] },
			'Seedream v1': { main: [[{ node: 'Seedream v1.1', type: 'main', index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
	};
}

/**
 * Registers the registry-install tests for one running instance.
 * @param {() => import('../support/registry-instance.mjs').RegistryInstance} get
 * @param {{
 *   install(): Promise<void>, findNode?(workflowId: string): Promise<void>, seeUpdate(version: string): Promise<void>,
 *   update(): Promise<void>, openWorkflow?(id: string): Promise<void>, uninstall(): Promise<Record<string, unknown>>,
 * }} steps how this version's admin does each step (editor or REST)
 */
export function registryTests(get, steps) {
	/** @type {Record<string, unknown>} */
	const figures = {};
	let workflowId = '';
	const version = () => get().tarball.match(/-(\d+\.\d+\.\d+)\.tgz$/)?.[1] ?? '';
	const patch = () => version().replace(/(\d+)$/, (n) => String(Number(n) + 1));

	/** Runs the workflow as the editor's button does; both Generate nodes must give a 1024x1024 PNG. */
	const runBoth = async () => {
		const { client } = get();
		const execution = await client.waitForExecution(await client.runWorkflow(workflowId, MANUAL));
		expect(execution.status).toBe('success');
		for (const node of ['Seedream v1', 'Seedream v1.1']) {
			const [item] = outputOf(execution, node);
			expect(item.json.taskId).toMatch(/^task-unified-/);
			const bytes = await client.binaryBytes(
				/** @type {{ id?: string, data?: string }} */ (item.binary?.data),
			);
			expect(readPng(bytes)).toEqual(expect.objectContaining({ width: 1024, height: 1024 }));
		}
	};

	/** The installed package as n8n lists it (GET /rest/community-packages, the settings page's source). */
	const listed = async () => {
		const list = /** @type {any[]} */ (await get().client.rest('GET', '/rest/community-packages'));
		return list.find((p) => p.packageName === PACKAGE_NAME);
	};

	describe(`installing ${PACKAGE_NAME} from n8n's default registry`, () => {
		test('the registry holds the package as published, and n8n has none installed', async () => {
			const packument = await get().registry.packument(PACKAGE_NAME);
			expect(packument['dist-tags'].latest).toBe(version());
			expect(Object.keys(packument.versions)).toEqual([version()]);
			expect(await get().client.rest('GET', '/rest/community-packages')).toEqual([]);
		});

		test(
			'Install by name: n8n fetches it from https://registry.npmjs.org (through the proxy) and loads its nodes',
			async () => {
				const { registry, outside } = get();
				const started = Date.now();
				await steps.install();
				figures.installSeconds = (Date.now() - started) / 1000;
				const installed = await listed();
				expect(installed.installedVersion).toBe(version());
				expect(
					installed.installedNodes.map((/** @type {{ type: string }} */ n) => n.type).sort(),
				).toEqual([NODE_TYPE, `${PACKAGE_NAME}.seedreamTrigger`]);
				// npm's requests reached the local registry only by way of the public host's name.
				const requests = /** @type {NonNullable<typeof outside.registry>} */ (outside.registry)
					.requests;
				expect(
					requests.some(
						(r) =>
							r.method === 'GET' &&
							r.path === `/${PACKAGE_NAME}/-/${PACKAGE_NAME}-${version()}.tgz` &&
							r.status === 200,
					),
				).toBe(true);
				// n8n also asks api.n8n.io whether the package is vetted; refused here, it goes on (as offline).
				expect(outside.proxy.refused.filter((r) => r.target !== 'api.n8n.io:443')).toEqual([]);
				expect(registry.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
			},
			TIMEOUT,
		);

		test(
			'a workflow with Generate at node versions 1 and 1.1 runs against the emulator',
			async () => {
				const { client, emulatorUrl } = get();
				const credential = await client.rest('POST', '/rest/credentials', {
					name: 'Seedream (registry install)',
					type: CREDENTIAL_TYPE,
					data: { apiKey: EMULATOR_KEY, baseUrl: emulatorUrl, filesBaseUrl: emulatorUrl },
				});
				workflowId = String(
					(
						await client.createWorkflow(
							twoVersionsWorkflow({ id: credential.id, name: credential.name }),
						)
					).id,
				);
				await runBoth();
				if (steps.openWorkflow) await steps.openWorkflow(workflowId);
			},
			TIMEOUT,
		);

		if (steps.findNode) {
			test(
				"the nodes panel's search finds the Seedream node by name, as a user adds a step after the saved workflow's last node",
				async () => {
					await /** @type {(id: string) => Promise<void>} */ (steps.findNode)(workflowId);
				},
				TIMEOUT,
			);
		}

		test(
			'a patch release published to the registry is offered as an update',
			async () => {
				const { registry, tarball } = get();
				registry.publishAs(tarball, patch());
				expect((await registry.packument(PACKAGE_NAME))['dist-tags'].latest).toBe(patch());
				await steps.seeUpdate(patch());
			},
			TIMEOUT,
		);

		test(
			'Update installs the patch release; the saved workflow opens and runs at both node versions',
			async () => {
				const started = Date.now();
				await steps.update();
				figures.updateSeconds = (Date.now() - started) / 1000;
				expect((await listed()).installedVersion).toBe(patch());
				if (steps.openWorkflow) await steps.openWorkflow(workflowId);
				await runBoth();
			},
			TIMEOUT,
		);

		test(
			'after a restart n8n loads the updated package again and the workflow still runs',
			async () => {
				await get().restart();
				expect((await listed()).installedVersion).toBe(patch());
				if (steps.openWorkflow) await steps.openWorkflow(workflowId);
				await runBoth();
			},
			TIMEOUT,
		);

		test(
			'Uninstall while a workflow still uses the node: what n8n shows, then the nodes are gone',
			async () => {
				figures.uninstall = await steps.uninstall();
				expect(await get().client.rest('GET', '/rest/community-packages')).toEqual([]);
				const types = /** @type {{ name: string }[]} */ (
					await (
						await get().client.rest('GET', '/types/nodes.json', undefined, { raw: true })
					).json()
				);
				expect(types.filter((t) => t.name.startsWith(`${PACKAGE_NAME}.`))).toEqual([]);
				// The workflow itself is kept; it names a node type n8n no longer has.
				const saved = await get().client.rest('GET', `/rest/workflows/${workflowId}`);
				expect(saved.nodes.map((/** @type {{ type: string }} */ n) => n.type)).toContain(NODE_TYPE);
			},
			TIMEOUT,
		);

		test('the figures are written for the docs', () => {
			mkdirSync(join(repoRoot, 'test-results'), { recursive: true });
			const file = join(repoRoot, 'test-results', `registry-figures-${get().n8nVersion}.json`);
			writeFileSync(
				file,
				JSON.stringify({ n8nVersion: get().n8nVersion, ...figures }, null, 2) + '\n',
			);
			expect(figures).toEqual(
				expect.objectContaining({
					installSeconds: expect.any(Number),
					updateSeconds: expect.any(Number),
				}),
			);
		});
	});
}
