// @ts-check
// The bench runs workflows on the tests' harness (n8n-core's engine with our built package; test/harness/README.md)
// and builds them with the tests' workflow shortcuts: this file is the bench's one door to that code.
export { createHarness } from '../test/harness/index.mjs';
export { core, di, workflowLib } from '../test/harness/n8n.mjs';
export {
	SEEDREAM_CREDENTIAL_REFERENCE,
	seedreamWorkflow,
	triggeredNodeWorkflow,
} from '../test/harness/workflows.mjs';

/** @typedef {import('../test/harness/index.mjs').Harness} Harness */
/** @typedef {import('../test/harness/index.mjs').Result} Result */
