// @ts-check
/**
 * The local EvoLink emulator: one port serves the API (/v1/...), the Files API (/api/v1/files/...), the
 * content (result images, uploaded files) and the control surface (/__emulator/...).
 * `startEmulator(options)`; the command line is emulator/cli.mjs. See emulator/README.md.
 */
import http from 'node:http';
import { Clock } from './clock.mjs';
import { ApiError, TooLarge, bearerKey, findRoute, maskKey, newRequestId } from './http.mjs';
import { API_ROUTES } from './api.mjs';
import { Ledger } from './ledger.mjs';
import { Tasks } from './tasks.mjs';
import { Faults, answerAfterRoute, answerBeforeRoute } from './faults.mjs';
import { Callbacks } from './callbacks.mjs';
import { Files } from './files.mjs';
import { ImageCache } from './images.mjs';
import { checkReferences } from './references.mjs';
import { controlRoutes } from './control.mjs';
import {
	CALLBACK_RETRY_DELAYS_MS,
	CALLBACK_TIMEOUT_MS,
	DEFAULT_CREDITS,
	FILES_MAX_PER_KEY,
} from './limits.mjs';
import { LAYERIZE_DEFAULT_LAYERS, initialPrices } from './models.mjs';

/** Entries kept in the request log. */
const LOG_LIMIT = 10_000;

/**
 * @typedef {{ port: number, host: string, keys: string[], taskMs: number, allowInsecureCallbacks: boolean, credits: number, quiet: boolean,
 *   layerizeEstimatedSeconds: number | null, maxFiles: number }} EmulatorOptions
 * @typedef {{ taskMs: number, taskMsQueue: number[], maxConcurrentTasks: number | null, allowInsecureCallbacks: boolean,
 *   callbackTimeoutMs: number, callbackRetryDelaysMs: number[], maxFiles: number,
 *   prices: Record<string, import('./tasks.mjs').Price>, layerizeLayers: number,
 *   layerizeEstimatedSeconds: number | null }} EmulatorConfig
 * @typedef {ReturnType<typeof createState>} EmulatorState
 * @typedef {import('./http.mjs').Reply} Reply
 */

/** @param {EmulatorOptions} options */
function createState(options) {
	const clock = new Clock();
	/** @returns {EmulatorConfig} */
	const initialConfig = () => ({
		taskMs: options.taskMs,
		taskMsQueue: [],
		maxConcurrentTasks: null,
		allowInsecureCallbacks: options.allowInsecureCallbacks,
		callbackTimeoutMs: CALLBACK_TIMEOUT_MS,
		callbackRetryDelaysMs: [...CALLBACK_RETRY_DELAYS_MS],
		maxFiles: options.maxFiles,
		prices: initialPrices(),
		layerizeLayers: LAYERIZE_DEFAULT_LAYERS,
		// null: the documented ~120 s (docs/evolink-seedream-5.md §4); a demo or a test of pollers sets it near its
		// task duration (--layerize-estimated-seconds), which a reset keeps.
		layerizeEstimatedSeconds: options.layerizeEstimatedSeconds,
	});
	const config = initialConfig();
	const ledger = new Ledger(() => clock.now());
	const faults = new Faults();
	const callbacks = new Callbacks({ config, clock });
	const baseUrl = () => state.url;
	const closing = new AbortController();
	const seedKeys = () => {
		for (const key of options.keys) ledger.addKey(key, { credits: options.credits });
	};
	const state = {
		options,
		url: '',
		closed: false,
		closing,
		clock,
		config,
		ledger,
		faults,
		callbacks,
		// EVOLINK_EMULATOR_IMAGE_CACHE_MB: room for more rendered images (the bench serves ~1000 callbacks' worth).
		images: new ImageCache(
			Number(process.env.EVOLINK_EMULATOR_IMAGE_CACHE_MB || 256) * 1024 * 1024,
		),
		files: new Files({ now: () => clock.now(), baseUrl, config }),
		/** @type {Record<string, any>[]} */
		requests: [],
		seq: 0,
		tasks: new Tasks({
			clock,
			ledger,
			config,
			takeTaskFault: (type) => faults.takeTaskFault(type),
			// Reference downloads in flight are aborted on close, so nothing outlives the emulator.
			checkReferences: (urls, rules, { pixels }) =>
				checkReferences(urls, rules, { signal: closing.signal, pixels }),
			baseUrl,
			onTerminal: (task) => {
				// A task from before a reset or close must not call anyone back.
				if (state.closed || state.tasks.byId.get(task.id) !== task || !task.request.callbackUrl)
					return;
				callbacks.deliver(task.id, task.request.callbackUrl, state.tasks.view(task));
			},
		}),
		/** `POST /__emulator/reset`: everything back to the start values. */
		reset() {
			state.tasks.reset();
			state.callbacks.reset();
			state.files.reset();
			state.images.clear();
			state.faults.clear();
			state.requests = [];
			state.seq = 0;
			clock.clear();
			clock.offsetMs = 0;
			ledger.accounts.clear();
			seedKeys();
			// Mutate in place: tasks, callbacks and files hold this object. applyConfig admits only the fields
			// initialConfig() has, so assigning those restores every one.
			Object.assign(config, initialConfig());
		},
	};
	seedKeys();
	return state;
}

/**
 * @param {EmulatorState} state
 * @param {import('./http.mjs').Route<http.IncomingMessage>[]} control
 * @param {http.IncomingMessage} req
 * @param {http.ServerResponse} res
 */
async function handle(state, control, req, res) {
	res.setHeader('x-request-id', newRequestId());
	const url = new URL(req.url ?? '/', 'http://emulator');
	const path = url.pathname;
	const method = req.method ?? 'GET';

	if (path.startsWith('/__emulator/')) {
		try {
			const found = findRoute(control, method, path);
			if (!found || 'allowed' in found)
				throw new ApiError(404, 'not_found', `No control endpoint ${method} ${path}`);
			send(res, method, await found.handler(req, found.params));
		} catch (error) {
			send(res, method, errorReply(state, error, path));
		}
		return;
	}

	const key = bearerKey(req);
	/** @type {Record<string, any>} */
	const entry = {
		seq: ++state.seq,
		time: new Date(state.clock.now()).toISOString(),
		method,
		path,
		query: Object.fromEntries(url.searchParams),
		key: maskKey(key),
		headers: {
			...req.headers,
			...(req.headers.authorization ? { authorization: `Bearer ${maskKey(key)}` } : {}),
		},
		body: null,
		status: null,
	};
	state.requests.push(entry);
	// A demo left polling for hours must not grow without bound: keep the most recent requests.
	if (state.requests.length > LOG_LIMIT)
		state.requests.splice(0, state.requests.length - LOG_LIMIT);

	/** @type {Reply} */
	let reply;
	/** @type {import('./faults.mjs').FaultAction | undefined} */
	let fault;
	try {
		fault = state.faults.take(method, path);
		if (fault) {
			entry.fault = fault.type;
			const instead = await answerBeforeRoute(fault);
			if (instead === 'drop') {
				req.socket.destroy();
				return;
			}
			if (instead) {
				reply = instead;
				return;
			}
		}
		const found = findRoute(API_ROUTES, method, path);
		if (!found) throw new ApiError(404, 'not_found', `No route ${method} ${path}`);
		if ('allowed' in found) {
			throw new ApiError(405, 'method_not_allowed', `${method} is not allowed on ${path}`, {
				type: 'invalid_request_error',
				headers: { allow: found.allowed.join(', ') },
			});
		}
		reply = await found.handler({ req, entry, state }, found.params);
		if (fault) reply = answerAfterRoute(fault, reply);
	} catch (error) {
		reply = errorReply(state, error, path);
	} finally {
		// @ts-ignore reply is set on every path that answers
		if (reply) {
			entry.status = reply.status;
			if (reply.taskId) entry.taskId = reply.taskId;
			send(res, method, reply);
		}
		// The CLI logs one line per request for demos; the key is masked like everywhere else.
		if (!state.options.quiet) {
			const outcome = entry.status ?? 'dropped';
			const fault = entry.fault ? ` fault=${entry.fault}` : '';
			console.log(
				`${entry.time} ${method} ${path} ${outcome}${entry.key ? ` key=${entry.key}` : ''}${entry.taskId ? ` ${entry.taskId}` : ''}${fault}`,
			);
		}
	}
}

/**
 * §5 body for the API; `{success:false, code, msg}` for the Files API (§7).
 * @param {EmulatorState} state @param {unknown} error @param {string} path @returns {Reply}
 */
function errorReply(state, error, path) {
	let apiError = error;
	if (error instanceof TooLarge) apiError = new ApiError(413, 'request_too_large', error.message);
	if (!(apiError instanceof ApiError)) {
		if (!state.options.quiet) console.error('emulator: internal error', error);
		apiError = new ApiError(500, 'internal_error', 'Internal emulator error');
	}
	const e = /** @type {ApiError} */ (apiError);
	const body = path.startsWith('/api/v1/files/')
		? { success: false, code: e.status, msg: e.message }
		: e.body();
	return { status: e.status, json: body, headers: e.headers };
}

/** @param {http.ServerResponse} res @param {string} method @param {Reply} reply */
function send(res, method, reply) {
	if (res.headersSent || res.destroyed) return;
	const payload = reply.raw ?? JSON.stringify(reply.json);
	const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8');
	res.writeHead(reply.status, {
		'content-type': 'application/json; charset=utf-8',
		...reply.headers,
		'content-length': bytes.length,
	});
	res.end(method === 'HEAD' ? undefined : bytes);
}

/**
 * Starts an emulator. Resolves when it listens.
 * @param {Partial<EmulatorOptions>} [options]
 * @returns {Promise<{ url: string, port: number, close(): Promise<void> }>}
 */
export async function startEmulator(options = {}) {
	/** @type {EmulatorOptions} */
	const opts = {
		port: 0,
		host: '127.0.0.1',
		keys: ['sk-emulator-demo'],
		taskMs: 3000,
		allowInsecureCallbacks: false,
		credits: DEFAULT_CREDITS,
		quiet: true,
		layerizeEstimatedSeconds: null,
		maxFiles: FILES_MAX_PER_KEY,
		...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
	};
	const state = createState(opts);
	const control = controlRoutes(state);
	const server = http.createServer((req, res) => {
		handle(state, control, req, res).catch((error) => {
			if (!opts.quiet) console.error('emulator: unhandled', error);
			res.destroy();
		});
	});
	// Node closes idle keep-alive sockets after 5 s, about when clients (undici: the server's hint − 1 s) stop
	// reusing them; on a loaded machine a client can send on a socket the server is closing (ECONNRESET, seen
	// once in test/nodes under load). Idle sockets outlive the clients' own timeout by a wide margin instead,
	// as behind a load balancer; close() still ends them all at once.
	server.keepAliveTimeout = 65_000;
	server.headersTimeout = 66_000;
	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(opts.port, opts.host, () => resolve(undefined));
	});
	const address = /** @type {import('node:net').AddressInfo} */ (server.address());
	const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
	state.url = `http://${host}:${address.port}`;
	/** @type {Promise<void> | undefined} */
	let closed;
	return {
		url: state.url,
		port: address.port,
		close() {
			closed ??= new Promise((resolve) => {
				state.closed = true;
				state.closing.abort();
				state.tasks.reset();
				state.callbacks.stop();
				state.clock.clear();
				server.close(() => resolve(undefined));
				server.closeAllConnections();
			});
			return closed;
		},
	};
}
