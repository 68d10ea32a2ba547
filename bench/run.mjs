// @ts-check
// Runs the scenarios in one process: one harness (n8n's engine, filesystem binary mode as n8n's own default),
// both nodes registered, the emulator in a child process; then prints the table and writes the JSON.
import { loadavg, cpus, totalmem } from 'node:os';
import { createHarness } from './harness.mjs';
import { registerBaseline } from './baseline-node.mjs';
import { startEmulatorProcess } from './emulator.mjs';
import { printTable, writeResults } from './report.mjs';
import { sides } from './sides.mjs';
import { assertSucceeded } from './measure.mjs';
import { p1 } from './scenarios/p1-polling.mjs';
import { p2 } from './scenarios/p2-throughput.mjs';
import { p3 } from './scenarios/p3-memory.mjs';
import { p4 } from './scenarios/p4-callback.mjs';
import { p5 } from './scenarios/p5-uploads.mjs';
import { q1 } from './scenarios/q1-queue.mjs';
import { p6 } from './scenarios/p6-uploads.mjs';
import { t1 } from './scenarios/t1-trigger.mjs';
import { t2 } from './scenarios/t2-queue.mjs';
import { exitOnStopSignals } from '../scripts/lib/toolchain.mjs';

/**
 * @typedef {{ harness: import('./harness.mjs').Harness, emulator: import('./emulator.mjs').BenchEmulator,
 *   quick: boolean, full: boolean, log: (message: string) => void, results: Record<string, any> }} Context
 * @typedef {{ id: string, figure: string, unit: string, ours: number | string | null, baseline?: number | string | null,
 *   goal?: string, holds?: boolean, note?: string }} Row
 * @typedef {{ rows: Row[], figures: Record<string, any> }} ScenarioResult
 */

/** @type {Record<string, (context: Context) => Promise<ScenarioResult>>} */
export const SCENARIOS = { P1: p1, P2: p2, P3: p3, P5: p5, P4: p4, P6: p6, T1: t1, T2: t2, Q1: q1 };
/** Scenarios that start their own real n8n (one instance, or a queue-mode cluster) and use neither the harness nor the bench emulator. */
const OWN_N8N = new Set(['T1', 'T2', 'Q1']);

/**
 * @param {{ only: string[], quick: boolean, full: boolean, log: (message: string) => void }} options
 */
export async function runBench({ only, quick, full, log }) {
	const started = Date.now();
	// Ctrl-C, `timeout` or a CI limit still run the 'exit' handlers that stop the emulator, children and clusters.
	exitOnStopSignals();
	const machine = {
		cpus: cpus().length,
		memoryGb: Math.round(totalmem() / 2 ** 30),
		loadAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
	};
	const needsHarness = only.some((id) => !OWN_N8N.has(id));
	const emulator = needsHarness ? await startEmulatorProcess() : /** @type {any} */ (undefined);
	const harness = needsHarness
		? await createHarness({ binaryMode: 'filesystem' })
		: /** @type {any} */ (undefined);
	if (needsHarness) registerBaseline(harness);
	/** @type {Context} */
	const context = { harness, emulator, quick, full, log, results: {} };
	/** @type {Row[]} */
	const rows = [];
	/** @type {Record<string, any>} */
	const figures = {};
	try {
		if (needsHarness) await warmUp(context);
		for (const [id, scenario] of Object.entries(SCENARIOS)) {
			if (!only.includes(id)) continue;
			const t = Date.now();
			log(`${id} ...`);
			const result = await scenario(context);
			context.results[id] = result;
			rows.push(...result.rows);
			figures[id] = { ...result.figures, seconds: Math.round((Date.now() - t) / 100) / 10 };
			log(`${id} done in ${figures[id].seconds} s`);
		}
	} finally {
		await harness?.close();
		await emulator?.close();
	}
	const run = {
		date: new Date().toISOString(),
		node: process.version,
		machine: { ...machine, loadAtEnd: loadavg().map((l) => Math.round(l * 100) / 100) },
		options: { only, quick, full },
		seconds: Math.round((Date.now() - started) / 1000),
		rows,
		figures,
	};
	printTable(run);
	return run;
}

/** One small run per side first, so module loading and JIT are not charged to the first scenario. */
async function warmUp(/** @type {Context} */ { harness, emulator }) {
	await emulator.reset();
	await emulator.config({ taskMs: 300 });
	for (const side of sides) {
		const result = await harness.runWorkflow(side.workflow({ prompt: 'warm-up' }), {
			credentials: { seedreamApi: emulator.credentials },
		});
		assertSucceeded(result, side.nodeName);
	}
}

export { writeResults };
