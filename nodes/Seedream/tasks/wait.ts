/**
 * Waits for a task to end by polling `GET /v1/tasks/{id}` when the predictor (predictor.ts) says, until it
 * ends with its results or the deadline passes. Every path that meets a finished task goes through here, so
 * a `completed` task whose `results` are still empty gets the same grace everywhere.
 */

import type { IAllExecuteFunctions } from 'n8n-workflow';
import { getTask, pause } from '../transport';
import { emptyResultsError, namingTask, timeoutError } from './errors';
import { EndPredictor } from './predictor';
import { isTerminal, resultUrls, type SeedreamTask } from './task';

/** docs/evolink-api.md §3: a completed task's `results` can be empty for a few seconds on gateways of this family. */
export const EMPTY_RESULTS_GRACE_MS = 15_000;
const EMPTY_RESULTS_POLL_MS = 500;

export interface WaitOptions {
	/** Give up after this long (the task keeps running at EvoLink). */
	maxWaitMs: number;
	itemIndex?: number;
	/** When the task was submitted, on this machine's clock, if known (Generate knows; a task read back does not). */
	submittedAt?: number;
}

export interface WaitResult {
	task: SeedreamTask;
}

export async function waitForTask(
	this: IAllExecuteFunctions,
	initial: SeedreamTask,
	options: WaitOptions,
): Promise<WaitResult> {
	const { maxWaitMs, itemIndex } = options;
	const deadline = Date.now() + maxWaitMs;
	const predictor = new EndPredictor(options.submittedAt);
	let task = initial;
	let completedEmptySince: number | undefined;
	predictor.observe(task, Date.now());

	for (;;) {
		const now = Date.now();
		if (isTerminal(task)) {
			if (task.status !== 'completed' || resultUrls(task).length > 0) return { task };
			completedEmptySince ??= now;
			if (now - completedEmptySince >= EMPTY_RESULTS_GRACE_MS) {
				throw emptyResultsError(this.getNode(), task, itemIndex);
			}
		}
		if (now >= deadline) throw timeoutError(this.getNode(), task, maxWaitMs, itemIndex);

		const delay =
			completedEmptySince !== undefined ? EMPTY_RESULTS_POLL_MS : predictor.nextDelay(now);
		await pause(this, Math.min(delay, deadline - now), itemIndex, task.id);
		task = await readWhileWaiting(this, task.id, itemIndex);
		predictor.observe(task, Date.now());
	}
}

/** A failed read while waiting keeps the task ID, so a continueOnFail item or the error says what to resume. */
async function readWhileWaiting(context: IAllExecuteFunctions, taskId: string, itemIndex?: number) {
	try {
		return await getTask.call(context, taskId, itemIndex);
	} catch (error) {
		throw namingTask(error, taskId);
	}
}
