// @ts-check
// P2: many items against an account that runs 10 tasks at once and answers 429 (with Retry-After) beyond.
// 3 s tasks, 1K images downloaded as binary. Our node runs with Concurrency 20, above the cap, as a user who wants
// throughput would set it and so the 429 path is exercised; the baseline goes one item after another.
// Also: the cost curve (10 -> 60 -> 240 items), requests per task and CPU time of the n8n process per item.
import {
	assertSucceeded,
	measureCpu,
	nodeFinishedAt,
	requestsPerTask,
	round,
} from '../measure.mjs';
import { baseline, ours } from '../sides.mjs';

const TASK_MS = 3000;
const CAP = 10;
const CONCURRENCY = 20;
const ITEMS = 60;

/** @param {import('../run.mjs').Context} context */
export async function p2({ harness, emulator, quick, full, log }) {
	const curveSizes = quick ? [10, ITEMS] : [10, ITEMS, 240];
	/** @type {Record<string, any>} */
	const curve = {};
	for (const items of curveSizes) {
		curve[items] = await runItems(ours, items);
		log(`  P2 ours ${items} items: ${round(curve[items].wallMs / 1000, 1)} s`);
	}
	const baselineItems = full ? ITEMS : 10;
	const base = await runItems(baseline, baselineItems);
	log(`  P2 baseline ${baselineItems} items: ${round(base.wallMs / 1000, 1)} s`);
	// One item after another is linear in the items by construction; --full measures all 60.
	const baselineWall = (base.wallMs * ITEMS) / baselineItems;
	const baselineNote =
		baselineItems === ITEMS
			? ''
			: `baseline: ${baselineItems} items measured, x${ITEMS / baselineItems}`;

	const ideal = (/** @type {number} */ n) => Math.ceil(n / CAP) * TASK_MS;
	const main = curve[ITEMS];
	const figures = {
		taskMs: TASK_MS,
		cap: CAP,
		concurrency: CONCURRENCY,
		ours: curve,
		baseline: { ...base, scaledTo60Ms: round(baselineWall) },
	};
	const rows = [
		{
			id: 'P2',
			figure: `wall time, ${ITEMS} items, 3 s tasks, 10 concurrent allowed`,
			unit: 's',
			ours: round(main.wallMs / 1000, 1),
			baseline: round(baselineWall / 1000, 1),
			goal: `<= 1.2 x ideal ${ideal(ITEMS) / 1000} s`,
			holds: main.wallMs <= 1.2 * ideal(ITEMS),
			note: baselineNote,
		},
		{
			id: 'P2',
			figure: '429s answered / reaching the user',
			unit: '',
			ours: `${main.requests.rateLimited} / ${main.errorItems}`,
			baseline: `${base.requests.rateLimited} / ${base.errorItems}`,
			goal: '0 reach the user',
			holds: main.errorItems === 0 && main.succeeded,
		},
		{
			id: 'P2',
			figure: `cost curve, wall ${curveSizes.join(' -> ')} items (x ideal ${curveSizes.map((n) => ideal(n) / 1000).join(' / ')} s)`,
			unit: '',
			ours:
				curveSizes.map((n) => `${round(curve[n].wallMs / 1000, 1)}`).join(' / ') +
				` s (${curveSizes.map((n) => round(curve[n].wallMs / ideal(n), 2)).join(' / ')} x)`,
			baseline: null,
		},
		{
			id: 'P2',
			figure: 'CPU time of the n8n process per item',
			unit: 'ms',
			ours: round(main.cpuMs / ITEMS, 1),
			baseline: round(base.cpuMs / baselineItems, 1),
		},
		...['creates', 'reads', 'downloads'].map((kind) => ({
			id: 'P2',
			figure: `requests per task: ${kind}${kind === 'creates' ? ' (incl. refused)' : ''}`,
			unit: '',
			ours: main.requests.perTask[kind],
			baseline: base.requests.perTask[kind],
		})),
	];
	return { figures, rows };

	/** @param {import('../sides.mjs').Side} side @param {number} count */
	async function runItems(side, count) {
		await emulator.reset();
		await emulator.config({ taskMs: TASK_MS, maxConcurrentTasks: CAP });
		const workflow = side.workflow({
			prompt: 'P2 product shot',
			size: '1K',
			output: 'binary',
			concurrency: CONCURRENCY,
		});
		const items = Array.from({ length: count }, (_, i) => ({ json: { i } }));
		const { value: result, cpuMs } = await measureCpu(() =>
			harness.runWorkflow(workflow, { credentials: { seedreamApi: emulator.credentials }, items }),
		);
		const succeeded = result.status === 'success';
		if (succeeded) assertSucceeded(result, side.nodeName);
		const output = succeeded ? result.output(side.nodeName) : [];
		const errorItems = succeeded ? output.filter((item) => item.json.error).length : count;
		const runData = result.run.data.resultData.runData[side.nodeName][0];
		const tasks = (await emulator.tasks()).length;
		return {
			items: count,
			succeeded,
			error: result.error?.message,
			wallMs: nodeFinishedAt(result, side.nodeName) - runData.startTime,
			cpuMs: round(cpuMs),
			outputItems: output.length,
			errorItems,
			tasks,
			requests: requestsPerTask(await emulator.requests(), tasks),
		};
	}
}
