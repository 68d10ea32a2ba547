// @ts-check
// The emulator's control surface (/__emulator/, emulator/README.md), for tests that need a fault or want to
// see what the node sent.

export class EmulatorControl {
	/** @param {string} url */
	constructor(url) {
		this.url = url;
	}

	/** @param {string} method @param {string} path @param {unknown} [body] */
	async call(method, path, body) {
		const response = await fetch(`${this.url}/__emulator/${path}`, {
			method,
			headers: body === undefined ? {} : { 'content-type': 'application/json' },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await response.text();
		if (!response.ok) throw new Error(`emulator ${method} ${path} -> ${response.status}: ${text}`);
		return text ? JSON.parse(text) : {};
	}

	/** Fails the next created task(s) with a task error code (docs/evolink-api.md §3). @param {string} code @param {number} [times] */
	failNextTask(code, times = 1) {
		return this.call('POST', 'faults', { action: { type: 'taskError', code }, times });
	}

	clearFaults() {
		return this.call('DELETE', 'faults');
	}

	/** @returns {Promise<Record<string, any>[]>} */
	requests() {
		return this.call('GET', 'requests');
	}

	/**
	 * Requests logged after `seq` (the log is shared by every test that uses this emulator).
	 * @param {number} seq @returns {Promise<Record<string, any>[]>}
	 */
	async requestsSince(seq) {
		return (await this.requests()).filter((r) => r.seq > seq);
	}

	/** The seq of the last logged request (0 when none), to pass to requestsSince later. @returns {Promise<number>} */
	async lastSeq() {
		return (await this.requests()).at(-1)?.seq ?? 0;
	}

	/** @returns {Promise<Record<string, any>[]>} */
	tasks() {
		return this.call('GET', 'tasks');
	}

	/** Callback attempts the emulator made (task, status, sentAt). @returns {Promise<Record<string, any>[]>} */
	callbacks() {
		return this.call('GET', 'callbacks');
	}

	/** Changes the emulator's settings (e.g. taskMs, taskMsQueue) until changed again. @param {Record<string, unknown>} settings */
	config(settings) {
		return this.call('POST', 'config', settings);
	}
}
