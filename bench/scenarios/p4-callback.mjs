// @ts-check
// P4: Generate's "Wait for the Callback": the task's callback_url is the execution's resume URL, the execution
// pauses, and the emulator's callback (real HTTP on 127.0.0.1) resumes it. 10 one-item executions, task durations
// spread over 2-11 s, URLs output as in P1. Baseline: P1's fixed 2 s polling on the same durations.
// Reads of a task before its callback are polls; the one read after it is the node confirming the task (spec
// section 4: a callback body is not to be trusted alone).
import { assertSucceeded, median, nodeFinishedAt, percentile, round } from '../measure.mjs';
import { baseline, ours } from '../sides.mjs';

/** @param {import('../run.mjs').Context} context */
export async function p4({ harness, emulator, quick }) {
	const count = quick ? 5 : 10;
	const durations = Array.from({ length: count }, (_, i) =>
		Math.round(2000 + (9000 * (i + 0.5)) / count),
	);
	const credentials = { seedreamApi: emulator.credentials };
	await harness.listenForWaitingWebhooks();

	await emulator.reset();
	await emulator.config({ taskMsQueue: durations });
	const waiting = await Promise.all(
		durations.map((_, i) =>
			harness.runWorkflow(
				ours.workflow({ prompt: `P4 task ${i}`, output: 'urls', waitMode: 'callback' }),
				{ credentials },
			),
		),
	);
	for (const run of waiting)
		if (run.status !== 'waiting')
			throw new Error(`P4 expected a waiting run, got ${run.status}: ${run.error?.message}`);
	const resumed = await Promise.all(waiting.map((run) => harness.waitForResume(run)));
	const tasks = new Map((await emulator.tasks()).map((task) => [task.id, task]));
	const requests = await emulator.requests();
	// Never printed: a callback's URL carries the execution's resume signature.
	const callbacks = await emulator.callbacks();
	const fromCallback = [];
	const fromCompletion = [];
	let pollsBefore = 0;
	let readsAfter = 0;
	for (const result of resumed) {
		assertSucceeded(result, ours.nodeName);
		const taskId = String(result.output(ours.nodeName)[0].json.taskId);
		const delivered = callbacks.find((c) => c.taskId === taskId && c.status === 200);
		if (!delivered) throw new Error(`P4: no delivered callback for task ${taskId}`);
		const sentAt = Date.parse(delivered.sentAt);
		const finished = nodeFinishedAt(result, ours.nodeName);
		fromCallback.push(finished - sentAt);
		fromCompletion.push(finished - /** @type {number} */ (tasks.get(taskId)?.completedAt));
		const reads = requests.filter((r) => r.method === 'GET' && r.path === `/v1/tasks/${taskId}`);
		pollsBefore += reads.filter((r) => Date.parse(r.time) < sentAt).length;
		readsAfter += reads.filter((r) => Date.parse(r.time) >= sentAt).length;
	}

	await emulator.reset();
	await emulator.config({ taskMsQueue: durations });
	const polled = await Promise.all(
		durations.map((_, i) =>
			harness.runWorkflow(baseline.workflow({ prompt: `P4 task ${i}`, output: 'urls' }), {
				credentials,
			}),
		),
	);
	const baselineTasks = new Map((await emulator.tasks()).map((task) => [task.id, task]));
	const baselineReads = (await emulator.requests()).filter(
		(r) => r.method === 'GET' && r.path.startsWith('/v1/tasks/'),
	).length;
	const baselineDelays = polled.map((result) => {
		assertSucceeded(result, baseline.nodeName);
		const taskId = String(result.output(baseline.nodeName)[0].json.taskId);
		return (
			nodeFinishedAt(result, baseline.nodeName) -
			/** @type {number} */ (baselineTasks.get(taskId)?.completedAt)
		);
	});

	const figures = {
		tasks: count,
		ours: {
			medianFromCallbackMs: round(median(fromCallback)),
			maxFromCallbackMs: round(Math.max(...fromCallback)),
			medianFromCompletionMs: round(median(fromCompletion)),
			p95FromCompletionMs: round(percentile(fromCompletion, 95)),
			pollsPerTask: round(pollsBefore / count, 2),
			confirmationReadsPerTask: round(readsAfter / count, 2),
			fromCallbackMs: fromCallback.map((d) => round(d)),
		},
		baseline: {
			medianFromCompletionMs: round(median(baselineDelays)),
			p95FromCompletionMs: round(percentile(baselineDelays, 95)),
			pollsPerTask: round(baselineReads / count, 2),
		},
	};
	return {
		figures,
		rows: [
			{
				id: 'P4',
				figure: `polls per task before the callback (${count} tasks, 2-11 s)`,
				unit: '',
				ours: figures.ours.pollsPerTask,
				baseline: figures.baseline.pollsPerTask,
				goal: '0',
				holds: pollsBefore === 0,
				note: `then ${figures.ours.confirmationReadsPerTask} read to confirm`,
			},
			{
				id: 'P4',
				figure: 'delay, callback sent -> node output (median / max)',
				unit: '',
				ours: `${figures.ours.medianFromCallbackMs} / ${figures.ours.maxFromCallbackMs} ms`,
				baseline: null,
				goal: '<= 100 ms',
				holds: Math.max(...fromCallback) <= 100,
			},
			{
				id: 'P4',
				figure: 'median delay, task completion -> node output',
				unit: 'ms',
				ours: figures.ours.medianFromCompletionMs,
				baseline: figures.baseline.medianFromCompletionMs,
			},
		],
	};
}
