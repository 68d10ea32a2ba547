// @ts-check
/**
 * The emulator's clock: real time plus an offset that `POST /__emulator/clock` moves forward (spec §8),
 * so tests can make result URLs (24 h) and files (72 h) expire. Timers run on this clock, so an advance
 * also brings due task transitions forward.
 */

/** @typedef {{ time: number, fn: () => void | Promise<void>, handle?: NodeJS.Timeout }} Timer */

export class Clock {
	constructor() {
		this.offsetMs = 0;
		/** @type {Set<Timer>} */
		this.timers = new Set();
	}

	now() {
		return Date.now() + this.offsetMs;
	}

	/**
	 * Runs `fn` when the emulator clock reaches `time`. Returns a cancel function.
	 * @param {number} time
	 * @param {() => void | Promise<void>} fn
	 */
	at(time, fn) {
		/** @type {Timer} */
		const timer = { time, fn };
		this.timers.add(timer);
		this.#arm(timer);
		return () => {
			clearTimeout(timer.handle);
			this.timers.delete(timer);
		};
	}

	/**
	 * Moves the clock and runs what became due, in time order, before it resolves: re-armed with
	 * setTimeout(0) they would fire only after the control call had answered, so a test reading tasks right
	 * after an advance could still see them pending.
	 * @param {number} ms
	 */
	async advance(ms) {
		this.offsetMs += ms;
		for (;;) {
			const now = this.now();
			const due = [...this.timers].filter((t) => t.time <= now).sort((a, b) => a.time - b.time)[0];
			if (!due) break;
			clearTimeout(due.handle);
			this.timers.delete(due);
			await due.fn();
		}
		for (const timer of this.timers) this.#arm(timer);
	}

	/** Cancels every timer (reset and close must leave nothing running). */
	clear() {
		for (const timer of this.timers) clearTimeout(timer.handle);
		this.timers.clear();
	}

	/** @param {Timer} timer */
	#arm(timer) {
		clearTimeout(timer.handle);
		const delay = Math.max(0, timer.time - this.now());
		timer.handle = setTimeout(() => {
			if (this.timers.delete(timer)) timer.fn();
		}, delay);
		// The listening server keeps a CLI process alive; tests must be able to exit without close().
		timer.handle.unref();
	}
}

/** Unix seconds of an emulator time. */
export const unixSeconds = (/** @type {number} */ ms) => Math.floor(ms / 1000);

/**
 * ISO 8601 in China Standard Time, the form of the Files API example (§7: "2025-10-09T00:00:00+08:00").
 * @param {number} ms
 */
export function isoBeijing(ms) {
	return new Date(ms + 8 * 3600 * 1000).toISOString().replace(/\.\d{3}Z$/, '+08:00');
}
