/**
 * When to read a task next, guided by what the task says of itself: little polling while the end is far,
 * close watching around the predicted end. Pure (times are passed in), so it is tested on a virtual clock.
 *
 * The prediction: with two progress readings the rate is known and the end can be extrapolated (linear
 * progress, as EvoLink reports it); with one reading or only `estimated_time`, a share of the predicted
 * remaining time is waited, so the gap shrinks fast without overshooting. Around the predicted end, polls come every
 * POLL_MIN_MS; past it, the interval grows back to POLL_MAX_OVERDUE_MS so a late task is not hammered.
 */

import { estimatedSeconds, type SeedreamTask } from './task';

export const POLL_MIN_MS = 100;
export const POLL_MAX_OVERDUE_MS = 2000;
/** Without estimate or progress: start soon, then every few seconds. */
export const POLL_BLIND_MIN_MS = 500;
export const POLL_BLIND_MAX_MS = 3000;

interface ProgressSample {
	at: number;
	progress: number;
}

/** Predicts when a task ends from its `progress` readings and `estimated_time`. */
export class EndPredictor {
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
