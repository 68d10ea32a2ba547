// @ts-check
// The core of the real-n8n suites on the newest n8n 1.x (many users still run 1.x; installed into the cache
// beside 2.x): the package installs and loads, Generate in every wait mode with binary output, the trigger, the
// AI tool, Get Credits. One n8n 1.x for all of them. The registry install on 1.x is in registry-1x.test.mjs.
// What differs on 1.x, and why a suite is left out here: docs/n8n-versions.md.
import { afterAll, beforeAll } from '@jest/globals';
import { N8N_VERSIONS } from '../../scripts/lib/toolchain.mjs';
import { startE2eInstance } from './support/instance.mjs';
import { packageTests } from './suites/package.mjs';
import { accountTests } from './suites/account.mjs';
import { imageTests } from './suites/images.mjs';
import { aiToolTests } from './suites/ai-tool.mjs';
import { callbackCoreTests } from './suites/callbacks-core.mjs';

/** @type {import('./support/instance.mjs').E2eInstance | undefined} */
let instance;
const get = () => {
	if (!instance) throw new Error('n8n 1.x did not start (see the beforeAll error above)');
	return instance;
};

beforeAll(async () => {
	instance = await startE2eInstance({ n8nVersion: N8N_VERSIONS[1] });
	// examples/ai-agent-tool.json uses n8n 2.x's AI Agent 3.1; n8n 1.x's newest is 3 (same parameters). A 1.x user
	// picks the agent from their own nodes panel; the Seedream tool node is the example's.
	const { client, workflow } = instance;
	const saved = await client.rest('GET', `/rest/workflows/${workflow('ai-agent-tool.json').id}`);
	for (const node of saved.nodes)
		if (node.type === '@n8n/n8n-nodes-langchain.agent') node.typeVersion = 3;
	await client.rest('PATCH', `/rest/workflows/${saved.id}`, {
		nodes: saved.nodes,
		versionId: saved.versionId,
	});
}, 600_000);

afterAll(async () => {
	await instance?.stop();
}, 60_000);

packageTests(get);
accountTests(get);
imageTests(get);
callbackCoreTests(get);
aiToolTests(get);
