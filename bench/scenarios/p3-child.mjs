// @ts-check
// One side of P3 in its own n8n process: a warm-up run, then RSS sampled every 20 ms around the measured run
// (and, with gcEveryMs, the live memory after a forced collection). Prints one JSON line. Started by p3-memory.mjs with --expose-gc and BENCH_P3_JOB.
// Side "floor" is no node: after the same warm-up, a bare Node.js client reads the same images and keeps no byte,
// the least RSS growth any streaming download can show while V8 picks when to collect.
import { statSync } from 'node:fs';
import http from 'node:http';
import { core, createHarness, di } from '../harness.mjs';
import { registerBaseline } from '../baseline-node.mjs';
import { assertSucceeded, settleHeap } from '../measure.mjs';
import { baseline, ours } from '../sides.mjs';

const job = JSON.parse(process.env.BENCH_P3_JOB ?? '{}');
const side = job.side === 'baseline' ? baseline : ours;
const credentials = { seedreamApi: job.credentials };

const harness = await createHarness({ binaryMode: 'filesystem' });
registerBaseline(harness);
const warm = await harness.runWorkflow(side.workflow({ prompt: 'warm-up', size: '1K' }), {
	credentials,
});
assertSucceeded(warm, side.nodeName);

const gc = /** @type {() => void} */ (globalThis.gc);
await settleHeap();
const start = process.memoryUsage();
const startRss = start.rss;
let peakRss = startRss;
const live = (/** @type {NodeJS.MemoryUsage} */ usage) => usage.heapUsed + usage.arrayBuffers;
let peakLive = live(start);
let lastGc = performance.now();
// With job.gcEveryMs the sampler collects garbage first, so heapUsed + arrayBuffers is what is still referenced:
// the memory the node holds, apart from when V8 chooses to free what it dropped.
const sample = () => {
	if (job.gcEveryMs && performance.now() - lastGc >= job.gcEveryMs) {
		gc();
		lastGc = performance.now();
		peakLive = Math.max(peakLive, live(process.memoryUsage()));
	}
	peakRss = Math.max(peakRss, process.memoryUsage().rss);
};
const sampler = setInterval(sample, 20);

const prompt = `A set of ${job.n} images of a lighthouse`;
const started = performance.now();
const cpu = process.cpuUsage();
const sizes =
	job.side === 'floor' ? await readAndDiscard(prompt, job.n) : await runSide(prompt, job.n);
const wallMs = performance.now() - started;
const { user, system } = process.cpuUsage(cpu);
clearInterval(sampler);
sample();
if (sizes.length !== job.n) throw new Error(`P3 expected ${job.n} images, got ${sizes.length}`);
await harness.close();
console.log(
	JSON.stringify({
		images: sizes.length,
		largestImageBytes: Math.max(...sizes),
		totalBytes: sizes.reduce((a, b) => a + b, 0),
		startRss,
		peakRss,
		growthBytes: peakRss - startRss,
		wallMs: Math.round(wallMs),
		cpuMs: Math.round((user + system) / 1000),
		...(job.gcEveryMs ? { liveGrowthBytes: peakLive - live(start) } : {}),
	}),
);

/** The measured run of a node: the sizes of the files it wrote. @param {string} prompt @param {number} n */
async function runSide(prompt, n) {
	const result = await harness.runWorkflow(side.workflow({ prompt, n, size: '4K' }), {
		credentials,
	});
	assertSucceeded(result, side.nodeName);
	const service = di.Container.get(core.BinaryDataService);
	return result.output(side.nodeName).map((item) => {
		const binary = /** @type {import('n8n-workflow').IBinaryData} */ (item.binary?.data);
		if (!binary.id) throw new Error('P3 expects filesystem binaries (an id), got inline data');
		return statSync(service.getPath(binary.id)).size;
	});
}

/**
 * The floor: the same task, polled every 250 ms, its images read 4 at a time (as the node does) with
 * node:http, every chunk dropped on arrival. @param {string} prompt @param {number} n
 */
async function readAndDiscard(prompt, n) {
	const { baseUrl, apiKey } = job.credentials;
	const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
	const body = JSON.stringify({ model: 'doubao-seedream-4.0', prompt, n, size: '4K' });
	let task = await (
		await fetch(`${baseUrl}/v1/images/generations`, { method: 'POST', headers, body })
	).json();
	while (!['completed', 'failed', 'cancelled'].includes(task.status)) {
		await new Promise((resolve) => setTimeout(resolve, 250));
		task = await (await fetch(`${baseUrl}/v1/tasks/${task.id}`, { headers })).json();
	}
	if (task.status !== 'completed')
		throw new Error(`P3 floor: task ${task.id} ended ${task.status}`);
	const urls = task.results.map((/** @type {string | { url: string }} */ r) =>
		typeof r === 'string' ? r : r.url,
	);
	/** @type {number[]} */
	const sizes = [];
	let next = 0;
	const worker = async () => {
		while (next < urls.length) sizes.push(await discard(urls[next++]));
	};
	await Promise.all(Array.from({ length: 4 }, worker));
	return sizes;
}

/** @param {string} url @returns {Promise<number>} the bytes read */
function discard(url) {
	return new Promise((resolve, reject) => {
		http
			.get(url, (response) => {
				let bytes = 0;
				response.on('data', (chunk) => (bytes += chunk.length));
				response.once('end', () => resolve(bytes));
				response.once('error', reject);
			})
			.once('error', reject);
	});
}
