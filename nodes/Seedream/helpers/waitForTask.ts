import type { IAllExecuteFunctions } from 'n8n-workflow';
import { getTask, pause } from '../transport';
import { operationError } from './errors';
import { estimatedSeconds, isTerminal, resultUrls, type SeedreamTask } from './task';

/**
 * Waits for a task to end by polling `GET /v1/tasks/{id}`, guided by what the task says of itself: little
 * polling while the end is far, close watching around the predicted end.
 *
 * The prediction: with two progress readings the rate is known and the end can be extrapolated (linear
 * progress, as EvoLink reports it); with one reading or only `estimated_time`, a share of the predicted
 * remaining time is waited, so the gap shrinks fast without overshooting. Around the predicted end, polls come every
 * POLL_MIN_MS; past it, the interval grows back to POLL_MAX_OVERDUE_MS so a late task is not hammered.
 */

export const POLL_MIN_MS = 100;
const POLL_MAX_OVERDUE_MS = 2000;
/** Without estimate or progress: start soon, then every few seconds. */
const POLL_BLIND_MIN_MS = 500;
const POLL_BLIND_MAX_MS = 3000;
/** Spec section 3: a completed task's `results` can be empty for a few seconds on gateways of this family. */
const EMPTY_RESULTS_GRACE_MS = 15_000;
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
	/** How many times the task was read while waiting. */
	polls: number;
}

interface ProgressSample {
	at: number;
	progress: number;
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
	let polls = 0;
	let completedEmptySince: number | undefined;
	predictor.observe(task, Date.now());

	for (;;) {
		const now = Date.now();
		if (isTerminal(task)) {
			if (task.status !== 'completed' || resultUrls(task).length > 0) return { task, polls };
			completedEmptySince ??= now;
			if (now - completedEmptySince >= EMPTY_RESULTS_GRACE_MS) {
				throw operationError(
					this.getNode(),
					`Task ${task.id} completed but returned no image URLs`,
					{
						itemIndex,
						description: `Read it again later with Task > Get and the task ID ${task.id}.`,
						context: { taskId: task.id, status: task.status },
					},
				);
			}
		}
		if (now >= deadline) throw timeoutError(this, task, maxWaitMs, itemIndex);

		const delay =
			completedEmptySince !== undefined ? EMPTY_RESULTS_POLL_MS : predictor.nextDelay(now);
		await pause(this, Math.min(delay, deadline - now), itemIndex, task.id);
		task = await readWhileWaiting(this, task.id, itemIndex);
		polls++;
		predictor.observe(task, Date.now());
	}
}

/** Predicts when a task ends from its `progress` readings and `estimated_time`. */
class EndPredictor {
	private first?: ProgressSample;
	private last?: ProgressSample;
	private estimate?: { at: number; seconds: number };
	/** Whether `estimated_time` stays put between reads, i.e. is a total rather than what remains. */
	private estimateIsTotal = false;
	private overduePolls = 0;
	private blindPolls = 0;

	constructor(private readonly start: number | undefined) {}

	observe(task: SeedreamTask, at: number): void {
		const progress = Number(task.progress);
		if (Number.isFinite(progress) && progress > 0 && progress < 100) {
			const sample = { at, progress };
			this.first ??= sample;
			if (!this.last || progress > this.last.progress) this.last = sample;
		}
		const seconds = estimatedSeconds(task);
		if (seconds !== undefined) {
			// Unverified which it is: the emulator counts down; a constant figure is read as a total.
			if (this.estimate && this.estimate.seconds === seconds && at - this.estimate.at >= 1500) {
				this.estimateIsTotal = true;
			}
			if (!this.estimate || this.estimate.seconds !== seconds) this.estimate = { at, seconds };
		}
	}

	nextDelay(now: number): number {
		const rated = this.rateBasedEnd();
		if (rated) {
			const remaining = rated.end - now;
			// Readings a percent or two apart give a rough rate: close in by halves until it firms up.
			if (rated.uncertainty > remaining / 2 && remaining > 2 * POLL_MIN_MS) return remaining / 2;
			const untilWindow = remaining - rated.uncertainty;
			if (untilWindow > POLL_MIN_MS) return untilWindow;
			if (now <= rated.end + rated.uncertainty) return POLL_MIN_MS;
			return this.overdueDelay();
		}
		const remaining = this.remainingWithoutRate(now);
		if (remaining === undefined) {
			return Math.min(POLL_BLIND_MAX_MS, POLL_BLIND_MIN_MS * 1.5 ** this.blindPolls++);
		}
		// Both figures overestimate what remains (whole seconds rounded up; queue time counted as work), so a
		// first look at half of it and later ones at three quarters stay ahead of the end.
		if (remaining > 2 * POLL_MIN_MS) return remaining * (this.first ? 0.75 : 0.5);
		if (remaining > -POLL_MAX_OVERDUE_MS) return POLL_MIN_MS;
		return this.overdueDelay();
	}

	/** Linear extrapolation from the first and latest progress readings; uncertainty from progress being whole percents. */
	private rateBasedEnd(): { end: number; uncertainty: number } | undefined {
		const { first, last } = this;
		if (!first || !last || last.progress <= first.progress || last.at <= first.at) return undefined;
		const msPerPercent = (last.at - first.at) / (last.progress - first.progress);
		const remaining = (100 - last.progress) * msPerPercent;
		const uncertainty = remaining / (last.progress - first.progress) + msPerPercent;
		return { end: last.at + remaining, uncertainty };
	}

	private remainingWithoutRate(now: number): number | undefined {
		const candidates: number[] = [];
		if (this.estimate) {
			const base = this.estimateIsTotal && this.start !== undefined ? this.start : this.estimate.at;
			candidates.push(base + this.estimate.seconds * 1000 - now);
		}
		// One reading extrapolates only from a known start (how long it took to get this far).
		if (this.last && this.start !== undefined && this.last.at > this.start) {
			const elapsed = this.last.at - this.start;
			// Overestimates by the time the task sat in the queue, so the halving stays on the safe side.
			candidates.push(
				this.last.at + (elapsed * (100 - this.last.progress)) / this.last.progress - now,
			);
		}
		return candidates.length ? Math.min(...candidates) : undefined;
	}

	private overdueDelay(): number {
		return Math.min(POLL_MAX_OVERDUE_MS, POLL_MIN_MS * 1.5 ** ++this.overduePolls);
	}
}

/** A failed read while waiting keeps the task ID, so a continueOnFail item or the error says what to resume. */
async function readWhileWaiting(context: IAllExecuteFunctions, taskId: string, itemIndex?: number) {
	try {
		return await getTask.call(context, taskId, itemIndex);
	} catch (error) {
		const failure = error as { context?: Record<string, unknown>; description?: string | null };
		if (failure.context) failure.context.taskId ??= taskId;
		failure.description =
			`${failure.description ?? ''} The task ${taskId} may still be running at EvoLink: read it later with Task > Get.`.trim();
		throw failure;
	}
}

function timeoutError(
	context: IAllExecuteFunctions,
	task: SeedreamTask,
	maxWaitMs: number,
	itemIndex?: number,
) {
	const progress = task.progress !== undefined ? `, ${task.progress}%` : '';
	return operationError(
		context.getNode(),
		`Task ${task.id} did not finish within ${maxWaitMs / 1000} s (status ${task.status}${progress})`,
		{
			itemIndex,
			description: `The task keeps running at EvoLink and waiting longer costs nothing. Read it later with Seedream > Task > Get and the task ID ${task.id}, or raise Options > Max Wait.`,
			context: { taskId: task.id, status: task.status },
		},
	);
}
