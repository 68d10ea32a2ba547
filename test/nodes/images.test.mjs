// @ts-check
// Max Images that makes images: the service makes as many images as the PROMPT asks for (n is a ceiling), so
// Generate (node version 1.1) asks for them in the prompt, or makes N one-image tasks. Each way runs through
// n8n's engine against the emulator, which reads the count from the prompt as the service does.
import { readPng } from '../harness/png.mjs';
import { GENERATE, startSuite } from './support.mjs';

/** @type {import('./support.mjs').Suite} */
let suite;
beforeAll(async () => {
	suite = await startSuite();
});
beforeEach(async () => await suite.reset());
afterAll(async () => await suite?.close());

const V1_1 = { typeVersion: 1.1 };
const FOX = { ...GENERATE, prompt: 'a fox', n: 4 };

async function creates() {
	return await suite.requests({ method: 'POST', path: '/v1/images/generations' });
}

/** @param {string} type */
async function ledgerEntries(type) {
	return (await suite.ledger()).entries.filter((/** @type {any} */ e) => e.type === type);
}

describe('Ask for Them in the Prompt (the default from version 1.1)', () => {
	test('Max Images 4 with "a fox": one task, the instruction added to the prompt, 4 images', async () => {
		const result = await suite.run(FOX, V1_1);
		expect(result.status).toBe('success');

		const sent = await creates();
		expect(sent).toHaveLength(1);
		expect(sent[0].body).toMatchObject({
			n: 4,
			prompt: 'a fox. Generate a set of 4 separate images.',
		});
		const items = result.output('Seedream');
		expect(items).toHaveLength(4);
		const [task] = await suite.emulator.control.tasks();
		expect(task.outputs).toBe(4);
		for (const [index, item] of items.entries()) {
			expect(item.json).toMatchObject({
				taskId: task.id,
				imageIndex: index,
				imageCount: 4,
				imagesMode: 'askInPrompt',
				maxImages: 4,
				promptSent: 'a fox. Generate a set of 4 separate images.',
				creditsReserved: 7.2,
				creditsUsed: 7.2,
			});
			expect(item.json.imagesNote).toBeUndefined();
			expect(readPng(await suite.harness.binaryBuffer(item.binary.data))).toMatchObject({
				width: 1024,
				height: 1024,
			});
		}
		expect((await suite.ledger()).charged).toBe(7.2);
	});

	test('a prompt that already asks for a number is sent as written, and fewer images are reported', async () => {
		const prompt = 'three watercolor images of a fox';
		const result = await suite.run({ ...FOX, prompt, output: 'urls' }, V1_1);
		expect((await creates())[0].body.prompt).toBe(prompt);
		const items = result.output('Seedream');
		expect(items).toHaveLength(3);
		for (const item of items) {
			expect(item.json).toMatchObject({ promptSent: prompt, imageCount: 3, maxImages: 4 });
			expect(item.json.imagesNote).toMatch(/^3 of 4 images \(Max Images\) came back/);
		}
	});

	test('an instruction that would take the prompt over 2000 characters is refused before sending', async () => {
		const result = await suite.run({ ...FOX, prompt: 'a fox '.repeat(330) }, V1_1);
		expect(result.status).toBe('error');
		expect(result.error.message).toMatch(
			/^Prompt \(prompt\): with the sentence the node adds to ask for the images it has 2,0\d\d characters, more than 2,000/,
		);
		expect(await suite.requests()).toHaveLength(0);
	});

	test('Max Images 1 sends the prompt unchanged and adds nothing to the items', async () => {
		const result = await suite.run({ ...FOX, n: 1, output: 'urls' }, V1_1);
		expect((await creates())[0].body).toMatchObject({ prompt: 'a fox', n: 1 });
		const [item] = result.output('Seedream');
		expect(item.json.imagesMode).toBeUndefined();
		expect(item.json.promptSent).toBeUndefined();
	});
});

describe('Exactly N', () => {
	test('Max Images 4 with "a fox": 4 tasks of one image, each with its own Idempotency-Key, 4 images', async () => {
		const result = await suite.run({ ...FOX, imagesMode: 'exactly' }, V1_1);
		expect(result.status).toBe('success');

		const sent = await creates();
		expect(sent).toHaveLength(4);
		for (const request of sent) expect(request.body).toMatchObject({ prompt: 'a fox', n: 1 });
		const keys = new Set(sent.map((/** @type {any} */ r) => r.headers['idempotency-key']));
		expect(keys.size).toBe(4);

		const items = result.output('Seedream');
		expect(items).toHaveLength(4);
		const tasks = await suite.emulator.control.tasks();
		expect(tasks).toHaveLength(4);
		expect(new Set(items.map((/** @type {any} */ i) => i.json.taskId))).toEqual(
			new Set(tasks.map((/** @type {any} */ t) => t.id)),
		);
		for (const [index, item] of items.entries()) {
			expect(item.pairedItem).toEqual({ item: 0 });
			expect(item.json).toMatchObject({
				imageIndex: index,
				imageCount: 4,
				imagesMode: 'exactly',
				maxImages: 4,
				creditsReserved: 1.8,
				creditsUsed: 1.8,
			});
			expect(item.json.promptSent).toBeUndefined();
			expect(readPng(await suite.harness.binaryBuffer(item.binary.data))).toMatchObject({
				width: 1024,
			});
		}
		expect(await ledgerEntries('reserve')).toHaveLength(4);
		expect((await suite.ledger()).charged).toBe(7.2);
	});

	test("the tasks share the node's Concurrency: with 2, never more than 2 tasks run at once", async () => {
		const result = await suite.run(
			{ ...FOX, imagesMode: 'exactly', output: 'urls', options: { concurrency: 2 } },
			V1_1,
		);
		expect(result.output('Seedream')).toHaveLength(4);
		const tasks = await suite.emulator.control.tasks();
		expect(tasks).toHaveLength(4);
		// The most tasks alive at any task's creation (each lives from its creation to its completion).
		const overlap = Math.max(
			...tasks.map(
				(/** @type {any} */ t) =>
					tasks.filter(
						(/** @type {any} */ o) => o.createdAt <= t.createdAt && o.completedAt > t.createdAt,
					).length,
			),
		);
		expect(overlap).toBe(2);
	});

	test('Retry On Fail re-runs the item without paying twice: the same 4 keys replay the same 4 tasks', async () => {
		// The first try's first read is refused for good (403), so the item fails once its tasks exist.
		await suite.emulator.control.fault({
			method: 'GET',
			path: '/v1/tasks/',
			times: 1,
			action: { type: 'status', status: 403 },
		});
		const result = await suite.run(
			{ ...FOX, imagesMode: 'exactly', output: 'urls' },
			{ ...V1_1, nodeOptions: { retryOnFail: true, maxTries: 2, waitBetweenTries: 0 } },
		);
		expect(result.status).toBe('success');
		const sent = await creates();
		expect(sent).toHaveLength(8);
		const keysOf = (/** @type {any[]} */ requests) =>
			requests.map((r) => r.headers['idempotency-key']).sort();
		expect(keysOf(sent.slice(4))).toEqual(keysOf(sent.slice(0, 4)));
		expect(await suite.emulator.control.tasks()).toHaveLength(4);
		expect(await ledgerEntries('reserve')).toHaveLength(4);
		expect(result.output('Seedream')).toHaveLength(4);
	});

	test('a task that fails: under Continue On Fail the images come with its error item and the shortfall', async () => {
		await suite.emulator.control.fault({ action: { type: 'taskError', code: 'service_error' } });
		const result = await suite.run(
			{ ...FOX, imagesMode: 'exactly', output: 'urls' },
			{ ...V1_1, nodeOptions: { onError: 'continueRegularOutput' } },
		);
		expect(result.status).toBe('success');
		const items = result.output('Seedream');
		const images = items.filter((/** @type {any} */ i) => i.json.url);
		const errors = items.filter((/** @type {any} */ i) => i.json.error);
		expect(images).toHaveLength(3);
		expect(errors).toHaveLength(1);
		const failed = (await suite.emulator.control.tasks()).find(
			(/** @type {any} */ t) => t.status === 'failed',
		);
		expect(errors[0].json).toMatchObject({ taskId: failed.id, errorCode: 'service_error' });
		expect(errors[0].pairedItem).toEqual({ item: 0 });
		expect(images.map((/** @type {any} */ i) => i.json.imageIndex)).toEqual([0, 1, 2]);
		for (const image of images) {
			expect(image.json.imagesNote).toMatch(
				/^3 of 4 images \(Max Images\) came back: the other tasks failed/,
			);
		}
	});

	test("Don't Wait: one item per task, each with its task ID and reserved credits", async () => {
		const result = await suite.run({ ...FOX, imagesMode: 'exactly', waitMode: 'dontWait' }, V1_1);
		const items = result.output('Seedream');
		expect(items).toHaveLength(4);
		expect(new Set(items.map((/** @type {any} */ i) => i.json.taskId)).size).toBe(4);
		for (const item of items) {
			expect(item.json).toMatchObject({ imagesMode: 'exactly', creditsReserved: 1.8 });
			expect(item.json.imagesNote).toBeUndefined();
		}
	});
});

describe('As the Prompt Says (version 1, and a choice from 1.1)', () => {
	test('version 1 sends "a fox" as written: 1 image of Max Images 4, and the items say so', async () => {
		const result = await suite.run({ ...FOX, output: 'urls' });
		expect(result.status).toBe('success');
		expect((await creates())[0].body).toMatchObject({ prompt: 'a fox', n: 4 });
		const items = result.output('Seedream');
		expect(items).toHaveLength(1);
		expect(items[0].json).toMatchObject({
			imagesMode: 'asWritten',
			maxImages: 4,
			imageCount: 1,
			creditsReserved: 7.2,
			creditsUsed: 1.8,
		});
		expect(items[0].json.imagesNote).toMatch(
			/^1 of 4 images \(Max Images\) came back: the service makes as many images as the prompt asks for/,
		);
	});
});
