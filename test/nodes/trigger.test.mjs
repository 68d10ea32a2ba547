// @ts-check
// The Seedream Trigger's webhook() on n8n-core's WebhookContext, as n8n's LiveWebhooks calls it:
// shape check, confirmation with the API, de-duplication in the workflow's static data (saved and
// reloaded between calls as n8n does), output shapes, and a real Generate -> emulator callback ->
// trigger round trip over HTTP.
import { randomUUID } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { readPng } from '../harness/png.mjs';
import { HarnessCredentialsHelper } from '../harness/credentials-helper.mjs';
import { core, di, workflowLib } from '../harness/n8n.mjs';
import { loadNodeTypes } from '../harness/node-types.mjs';
import {
	GENERATE,
	itemsWithFiles,
	png,
	startStallingApi,
	startSuite,
	waitUntil,
} from './support.mjs';

const { WebhookContext, HookContext } = core;
const { Workflow } = workflowLib;

/** @type {import('./support.mjs').Suite} */
let suite;
/** @type {Awaited<ReturnType<typeof loadNodeTypes>>} */
let types;
beforeAll(async () => {
	// n8n's default binary-data mode outside queue mode: downloads are written to disk as they arrive.
	suite = await startSuite({ allowInsecureCallbacks: true, binaryMode: 'filesystem' });
	types = await loadNodeTypes();
});
beforeEach(async () => await suite.reset());
afterAll(async () => await suite?.close());

/**
 * One Seedream Trigger in a workflow whose static data survives between calls the way n8n keeps
 * it: saved after each call and loaded into a fresh Workflow for the next.
 * @param {Record<string, unknown>} [parameters]
 * @param {{ credentials?: any, typeVersion?: number }} [options]
 */
function createTrigger(
	parameters = {},
	{ credentials = suite.credentials.seedreamApi, typeVersion = 1 } = {},
) {
	// A credential ID of its own: the node keeps a decrypted credential in memory by ID for a minute
	// (transport/credentialCache.ts), and in n8n another ID is what another credential has.
	const credentialId = `seedream-test-credential-${randomUUID()}`;
	const node = {
		id: randomUUID(),
		name: 'Seedream Trigger',
		type: `${types.packageName}.seedreamTrigger`,
		typeVersion,
		position: /** @type {[number, number]} */ ([0, 0]),
		webhookId: randomUUID(),
		parameters,
		credentials: { seedreamApi: { id: credentialId, name: 'Seedream account' } },
	};
	/** @type {any} */
	let savedStaticData = {};
	const nodeType = types.nodeTypes.getByNameAndVersion(node.type, typeVersion);
	const workflowNow = () =>
		new Workflow({
			id: 'trigger-workflow',
			name: 'Trigger test',
			nodes: [structuredClone(node)],
			connections: {},
			active: true,
			nodeTypes: types.nodeTypes,
			staticData: structuredClone(savedStaticData),
			settings: {},
		});
	const credentialsHelper = new HarnessCredentialsHelper(types.credentials, {
		seedreamApi: credentials,
	});
	// How many times n8n loaded and decrypted the credential (the dearest part of a callback's work).
	let credentialLoads = 0;
	const getDecrypted = credentialsHelper.getDecrypted.bind(credentialsHelper);
	credentialsHelper.getDecrypted = async (/** @type {any[]} */ ...args) => {
		credentialLoads++;
		return await getDecrypted(...args);
	};
	const additionalData = (/** @type {any} */ extra = {}) => ({
		credentialsHelper,
		webhookWaitingBaseUrl: 'http://127.0.0.1:5678/webhook-waiting',
		formWaitingBaseUrl: 'http://127.0.0.1:5678/form-waiting',
		webhookBaseUrl: 'http://127.0.0.1:5678/webhook',
		webhookTestBaseUrl: 'http://127.0.0.1:5678/webhook-test',
		variables: {},
		currentNodeExecutionIndex: 0,
		...extra,
	});

	return {
		node,
		get staticData() {
			return savedStaticData;
		},
		get credentialLoads() {
			return credentialLoads;
		},
		/**
		 * The user edits the credential in n8n (same ID, new data).
		 * @param {Record<string, unknown>} data
		 */
		editCredential(data) {
			credentialsHelper.credentialsByType.seedreamApi = data;
		},
		/**
		 * POSTs a body to the trigger. Resolves to { status, body } as answered, `items` (the workflow
		 * start data) or undefined when nothing starts, and `warnings`: what the node logged at warn
		 * level or above.
		 * @param {unknown} body
		 */
		async deliver(body) {
			const workflow = workflowNow();
			const response = createResponse();
			const data = additionalData({
				httpRequest: {
					method: 'POST',
					body,
					headers: { 'content-type': 'application/json' },
					query: {},
					params: {},
				},
				httpResponse: response,
			});
			const [description] = nodeType.description.webhooks;
			const webhookData = {
				httpMethod: 'POST',
				node: node.name,
				path: '',
				webhookDescription: description,
				workflowId: workflow.id,
				workflowExecuteAdditionalData: data,
			};
			const context = new WebhookContext(
				workflow,
				workflow.getNode(node.name),
				data,
				'webhook',
				/** @type {any} */ (webhookData),
				[],
				null,
			);
			/** @type {string[]} */
			const warnings = [];
			const log = (/** @type {string} */ message) => warnings.push(message);
			// n8n's logger is one per process (silent in tests): listen to it during this call only.
			const { logger } = context;
			const original = { warn: logger.warn, error: logger.error };
			Object.assign(logger, { warn: log, error: log });
			let result;
			try {
				result = await nodeType.webhook.call(context);
			} finally {
				Object.assign(logger, original);
			}
			// LiveWebhooks saves the static data once the webhook has answered.
			savedStaticData = JSON.parse(JSON.stringify(workflow.staticData));
			return {
				status: response.statusCode,
				body: response.body,
				items: result.workflowData?.[0],
				warnings,
			};
		},
		/** webhookMethods.default.checkExists, as n8n calls it on activation. */
		async checkExists() {
			const workflow = workflowNow();
			const context = new HookContext(
				workflow,
				workflow.getNode(node.name),
				additionalData(),
				'trigger',
				'activate',
				/** @type {any} */ ({}),
			);
			return await nodeType.webhookMethods.default.checkExists.call(context);
		},
	};
}

function createResponse() {
	const response = {
		statusCode: 200,
		/** @type {unknown} */ body: undefined,
		status(/** @type {number} */ code) {
			response.statusCode = code;
			return response;
		},
		json(/** @type {unknown} */ body) {
			response.body = body;
			return response;
		},
		end() {
			return response;
		},
	};
	return response;
}

/**
 * A server on 127.0.0.1 standing in for the API and its content host.
 * @param {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => Promise<void>} handle
 */
async function startHost(handle) {
	const server = createServer((req, res) => void handle(req, res));
	await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
	const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
	return {
		url: `http://127.0.0.1:${port}`,
		close: async () => {
			server.closeAllConnections();
			await new Promise((resolve) => server.close(() => resolve(undefined)));
		},
	};
}

/** Writes a chunk and waits until the socket took it (backpressure as a content host meets it). */
function write(/** @type {import('node:http').ServerResponse} */ res, /** @type {Buffer} */ chunk) {
	return new Promise((resolve) =>
		res.write(chunk) ? resolve(undefined) : res.once('drain', () => resolve(undefined)),
	);
}

/** Whether some file in n8n's binary-data store (a finished file or one being written) reaches `bytes` within `timeoutMs`. */
async function storeHolds(/** @type {number} */ bytes, /** @type {number} */ timeoutMs) {
	const largest = (/** @type {string} */ dir) => {
		let most = 0;
		// Files are written under a temporary name and renamed: an entry may be gone by the time it is read.
		const entries = (() => {
			try {
				return readdirSync(dir, { withFileTypes: true });
			} catch {
				return [];
			}
		})();
		for (const entry of entries) {
			const path = join(dir, entry.name);
			most = Math.max(
				most,
				entry.isDirectory()
					? largest(path)
					: (statSync(path, { throwIfNoEntry: false })?.size ?? 0),
			);
		}
		return most;
	};
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (largest(di.Container.get(core.BinaryDataConfig).localStoragePath) >= bytes) return true;
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
	return false;
}

/** Runs Generate with Don't Wait and waits (on the emulator's clock) until its task has ended. */
async function finishedTask(parameters = {}) {
	const result = await suite.run({ ...GENERATE, waitMode: 'dontWait', ...parameters });
	expect(result.status).toBe('success');
	await suite.emulator.control.advanceClock(60_000);
	const [task] = await suite.emulator.control.tasks();
	return task;
}

/** The task as the API serves it (what a callback body carries). @param {string} id */
async function apiTask(id, key = suite.emulator.key) {
	const response = await fetch(`${suite.emulator.url}/v1/tasks/${id}`, {
		headers: { authorization: `Bearer ${key}` },
	});
	return await response.json();
}

/**
 * `count` tasks created straight at the emulator's API with `key` (as Generate does), ended
 * through its clock.
 * @param {number} count
 */
async function finishedTasks(count, key = suite.emulator.key) {
	const tasks = [];
	for (let index = 0; index < count; index++) {
		const response = await fetch(`${suite.emulator.url}/v1/images/generations`, {
			method: 'POST',
			headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
			body: JSON.stringify({
				model: 'doubao-seedream-4.0',
				prompt: `a hat, take ${index}`,
				n: 1,
				size: '1K',
			}),
		});
		expect(response.status).toBe(200);
		tasks.push(await response.json());
	}
	await suite.emulator.control.advanceClock(60_000);
	return tasks;
}

describe('Seedream Trigger', () => {
	test("a completed task starts the workflow once: the API's task, Generate's shape", async () => {
		const task = await finishedTask({ prompt: 'a set of 2 images of hats', n: 2 });
		const trigger = createTrigger({
			statuses: ['completed', 'failed', 'cancelled'],
			output: 'urls',
		});
		const body = await apiTask(task.id);

		const first = await trigger.deliver(body);
		expect(first.status).toBe(200);
		expect(first.items).toHaveLength(2);
		for (const [index, item] of first.items.entries()) {
			expect(item.json).toMatchObject({
				taskId: task.id,
				status: 'completed',
				imageIndex: index,
				imageCount: 2,
				url: task.results[index],
			});
			expect(item.pairedItem).toEqual({ item: 0 });
		}
		// Confirmed with the credential: one read of that task.
		// apiTask's read and the trigger's.
		expect(await suite.requests({ method: 'GET', path: `/v1/tasks/${task.id}` })).toHaveLength(2);

		const repeat = await trigger.deliver(body);
		expect(repeat.status).toBe(200);
		expect(repeat.items).toBeUndefined();
		expect(trigger.staticData['node:Seedream Trigger'].seenCallbacks).toEqual([
			`${task.id}:completed`,
		]);
	});

	test('downloads the images as binary when asked (One Item per Image)', async () => {
		const task = await finishedTask();
		const trigger = createTrigger({ output: 'binaryPerImage' });
		const { items } = await trigger.deliver(await apiTask(task.id));
		expect(items).toHaveLength(1);
		expect(items[0].json).toMatchObject({
			taskId: task.id,
			fileName: `${task.id}-0.png`,
			mimeType: 'image/png',
		});
		const bytes = await suite.harness.binaryBuffer(items[0].binary.data);
		expect(readPng(bytes)).toMatchObject({ width: 1024, height: 1024 });
	});

	test("a download streams into n8n's binary-data store: its first half is on disk before its second half is sent", async () => {
		const size = 40 * 1024 * 1024;
		const half = size / 2;
		const head = await png(8, 8, 'large');
		const task = await apiTask((await finishedTask()).id);
		// The API (its task, with one result) and its content host, which holds the second half back until the
		// store holds the first half, or gives up after 30 s and ends the download short: a node that buffered the
		// image whole would write nothing before the end.
		let storedBeforeEnd = false;
		const host = await startHost(async (req, res) => {
			if (req.url?.startsWith('/v1/tasks/')) {
				res
					.writeHead(200, { 'content-type': 'application/json' })
					.end(JSON.stringify({ ...task, results: [`${host.url}/large.png`] }));
				return;
			}
			res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(size) });
			await write(res, Buffer.concat([head, Buffer.alloc(half - head.length)]));
			storedBeforeEnd = await storeHolds(half, 30_000);
			if (!storedBeforeEnd) return void res.destroy();
			await write(res, Buffer.alloc(size - half));
			res.end();
		});
		try {
			const credentials = { ...suite.credentials.seedreamApi, baseUrl: host.url };
			const { items } = await createTrigger({ output: 'binaryPerImage' }, { credentials }).deliver(
				task,
			);
			expect(storedBeforeEnd).toBe(true);
			expect(items[0].binary.data).toMatchObject({
				id: expect.stringMatching(/^filesystem/),
				bytes: size,
			});
		} finally {
			await host.close();
		}
	});

	test("version 1.1 with no output chosen: Generate's default, the image as binary", async () => {
		const task = await finishedTask();
		const { items } = await createTrigger({}, { typeVersion: 1.1 }).deliver(await apiTask(task.id));
		expect(items).toHaveLength(1);
		expect(items[0].json).toMatchObject({ taskId: task.id, imageIndex: 0, creditsUsed: 1.8 });
		expect(readPng(await suite.harness.binaryBuffer(items[0].binary.data))).toMatchObject({
			width: 1024,
		});
	});

	test('version 1 with no output chosen keeps URLs Only', async () => {
		const task = await finishedTask();
		const { items } = await createTrigger({}, { typeVersion: 1 }).deliver(await apiTask(task.id));
		expect(items[0].json.url).toBe(task.results[0]);
		expect(items[0].binary).toBeUndefined();
	});

	test('a layer task starts the workflow with its layers, base first, as Decompose', async () => {
		const items = await itemsWithFiles(suite, [await png(512, 512, 'poster')]);
		const started = await suite.run(
			{
				resource: 'image',
				operation: 'decomposeLayers',
				imageSource: 'binary',
				waitMode: 'dontWait',
			},
			{ items },
		);
		expect(started.error?.message).toBeUndefined();
		await suite.emulator.control.advanceClock(600_000);
		const task = await apiTask(started.output('Seedream')[0].json.taskId);
		expect(task.status).toBe('completed');
		const trigger = createTrigger({ output: 'binaryPerImage' });
		const delivered = await trigger.deliver(task);
		expect(delivered.items?.map((/** @type {any} */ item) => item.json.zIndex)).toEqual(
			task.result_data.map((/** @type {any} */ layer) => layer.z_index),
		);
		const [base, layer] = delivered.items ?? [];
		expect(base.json).toMatchObject({ zIndex: 0, boundingBox: null, mimeType: 'image/jpeg' });
		expect(layer.json).toMatchObject({
			zIndex: 1,
			name: task.result_data[1].name,
			boundingBox: task.result_data[1].bounding_box,
			mimeType: 'image/png',
		});
		expect(readPng(await suite.harness.binaryBuffer(layer.binary.data)).colorType).toBe(6);
	});

	test("a forged body cannot inject URLs: the workflow gets the API's task", async () => {
		const task = await finishedTask();
		const trigger = createTrigger({ output: 'compact' });
		const { items } = await trigger.deliver({
			...(await apiTask(task.id)),
			results: ['https://evil.example/a.png'],
		});
		expect(items[0].json.imageUrls).toEqual(task.results);
	});

	test('a forged body for an unknown task, or a task still running, starts nothing', async () => {
		const trigger = createTrigger({ output: 'urls' });
		const unknown = await trigger.deliver({
			id: 'task-unified-1757165031-forged00',
			status: 'completed',
			results: ['https://evil.example/a.png'],
		});
		expect(unknown.items).toBeUndefined();

		await suite.emulator.control.config({ taskMs: 60_000 });
		await suite.run({ ...GENERATE, waitMode: 'dontWait' });
		const [running] = await suite.emulator.control.tasks();
		const early = await trigger.deliver({
			...running,
			status: 'completed',
			results: ['https://evil.example/b.png'],
		});
		expect(early.items).toBeUndefined();
		// Not remembered: the real callback, later, still starts the workflow.
		await suite.emulator.control.advanceClock(60_000);
		const real = await trigger.deliver(await apiTask(running.id));
		expect(real.items?.[0].json).toMatchObject({ taskId: running.id, status: 'completed' });
	});

	test.each([
		['no body', undefined],
		['no id', { status: 'completed' }],
		['an id of another form', { id: '../../etc', status: 'completed' }],
		[
			'a status that is not an ending',
			{ id: 'task-unified-1757165031-abcdefgh', status: 'processing' },
		],
	])('refuses %s with 400 and starts nothing', async (_, body) => {
		const trigger = createTrigger();
		const answer = await trigger.deliver(body);
		expect(answer.status).toBe(400);
		expect(answer.items).toBeUndefined();
		expect(await suite.requests({ path: '/v1/tasks/' })).toHaveLength(0);
	});

	test("a failed task starts it with Generate's error item, unless Start On omits it", async () => {
		await suite.emulator.control.fault({
			action: { type: 'taskError', code: 'content_policy_violation' },
			times: 1,
		});
		const task = await finishedTask();
		expect(task.status).toBe('failed');
		const body = await apiTask(task.id);

		const onlyCompleted = createTrigger({ statuses: ['completed'] });
		expect((await onlyCompleted.deliver(body)).items).toBeUndefined();

		const all = createTrigger();
		const { items } = await all.deliver(body);
		expect(items).toHaveLength(1);
		expect(items[0].json).toMatchObject({
			taskId: task.id,
			status: 'failed',
			errorCode: 'content_policy_violation',
			retryable: false,
		});
		expect(items[0].json.error).toContain(task.id);
	});

	test('remembers a bounded number of callbacks (the oldest are dropped)', async () => {
		const trigger = createTrigger({ options: { verify: false }, output: 'compact' });
		for (let index = 0; index < 505; index++) {
			const answer = await trigger.deliver({
				id: `task-unified-1-${String(index).padStart(8, '0')}`,
				status: 'completed',
				results: [`https://images.example/${index}.png`],
			});
			expect(answer.items).toHaveLength(1);
		}
		const nodeData = trigger.staticData['node:Seedream Trigger'];
		expect(nodeData.seenCallbacks).toHaveLength(500);
		expect(nodeData.seenCallbacks[0]).toBe('task-unified-1-00000005:completed');
	});

	test('reads answered 503: the callback gets 503 and is logged; its repeat starts', async () => {
		const task = await finishedTask();
		const body = await apiTask(task.id);
		const trigger = createTrigger({ output: 'urls' });
		// The read and all its retries fail.
		await suite.emulator.control.fault({
			method: 'GET',
			path: `/v1/tasks/${task.id}`,
			times: 5,
			action: { type: 'status', status: 503 },
		});
		const failed = await trigger.deliver(body);
		expect(failed.status).toBe(503);
		expect(failed.items).toBeUndefined();
		expect(failed.warnings.join('\n')).toContain(task.id);
		expect(failed.warnings.join('\n')).toContain('503');

		const repeat = await trigger.deliver(body);
		expect(repeat.status).toBe(200);
		expect(repeat.items?.[0].json).toMatchObject({
			taskId: task.id,
			status: 'completed',
			url: task.results[0],
		});
	});

	test("another key's task (403 to the credential): 503 and logged, not dropped", async () => {
		const task = await finishedTask();
		const otherKey = `sk-test-other-${randomUUID()}`;
		await suite.emulator.control.keys({ key: otherKey, credits: 100 });
		const trigger = createTrigger(
			{ output: 'urls' },
			{ credentials: { ...suite.credentials.seedreamApi, apiKey: otherKey } },
		);
		const answer = await trigger.deliver(await apiTask(task.id));
		expect(answer.status).toBe(503);
		expect(answer.items).toBeUndefined();
		expect(answer.warnings.join('\n')).toContain(task.id);
		expect(answer.warnings.join('\n')).not.toContain(otherKey);
		expect(answer.warnings.join('\n')).not.toContain(suite.emulator.key);
	});

	test('a task the API does not know is refused with 404 and starts nothing', async () => {
		const trigger = createTrigger({ output: 'urls' });
		const answer = await trigger.deliver({
			id: 'task-unified-1757165031-forged00',
			status: 'completed',
			results: ['https://evil.example/a.png'],
		});
		expect(answer.status).toBe(404);
		expect(answer.items).toBeUndefined();
		expect(trigger.staticData['node:Seedream Trigger']?.seenCallbacks ?? []).toEqual([]);
	});

	test('one credential load for many callbacks; the key in no answer, item or log', async () => {
		const tasks = await finishedTasks(6);
		const trigger = createTrigger({ output: 'urls' });
		const bodies = await Promise.all(tasks.map(async (task) => await apiTask(task.id)));
		// Callbacks arriving together share one load; later ones use the copy held in memory.
		const together = await Promise.all(
			bodies.slice(0, 3).map(async (body) => await trigger.deliver(body)),
		);
		const after = [];
		for (const body of bodies.slice(3)) after.push(await trigger.deliver(body));
		const answers = [...together, ...after];
		expect(answers.map((answer) => answer.status)).toEqual(Array(6).fill(200));
		expect(answers.map((answer) => answer.items?.[0].json.taskId)).toEqual(
			tasks.map((task) => task.id),
		);
		expect(trigger.credentialLoads).toBe(1);
		const everything = JSON.stringify({ answers, staticData: trigger.staticData });
		expect(everything).not.toContain(suite.emulator.key);
	});

	test('a held key refused 401 (revoked, changed in n8n) is replaced by the new one', async () => {
		const newKey = `sk-test-new-${randomUUID()}`;
		await suite.emulator.control.keys({ key: newKey, credits: 100 });
		const [first] = await finishedTasks(1);
		const [second, third] = await finishedTasks(2, newKey);
		const trigger = createTrigger({ output: 'urls' });
		expect((await trigger.deliver(await apiTask(first.id))).status).toBe(200);
		expect(trigger.credentialLoads).toBe(1);

		trigger.editCredential({ ...suite.credentials.seedreamApi, apiKey: newKey });
		const body = await apiTask(second.id, newKey);
		// The emulator cannot revoke a key: the old key's read is answered 401, as a revoked one's.
		await suite.emulator.control.fault({
			method: 'GET',
			path: `/v1/tasks/${second.id}`,
			times: 1,
			action: { type: 'status', status: 401 },
		});
		const afterEdit = await trigger.deliver(body);
		expect(afterEdit.status).toBe(200);
		expect(afterEdit.items?.[0].json).toMatchObject({ taskId: second.id, status: 'completed' });
		expect(afterEdit.warnings).toEqual([]);
		expect(trigger.credentialLoads).toBe(2);
		const { maskKey } = suite.emulator;
		const reads = await suite.requests({ method: 'GET', path: `/v1/tasks/${second.id}` });
		expect(reads.slice(-2).map((/** @type {any} */ read) => [read.key, read.status])).toEqual([
			[maskKey(suite.emulator.key), 401],
			[maskKey(newKey), 200],
		]);
		// The copy loaded again is held as before.
		expect((await trigger.deliver(await apiTask(third.id, newKey))).status).toBe(200);
		expect(trigger.credentialLoads).toBe(2);
		expect(JSON.stringify(afterEdit)).not.toContain(newKey);
	});

	test('a 401, credential unchanged: read once more, not sent again, answered 503', async () => {
		const [first, second] = await finishedTasks(2);
		const trigger = createTrigger({ output: 'urls' });
		expect((await trigger.deliver(await apiTask(first.id))).status).toBe(200);
		const body = await apiTask(second.id);
		await suite.emulator.control.fault({
			method: 'GET',
			path: `/v1/tasks/${second.id}`,
			times: 1,
			action: { type: 'status', status: 401 },
		});
		const refused = await trigger.deliver(body);
		expect(refused.status).toBe(503);
		expect(trigger.credentialLoads).toBe(2);
		// apiTask's read and the trigger's.
		expect(await suite.requests({ method: 'GET', path: `/v1/tasks/${second.id}` })).toHaveLength(2);
		expect(refused.warnings.join('\n')).not.toContain(suite.emulator.key);
	});

	test('a held base URL unreachable, edited in n8n since: read again and confirmed', async () => {
		const [first, second] = await finishedTasks(2);
		const unreachable = { ...suite.credentials.seedreamApi, baseUrl: 'http://127.0.0.1:1' };
		const trigger = createTrigger({ output: 'urls' }, { credentials: unreachable });
		// Loaded just now, the unreachable copy is not read again: 503, and it stays held.
		expect((await trigger.deliver(await apiTask(first.id))).status).toBe(503);
		expect(trigger.credentialLoads).toBe(1);

		trigger.editCredential(suite.credentials.seedreamApi);
		const afterEdit = await trigger.deliver(await apiTask(second.id));
		expect(afterEdit.status).toBe(200);
		expect(afterEdit.items?.[0].json).toMatchObject({ taskId: second.id, status: 'completed' });
		expect(trigger.credentialLoads).toBe(2);
	});

	test('a key changed in n8n: the old one, refused 403, is replaced by the new one', async () => {
		const otherKey = `sk-test-other-${randomUUID()}`;
		await suite.emulator.control.keys({ key: otherKey, credits: 100 });
		const [ownTask] = await finishedTasks(1);
		const [otherTask, otherTask2] = await finishedTasks(2, otherKey);
		const trigger = createTrigger({ output: 'urls' });
		expect((await trigger.deliver(await apiTask(ownTask.id))).status).toBe(200);

		trigger.editCredential({ ...suite.credentials.seedreamApi, apiKey: otherKey });
		const afterEdit = await trigger.deliver(await apiTask(otherTask.id, otherKey));
		expect(afterEdit.status).toBe(200);
		expect(afterEdit.items?.[0].json).toMatchObject({ taskId: otherTask.id, status: 'completed' });
		expect(trigger.credentialLoads).toBe(2);
		expect((await trigger.deliver(await apiTask(otherTask2.id, otherKey))).status).toBe(200);
		expect(trigger.credentialLoads).toBe(2);
		// The task was read with the old key (refused), then with the new one.
		const reads = await suite.requests({ method: 'GET', path: `/v1/tasks/${otherTask.id}` });
		const { maskKey } = suite.emulator;
		expect(reads.slice(-2).map((/** @type {any} */ read) => [read.key, read.status])).toEqual([
			[maskKey(suite.emulator.key), 403],
			[maskKey(otherKey), 200],
		]);
		const everything = JSON.stringify({ afterEdit, staticData: trigger.staticData });
		expect(everything).not.toContain(otherKey);
		expect(everything).not.toContain(suite.emulator.key);
	});

	test("results briefly empty: started with the images after polling's grace", async () => {
		await suite.emulator.control.fault({ action: { type: 'lateResults', ms: 1500 }, times: 1 });
		const task = await finishedTask();
		const body = await apiTask(task.id);
		expect(body.results).toEqual([]);
		const trigger = createTrigger({ output: 'urls' });
		const answer = await trigger.deliver(body);
		expect(answer.status).toBe(200);
		expect(answer.items).toHaveLength(1);
		const { results } = await apiTask(task.id);
		expect(results).toHaveLength(1);
		expect(answer.items?.[0].json).toMatchObject({
			taskId: task.id,
			status: 'completed',
			url: results[0],
		});
	});

	describe('with Confirm With the API off', () => {
		test('refuses result URLs to internal hosts (n8n would fetch them): no start', async () => {
			const trigger = createTrigger({ options: { verify: false }, output: 'binaryPerImage' });
			for (const url of [
				'http://127.0.0.1:5678/rest/settings',
				'http://169.254.169.254/latest/meta-data',
				'http://[::ffff:127.0.0.1]/x.png',
				'file:///etc/passwd',
			]) {
				const answer = await trigger.deliver({
					id: 'task-unified-1757165031-forged01',
					status: 'completed',
					results: [url],
				});
				expect(answer.status).toBe(400);
				expect(answer.items).toBeUndefined();
			}
		});

		test('downloads nothing: activation refuses a binary output; a name resolving to loopback, or a redirect to 127.0.0.1, is never fetched', async () => {
			/** @type {string[]} */
			const hits = [];
			const image = await png(64, 64, 'internal');
			const internal = createServer((req, res) => {
				hits.push(`internal ${req.url}`);
				res.writeHead(200, { 'content-type': 'image/png' }).end(image);
			});
			await new Promise((resolve) => internal.listen(0, '127.0.0.1', () => resolve(undefined)));
			const internalPort = /** @type {import('node:net').AddressInfo} */ (internal.address()).port;
			// A host whose name the check cannot tell from a public one, answering 302 to 127.0.0.1.
			const redirector = createServer((req, res) => {
				hits.push(`redirector ${req.url}`);
				res.writeHead(302, { location: `http://127.0.0.1:${internalPort}/secret.png` }).end();
			});
			await new Promise((resolve) => redirector.listen(0, '127.0.0.1', () => resolve(undefined)));
			const redirectorPort = /** @type {import('node:net').AddressInfo} */ (redirector.address())
				.port;
			try {
				const trigger = createTrigger({ options: { verify: false }, output: 'binaryPerImage' });
				await expect(trigger.checkExists()).rejects.toThrow(/Confirm With the API/);
				// This machine's own name: resolved through /etc/hosts (here to 127.0.0.1), not public DNS.
				for (const [index, url] of [
					`http://${hostname()}:${redirectorPort}/a.png`,
					`http://${hostname()}:${internalPort}/b.png`,
				].entries()) {
					const answer = await trigger.deliver({
						id: `task-unified-1757165031-forged1${index}`,
						status: 'completed',
						results: [url],
					});
					expect(answer.items).toHaveLength(1);
					expect(answer.items?.[0].binary).toBeUndefined();
					expect(answer.items?.[0].json.error).toMatch(/Confirm With the API/);
				}
				expect(hits).toEqual([]);
			} finally {
				await new Promise((resolve) => internal.close(resolve));
				await new Promise((resolve) => redirector.close(resolve));
			}
		});

		test('refuses more results than a task of its model can hold (15 for 4.0)', async () => {
			const trigger = createTrigger({ options: { verify: false }, output: 'urls' });
			const model = 'doubao-seedream-4.0';
			const results = Array.from(
				{ length: 16 },
				(_, index) => `https://images.example/${index}.png`,
			);
			const answer = await trigger.deliver({
				id: 'task-unified-1757165031-forged02',
				status: 'completed',
				model,
				results,
			});
			expect(answer.status).toBe(400);
			expect(answer.items).toBeUndefined();
			const fifteen = await trigger.deliver({
				id: 'task-unified-1757165031-forged03',
				status: 'completed',
				model,
				results: results.slice(0, 15),
			});
			expect(fifteen.items).toHaveLength(15);
		});

		test('a layer task holds up to 17 images: 17 start the workflow, 18 are refused', async () => {
			const trigger = createTrigger({ options: { verify: false }, output: 'urls' });
			const model = 'doubao-seedream-5.0-pro-layerize';
			const results = Array.from(
				{ length: 18 },
				(_, index) => `https://images.example/${index}.png`,
			);
			const over = await trigger.deliver({
				id: 'task-unified-1757165031-forged05',
				status: 'completed',
				model,
				results,
			});
			expect(over.status).toBe(400);
			const seventeen = await trigger.deliver({
				id: 'task-unified-1757165031-forged06',
				status: 'completed',
				model,
				results: results.slice(0, 17),
			});
			expect(seventeen.items).toHaveLength(17);
			expect(seventeen.items?.map((/** @type {any} */ item) => item.json.zIndex)).toEqual([
				...Array(17).keys(),
			]);
		});

		test('a completed task without results yet: answered 503 (to retry), not started', async () => {
			const trigger = createTrigger({ options: { verify: false }, output: 'urls' });
			const answer = await trigger.deliver({
				id: 'task-unified-1757165031-forged04',
				status: 'completed',
				results: [],
			});
			expect(answer.status).toBe(503);
			expect(answer.items).toBeUndefined();
		});
	});

	test('a repeat while the first delivery is being confirmed gets 503; the first ends by its deadline; a later repeat starts', async () => {
		const task = await finishedTask();
		const body = await apiTask(task.id);
		// Each read of the task: 307 to itself after 3 s. Within the 8 s deadline that is two whole reads and a
		// third cut short; without one, every redirect got a fresh 4 s (6 reads, 18 s, past EvoLink's 10 s).
		const api = await startStallingApi(suite.emulator.url);
		try {
			const trigger = createTrigger(
				{ output: 'urls' },
				{ credentials: { ...suite.credentials.seedreamApi, baseUrl: api.url } },
			);
			api.stalled = true;
			const first = trigger.deliver(body);
			await waitUntil(() => api.reads.length >= 1, 'the first confirming read');
			const repeat = await trigger.deliver(body);
			expect(repeat.status).toBe(503);
			expect(repeat.items).toBeUndefined();

			const firstAnswer = await first;
			expect(firstAnswer.status).toBe(503);
			expect(firstAnswer.items).toBeUndefined();
			expect(api.reads.length).toBeLessThanOrEqual(3);
			// Cut short by the deadline, not answered (the server learns of it when the socket closes).
			await waitUntil(() => api.reads.at(-1)?.aborted === true, 'the last read cut short');

			// EvoLink's next attempt, the API answering again: the workflow starts.
			api.stalled = false;
			const later = await trigger.deliver(body);
			expect(later.status).toBe(200);
			expect(later.items?.[0].json).toMatchObject({ taskId: task.id, status: 'completed' });
		} finally {
			await api.close();
		}
	});

	test('a Max Download Size an expression makes invalid: activation names it; a callback starts the workflow with that error, not a 500', async () => {
		const trigger = createTrigger({
			output: 'binaryPerImage',
			options: { maxDownloadMB: '={{ 0 }}' },
		});
		await expect(trigger.checkExists()).rejects.toThrow(/Max Download Size \(MB\)/);
		const task = await finishedTask();
		const answer = await trigger.deliver(await apiTask(task.id));
		expect(answer.status).toBe(200);
		expect(answer.items).toHaveLength(1);
		expect(answer.items?.[0].json).toMatchObject({ taskId: task.id, status: 'completed' });
		expect(answer.items?.[0].json.error).toMatch(/Max Download Size \(MB\)/);
		expect(answer.items?.[0].binary).toBeUndefined();
	});

	test('an API outage: the held credential is read again once, not for every callback', async () => {
		const tasks = await finishedTasks(3);
		const unreachable = { ...suite.credentials.seedreamApi, baseUrl: 'http://127.0.0.1:1' };
		const trigger = createTrigger({ output: 'urls' }, { credentials: unreachable });
		for (const task of tasks) {
			expect((await trigger.deliver(await apiTask(task.id))).status).toBe(503);
		}
		// Loaded by the first callback; read again once by the second (the base URL may have been edited).
		expect(trigger.credentialLoads).toBe(2);
	});

	test('activation refuses a hand-set URL token that is too short', async () => {
		await expect(createTrigger({ token: 'short' }).checkExists()).rejects.toThrow(
			/URL Token: set at least 16/,
		);
		await expect(
			createTrigger({ token: 'a-long-enough-random-token_0123' }).checkExists(),
		).resolves.toBe(true);
		await expect(createTrigger().checkExists()).resolves.toBe(true);
	});

	test("Generate with the trigger's URL: its callback, sent twice, starts it once", async () => {
		const trigger = createTrigger({ output: 'urls' });
		/** @type {any[][]} */
		const started = [];
		let attempts = 0;
		// The trigger's URL on 127.0.0.1. The first answer is lost on the way back (500 to the API
		// after the trigger ran), so the API sends the callback again (docs/evolink-api.md §4).
		const server = createServer(async (req, res) => {
			const chunks = [];
			for await (const chunk of req) chunks.push(chunk);
			const answer = await trigger.deliver(JSON.parse(Buffer.concat(chunks).toString('utf8')));
			if (answer.items) started.push(answer.items);
			attempts++;
			res.writeHead(attempts === 1 ? 500 : answer.status, { 'content-type': 'application/json' });
			res.end(JSON.stringify(answer.body ?? {}));
		});
		await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
		try {
			const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
			const result = await suite.run({
				...GENERATE,
				waitMode: 'dontWait',
				options: { callbackUrl: `http://127.0.0.1:${port}/webhook/${trigger.node.webhookId}` },
			});
			expect(result.status).toBe('success');
			// The emulator logs a delivery once it has the answer, after this server counted the attempt.
			await waitUntil(
				async () => attempts >= 2 && (await suite.emulator.control.callbacks()).length >= 2,
				'the second callback delivery',
			);
			const callbacks = await suite.emulator.control.callbacks();
			expect(callbacks.map((/** @type {any} */ c) => c.status)).toEqual([500, 200]);
			expect(started).toHaveLength(1);
			expect(started[0][0].json).toMatchObject({
				taskId: result.output('Seedream')[0].json.taskId,
				status: 'completed',
			});
		} finally {
			await new Promise((resolve) => server.close(resolve));
		}
	});
});
