// @ts-check
// Image > Generate: every option path, both wait modes and every output shape, through n8n's engine against
// the emulator.
import http from 'node:http';
import { readPng } from '../harness/png.mjs';
import { GENERATE, startSuite, waitUntil } from './support.mjs';

/** @type {import('./support.mjs').Suite} */
let suite;
beforeAll(async () => {
	suite = await startSuite({ allowInsecureCallbacks: true });
});
beforeEach(async () => await suite.reset());
afterAll(async () => await suite?.close());

const TASK_ID = /^task-unified-\d+-[a-z0-9]{8}$/;
/** Half of a 2 s estimate, less the 1 ms a timer may fire early and the log's whole milliseconds. */
const ESTIMATE_HALF_MS = 1000 - 2;

/** The body of the one create the node sent. */
async function createBody() {
	const creates = await suite.requests({ method: 'POST', path: '/v1/images/generations' });
	expect(creates).toHaveLength(1);
	return creates[0].body;
}

describe('output shapes', () => {
	test('default: one item per image, each image as binary with its task, URL, expiry and usage', async () => {
		const result = await suite.run({
			...GENERATE,
			prompt: 'a set of 3 images of lighthouses',
			n: 3,
		});
		expect(result.status).toBe('success');
		const items = result.output('Seedream');
		expect(items).toHaveLength(3);

		const [task] = await suite.emulator.control.tasks();
		expect(task.outputs).toBe(3);
		for (const [index, item] of items.entries()) {
			expect(item.pairedItem).toEqual({ item: 0 });
			expect(item.json).toMatchObject({
				taskId: task.id,
				status: 'completed',
				model: 'doubao-seedream-4.0',
				imageIndex: index,
				imageCount: 3,
				url: task.results[index],
				size: '1K',
				fileName: `${task.id}-${index}.png`,
				mimeType: 'image/png',
			});
			expect(item.json.taskId).toMatch(TASK_ID);
			expect(item.json.usage).toMatchObject({ credits_reserved: 5.4, credits_used: 5.4 });
			expect(item.json).toMatchObject({ creditsReserved: 5.4, creditsUsed: 5.4 });
			// 24 h after the task (the conservative bound: from creation).
			expect(Date.parse(item.json.expiresAt)).toBe((task.created + 24 * 3600) * 1000);

			const binary = item.binary.data;
			expect(binary).toMatchObject({ mimeType: 'image/png', fileName: `${task.id}-${index}.png` });
			const bytes = await suite.harness.binaryBuffer(binary);
			expect(readPng(bytes)).toMatchObject({ width: 1024, height: 1024 });
		}
		// Three different images, downloaded without the API key.
		const downloads = await suite.requests({ method: 'GET', path: '/content/results/' });
		expect(downloads.map((/** @type {any} */ r) => r.path).sort()).toEqual(
			task.results.map((/** @type {string} */ url) => new URL(url).pathname).sort(),
		);
		expect(downloads.every((/** @type {any} */ r) => !r.headers.authorization)).toBe(true);
	});

	test('all images on one item: binary fields image_0, image_1 and an images list', async () => {
		const result = await suite.run({
			...GENERATE,
			prompt: 'two images of a fox',
			n: 2,
			output: 'binaryPerTask',
		});
		const items = result.output('Seedream');
		expect(items).toHaveLength(1);
		const [item] = items;
		expect(Object.keys(item.binary).sort()).toEqual(['image_0', 'image_1']);
		expect(item.json.imageCount).toBe(2);
		expect(item.json.imageUrls).toHaveLength(2);
		expect(item.json.images).toEqual([
			expect.objectContaining({
				imageIndex: 0,
				binaryProperty: 'image_0',
				url: item.json.imageUrls[0],
			}),
			expect.objectContaining({
				imageIndex: 1,
				binaryProperty: 'image_1',
				url: item.json.imageUrls[1],
			}),
		]);
		for (const field of ['image_0', 'image_1']) {
			const bytes = await suite.harness.binaryBuffer(item.binary[field]);
			expect(readPng(bytes)).toMatchObject({ width: 1024, height: 1024 });
		}
		expect(item.pairedItem).toEqual({ item: 0 });
	});

	test('URLs only: one JSON item per image and nothing downloaded', async () => {
		const result = await suite.run({
			...GENERATE,
			prompt: 'two images of a fox',
			n: 2,
			output: 'urls',
		});
		const items = result.output('Seedream');
		expect(items).toHaveLength(2);
		expect(items.map((/** @type {any} */ i) => i.binary)).toEqual([undefined, undefined]);
		expect(items.map((/** @type {any} */ i) => i.json.imageIndex)).toEqual([0, 1]);
		expect(items[0].json.url).toMatch(/\/content\/results\/.+\/0\.png$/);
		expect(await suite.requests({ path: '/content/' })).toHaveLength(0);
	});

	test('compact: task ID, status, image URLs, expiry, credits and how the images were asked for on one item', async () => {
		const result = await suite.run({
			...GENERATE,
			prompt: 'two images of a fox',
			n: 2,
			output: 'compact',
		});
		const items = result.output('Seedream');
		expect(items).toHaveLength(1);
		expect(Object.keys(items[0].json).sort()).toEqual([
			'creditsReserved',
			'creditsUsed',
			'expiresAt',
			'imageUrls',
			'imagesMode',
			'maxImages',
			'status',
			'taskId',
		]);
		expect(items[0].json).toMatchObject({
			creditsReserved: 3.6,
			creditsUsed: 3.6,
			imagesMode: 'asWritten',
			maxImages: 2,
		});
		expect(items[0].json.imageUrls).toHaveLength(2);
		expect(items[0].json.status).toBe('completed');
		expect(await suite.requests({ path: '/content/' })).toHaveLength(0);
	});

	test('the output binary field can be renamed', async () => {
		const result = await suite.run({ ...GENERATE, options: { binaryPropertyName: 'picture' } });
		const [item] = result.output('Seedream');
		expect(Object.keys(item.binary)).toEqual(['picture']);
	});

	test('an image over the maximum download size is refused, naming the limit', async () => {
		// The emulator's PNGs vary with the task like real ones: a 2K image weighs 0.7-1.7 MB (so it would
		// pass a 1 MB limit now and then), a 4K one 3-6.5 MB, always over it.
		const result = await suite.run({ ...GENERATE, size: '4K', options: { maxDownloadMB: 1 } });
		expect(result.status).toBe('error');
		const message = String(result.error.message);
		expect(message).toMatch(
			/^Stopped downloading image 0 of task task-unified-\S+: it is \d+(\.\d)? MB, over the maximum download size of 1 MB$/,
		);
		expect(Number(/it is (\S+) MB/.exec(message)?.[1])).toBeGreaterThan(1);
	});
});

describe('sizes, models and options reach the API as the spec names them', () => {
	test('preset size, default model and priority, no quality', async () => {
		await suite.run({ ...GENERATE, size: '2K', output: 'urls' });
		const body = await createBody();
		expect(body).toEqual({
			model: 'doubao-seedream-4.0',
			prompt: GENERATE.prompt,
			n: 1,
			size: '2K',
			prompt_priority: 'standard',
		});
	});

	test('custom width x height', async () => {
		const result = await suite.run({ ...GENERATE, sizeMode: 'custom', width: 1280, height: 720 });
		expect((await createBody()).size).toBe('1280x720');
		const [item] = result.output('Seedream');
		expect(item.json.size).toBe('1280x720');
		expect(readPng(await suite.harness.binaryBuffer(item.binary.data))).toMatchObject({
			width: 1280,
			height: 720,
		});
	});

	test('aspect ratio with quality', async () => {
		const result = await suite.run({
			...GENERATE,
			sizeMode: 'ratio',
			aspectRatio: '16:9',
			quality: '1K',
		});
		const body = await createBody();
		expect(body).toMatchObject({ size: '16:9', quality: '1K' });
		const [item] = result.output('Seedream');
		expect(item.json).toMatchObject({ size: '16:9', quality: '1K' });
		expect(readPng(await suite.harness.binaryBuffer(item.binary.data))).toMatchObject({
			width: 1280,
			height: 720,
		});
	});

	test('Seedream 4.5 with a 2K ratio', async () => {
		const result = await suite.run({
			...GENERATE,
			model: 'doubao-seedream-4.5',
			sizeMode: 'ratio',
			aspectRatio: '1:1',
			quality: '2K',
			output: 'urls',
		});
		expect(result.status).toBe('success');
		expect(await createBody()).toMatchObject({
			model: 'doubao-seedream-4.5',
			size: '1:1',
			quality: '2K',
		});
		expect(result.output('Seedream')[0].json.model).toBe('doubao-seedream-4.5');
	});

	test('fast prompt priority', async () => {
		await suite.run({ ...GENERATE, output: 'urls', options: { promptPriority: 'fast' } });
		expect((await createBody()).prompt_priority).toBe('fast');
	});

	test('n is an upper bound: the prompt decides how many images come', async () => {
		const result = await suite.run({ ...GENERATE, prompt: 'a lighthouse', n: 4, output: 'urls' });
		expect((await createBody()).n).toBe(4);
		expect(result.output('Seedream')).toHaveLength(1);
	});

	test('a callback URL is sent, and the service calls it with the finished task', async () => {
		/** @type {any[]} */
		const received = [];
		const receiver = http.createServer((req, res) => {
			let body = '';
			req.on('data', (chunk) => (body += chunk));
			req.on('end', () => {
				received.push(JSON.parse(body));
				res.end('ok');
			});
		});
		await new Promise((resolve) => receiver.listen(0, '127.0.0.1', () => resolve(undefined)));
		try {
			const address = /** @type {import('node:net').AddressInfo} */ (receiver.address());
			const callbackUrl = `http://127.0.0.1:${address.port}/seedream/done?token=abc`;
			const result = await suite.run({ ...GENERATE, output: 'urls', options: { callbackUrl } });
			expect((await createBody()).callback_url).toBe(callbackUrl);
			const taskId = result.output('Seedream')[0].json.taskId;
			await waitUntil(() => received.length > 0, 'the callback');
			expect(received).toEqual([expect.objectContaining({ id: taskId, status: 'completed' })]);
		} finally {
			receiver.close();
		}
	});

	test('every create carries an Idempotency-Key of the allowed form', async () => {
		await suite.run({ ...GENERATE, output: 'urls' });
		const [create] = await suite.requests({ method: 'POST', path: '/v1/images/generations' });
		expect(create.headers['idempotency-key']).toMatch(/^[A-Za-z0-9._-]{16,96}$/);
	});
});

describe('wait modes', () => {
	test("don't wait: the task at once (ID, status, estimated time), no polling", async () => {
		await suite.emulator.control.config({ taskMs: 5000 });
		const result = await suite.run({ ...GENERATE, waitMode: 'dontWait' });
		const items = result.output('Seedream');
		expect(items).toHaveLength(1);
		expect(items[0].json).toMatchObject({ status: 'pending', estimatedTime: 5, size: '1K' });
		expect(items[0].json.taskId).toMatch(TASK_ID);
		expect(items[0].binary).toBeUndefined();
		expect(await suite.requests({ method: 'GET' })).toHaveLength(0);
	});

	test('wait: polls until the task ends, the first read only after half its estimate, a few reads in all', async () => {
		await suite.emulator.control.config({ taskMs: 1500 });
		const result = await suite.run({ ...GENERATE, output: 'urls' });
		expect(result.output('Seedream')[0].json.status).toBe('completed');
		const [create] = await suite.requests({ method: 'POST', path: '/v1/images/generations' });
		const polls = await suite.requests({ method: 'GET', path: '/v1/tasks/' });
		// The create answers estimated_time 2 (1.5 s rounded up): the predictor waits half of it before the
		// first read (a fixed beat would read at once), then closes in on the end.
		expect(Date.parse(polls[0].time) - Date.parse(create.time)).toBeGreaterThanOrEqual(
			ESTIMATE_HALF_MS,
		);
		expect(polls.length).toBeLessThanOrEqual(5);
		expect(polls.map((/** @type {any} */ p) => p.status)).toEqual(polls.map(() => 200));
	});
});

describe('several items', () => {
	test('run two at a time (Concurrency 2), come out in input order, each paired with its input', async () => {
		// One of the first two tasks (created at once, so which is a race) is the slowest and finishes last.
		await suite.emulator.control.config({ taskMsQueue: [1200, 200, 200, 200] });
		const prompts = ['first: a cat', 'second: a dog', 'third: a bird', 'fourth: a fish'];
		const result = await suite.run(
			{ ...GENERATE, prompt: '={{ $json.prompt }}', output: 'urls', options: { concurrency: 2 } },
			{ items: prompts.map((prompt) => ({ json: { prompt } })) },
		);
		const items = result.output('Seedream');
		const tasks = await suite.emulator.control.tasks();
		const promptOf = new Map(tasks.map((/** @type {any} */ t) => [t.id, t.prompt]));
		expect(items.map((/** @type {any} */ i) => promptOf.get(i.json.taskId))).toEqual(prompts);
		expect(items.map((/** @type {any} */ i) => i.pairedItem)).toEqual(
			[0, 1, 2, 3].map((item) => ({ item })),
		);
		// On the emulator's clock: the second task was created while the first was still running, and no
		// task was created while two others were.
		const spans = tasks
			.map((/** @type {any} */ t) => ({ created: t.createdAt, completed: t.completedAt }))
			.sort((a, b) => a.created - b.created);
		expect(spans[1].created).toBeLessThan(spans[0].completed);
		const runningAtCreate = spans.map(
			(task) =>
				spans.filter(
					(other) =>
						other !== task && other.created <= task.created && task.created < other.completed,
				).length,
		);
		expect(runningAtCreate[1]).toBe(1);
		expect(Math.max(...runningAtCreate)).toBe(1);
	});
});
