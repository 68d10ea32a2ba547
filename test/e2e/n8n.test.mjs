// @ts-check
// End-to-end: the packed package in a real n8n 2.x (the pinned version, installed once into the cache), with
// the EvoLink emulator. n8n starts ONCE for this file (about 20 s); the suites below share it and run in order.
// A suite is a module in ./suites that registers its tests with a getter for the running instance; add one
// there and a line here (the Seedream Trigger's suite from issue 5 goes where the comment says).
import { afterAll, beforeAll } from '@jest/globals';
import { startE2eInstance } from './support/instance.mjs';
import { packageTests } from './suites/package.mjs';
import { credentialTests } from './suites/credentials.mjs';
import { accountTests } from './suites/account.mjs';
import { imageTests } from './suites/images.mjs';
import { seedream5Tests } from './suites/seedream5.mjs';
import { aiToolTests } from './suites/ai-tool.mjs';
import { mcpTests } from './suites/mcp.mjs';
import { browserTests } from './suites/browser.mjs';
import { deliveryTests } from './suites/delivery.mjs';

/** @type {import('./support/instance.mjs').E2eInstance | undefined} */
let instance;
const get = () => {
	if (!instance) throw new Error('n8n did not start (see the beforeAll error above)');
	return instance;
};

beforeAll(async () => {
	instance = await startE2eInstance();
}, 600_000);

afterAll(async () => {
	await instance?.stop();
}, 60_000);

packageTests(get);
credentialTests(get);
accountTests(get);
imageTests(get);
seedream5Tests(get);
aiToolTests(get);
mcpTests(get);
browserTests(get);
// Last: its final test checks what went through the proxy over the whole run.
deliveryTests(get);
// Seedream Trigger (issue 5): triggerTests(get) from ./suites/trigger.mjs, with examples/trigger-*.json.
