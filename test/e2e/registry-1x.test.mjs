// @ts-check
// Registry install, run, update and uninstall on the newest n8n 1.x, through the REST routes its editor's
// Settings > Community nodes page calls (suites/registry.mjs says what is proven; the editor itself is driven on
// 2.x in registry.test.mjs). Its own n8n 1.x, with no package installed at start.
import { afterAll, beforeAll, expect } from '@jest/globals';
import { PACKAGE_NAME } from '../../scripts/lib/n8n/install.mjs';
import { N8N_VERSIONS } from '../../scripts/lib/toolchain.mjs';
import { startRegistryInstance } from './support/registry-instance.mjs';
import { registryTests } from './suites/registry.mjs';

/** @type {import('./support/registry-instance.mjs').RegistryInstance | undefined} */
let instance;
const get = () => {
	if (!instance) throw new Error('n8n 1.x did not start (see the beforeAll error above)');
	return instance;
};

beforeAll(async () => {
	instance = await startRegistryInstance({ n8nVersion: N8N_VERSIONS[1] });
}, 600_000);

afterAll(async () => {
	await instance?.stop();
}, 60_000);

/** @returns {Promise<any[]>} */
const packages = async () => await get().client.rest('GET', '/rest/community-packages');

registryTests(get, {
	async install() {
		// What the Install dialog sends: the name as typed.
		const installed = await get().client.rest('POST', '/rest/community-packages', {
			name: PACKAGE_NAME,
		});
		expect(installed.packageName).toBe(PACKAGE_NAME);
	},
	async seeUpdate(version) {
		const [listed] = await packages();
		expect(listed).toEqual(
			expect.objectContaining({ packageName: PACKAGE_NAME, updateAvailable: version }),
		);
	},
	async update() {
		// The card's Update button: no version, so n8n installs the registry's latest.
		await get().client.rest('PATCH', '/rest/community-packages', { name: PACKAGE_NAME });
	},
	async uninstall() {
		await get().client.rest('DELETE', `/rest/community-packages?name=${PACKAGE_NAME}`);
		return {
			dialog: 'REST: DELETE /rest/community-packages (the editor asks for confirmation first)',
		};
	},
});
