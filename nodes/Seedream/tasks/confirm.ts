/**
 * The one policy for a received callback (docs/evolink-api.md §4), used by the trigger and by the resume webhook
 * of Wait for the Callback.
 *
 * Callbacks are not signed, so only the API's own answer counts: the task is read with the credential and what
 * the workflow gets is that task, never the body's URLs. Any non-2xx answer makes EvoLink send the callback
 * again (after 1, 2 and 4 s), so a confirmation that failed for a passing reason (the API down, rate-limited,
 * unreachable, or the credential unable to read the task) is answered 503 and logged, never 200-and-dropped. A
 * task the API does not know, or reports as not (yet) ended, is refused and starts nothing.
 */

import type { IWebhookFunctions } from 'n8n-workflow';
import { isTaskId, isTaskShaped } from '../helpers/taskShape';
import { resultsMax } from '../models';
import { isInternalHost, parseUrl } from '../helpers/validate';
import { getTask, type Deadline } from '../transport';
import { waitForTask, EMPTY_RESULTS_GRACE_MS } from './wait';
import { isTerminal, resultUrls, type SeedreamTask } from './task';

/** The answer that makes EvoLink retry its callback. */
export const CALLBACK_RETRY_STATUS = 503;

/**
 * EvoLink waits 10 s for an answer (docs/evolink-api.md §4). The whole confirmation (credential reads, every
 * attempt and redirect) ends CONFIRM_DEADLINE_MS after the callback arrived, each attempt within 4 s, so the
 * answer (503 at worst, and EvoLink tries again) always goes out in time.
 */
export const CONFIRM_DEADLINE_MS = 8000;
const CONFIRM_ATTEMPT_MS = 4000;

/** The deadline of a callback's confirmation: taken when the callback arrives, before any other work. */
export function confirmDeadline(): Deadline {
	return { at: Date.now() + CONFIRM_DEADLINE_MS, attemptMs: CONFIRM_ATTEMPT_MS };
}

export type CallbackVerdict =
	| { accepted: true; task: SeedreamTask }
	| { accepted: false; status: number; message: string };

/** A body that can be a callback at all: a task ID of the API's form and a terminal status. */
export function isCallbackShaped(body: unknown): body is SeedreamTask {
	return isTaskShaped(body) && body.id.length <= 200 && isTaskId(body.id) && isTerminal(body);
}

/**
 * Whether a callback may start anything, and with which task. `verify: false` (the trigger's option) trusts
 * the body, but still refuses what no task can hold: more results than its model makes, or URLs to internal hosts that
 * n8n would fetch for the sender.
 */
export async function confirmCallback(
	this: IWebhookFunctions,
	reported: SeedreamTask,
	options: { verify: boolean; deadline: Deadline },
): Promise<CallbackVerdict> {
	if (!options.verify) return checkUnconfirmed(reported);
	let task: SeedreamTask;
	try {
		// Once per callback, so from this process's short-lived copy of the credential (transport/credentialCache.ts):
		// loading it in a webhook context costs n8n an expression isolate each time.
		task = await getTask.call(this, reported.id, undefined, {
			deadline: options.deadline,
			cachedCredential: true,
		});
	} catch (error) {
		const httpCode = Number((error as { httpCode?: string }).httpCode);
		if (httpCode === 404 || httpCode === 400) {
			return refuse(404, `The API does not know task ${reported.id}`);
		}
		this.logger.warn(
			`Seedream: could not confirm the callback of task ${reported.id} with the API (${(error as Error).message}); answered ${CALLBACK_RETRY_STATUS} so EvoLink sends it again`,
		);
		return refuse(CALLBACK_RETRY_STATUS, 'Could not confirm the task with the API; try again');
	}
	if (task.id !== reported.id || !isTerminal(task) || task.status !== reported.status) {
		return refuse(409, `The API does not report task ${reported.id} as ${reported.status}`);
	}
	return { accepted: true, task };
}

function checkUnconfirmed(task: SeedreamTask): CallbackVerdict {
	const listed = Array.isArray(task.results) ? task.results.length : 0;
	const count = Math.max(listed, resultUrls(task).length);
	const max = resultsMax(task.model);
	if (count > max) {
		return refuse(400, `A task holds at most ${max} results; this callback has ${count}`);
	}
	for (const url of resultUrls(task)) {
		const parsed = parseUrl(url);
		if (
			!parsed ||
			!['http:', 'https:'].includes(parsed.protocol) ||
			isInternalHost(parsed.hostname)
		) {
			return refuse(400, 'A result URL is not a public http(s) address');
		}
	}
	// Results not there yet (docs/evolink-api.md §3): without the API to read again, EvoLink's retry is the grace.
	if (task.status === 'completed' && resultUrls(task).length === 0) {
		return refuse(CALLBACK_RETRY_STATUS, 'The task has no results yet; try again');
	}
	return { accepted: true, task };
}

function refuse(status: number, message: string): CallbackVerdict {
	return { accepted: false, status, message };
}

/**
 * A confirmed task, once its results are there: a `completed` task may list none for a few seconds
 * (docs/evolink-api.md §3), the same grace polling gives. Runs after the callback was answered.
 */
export async function settledTask(
	this: IWebhookFunctions,
	task: SeedreamTask,
	options: { verify: boolean; itemIndex: number; maxWaitMs?: number },
): Promise<SeedreamTask> {
	if (!options.verify) return task;
	const maxWaitMs = Math.max(options.maxWaitMs ?? 0, EMPTY_RESULTS_GRACE_MS);
	return (await waitForTask.call(this, task, { maxWaitMs, itemIndex: options.itemIndex })).task;
}
