// @ts-check
// What the Seedream node's test files share: a harness plus an emulator per file, and workflow shortcuts.
import http from 'node:http';
import { renderPng } from '../../emulator/images.mjs';
import { startTestEmulator } from '../harness/emulator.mjs';
import { createHarness } from '../harness/index.mjs';
import { seedreamWorkflow } from '../harness/workflows.mjs';

/** Generate parameters with the cheapest size; tests override what they are about. */
export const GENERATE = Object.freeze({
	resource: 'image',
	operation: 'generate',
	prompt: 'a red bicycle against a white wall',
	sizeMode: 'preset',
	size: '1K',
});

/**
 * Starts a harness and an emulator for a test file (call in beforeAll) and resets the emulator before each
 * test (call `reset` in beforeEach).
 * @param {{ binaryMode?: 'default' | 'filesystem', engine?: 'legacy' | 'vm', taskMs?: number,
 *   allowInsecureCallbacks?: boolean, keys?: string[], imageHost?: boolean | { width: number, height: number } }} [options]
 *   imageHost: also serve a PNG on 127.0.0.1 for reference URLs (suite.imageHostUrl), 96x64 or of this size
 */
export async function startSuite({
	binaryMode = 'default',
	engine = 'legacy',
	taskMs = 300,
	allowInsecureCallbacks,
	keys,
	imageHost = false,
} = {}) {
	const harness = await createHarness({ binaryMode, engine });
	const host = imageHost
		? await startImageHost(
				...(typeof imageHost === 'object' ? [imageHost.width, imageHost.height] : []),
			)
		: undefined;
	const emulator = await startTestEmulator({ taskMs, allowInsecureCallbacks, keys });
	const credentials = { seedreamApi: emulator.credentials };

	/**
	 * @param {Record<string, unknown>} parameters
	 * @param {{ items?: any[], nodeOptions?: Record<string, unknown>, credentials?: any, executionId?: string, typeVersion?: number }} [options]
	 */
	const workflowOf = (parameters, options = {}) =>
		seedreamWorkflow(parameters, {
			nodeOptions: options.nodeOptions ?? {},
			typeVersion: options.typeVersion,
		});
	const runOptions = (/** @type {any} */ options = {}) => ({
		credentials: options.credentials ?? credentials,
		items: options.items,
		executionId: options.executionId,
	});

	return {
		harness,
		emulator,
		credentials,
		/**
		 * Runs Manual Trigger -> Seedream with these parameters (node version 1 unless `typeVersion` says).
		 * @param {Record<string, unknown>} parameters
		 * @param {{ items?: any[], nodeOptions?: Record<string, unknown>, credentials?: any, executionId?: string, typeVersion?: number }} [options]
		 */
		run: (parameters, options = {}) =>
			harness.runWorkflow(workflowOf(parameters, options), runOptions(options)),
		/** Like run, but returns { result, cancel } (n8n's Stop button). */
		start: (/** @type {Record<string, unknown>} */ parameters, /** @type {any} */ options = {}) =>
			harness.startWorkflow(workflowOf(parameters, options), runOptions(options)),
		/** Requests the node sent to the API and Files hosts (content downloads included). */
		requests: (/** @type {any} */ filter) => emulator.control.requests(filter),
		/** The ledger of this suite's key: { initial, balance, reserved, charged, entries: [{ type, taskId, credits }] }. */
		async ledger() {
			return (await emulator.control.ledger())[emulator.maskKey(emulator.key)];
		},
		/** Base URL of the image host (with imageHost); every path serves the same PNG. */
		imageHostUrl: host?.url ?? '',
		reset: () => emulator.control.reset(),
		async close() {
			await host?.close();
			await emulator.close();
			await harness.close();
		},
	};
}

/** @typedef {Awaited<ReturnType<typeof startSuite>>} Suite */

/** A real PNG of this size (the emulator's renderer). */
export async function png(width = 64, height = 64, seed = 'reference') {
	return await renderPng(width, height, seed);
}

/**
 * A plain image host on this machine, where reference URLs can point (the emulator fetches only loopback URLs).
 * Every path serves the same PNG. Returns { url, close }.
 */
async function startImageHost(width = 96, height = 64) {
	const picture = await png(width, height, 'hosted');
	const server = http.createServer((_, res) =>
		res.writeHead(200, { 'content-type': 'image/png' }).end(picture),
	);
	await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
	const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
	return {
		url: `http://127.0.0.1:${port}`,
		close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
	};
}

/**
 * Input items with one file each in binary field `data`, declared image/png whatever the bytes are (stored as
 * the harness's binary mode stores files).
 * @param {Suite} suite
 * @param {Buffer[]} files
 * @param {string} [field]
 */
export async function itemsWithFiles(suite, files, field = 'data') {
	return await Promise.all(
		files.map(async (buffer, index) => ({
			json: { index },
			binary: {
				[field]: await suite.harness.storeBinary(buffer, {
					mimeType: 'image/png',
					fileName: `ref-${index}.png`,
				}),
			},
		})),
	);
}

/**
 * Polls a condition the system under test reaches by itself (a request arriving, a callback retried) until it
 * holds. Not a timed assertion: the timeout only turns a hang into an error that names what never happened.
 * @param {() => boolean | Promise<boolean>} condition
 * @param {string} what
 * @param {number} [timeoutMs]
 */
export async function waitUntil(condition, what, timeoutMs = 20_000) {
	const deadline = Date.now() + timeoutMs;
	while (!(await condition())) {
		if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}

/** Everything a run left behind, as text: outputs, errors, run data. For "the key appears nowhere". */
export function everything(/** @type {any} */ result) {
	const error = result.error;
	return [
		JSON.stringify(result.run),
		error
			? `${error.message}\n${error.description ?? ''}\n${error.stack ?? ''}\n${JSON.stringify(error)}`
			: '',
	].join('\n');
}

/**
 * The API as a credential's base URL, in front of the emulator: it passes every request on, except that while
 * `stalled` it answers each read of a task (GET /v1/tasks/...) after `stallMs` with 307 to the same URL, the
 * slow redirect loop that kept a callback's confirmation past EvoLink's 10 s (issue 17, finding 5). `reads` lists
 * those stalled reads; `aborted` says the client gave up before the answer.
 * @param {string} target the emulator's URL
 * @param {{ stallMs?: number }} [options]
 */
export async function startStallingApi(target, { stallMs = 3000 } = {}) {
	/** @type {{ aborted: boolean }[]} */
	const reads = [];
	const api = {
		stalled: false,
		reads,
		url: '',
		/** @type {() => Promise<void>} */
		close: async () => {},
	};
	const server = http.createServer(async (req, res) => {
		const chunks = [];
		for await (const chunk of req) chunks.push(chunk);
		if (api.stalled && req.method === 'GET' && req.url?.startsWith('/v1/tasks/')) {
			const read = { aborted: false };
			reads.push(read);
			res.on('close', () => {
				if (!res.writableFinished) read.aborted = true;
			});
			const timer = setTimeout(() => {
				if (!res.destroyed) res.writeHead(307, { location: req.url }).end();
			}, stallMs);
			res.on('close', () => clearTimeout(timer));
			return;
		}
		const headers = /** @type {Record<string, string>} */ ({ ...req.headers });
		delete headers.host;
		delete headers['content-length'];
		const answer = await fetch(`${target}${req.url}`, {
			method: req.method,
			headers,
			body: chunks.length ? Buffer.concat(chunks) : undefined,
			redirect: 'manual',
		});
		const body = Buffer.from(await answer.arrayBuffer());
		res.writeHead(answer.status, {
			'content-type': answer.headers.get('content-type') ?? 'application/json',
		});
		res.end(body);
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
	const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
	api.url = `http://127.0.0.1:${port}`;
	api.close = async () => {
		const closing = new Promise((resolve) => server.close(() => resolve(undefined)));
		server.closeAllConnections();
		await closing;
	};
	return api;
}
