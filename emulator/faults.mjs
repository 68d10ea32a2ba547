// @ts-check
/**
 * Injected faults (§8): answer a status (429 with Retry-After, 5xx), drop the connection, delay, send
 * broken JSON; or shape the next created tasks: fail them with a task error code, or have them report
 * `completed` with empty `results` for a while (§3 says to tolerate that).
 */
import { defaultError, invalid } from './http.mjs';

/**
 * @typedef {{ type: 'status', status: number, retryAfter?: number, body?: unknown }
 *   | { type: 'drop' } | { type: 'delay', ms: number } | { type: 'malformed', afterProcessing?: boolean }
 *   | { type: 'taskError', code: string, message?: string } | { type: 'lateResults', ms: number }} FaultAction
 * @typedef {{ id: number, method?: string, path?: string, times: number, action: FaultAction }} Fault
 */

const ACTIONS = ['status', 'drop', 'delay', 'malformed', 'taskError', 'lateResults'];
const TASK_ACTIONS = ['taskError', 'lateResults'];

export class Faults {
	constructor() {
		/** @type {Fault[]} */
		this.list = [];
		this.nextId = 1;
	}

	/** @param {Record<string, any>} body */
	add(body) {
		const action = body.action;
		if (!action || !ACTIONS.includes(action.type)) {
			throw invalid('action', `action.type must be one of ${ACTIONS.join(', ')}`);
		}
		if (
			action.type === 'status' &&
			!(Number.isInteger(action.status) && action.status >= 100 && action.status <= 599)
		) {
			throw invalid('action', 'action.status must be an HTTP status');
		}
		if ((action.type === 'delay' || action.type === 'lateResults') && !(Number(action.ms) >= 0)) {
			throw invalid('action', 'action.ms must be a number of milliseconds');
		}
		if (action.type === 'taskError' && typeof action.code !== 'string') {
			throw invalid('action', 'action.code must be a task error code');
		}
		if (body.times !== undefined && !(Number.isInteger(body.times) && body.times >= 1)) {
			throw invalid('times', 'times must be an integer ≥ 1');
		}
		/** @type {Fault} */
		const fault = {
			id: this.nextId++,
			method: body.method ? String(body.method).toUpperCase() : undefined,
			path: body.path ? String(body.path) : undefined,
			times: body.times ?? 1,
			action,
		};
		this.list.push(fault);
		return fault;
	}

	clear() {
		this.list = [];
	}

	/**
	 * The first request fault matching a request, consumed once.
	 * @param {string} method @param {string} path
	 */
	take(method, path) {
		const fault = this.list.find(
			(f) =>
				!TASK_ACTIONS.includes(f.action.type) &&
				(!f.method || f.method === method) &&
				(!f.path || path.startsWith(f.path)),
		);
		return fault ? this.#consume(fault) : undefined;
	}

	/**
	 * A task fault of this type for a newly created task, consumed once; method and path do not apply.
	 * @template {'taskError' | 'lateResults'} T
	 * @param {T} type
	 * @returns {Extract<FaultAction, { type: T }> | null}
	 */
	takeTaskFault(type) {
		const fault = this.list.find((f) => f.action.type === type);
		return fault ? /** @type {any} */ (this.#consume(fault)) : null;
	}

	/** @param {Fault} fault */
	#consume(fault) {
		fault.times -= 1;
		if (fault.times <= 0) this.list.splice(this.list.indexOf(fault), 1);
		return fault.action;
	}
}

/**
 * What a request fault answers before the route runs: `'drop'` (the connection is closed unanswered), a reply sent
 * instead of the route's, or nothing once a delay has passed (the route then answers).
 * @param {FaultAction} fault @returns {Promise<'drop' | import('./http.mjs').Reply | undefined>}
 */
export async function answerBeforeRoute(fault) {
	if (fault.type === 'drop') return 'drop';
	if (fault.type === 'malformed' && !fault.afterProcessing) {
		return {
			status: 200,
			raw: '{"id":"task-unified-',
			headers: { 'content-type': 'application/json' },
		};
	}
	if (fault.type === 'status') {
		/** @type {Record<string, string>} */
		const headers =
			fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {};
		return { status: fault.status, json: fault.body ?? defaultError(fault.status).body(), headers };
	}
	if (fault.type === 'delay') await sleep(fault.ms);
	return undefined;
}

/**
 * The route's reply as a fault leaves it: `malformed` after processing cuts the answer short, though the request
 * did its work (a task made, a charge reserved).
 * @param {FaultAction} fault @param {import('./http.mjs').Reply} reply @returns {import('./http.mjs').Reply}
 */
export function answerAfterRoute(fault, reply) {
	if (fault.type !== 'malformed' || !fault.afterProcessing) return reply;
	const { json, ...rest } = reply;
	return { ...rest, raw: JSON.stringify(json ?? null).slice(0, 20) };
}

const sleep = (/** @type {number} */ ms) =>
	new Promise((resolve) => {
		setTimeout(resolve, ms).unref();
	});
