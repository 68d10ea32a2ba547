// @ts-check
// The packed tarball, installed as n8n installs a community package, is what n8n loads.
import { describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
	CREDENTIAL_TYPE,
	NODE_TYPE,
	PACKAGE_NAME,
	nodesDir,
} from '../../../scripts/lib/n8n/install.mjs';
import { repoRoot } from '../../../scripts/lib/toolchain.mjs';

/** @param {() => import('../support/instance.mjs').E2eInstance} get */
export function packageTests(get) {
	describe('the package as a community package', () => {
		test('n8n loads every node package.json declares under the package name, a tool variant of the action node only, and the credential type', async () => {
			const { client } = get();
			// The editor's own copy of the node list (needs the session).
			const read = async (/** @type {string} */ path) =>
				/** @type {Response} */ (await client.rest('GET', path, undefined, { raw: true })).json();
			const nodes = await read('/types/nodes.json');
			const ours = nodes.filter((/** @type {{ name: string }} */ n) =>
				n.name.startsWith(`${PACKAGE_NAME}.`),
			);
			// Every node package.json declares, as <package>.<name> (name = the file's class, first letter lowered).
			const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
			const declared = manifest.n8n.nodes.map((/** @type {string} */ file) => {
				const base = /** @type {string} */ (file.split('/').pop()).replace('.node.js', '');
				return `${PACKAGE_NAME}.${base[0].toLowerCase()}${base.slice(1)}`;
			});
			const loaded = ours.map((/** @type {{ name: string }} */ n) => n.name);
			expect(loaded).toEqual(expect.arrayContaining([...declared, `${NODE_TYPE}Tool`]));
			// Only action nodes become AI tools; a trigger never does.
			expect(loaded.filter((/** @type {string} */ name) => name.endsWith('Tool'))).toEqual([
				`${NODE_TYPE}Tool`,
			]);
			const seedream = ours.find((/** @type {{ name: string }} */ n) => n.name === NODE_TYPE);
			expect(seedream.displayName).toBe('Seedream');
			expect(seedream.credentials).toEqual([
				expect.objectContaining({ name: CREDENTIAL_TYPE, required: true }),
			]);
			// What the editor shows: the codex aliases the node panel searches, the trigger's listening and activation texts.
			expect(seedream.codex.alias).toEqual(
				expect.arrayContaining(['ByteDance', 'Doubao', 'text to image', 'EvoLink']),
			);
			const trigger = ours.find(
				(/** @type {{ name: string }} */ n) => n.name === `${PACKAGE_NAME}.seedreamTrigger`,
			);
			expect(trigger.eventTriggerDescription).toMatch(/^Waiting for EvoLink to call the Test URL/);
			expect(trigger.activationMessage).toMatch(/Production URL/);

			const credentials = await read('/types/credentials.json');
			expect(credentials.map((/** @type {{ name: string }} */ c) => c.name)).toContain(
				CREDENTIAL_TYPE,
			);
		});

		test('the installed folder holds what package.json "files" ships, nothing from the source tree', () => {
			const { userFolder } = get();
			const installed = join(nodesDir(userFolder), 'node_modules', PACKAGE_NAME);
			const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
			for (const file of [...manifest.n8n.nodes, ...manifest.n8n.credentials]) {
				expect(existsSync(join(installed, file))).toBe(true);
			}
			// (tsc's incremental state stays in the build folder: it means nothing to an installed package.)
			for (const absent of [
				'nodes',
				'credentials',
				'emulator',
				'test',
				'scripts',
				'examples',
				'node_modules/n8n-workflow',
				'dist/tsconfig.tsbuildinfo',
			]) {
				expect(existsSync(join(installed, absent))).toBe(false);
			}
			expect(manifest.dependencies ?? {}).toEqual({});
		});
	});
}
