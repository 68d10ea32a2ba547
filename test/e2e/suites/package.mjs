// @ts-check
// The packed tarball, installed as n8n installs a community package, is what n8n loads.
import { describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CREDENTIAL_TYPE, NODE_TYPE, PACKAGE_NAME, nodesDir } from '../../../scripts/lib/n8n-instance.mjs';

/** @param {() => import('../support/instance.mjs').E2eInstance} get */
export function packageTests(get) {
	describe('the package as a community package', () => {
		test('n8n lists the Seedream node (and its AI-tool variant) under the package name, and the credential type', async () => {
			const { client } = get();
			// The editor's own copy of the node list (needs the session).
			const read = async (/** @type {string} */ path) => /** @type {Response} */ (await client.rest('GET', path, undefined, { raw: true })).json();
			const nodes = await read('/types/nodes.json');
			const ours = nodes.filter((/** @type {{ name: string }} */ n) => n.name.startsWith(`${PACKAGE_NAME}.`));
			expect(ours.map((/** @type {{ name: string }} */ n) => n.name).sort()).toEqual(
				expect.arrayContaining([NODE_TYPE, `${NODE_TYPE}Tool`]),
			);
			const seedream = ours.find((/** @type {{ name: string }} */ n) => n.name === NODE_TYPE);
			expect(seedream.displayName).toBe('Seedream');
			expect(seedream.credentials).toEqual([expect.objectContaining({ name: CREDENTIAL_TYPE, required: true })]);

			const credentials = await read('/types/credentials.json');
			expect(credentials.map((/** @type {{ name: string }} */ c) => c.name)).toContain(CREDENTIAL_TYPE);
		});

		test('the installed folder holds what package.json "files" ships, nothing from the source tree', () => {
			const { userFolder } = get();
			const installed = join(nodesDir(userFolder), 'node_modules', PACKAGE_NAME);
			const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
			for (const file of [...manifest.n8n.nodes, ...manifest.n8n.credentials]) {
				expect(existsSync(join(installed, file))).toBe(true);
			}
			for (const absent of ['nodes', 'credentials', 'emulator', 'test', 'scripts', 'examples', 'node_modules/n8n-workflow']) {
				expect(existsSync(join(installed, absent))).toBe(false);
			}
			expect(manifest.dependencies ?? {}).toEqual({});
		});
	});
}
