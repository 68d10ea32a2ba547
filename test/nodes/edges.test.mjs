// @ts-check
// The edges of Exactly N and of binary references (issue 17, findings 1-4 and 9): a failing part names its paid
// siblings, references are uploaded once per item and deleted once their tasks end, the set is numbered the same
// in every wait mode, and every item's tasks share the Concurrency. On n8n's engine against the emulator.
import { GENERATE, itemsWithFiles, png, startSuite } from './support.mjs';

/** @type {import('./support.mjs').Suite} */
let suite;
beforeAll(async () => {
	suite = await startSuite({ allowInsecureCallbacks: true });
	await suite.harness.listenForWaitingWebhooks();
});
beforeEach(async () => await suite.reset());
afterAll(async () => await suite?.close());

const V1_1 = { typeVersion: 1.1 };
const EXACTLY = Object.freeze({
	...GENERATE,
	prompt: 'a fox',
	n: 3,
	imagesMode: 'exactly',
	output: 'urls',
});
const CONTINUE = { onError: 'continueRegularOutput' };
const TWO_BINARY = {
	referenceImages: {
		images: [
			{ source: 'binary', binaryPropertyName: 'data' },
			{ source: 'binary', binaryPropertyName: 'other' },
		],
	},
};

/** One input item with two different PNGs, in binary fields `data` and `other`. */
async function itemWithTwoFiles() {
	const [first] = await itemsWithFiles(suite, [await png(64, 64, 'first')]);
	const [second] = await itemsWithFiles(suite, [await png(64, 64, 'second')], 'other');
	return [{ json: {}, binary: { ...first.binary, ...second.binary } }];
}

/** Runs, and when the run pauses for its callbacks, the run the callbacks resumed. */
async function runToEnd(
	/** @type {Record<string, unknown>} */ parameters,
	/** @type {any} */ options,
) {
	const result = await suite.run(parameters, options);
	return result.status === 'waiting' ? await suite.harness.waitForResume(result) : result;
}

async function fileCounts() {
	const counts = await suite.emulator.control.fileCounts();
	return counts[suite.emulator.maskKey(suite.emulator.key)] ?? { uploaded: 0, deleted: 0, live: 0 };
}

describe('a failing part of Exactly N names every task of its item, and what each cost', () => {
	const failOne = () =>
		suite.emulator.control.fault({
			action: { type: 'taskError', code: 'content_policy_violation' },
		});

	test('without Continue On Fail: the error lists all 3 tasks with their credits', async () => {
		await failOne();
		const result = await suite.run(EXACTLY, V1_1);
		expect(result.status).toBe('error');
		const tasks = await suite.emulator.control.tasks();
		expect(tasks).toHaveLength(3);
		for (const task of tasks) expect(result.error.description).toContain(task.id);
		expect(result.error.description).toMatch(/1\.8 credits used/);
		const listed = result.error.context.itemTasks;
		expect(listed.map((/** @type {any} */ t) => t.taskId).sort()).toEqual(
			tasks.map((/** @type {any} */ t) => t.id).sort(),
		);
		const completed = listed.filter((/** @type {any} */ t) => t.status === 'completed');
		expect(completed).toHaveLength(2);
		for (const task of completed) expect(task).toMatchObject({ creditsUsed: 1.8 });
		expect(listed.find((/** @type {any} */ t) => t.status === 'failed')).toMatchObject({
			creditsReserved: 1.8,
		});
	});

	test('with Continue On Fail: the error item lists all 3 tasks with their credits', async () => {
		await failOne();
		const result = await suite.run(EXACTLY, { ...V1_1, nodeOptions: CONTINUE });
		const errors = result.output('Seedream').filter((/** @type {any} */ i) => i.json.error);
		expect(errors).toHaveLength(1);
		const tasks = await suite.emulator.control.tasks();
		for (const task of tasks) expect(errors[0].json.description).toContain(task.id);
		expect(errors[0].json.itemTasks).toHaveLength(3);
		for (const task of errors[0].json.itemTasks) {
			// Completed: 1.8 used; failed: 1.8 reserved, then released (0 used).
			expect(task.status === 'completed' ? task.creditsUsed : task.creditsReserved).toBe(1.8);
		}
	});
});

describe('binary references of Exactly N', () => {
	test('are uploaded once per item, and every task names the same files', async () => {
		const result = await suite.run(
			{ ...EXACTLY, ...TWO_BINARY, options: { keepUploadedReferences: true } },
			{ ...V1_1, items: await itemWithTwoFiles() },
		);
		expect(result.status).toBe('success');
		const files = await suite.emulator.control.files();
		expect(files).toHaveLength(2);
		expect(new Set(files.map((/** @type {any} */ f) => f.sha256)).size).toBe(2);
		const creates = await suite.requests({ method: 'POST', path: '/v1/images/generations' });
		expect(creates).toHaveLength(3);
		const named = creates.map((/** @type {any} */ c) => JSON.stringify(c.body.image_urls));
		expect(new Set(named).size).toBe(1);
	});

	test('Validate Only reports each upload once and the file quota it uses', async () => {
		const result = await suite.run(
			{ ...EXACTLY, ...TWO_BINARY, options: { validateOnly: true } },
			{ ...V1_1, items: await itemWithTwoFiles() },
		);
		const [item] = result.output('Seedream');
		expect(item.json).toMatchObject({ requestsToSend: 3, filesQuotaUse: 2 });
		expect(item.json.uploads).toHaveLength(2);
		expect(item.json.message).toMatch(
			/after uploading 2 binary references once \(2 files of the account's EvoLink Files quota/,
		);
		expect(await suite.emulator.control.files()).toHaveLength(0);
	});
});

describe('Exactly N has the same shape in every wait mode', () => {
	/** What an output item shows of the set: its numbering and annotations, not its task or image. */
	const shape = (/** @type {any[]} */ items) =>
		items.map(({ json }) => ({
			error: json.error !== undefined,
			imageIndex: json.imageIndex,
			imageCount: json.imageCount,
			imagesMode: json.imagesMode,
			maxImages: json.maxImages,
			imagesNote: json.imagesNote,
			status: json.status,
			// An error item names every task of its item (finding 1, in each mode).
			tasksNamed: json.itemTasks?.length,
		}));

	test.each([
		['every task completing', false],
		['one task failing', true],
	])('%s: waiting for the callback outputs what waiting for the result does', async (_, fail) => {
		const outputs = [];
		for (const waitMode of ['wait', 'callback']) {
			await suite.reset();
			if (fail) {
				await suite.emulator.control.fault({
					action: { type: 'taskError', code: 'content_policy_violation' },
				});
			}
			const result = await runToEnd({ ...EXACTLY, waitMode }, { ...V1_1, nodeOptions: CONTINUE });
			expect(result.status).toBe('success');
			outputs.push(shape(result.output('Seedream')));
		}
		const [polled, resumed] = outputs;
		const images = polled.filter((item) => !item.error);
		expect(images.map((item) => item.imageIndex)).toEqual(fail ? [0, 1] : [0, 1, 2]);
		expect(images.every((item) => item.imageCount === images.length)).toBe(true);
		if (fail) {
			expect(images[0].imagesNote).toMatch(/^2 of 3 images/);
			expect(polled.find((item) => item.error)?.tasksNamed).toBe(3);
		}
		expect(resumed).toEqual(polled);
	});

	test("Don't Wait: one item per task of the set, each annotated (Task > Get reads one task, outside the set)", async () => {
		const result = await suite.run({ ...EXACTLY, waitMode: 'dontWait' }, V1_1);
		const items = result.output('Seedream');
		expect(items).toHaveLength(3);
		for (const item of items)
			expect(item.json).toMatchObject({ imagesMode: 'exactly', maxImages: 3 });
	});
});

test('items in different ways of asking share the Concurrency: with 2, never more than 2 tasks at once', async () => {
	const items = [{ json: { mode: 'exactly' } }, { json: { mode: 'askInPrompt' } }];
	const result = await suite.run(
		{ ...EXACTLY, n: 2, imagesMode: '={{ $json.mode }}', options: { concurrency: 2 } },
		{ ...V1_1, items },
	);
	expect(result.status).toBe('success');
	const tasks = await suite.emulator.control.tasks();
	expect(tasks).toHaveLength(3);
	// The most tasks alive at any task's creation (each lives from its creation to its completion).
	const overlap = Math.max(
		...tasks.map(
			(/** @type {any} */ t) =>
				tasks.filter(
					(/** @type {any} */ o) => o.createdAt <= t.createdAt && o.completedAt > t.createdAt,
				).length,
		),
	);
	expect(overlap).toBeLessThanOrEqual(2);
});

describe("the user's file quota: uploads are deleted once their tasks end", () => {
	test.each([
		['Wait for the Result', 'wait'],
		['Wait for the Callback', 'callback'],
	])('%s: files deleted = files uploaded', async (_, waitMode) => {
		const result = await runToEnd(
			{ ...EXACTLY, ...TWO_BINARY, waitMode },
			{ ...V1_1, items: await itemWithTwoFiles() },
		);
		expect(result.status).toBe('success');
		expect(result.output('Seedream')).toHaveLength(3);
		expect(await fileCounts()).toMatchObject({ uploaded: 2, deleted: 2, live: 0 });
	});

	test("Don't Wait keeps them, since the tasks may still fetch them", async () => {
		await suite.run(
			{ ...EXACTLY, ...TWO_BINARY, waitMode: 'dontWait' },
			{ ...V1_1, items: await itemWithTwoFiles() },
		);
		expect(await fileCounts()).toMatchObject({ uploaded: 2, deleted: 0, live: 2 });
	});

	test('Keep Uploaded References keeps them', async () => {
		await suite.run(
			{ ...EXACTLY, ...TWO_BINARY, options: { keepUploadedReferences: true } },
			{ ...V1_1, items: await itemWithTwoFiles() },
		);
		expect(await fileCounts()).toMatchObject({ uploaded: 2, deleted: 0, live: 2 });
	});

	test('a delete that fails never fails the item', async () => {
		await suite.emulator.control.fault({
			method: 'DELETE',
			path: '/api/v1/files/',
			times: 100,
			action: { type: 'status', status: 500 },
		});
		const result = await suite.run(
			{ ...EXACTLY, ...TWO_BINARY, n: 1 },
			{ ...V1_1, items: await itemWithTwoFiles() },
		);
		expect(result.status).toBe('success');
		expect(result.output('Seedream')[0].json.error).toBeUndefined();
		expect(await fileCounts()).toMatchObject({ uploaded: 2, deleted: 0 });
		expect((await suite.requests({ method: 'DELETE' })).length).toBeGreaterThanOrEqual(2);
	});

	test('a full quota is an error naming the quota and what to do, and the upload already made is deleted', async () => {
		await suite.emulator.control.keys({ key: suite.emulator.key, maxFiles: 1 });
		const result = await suite.run(
			{ ...EXACTLY, ...TWO_BINARY, n: 1 },
			{ ...V1_1, items: await itemWithTwoFiles() },
		);
		expect(result.status).toBe('error');
		expect(result.error.message).toMatch(
			/^EvoLink's file quota is full: File quota exceeded \(1 files\)/,
		);
		expect(result.error.description).toMatch(/expires 72 hours after upload/);
		expect(result.error.description).toMatch(/Keep Uploaded References/);
		expect(await suite.emulator.control.tasks()).toHaveLength(0);
		expect(await fileCounts()).toMatchObject({ uploaded: 1, deleted: 1, live: 0 });
	});
});
