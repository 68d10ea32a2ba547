// @ts-check
// The fault table: every fault the emulator can script, at every step a Generate goes through (create, read,
// upload, download, and the read that confirms a callback), with two items under Continue On Fail. For each:
// every item comes out (items in == items out, pairedItem kept), as a result or as an error that names its task
// when it has one; no item has more than one task and each task is reserved once in the ledger; the API key
// appears nowhere in the run.
import { GENERATE, everything, itemsWithFiles, png, startSuite, waitUntil } from './support.mjs';

/** @type {import('./support.mjs').Suite} */
let suite;
/** @type {Buffer} */
let reference;
beforeAll(async () => {
	suite = await startSuite({ allowInsecureCallbacks: true });
	await suite.harness.listenForWaitingWebhooks();
	reference = await png(64, 64);
});
beforeEach(async () => await suite.reset());
afterAll(async () => await suite?.close());

const CONTINUE = { onError: 'continueRegularOutput' };

/** Faults that answer a request (docs/evolink-api.md §8), each once unless `times` says more. */
const REQUEST_FAULTS = /** @type {const} */ ([
	['429 with Retry-After: 0', { action: { type: 'status', status: 429, retryAfter: 0 } }],
	['500 once', { action: { type: 'status', status: 500 } }],
	['503 every time', { times: 100, action: { type: 'status', status: 503 } }],
	['400', { action: { type: 'status', status: 400 } }],
	['dropped connection', { action: { type: 'drop' } }],
	['delayed answer', { action: { type: 'delay', ms: 200 } }],
	['malformed answer', { action: { type: 'malformed' } }],
	['answer cut short after processing', { action: { type: 'malformed', afterProcessing: true } }],
]);

/** Where a Generate goes, and the request of each step. */
const STEPS = /** @type {const} */ ({
	create: { method: 'POST', path: '/v1/images/generations' },
	read: { method: 'GET', path: '/v1/tasks/' },
	upload: { method: 'POST', path: '/api/v1/files/upload/stream' },
	download: { method: 'GET', path: '/content/results/' },
	callback: { method: 'GET', path: '/v1/tasks/' },
});

/** Two items, each its own prompt (to find its task), the upload step with a binary reference each. */
async function runWithFault(/** @type {keyof typeof STEPS} */ step, /** @type {any} */ fault) {
	const items = await itemsWithFiles(suite, [reference, reference]);
	for (const [index, item] of items.entries()) item.json.subject = `owl ${index}`;
	const parameters = {
		...GENERATE,
		prompt: '={{ "a drawing of an " + $json.subject }}',
		output: 'binaryPerTask',
		waitMode: step === 'callback' ? 'callback' : 'wait',
		...(step === 'upload'
			? { referenceImages: { images: [{ source: 'binary', binaryPropertyName: 'data' }] } }
			: {}),
	};
	if (fault.action.type === 'taskError' || fault.action.type === 'lateResults') {
		await suite.emulator.control.fault(fault);
	} else {
		await suite.emulator.control.fault({ ...STEPS[step], ...fault });
	}
	let result = await suite.run(parameters, { items, nodeOptions: CONTINUE });
	if (result.status === 'waiting') result = await resumed(result, fault.times > 1);
	return { items, result };
}

/**
 * The run resumed by the emulator's callbacks. When the confirming read fails every time, no callback may
 * resume it: each is answered with an error status (so EvoLink retries), the execution keeps waiting, and once the API is
 * back EvoLink's next delivery (here, the same body sent again) resumes it with every task.
 */
async function resumed(/** @type {any} */ waiting, /** @type {boolean} */ persistent) {
	if (!persistent) return await suite.harness.waitForResume(waiting);
	const deliveries = 2 * 4; // two tasks, each 1 attempt + 3 retries (docs/evolink-api.md §4)
	await waitUntil(async () => {
		await suite.emulator.control.advanceClock(4000);
		return (await suite.emulator.control.callbacks()).length >= deliveries;
	}, 'every callback attempt');
	const callbacks = await suite.emulator.control.callbacks();
	const statuses = callbacks.map((/** @type {any} */ c) => c.status);
	// 503 from the node, or 409 from n8n while another callback of the execution is being confirmed: never a 2xx.
	expect(
		statuses.filter((/** @type {number} */ status) => status !== 503 && status !== 409),
	).toEqual([]);
	expect(statuses).toContain(503);
	await suite.emulator.control.clearFaults();
	const { response, result } = await suite.harness.resumeWorkflow(waiting, {
		body: callbacks[0].body,
	});
	expect(response.status).toBe(200);
	return result;
}

async function expectSound(/** @type {any[]} */ items, /** @type {any} */ result) {
	expect(result.status).toBe('success');
	const output = result.output('Seedream');
	// Items in == items out, in order, each paired with its input.
	expect(output.map((/** @type {any} */ item) => item.pairedItem)).toEqual(
		items.map((_, item) => ({ item })),
	);

	const tasks = await suite.emulator.control.tasks();
	const taskOf = (/** @type {number} */ index) =>
		tasks.filter((/** @type {any} */ t) => t.prompt === `a drawing of an owl ${index}`);
	for (const [index, item] of output.entries()) {
		const own = taskOf(index);
		// Never two tasks for one item (a create sent again replays its task).
		expect(own.length).toBeLessThanOrEqual(1);
		if (item.json.error === undefined) {
			expect(item.json).toMatchObject({ taskId: own[0].id, status: 'completed', imageCount: 1 });
			expect(item.binary?.image_0).toBeDefined();
		} else if (own.length === 1) {
			// An error after the task exists names it.
			expect(item.json.taskId).toBe(own[0].id);
		}
	}
	// Each task reserved once, and charged (or released) at most once.
	const { entries } = await suite.ledger();
	const ofType = (/** @type {string[]} */ types) =>
		entries
			.filter((/** @type {any} */ e) => types.includes(e.type))
			.map((/** @type {any} */ e) => e.taskId)
			.sort();
	expect(ofType(['reserve'])).toEqual(tasks.map((/** @type {any} */ t) => t.id).sort());
	const settled = ofType(['settle', 'release']);
	expect(new Set(settled).size).toBe(settled.length);
	expect(everything(result)).not.toContain(suite.emulator.key);
}

describe.each(Object.keys(STEPS))('a fault at %s', (step) => {
	test.each(REQUEST_FAULTS)('%s', async (_, fault) => {
		const { items, result } = await runWithFault(/** @type {any} */ (step), fault);
		await expectSound(items, result);
	});
});

describe('task faults', () => {
	test.each([
		[
			'a task refused for its content',
			{ action: { type: 'taskError', code: 'content_policy_violation' } },
		],
		['a task failed server-side', { action: { type: 'taskError', code: 'service_error' } }],
		['results listed late', { action: { type: 'lateResults', ms: 1000 } }],
	])('%s, waiting for the result', async (_, fault) => {
		const { items, result } = await runWithFault('read', fault);
		await expectSound(items, result);
	});
	test.each([
		[
			'a task refused for its content',
			{ action: { type: 'taskError', code: 'content_policy_violation' } },
		],
		['results listed late', { action: { type: 'lateResults', ms: 1000 } }],
	])('%s, waiting for the callback', async (_, fault) => {
		const { items, result } = await runWithFault('callback', fault);
		await expectSound(items, result);
	});
});
