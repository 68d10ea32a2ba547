// @ts-check
// P1: how soon after a task completes (the emulator's record) the node outputs it, and how many reads that takes.
// 30 one-item executions run at once, task durations spread evenly over 2-20 s. Both nodes output URLs here, so
// the figure is the waiting strategy alone: downloads (the emulator renders each PNG on first download, the same
// cost for both) are P3's subject.
import { assertSucceeded, median, nodeFinishedAt, percentile, round } from '../measure.mjs';
import { sides } from '../sides.mjs';

/** @param {import('../run.mjs').Context} context */
export async function p1({ harness, emulator, quick }) {
	const count = quick ? 10 : 30;
	// Evenly spread, at the middle of each of `count` slots, so they do not line up with the baseline's 2 s grid.
	const durations = Array.from({ length: count }, (_, i) =>
		Math.round(2000 + (18000 * (i + 0.5)) / count),
	);
	/** @type {Record<string, any>} */
	const figures = {};
	for (const side of sides) {
		await emulator.reset();
		await emulator.config({ taskMsQueue: durations });
		const results = await Promise.all(
			durations.map(
				(_, i) =>
					harness.startWorkflow(side.workflow({ prompt: `P1 task ${i}`, output: 'urls' }), {
						credentials: { seedreamApi: emulator.credentials },
					}).result,
			),
		);
		const tasks = new Map((await emulator.tasks()).map((task) => [task.id, task]));
		const requests = await emulator.requests();
		const delays = [];
		const detections = [];
		const polls = [];
		for (const result of results) {
			assertSucceeded(result, side.nodeName);
			const taskId = String(result.output(side.nodeName)[0].json.taskId);
			const completedAt = /** @type {number} */ (tasks.get(taskId)?.completedAt);
			delays.push(nodeFinishedAt(result, side.nodeName) - completedAt);
			const reads = requests.filter((r) => r.method === 'GET' && r.path === `/v1/tasks/${taskId}`);
			polls.push(reads.length);
			const seeing = reads.find((r) => Date.parse(r.time) >= completedAt);
			if (seeing) detections.push(Date.parse(seeing.time) - completedAt);
		}
		figures[side.name] = {
			tasks: count,
			medianDelayMs: round(median(delays)),
			p95DelayMs: round(percentile(delays, 95)),
			medianDetectionMs: round(median(detections)),
			pollsPerTask: round(polls.reduce((a, b) => a + b, 0) / count, 2),
			maxPolls: Math.max(...polls),
			delaysMs: delays.map((d) => round(d)),
			polls,
		};
	}
	const { ours, baseline } = figures;
	return {
		figures,
		rows: [
			{
				id: 'P1',
				figure: 'median delay, task completion -> node output',
				unit: 'ms',
				ours: ours.medianDelayMs,
				baseline: baseline.medianDelayMs,
				goal: '<= 0.1 x baseline',
				holds: ours.medianDelayMs <= 0.1 * baseline.medianDelayMs,
			},
			{
				id: 'P1',
				figure: 'p95 delay, task completion -> node output',
				unit: 'ms',
				ours: ours.p95DelayMs,
				baseline: baseline.p95DelayMs,
			},
			{
				id: 'P1',
				figure: `polls per task (${count} tasks, 2-20 s)`,
				unit: '',
				ours: ours.pollsPerTask,
				baseline: baseline.pollsPerTask,
				goal: '<= baseline',
				holds: ours.pollsPerTask <= baseline.pollsPerTask,
			},
		],
	};
}
