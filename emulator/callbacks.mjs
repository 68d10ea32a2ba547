// @ts-check
/**
 * Callbacks (§4): POST the task JSON to callback_url when it ends; any 2xx is success, otherwise retry
 * after 1, 2 and 4 s (at most 3 retries), with a 10 s timeout per attempt. Every attempt is recorded.
 */
import http from 'node:http';
import https from 'node:https';

/**
 * Retries are timers on the emulator's clock, so a test can advance it to the next attempt and read the schedule
 * exactly: `dueAt` (when the attempt was due) minus the previous attempt's `answeredAt` is its delay.
 * @typedef {{ taskId: string, url: string, attempt: number, status: number | string, dueAt: string, sentAt: string,
 *   answeredAt: string, durationMs: number, body: unknown }} Delivery
 * @typedef {{ now: () => number, at: (time: number, fn: () => void) => () => void }} CallbackClock
 */

export class Callbacks {
	/**
	 * @param {{ config: { callbackTimeoutMs: number, callbackRetryDelaysMs: number[] }, clock: CallbackClock }} deps
	 */
	constructor(deps) {
		this.deps = deps;
		/** @type {Delivery[]} */
		this.log = [];
		/** Cancels of pending retries. @type {Set<() => void>} */
		this.timers = new Set();
		/** @type {Set<http.ClientRequest>} */
		this.requests = new Set();
	}

	/** Starts delivering; returns at once. @param {string} taskId @param {string} url @param {unknown} body */
	deliver(taskId, url, body) {
		// The schedule is read now, so a config change affects later tasks, not one half-way through.
		const delays = [...this.deps.config.callbackRetryDelaysMs];
		const timeoutMs = this.deps.config.callbackTimeoutMs;
		const payload = JSON.stringify(body);
		const { clock } = this.deps;
		const attempt = async (/** @type {number} */ number, /** @type {number} */ dueAt) => {
			const started = Date.now();
			const sentAt = new Date(clock.now()).toISOString();
			const status = await this.#post(url, payload, timeoutMs);
			const answeredAt = clock.now();
			this.log.push({
				taskId,
				url,
				attempt: number,
				status,
				dueAt: new Date(dueAt).toISOString(),
				sentAt,
				answeredAt: new Date(answeredAt).toISOString(),
				durationMs: Date.now() - started,
				body,
			});
			const ok = typeof status === 'number' && status >= 200 && status < 300;
			if (ok || number > delays.length) return;
			const nextDue = answeredAt + delays[number - 1];
			const cancel = clock.at(nextDue, () => {
				this.timers.delete(cancel);
				void attempt(number + 1, nextDue);
			});
			this.timers.add(cancel);
		};
		void attempt(1, clock.now());
	}

	/**
	 * What may still reach a receiver: retries waiting for the clock, attempts on the wire. Both 0 means no
	 * callback is sent until a task ends again, which a test can check without sleeping.
	 */
	pending() {
		return { scheduled: this.timers.size, inFlight: this.requests.size };
	}

	/** Stops pending retries and attempts in flight (reset, close). */
	stop() {
		for (const cancel of this.timers) cancel();
		this.timers.clear();
		for (const request of this.requests) request.destroy();
		this.requests.clear();
	}

	reset() {
		this.stop();
		this.log = [];
	}

	/**
	 * One attempt: the HTTP status, or an error string (`timeout`, `ECONNREFUSED`, ...).
	 * @param {string} url @param {string} payload @param {number} timeoutMs
	 * @returns {Promise<number | string>}
	 */
	#post(url, payload, timeoutMs) {
		return new Promise((resolve) => {
			const target = new URL(url);
			const client = target.protocol === 'https:' ? https : http;
			// agent: false, so no keep-alive socket outlives the emulator.
			const request = client.request(target, {
				method: 'POST',
				agent: false,
				headers: {
					'content-type': 'application/json',
					'content-length': Buffer.byteLength(payload),
					'user-agent': 'EvoLink-Emulator-Callback/1.0',
				},
			});
			this.requests.add(request);
			let settled = false;
			const done = (/** @type {number | string} */ result) => {
				if (settled) return;
				settled = true;
				clearTimeout(timer);
				this.requests.delete(request);
				resolve(result);
			};
			const timer = setTimeout(() => {
				request.destroy();
				done('timeout');
			}, timeoutMs);
			timer.unref();
			request.on('response', (response) => {
				response.resume();
				response.on('end', () => done(response.statusCode ?? 0));
				response.on('error', () => done(response.statusCode ?? 0));
			});
			request.on('error', (error) => done(/** @type {any} */ (error).code ?? error.message));
			request.end(payload);
		});
	}
}
