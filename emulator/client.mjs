// @ts-check
/**
 * The one client of the emulator's control surface (`/__emulator/...`, README "Control surface"): the tests (in
 * process or against an emulator beside real n8n), the bench and the e2e support all use it. Each call takes a
 * fresh connection (agent: false): a kept-alive one can be closed by the server just as a long step reuses it.
 */
import { request } from 'node:http';

/**
 * @typedef {{ seq: number, time: string, method: string, path: string, status: number | null, taskId?: string,
 *   fault?: string, key?: string, headers?: Record<string, any>, query?: Record<string, string>, body?: any }} EmulatorRequest
 * @typedef {{ method?: string, path?: string } | ((request: EmulatorRequest) => boolean)} RequestFilter
 *   method, or a path prefix; or a predicate
 */

/** Lists come bare or wrapped in an object ({ requests: [...] }); callers want the array. @param {any} body @param {string} field */
const listOf = (body, field) => (Array.isArray(body) ? body : (body?.[field] ?? []));

export class EmulatorClient {
	/** @param {string} url the emulator's base URL */
	constructor(url) {
		this.url = url.replace(/\/+$/, '');
	}

	/**
	 * One control request, whatever its status (the emulator's own tests look at refusals).
	 * @param {string} method @param {string} path under /__emulator/, without the leading slash
	 * @param {unknown} [body] @returns {Promise<{ status: number, json: any, text: string }>}
	 */
	send(method, path, body) {
		const payload = body === undefined ? undefined : JSON.stringify(body);
		const headers =
			payload === undefined
				? {}
				: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
		return new Promise((resolve, reject) => {
			const req = request(`${this.url}/__emulator/${path.replace(/^\/+/, '')}`, {
				method,
				agent: false,
				headers,
			});
			req.once('error', reject);
			req.once('response', (res) => {
				/** @type {Buffer[]} */
				const chunks = [];
				res.on('data', (chunk) => chunks.push(chunk));
				res.once('error', reject);
				res.once('end', () => {
					const text = Buffer.concat(chunks).toString('utf8');
					let json;
					try {
						json = text ? JSON.parse(text) : undefined;
					} catch {
						json = undefined;
					}
					resolve({ status: res.statusCode ?? 0, json, text });
				});
			});
			req.end(payload);
		});
	}

	/** A control request that must succeed; resolves to its JSON. @param {string} method @param {string} path @param {unknown} [body] */
	async call(method, path, body) {
		const { status, json, text } = await this.send(method, path, body);
		if (status >= 400)
			throw new Error(`Emulator ${method} /__emulator/${path} answered ${status}: ${text}`);
		return json;
	}

	/** Everything back to the start values (tasks, files, request log, config, keys). */
	reset() {
		return this.call('POST', 'reset');
	}

	/** Changes settings (e.g. taskMs, taskMsQueue) until changed again; without settings, reads them. @param {Record<string, unknown>} [settings] */
	config(settings) {
		return settings === undefined
			? this.call('GET', 'config')
			: this.call('POST', 'config', settings);
	}

	/** @param {{ key: string, credits?: number, models?: string[] }} key */
	keys(key) {
		return this.call('POST', 'keys', key);
	}

	/** @param {Record<string, unknown>} fault { method?, path?, times?, action } */
	fault(fault) {
		return this.call('POST', 'faults', fault);
	}

	/** Fails the next created task(s) with a task error code (docs/evolink-api.md §3). @param {string} code */
	failNextTask(code, times = 1) {
		return this.fault({ action: { type: 'taskError', code }, times });
	}

	clearFaults() {
		return this.call('DELETE', 'faults');
	}

	/** @param {number} ms */
	advanceClock(ms) {
		return this.call('POST', 'clock', { advanceMs: ms });
	}

	/**
	 * Every non-control request the emulator received, oldest first.
	 * @param {RequestFilter} [filter] @returns {Promise<EmulatorRequest[]>}
	 */
	async requests(filter) {
		/** @type {EmulatorRequest[]} */
		const requests = listOf(await this.call('GET', 'requests'), 'requests');
		if (typeof filter === 'function') return requests.filter(filter);
		return requests.filter(
			(request) =>
				(!filter?.method || request.method === filter.method.toUpperCase()) &&
				(!filter?.path || request.path.startsWith(filter.path)),
		);
	}

	/** Requests logged after `seq` (the log is shared by everything that uses this emulator). @param {number} seq */
	async requestsSince(seq) {
		return (await this.requests()).filter((r) => r.seq > seq);
	}

	/** The seq of the last logged request (0 when none), to pass to requestsSince later. */
	async lastSeq() {
		return (await this.requests()).at(-1)?.seq ?? 0;
	}

	/** @returns {Promise<Record<string, any>[]>} */
	async tasks() {
		return listOf(await this.call('GET', 'tasks'), 'tasks');
	}

	/** Callback attempts the emulator made (task, status, sentAt). @returns {Promise<Record<string, any>[]>} */
	async callbacks() {
		return listOf(await this.call('GET', 'callbacks'), 'callbacks');
	}

	ledger() {
		return this.call('GET', 'ledger');
	}

	/** Fields received that the model does not list (docs/evolink-seedream-5.md §7), per request. @returns {Promise<Record<string, any>[]>} */
	async ignoredFields() {
		const body = await this.call('GET', 'ignored-fields');
		return Array.isArray(body) ? body : (body.requests ?? body.entries ?? []);
	}
}
