// @ts-check
// The fault table (test/nodes/faults.test.mjs, faults-ways.test.mjs): every fault the emulator can script, at every
// step a task goes through (create, read, upload, download, and the read that confirms a callback), with two items
// under Continue On Fail, for every way of getting images (as written, Ask in the Prompt, Exactly N), Decompose
// Layers, and every wait mode (Wait for the Result, Wait for the Callback with its resume, Don't Wait). For each:
// the run reaches the faulty step; every item comes out (items in == items out, in order), as results or as errors
// that name every task the item created; no item has more tasks than it asks for and each task is reserved once
// and charged or released at most once; each reference is uploaded once (a lost answer's copy deleted) and its
// file deleted once the item's tasks have ended (kept while one may still run); the API key appears nowhere.
import { createHash } from 'node:crypto';
import { GENERATE, everything, itemsWithFiles, png, startSuite, waitUntil } from './support.mjs';

/** @type {import('./support.mjs').Suite} */
let suite;
/**
 * @type {Buffer[]} one reference per item, each its own bytes (to count uploads per reference), large enough
 * for Decompose Layers (at least 262 144 pixels)
 */
let references;

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

/** How an item asks for its images: node version, parameters, and how many tasks one item may create. */
const WAYS = /** @type {const} */ ({
	'as written': { typeVersion: 1, parameters: GENERATE, tasksPerItem: 1 },
	'Ask in the Prompt': {
		typeVersion: 1.1,
		parameters: { ...GENERATE, n: 2, imagesMode: 'askInPrompt' },
		tasksPerItem: 1,
	},
	'Exactly N': {
		typeVersion: 1.1,
		parameters: { ...GENERATE, n: 2, imagesMode: 'exactly' },
		tasksPerItem: 2,
	},
	'Decompose Layers': {
		typeVersion: 1,
		parameters: {
			resource: 'image',
			operation: 'decomposeLayers',
			imageSource: 'binary',
			inputBinaryField: 'data',
		},
		tasksPerItem: 1,
	},
});

/** The steps each wait mode goes through (the read of Wait for the Callback is the one confirming it). */
const MODE_STEPS = /** @type {const} */ ({
	wait: ['create', 'read', 'upload', 'download'],
	callback: ['create', 'upload', 'download', 'callback'],
	dontWait: ['create', 'upload'],
});

/**
 * Two items, each its own prompt (to find its tasks) and its own reference (to count its uploads), the reference
 * sent where the step is the upload (Decompose Layers always uploads its input image).
 * @param {keyof typeof WAYS} wayName @param {keyof typeof MODE_STEPS} waitMode
 * @param {keyof typeof STEPS} step @param {any} fault
 */
async function runWithFault(wayName, waitMode, step, fault) {
	const way = WAYS[wayName];
	const items = await itemsWithFiles(suite, references);
	for (const [index, item] of items.entries()) item.json.subject = `owl ${index}`;
	const parameters = {
		...way.parameters,
		prompt: '={{ "a drawing of an " + $json.subject }}',
		output: 'binaryPerTask',
		waitMode,
		...(step === 'upload' && way.parameters.operation !== 'decomposeLayers'
			? { referenceImages: { images: [{ source: 'binary', binaryPropertyName: 'data' }] } }
			: {}),
	};
	if (fault.action.type === 'taskError' || fault.action.type === 'lateResults') {
		await suite.emulator.control.fault(fault);
	} else {
		await suite.emulator.control.fault({ ...STEPS[step], ...fault });
	}
	let result = await suite.run(parameters, {
		items,
		nodeOptions: CONTINUE,
		typeVersion: way.typeVersion,
	});
	if (result.status === 'waiting') {
		result = await resumed(result, step === 'callback' && fault.times > 1);
	}
	return { items, result };
}

/**
 * The run resumed by the emulator's callbacks. When the confirming read fails every time, no callback may
 * resume it: each is answered with an error status (so EvoLink retries), the execution keeps waiting, and once the API is
 * back EvoLink's next delivery (here, the same body sent again) resumes it with every task.
 */
async function resumed(/** @type {any} */ waiting, /** @type {boolean} */ persistent) {
	if (!persistent) return await suite.harness.waitForResume(waiting);
	// Each task's callback: 1 attempt + 3 retries (docs/evolink-api.md §4).
	const deliveries = (await suite.emulator.control.tasks()).length * 4;
	await waitUntil(async () => {
		await suite.emulator.control.advanceClock(4000);
		return (await suite.emulator.control.callbacks()).length >= deliveries;
	}, 'every callback attempt');
	const callbacks = await suite.emulator.control.callbacks();
	const statuses = callbacks.map((/** @type {any} */ c) => c.status);
	// 503 from the node, or 409 from n8n while another callback of the execution is being confirmed: never a 2xx
	// (EvoLink sends again after any other answer; a connection reset, seen now and then here, counts as one).
	expect(
		statuses.filter(
			(/** @type {number | string} */ status) =>
				typeof status === 'number' && status >= 200 && status < 300,
		),
	).toEqual([]);
	expect(statuses).toContain(503);
	await suite.emulator.control.clearFaults();
	const { response, result } = await suite.harness.resumeWorkflow(waiting, {
		body: callbacks[0].body,
	});
	expect(response.status).toBe(200);
	return result;
}

const TERMINAL = ['completed', 'failed', 'cancelled'];

async function expectSound(
	/** @type {keyof typeof WAYS} */ wayName,
	/** @type {keyof typeof MODE_STEPS} */ waitMode,
	/** @type {any[]} */ items,
	/** @type {keyof typeof STEPS} */ step,
	/** @type {any} */ result,
	lostAnswer = false,
) {
	const way = WAYS[wayName];
	expect(result.status).toBe('success');
	// The run reached the step the fault was set at (no row passes by failing earlier).
	expect(await suite.requests(STEPS[step])).not.toHaveLength(0);
	const output = result.output('Seedream');
	const tasks = await suite.emulator.control.tasks();
	const inputOfTask = (/** @type {string} */ id) =>
		items.findIndex((_, index) =>
			tasks
				.find((/** @type {any} */ t) => t.id === id)
				?.prompt?.startsWith(`a drawing of an owl ${index}`),
		);
	// After a callback resume n8n (2.x, WorkflowExecute.addPairedItemLineage) numbers the resumed node's items by
	// position, whatever pairedItem the node gave: with several items per input (Exactly N) the task says whose.
	const byPosition = waitMode === 'callback' && way.tasksPerItem > 1;
	const inputOf = (/** @type {any} */ item) =>
		byPosition && typeof item.json.taskId === 'string'
			? inputOfTask(item.json.taskId)
			: item.pairedItem.item;
	// Items in == items out: every item, in order, each output paired with its input (one per task at most).
	const paired = output.map(inputOf);
	expect([...new Set(paired)]).toEqual(items.map((_, item) => item));
	expect(paired).toEqual([...paired].sort());

	const files = await suite.emulator.control.files();
	/** Each task's status as the output tells it: result items, error items, and the tasks errors list. */
	const told = new Map();
	for (const { json } of output) {
		if (typeof json.taskId === 'string') told.set(json.taskId, json.status);
		for (const task of json.itemTasks ?? [])
			if (!told.get(task.taskId)) told.set(task.taskId, task.status);
	}
	for (const [index] of items.entries()) {
		const own = tasks.filter((/** @type {any} */ t) =>
			t.prompt?.startsWith(`a drawing of an owl ${index}`),
		);
		const mine = output.filter((/** @type {any} */ item) => inputOf(item) === index);
		// Never more tasks than the item asks for (a create sent again replays its task).
		expect(own.length).toBeLessThanOrEqual(way.tasksPerItem);
		expect(mine.length).toBeLessThanOrEqual(way.tasksPerItem);
		const ids = own.map((/** @type {any} */ t) => t.id);
		for (const item of mine) {
			if (item.json.error === undefined) {
				expect(ids).toContain(item.json.taskId);
				if (waitMode === 'dontWait') continue;
				expect(item.json.status).toBe('completed');
				expect(item.binary?.image_0).toBeDefined();
			} else {
				// An error after the item's tasks exist names every one of them.
				for (const id of ids) expect(JSON.stringify(item.json)).toContain(id);
			}
		}
		// Uploads per reference = 1; its file deleted once every task of the item has ended, else kept.
		const uploads = files.filter((/** @type {any} */ f) => f.sha256 === sha256(references[index]));
		// (An upload whose answer was lost is sent again; the copy it left must be deleted all the same.)
		expect(uploads.length).toBeLessThanOrEqual(lostAnswer ? 2 : 1);
		const ended = own.every((/** @type {any} */ t) => TERMINAL.includes(told.get(t.id)));
		const used = (/** @type {any} */ file) =>
			own.some((/** @type {any} */ t) =>
				(t.imageUrls ?? []).some((/** @type {string} */ url) => url.includes(file.id)),
			);
		for (const file of uploads) {
			const deleted = file.deletedAt !== null;
			expect({ file: used(file) ? 'used' : 'unused', deleted }).toEqual({
				file: used(file) ? 'used' : 'unused',
				deleted: used(file) ? ended : true,
			});
		}
	}
	// Each task reserved once, and charged and released at most once.
	const { entries } = await suite.ledger();
	const ofType = (/** @type {string[]} */ types) =>
		entries
			.filter((/** @type {any} */ e) => types.includes(e.type))
			.map((/** @type {any} */ e) => e.taskId)
			.sort();
	expect(ofType(['reserve'])).toEqual(tasks.map((/** @type {any} */ t) => t.id).sort());
	// (A settlement that charges part of the reservation writes a settle and a release, once each.)
	for (const type of ['settle', 'release']) {
		const settled = ofType([type]);
		expect(new Set(settled).size).toBe(settled.length);
	}
	expect(everything(result)).not.toContain(suite.emulator.key);
}

const sha256 = (/** @type {Buffer} */ bytes) => createHash('sha256').update(bytes).digest('hex');

/**
 * What every way and mode meets beyond the default: a refusal and an answer lost after processing at every step,
 * and a persistent error where it comes after the task exists (reading, downloading, confirming a callback).
 */
const faultsOf = (/** @type {string[]} */ names) =>
	REQUEST_FAULTS.filter(([name]) => names.includes(name));
const GROWN_FAULTS = faultsOf(['400', 'answer cut short after processing']);
const GROWN_FAULTS_AFTER_CREATE = faultsOf([
	'400',
	'answer cut short after processing',
	'503 every time',
]);
const grownFaults = (/** @type {string} */ step) =>
	['read', 'download', 'callback'].includes(step) ? GROWN_FAULTS_AFTER_CREATE : GROWN_FAULTS;

/**
 * [way, wait mode, step, faults] of the table for these ways: the default way (as written) meets every fault in
 * Wait for the Result and at the callback's confirmation, as before, and the grown faults in its other modes.
 * @param {Array<keyof typeof WAYS>} wayNames
 */
function tableOf(wayNames) {
	/** @type {Array<[keyof typeof WAYS, keyof typeof MODE_STEPS, keyof typeof STEPS, typeof REQUEST_FAULTS]>} */
	const rows = [];
	for (const way of wayNames) {
		for (const [mode, steps] of Object.entries(MODE_STEPS)) {
			for (const step of steps) {
				const everyFault =
					way === 'as written' && (mode === 'wait' || (mode === 'callback' && step === 'callback'));
				rows.push([
					way,
					/** @type {keyof typeof MODE_STEPS} */ (mode),
					/** @type {keyof typeof STEPS} */ (step),
					everyFault ? REQUEST_FAULTS : grownFaults(step),
				]);
			}
		}
	}
	return rows;
}

/**
 * Registers the fault table of these ways (in a test file: each file its own emulator, so files run side by side).
 * @param {Array<keyof typeof WAYS>} wayNames
 */
export function faultTable(wayNames) {
	beforeAll(async () => {
		suite = await startSuite({ allowInsecureCallbacks: true });
		await suite.harness.listenForWaitingWebhooks();
		references = [await png(512, 512, 'owl 0'), await png(512, 512, 'owl 1')];
	});
	beforeEach(async () => {
		await suite.reset();
		await suite.emulator.control.config({ layerizeEstimatedSeconds: 1 });
	});
	afterAll(async () => await suite?.close());

	describe.each(tableOf(wayNames))('%s, %s: a fault at %s', (way, waitMode, step, faults) => {
		test.each(faults)('%s', async (_, fault) => {
			const { items, result } = await runWithFault(way, waitMode, step, fault);
			await expectSound(
				way,
				waitMode,
				items,
				step,
				result,
				step === 'upload' && fault.action.type === 'malformed',
			);
		});
	});

	const REFUSED = { action: { type: 'taskError', code: 'content_policy_violation' } };
	describe.each(wayNames)('task faults, %s', (way) => {
		const ofWay = /** @type {keyof typeof WAYS} */ (way);
		const everyFault = way === 'as written';
		test.each([
			['a task refused for its content', REFUSED],
			...(everyFault
				? [
						['a task failed server-side', { action: { type: 'taskError', code: 'service_error' } }],
						['results listed late', { action: { type: 'lateResults', ms: 1000 } }],
					]
				: []),
		])('%s, waiting for the result', async (_, fault) => {
			const { items, result } = await runWithFault(ofWay, 'wait', 'read', fault);
			await expectSound(ofWay, 'wait', items, 'read', result);
		});
		test.each([
			['a task refused for its content', REFUSED],
			...(everyFault
				? [['results listed late', { action: { type: 'lateResults', ms: 1000 } }]]
				: []),
		])('%s, waiting for the callback', async (_, fault) => {
			const { items, result } = await runWithFault(ofWay, 'callback', 'callback', fault);
			await expectSound(ofWay, 'callback', items, 'callback', result);
		});
	});
}
