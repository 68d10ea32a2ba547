// @ts-check
// Small measuring tools shared by the scenarios: percentiles, when a node produced its output, the emulator's
// request log by kind, the CPU time of this process around a run, and a side run in a child process.
import { spawn } from 'node:child_process';

/** @param {number[]} values @param {number} p 0..100, nearest-rank */
export function percentile(values, p) {
	if (!values.length) return NaN;
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const median = (/** @type {number[]} */ values) => percentile(values, 50);

/**
 * When the node handed its output to the engine, on this machine's clock: its run's start plus execution time.
 * @param {import('./harness.mjs').Result} result @param {string} nodeName
 */
export function nodeFinishedAt(result, nodeName) {
	const task = result.run.data.resultData.runData[nodeName]?.at(-1);
	if (!task) throw new Error(`${nodeName} did not run: ${result.error?.message ?? result.status}`);
	return task.startTime + task.executionTime;
}

/** Fails loudly when a run did not succeed or an item carries an error (continueOnFail is off, but be sure). */
export function assertSucceeded(
	/** @type {import('./harness.mjs').Result} */ result,
	/** @type {string} */ nodeName,
) {
	if (result.status !== 'success')
		throw new Error(`${nodeName} run ended ${result.status}: ${result.error?.message}`);
	const failed = result.output(nodeName).find((item) => item.json.error);
	if (failed) throw new Error(`${nodeName} output an error item: ${failed.json.error}`);
}

/** Which kind of EvoLink request a log entry is. @param {{ method: string, path: string }} request */
export function requestKind({ method, path }) {
	if (method === 'POST' && path === '/v1/images/generations') return 'creates';
	if (method === 'GET' && path.startsWith('/v1/tasks/')) return 'reads';
	if (method === 'GET' && path.startsWith('/content/results/')) return 'downloads';
	if (method === 'POST' && path.startsWith('/api/v1/files/upload')) return 'uploads';
	return 'other';
}

/**
 * Requests per task by kind (creates include refused ones, e.g. 429), plus how many were answered 429.
 * @param {import('../emulator/client.mjs').EmulatorRequest[]} requests @param {number} tasks
 */
export function requestsPerTask(requests, tasks) {
	/** @type {Record<string, number>} */
	const counts = { creates: 0, reads: 0, downloads: 0, uploads: 0 };
	let rateLimited = 0;
	for (const request of requests) {
		const kind = requestKind(request);
		if (kind in counts) counts[kind]++;
		if (request.status === 429) rateLimited++;
	}
	const per = Object.fromEntries(
		Object.entries(counts).map(([kind, count]) => [kind, round(count / Math.max(1, tasks), 2)]),
	);
	return { perTask: per, totals: counts, rateLimited };
}

/** CPU time (user + system) this process spends in `work`, in ms, and its wall time. @template T @param {() => Promise<T>} work */
export async function measureCpu(work) {
	const cpu = process.cpuUsage();
	const started = performance.now();
	const value = await work();
	const used = process.cpuUsage(cpu);
	return { value, cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - started };
}

export const round = (/** @type {number} */ value, digits = 0) => {
	const factor = 10 ** digits;
	return Math.round(value * factor) / factor;
};

/**
 * Runs one side of a memory scenario in a fresh Node.js process (`--expose-gc`, its job as JSON in the
 * environment variable `jobVariable`) and resolves to the JSON of the last line it prints.
 * @param {string} script @param {string} jobVariable @param {Record<string, unknown>} job @returns {Promise<any>}
 */
export function runChild(script, jobVariable, job) {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, ['--expose-gc', script], {
			env: { ...process.env, [jobVariable]: JSON.stringify(job) },
			stdio: ['ignore', 'pipe', 'inherit'],
		});
		let out = '';
		// The child must not outlive the bench, whatever ends it.
		const kill = () => child.kill('SIGKILL');
		process.once('exit', kill);
		child.stdout.on('data', (chunk) => (out += chunk));
		child.once('error', reject);
		child.once('exit', (code) => {
			process.off('exit', kill);
			const line = out.trim().split('\n').at(-1) ?? '';
			if (code !== 0) return reject(new Error(`${script} (${job.side}) exited ${code}: ${out}`));
			resolve(JSON.parse(line));
		});
	});
}

/**
 * Collects garbage twice around a pause (finalizers and freed buffers settle in between), so that a memory
 * figure taken next starts from what is still referenced. Needs `--expose-gc` (runChild's children have it).
 */
export async function settleHeap() {
	const gc = /** @type {() => void} */ (globalThis.gc);
	gc();
	await new Promise((resolve) => setTimeout(resolve, 100));
	gc();
}
