// @ts-check
// One side of P6 in its own n8n process (started by p6-uploads.mjs with --expose-gc and BENCH_P6_JOB): the
// reference files are put in n8n's binary store (filesystem mode) first, a warm-up run uploads one small
// reference, then RSS is sampled every 20 ms around the measured run. Prints one JSON line.
import { readFileSync } from 'node:fs';
import { createHarness } from '../harness.mjs';
import {
	registerUploadBaseline,
	uploadBaselineWorkflow,
	UPLOAD_BASELINE_NODE_NAME,
} from '../baseline-upload-node.mjs';
import { assertSucceeded, settleHeap } from '../measure.mjs';
import { ours } from '../sides.mjs';

/** @type {{ side: 'ours' | 'baseline', credentials: Record<string, string>, items: number, files: string[], warmUpFile: string }} */
const job = JSON.parse(process.env.BENCH_P6_JOB ?? '{}');
const credentials = { seedreamApi: job.credentials };
const side =
	job.side === 'baseline'
		? { nodeName: UPLOAD_BASELINE_NODE_NAME, workflow: uploadBaselineWorkflow }
		: {
				nodeName: ours.nodeName,
				/** @param {{ prompt: string, references: string[] }} request */
				workflow: ({ prompt, references }) =>
					ours.workflow({ prompt, references, output: 'urls', waitMode: 'dontWait' }),
			};

const harness = await createHarness({ binaryMode: 'filesystem' });
registerUploadBaseline(harness);

/** @param {string} path @param {string} name */
const store = async (path, name) =>
	await harness.storeBinary(readFileSync(path), { mimeType: 'image/png', fileName: `${name}.png` });

const warmUpBinary = { warm: await store(job.warmUpFile, 'warm') };
const warm = await harness.runWorkflow(side.workflow({ prompt: 'warm-up', references: ['warm'] }), {
	credentials,
	items: [{ json: {}, binary: warmUpBinary }],
});
assertSucceeded(warm, side.nodeName);

/** @type {Record<string, import('n8n-workflow').IBinaryData>} */
const binary = {};
for (const [index, path] of job.files.entries())
	binary[`ref${index}`] = await store(path, `ref${index}`);
const fields = Object.keys(binary);
const items = Array.from({ length: job.items }, () => ({ json: {}, binary }));

await settleHeap();
const start = process.memoryUsage();
let peakRss = start.rss;
const sampler = setInterval(() => {
	peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);

const started = performance.now();
const cpu = process.cpuUsage();
const result = await harness.runWorkflow(
	side.workflow({ prompt: 'P6 combine these', references: fields }),
	{ credentials, items },
);
const wallMs = performance.now() - started;
const { user, system } = process.cpuUsage(cpu);
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
assertSucceeded(result, side.nodeName);
const tasks = result.output(side.nodeName).length;
if (tasks !== job.items) throw new Error(`P6 expected ${job.items} tasks, got ${tasks}`);
await harness.close();
console.log(
	JSON.stringify({
		tasks,
		startRss: start.rss,
		peakRss,
		growthBytes: peakRss - start.rss,
		wallMs: Math.round(wallMs),
		cpuMs: Math.round((user + system) / 1000),
	}),
);
