/**
 * A wall-clock time by which a request must be over, whatever it takes on the way: every attempt, every
 * same-origin redirect and every credential (re-)read share it. The callback's confirmation needs one
 * (tasks/confirm.ts): EvoLink waits 10 s for an answer (docs/evolink-api.md §4), and a bound per attempt alone
 * let a redirect chain or a credential re-read run past it.
 */

import { sleep } from 'n8n-workflow';

export interface Deadline {
	/** `Date.now()` by which everything has ended. */
	at: number;
	/** The most one attempt (one HTTP exchange) may take, so a stalled one leaves time for a retry. */
	attemptMs: number;
}

/** Milliseconds left before the deadline (Infinity without one). */
export function timeLeft(deadline: Deadline | undefined): number {
	return deadline ? deadline.at - Date.now() : Number.POSITIVE_INFINITY;
}

/** The error a request meets once its deadline has passed: retried like a timeout, which the budget then ends. */
export function deadlineError(): Error {
	return Object.assign(new Error('The deadline for this request passed'), { code: 'ETIMEDOUT' });
}

/** Aborts when the deadline passes (n8n's HTTP helper takes an abort signal). */
export function deadlineSignal(deadline: Deadline | undefined): AbortSignal | undefined {
	return deadline ? AbortSignal.timeout(Math.max(0, timeLeft(deadline))) : undefined;
}

/** `work`, or deadlineError once the deadline passes first (the work itself is left to finish on its own). */
export async function beforeDeadline<T>(
	work: Promise<T>,
	deadline: Deadline | undefined,
): Promise<T> {
	if (!deadline) return await work;
	const left = timeLeft(deadline);
	if (left <= 0) throw deadlineError();
	// Left to finish on its own: a late failure must not surface as an unhandled rejection.
	work.catch(() => undefined);
	const stop = new AbortController();
	const expired = sleep(left, stop.signal).then(
		() => {
			throw deadlineError();
		},
		() => undefined as never,
	);
	try {
		return await Promise.race([work, expired]);
	} finally {
		stop.abort();
	}
}
