import type { IDataObject } from 'n8n-workflow';

/**
 * When to send a request again, and after how long: pure rules (no clock, no I/O), so they are tested on a
 * virtual clock (test/nodes/unit.test.mjs).
 *
 * - `read`: safe to send again (GET, uploads): retried on 429, 5xx, network errors and malformed answers.
 * - `create`: bills when it succeeds: retried on 429 and on refused connections (nothing was sent); after a
 *   5xx or a lost response only because it carries an Idempotency-Key, so the service replays the first task.
 */
export type RetryPolicy = 'read' | 'create';

// Retry budgets. 429s get a long budget: the service limits per model (unpublished, docs/evolink-api.md §5) and a
// busy account should slow a workflow down, never fail it. Other transient errors get a short one.
export const RATE_LIMIT_MAX_RETRIES = 30;
export const RATE_LIMIT_MAX_TOTAL_MS = 10 * 60 * 1000;
export const RETRY_AFTER_MAX_MS = 60 * 1000;
export const TRANSIENT_MAX_RETRIES = 4;
export const BACKOFF_BASE_MS = 250;
export const BACKOFF_MAX_MS = 15 * 1000;

/** Error codes of connections that never carried the request: sending again cannot create a second task. */
export const NOT_SENT_CODES = [
	'ECONNREFUSED',
	'ENOTFOUND',
	'EAI_AGAIN',
	'EHOSTUNREACH',
	'ENETUNREACH',
];

/** What came back from one attempt, as far as retrying is concerned. */
export type Outcome =
	| { kind: 'network'; code: string }
	/** A 2xx whose body is not what the endpoint answers (cut short, not JSON): sent again like a lost answer. */
	| { kind: 'malformed' }
	| { kind: 'status'; statusCode: number; headers: IDataObject };

/** The retries spent so far by one request. */
export class RetrySchedule {
	private rateLimitRetries = 0;
	private transientRetries = 0;

	constructor(
		private readonly policy: RetryPolicy,
		private readonly startedAt: number,
		private readonly random: () => number = Math.random,
		/** No retry starts later than this after the first attempt (a caller with a deadline of its own). */
		private readonly budgetMs = Number.POSITIVE_INFINITY,
	) {}

	/** Milliseconds to wait before the next attempt, or undefined when this outcome is final. */
	next(outcome: Outcome, now: number): number | undefined {
		const wait = this.wait(outcome, now);
		return wait !== undefined && now - this.startedAt + wait <= this.budgetMs ? wait : undefined;
	}

	private wait(outcome: Outcome, now: number): number | undefined {
		const { policy } = this;
		if (outcome.kind !== 'status') {
			const safe =
				policy === 'read' || (outcome.kind === 'network' && NOT_SENT_CODES.includes(outcome.code));
			if (!safe || this.transientRetries >= TRANSIENT_MAX_RETRIES) return undefined;
			return backoffMs(this.transientRetries++, this.random);
		}
		const { statusCode, headers } = outcome;
		if (statusCode === 429) {
			// A 429 is a refusal: nothing was created or billed, so even a create without a key may go again.
			const wait = atLeastBackoff(retryAfterMs(headers, now), this.rateLimitRetries, this.random);
			if (
				this.rateLimitRetries >= RATE_LIMIT_MAX_RETRIES ||
				now - this.startedAt + wait > RATE_LIMIT_MAX_TOTAL_MS
			) {
				return undefined;
			}
			this.rateLimitRetries++;
			return wait;
		}
		if (statusCode >= 500 && statusCode !== 501 && policy === 'read') {
			if (this.transientRetries >= TRANSIENT_MAX_RETRIES) return undefined;
			const wait = atLeastBackoff(retryAfterMs(headers, now), this.transientRetries, this.random);
			this.transientRetries++;
			return wait;
		}
		return undefined;
	}
}

/**
 * `Retry-After` is the least wait, never less than our own backoff: `Retry-After: 0` would otherwise mean no
 * pause at all (measured: 31 attempts in 100 ms).
 */
function atLeastBackoff(retryAfter: number | undefined, attempt: number, random: () => number) {
	return Math.max(retryAfter ?? 0, backoffMs(attempt, random));
}

/** `Retry-After` as seconds or an HTTP date (RFC 9110), capped so a bad header cannot stall a run. */
export function retryAfterMs(headers: IDataObject, now: number): number | undefined {
	const value = headers['retry-after'];
	if (value === undefined || value === null || value === '') return undefined;
	const seconds = Number(value);
	const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(String(value)) - now;
	if (!Number.isFinite(ms)) return undefined;
	return Math.min(Math.max(ms, 0), RETRY_AFTER_MAX_MS);
}

/** Exponential backoff with jitter, so items that were refused together do not come back together. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
	const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
	return ceiling / 2 + random() * (ceiling / 2);
}
