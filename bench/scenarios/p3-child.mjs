// @ts-check
// One side of P3 in its own n8n process: a warm-up run, then RSS sampled every 20 ms around the measured run
// (and, with gcEveryMs, the live memory after a forced collection). Prints one JSON line. Started by p3-memory.mjs with --expose-gc and BENCH_P3_JOB.
import { statSync } from 'node:fs';
import { createHarness } from '../../test/harness/index.mjs';
import { core, di } from '../../test/harness/n8n.mjs';
import { registerBaseline } from '../baseline-node.mjs';
import { assertSucceeded } from '../measure.mjs';
import { baseline, ours } from '../sides.mjs';

const job = JSON.parse(process.env.BENCH_P3_JOB ?? '{}');
const side = job.side === 'ours' ? ours : baseline;
const credentials = { seedreamApi: job.credentials };

const harness = await createHarness({ binaryMode: 'filesystem' });
registerBaseline(harness);
const warm = await harness.runWorkflow(side.workflow({ prompt: 'warm-up', size: '1K' }), { credentials });
assertSucceeded(warm, side.nodeName);

const gc = /** @type {() => void} */ (globalThis.gc);
gc();
await new Promise((resolve) => setTimeout(resolve, 100));
gc();
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

const started = performance.now();
const cpu = process.cpuUsage();
const result = await harness.runWorkflow(
	side.workflow({ prompt: `A set of ${job.n} images of a lighthouse`, n: job.n, size: '4K' }),
	{ credentials },
);
const wallMs = performance.now() - started;
const { user, system } = process.cpuUsage(cpu);
clearInterval(sampler);
sample();
assertSucceeded(result, side.nodeName);

const items = result.output(side.nodeName);
const service = di.Container.get(core.BinaryDataService);
const sizes = items.map((item) => {
	const binary = /** @type {import('n8n-workflow').IBinaryData} */ (item.binary?.data);
	if (!binary.id) throw new Error('P3 expects filesystem binaries (an id), got inline data');
	return statSync(service.getPath(binary.id)).size;
});
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
