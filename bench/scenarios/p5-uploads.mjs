// @ts-check
// P5: one Generate with 10 binary reference images (2-8 MB PNGs), uploaded to the Files API before the task is
// created. The upload phase is read from the emulator's log: from the first upload's arrival to the create's
// arrival (the create follows the last upload's answer). The slowest single upload is the same measure for a
// Generate with only the largest reference.
// On loopback an upload costs only CPU, and the emulator is one process: that would measure the emulator's
// JSON parser. So the main figure gives each upload 1 s of service time (the emulator's delay fault), standing
// in for the network and storage of files-api.evolink.ai; the loopback figure is shown next to it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../../scripts/lib/toolchain.mjs';
import { renderPng } from '../../emulator/images.mjs';
import { assertSucceeded, measureCpu, round } from '../measure.mjs';
import { baseline, ours } from '../sides.mjs';

const UPLOAD_SERVICE_MS = 1000;
/** Side length and seed of each reference: real PNGs from the emulator's painter, 2.1 to 8.0 MB. */
const REFERENCES = [
	[2800, 12],
	[2900, 1],
	[2600, 10],
	[3200, 2],
	[3500, 3],
	[3800, 4],
	[4100, 5],
	[4400, 6],
	[5300, 9],
	[4700, 7],
];
// Outside the source tree: n8n-node build copies every image it finds there into dist, and so into the package.
const referencesDir = join(cacheDir(), 'bench-references');

/** @param {import('../run.mjs').Context} context */
export async function p5({ harness, emulator, log }) {
	const files = await references();
	const sizes = files.map((file) => file.length);
	const largest = sizes.indexOf(Math.max(...sizes));
	/** @type {Record<string, any>} */
	const figures = { referenceBytes: sizes, uploadServiceMs: UPLOAD_SERVICE_MS };
	/** @type {Record<string, import('n8n-workflow').IBinaryData>} */
	const binary = {};
	for (const [index, file] of files.entries()) {
		binary[`ref${index}`] = await harness.storeBinary(file, {
			mimeType: 'image/png',
			fileName: `ref${index}.png`,
		});
	}
	const all = files.map((_, index) => `ref${index}`);

	for (const serviceMs of [UPLOAD_SERVICE_MS, 0]) {
		const variant = serviceMs ? 'withServiceTime' : 'loopback';
		figures[variant] = {
			single: await uploadPhase(ours, [`ref${largest}`], serviceMs),
			ours: await uploadPhase(ours, all, serviceMs),
			baseline: await uploadPhase(baseline, all, serviceMs),
		};
		const f = figures[variant];
		log(`  P5 ${variant}: ours ${f.ours} ms, baseline ${f.baseline} ms, single ${f.single} ms`);
	}
	const s = (/** @type {number} */ ms) => round(ms / 1000, 2);
	const row = (/** @type {string} */ variant, /** @type {string} */ label, judged = true) => {
		const f = figures[variant];
		const goal = {
			goal: `<= 1.5 x slowest single (${s(f.single)} s)`,
			holds: f.ours <= 1.5 * f.single,
		};
		return {
			id: 'P5',
			figure: `upload phase, 10 references ${round(Math.min(...sizes) / 1e6, 1)}-${round(Math.max(...sizes) / 1e6, 1)} MB, ${label}`,
			unit: 's',
			ours: s(f.ours),
			baseline: s(f.baseline),
			...(judged
				? goal
				: { note: `slowest single ${s(f.single)} s; measures the emulator's parsing` }),
		};
	};
	return {
		figures,
		rows: [
			row('withServiceTime', `Files API answers after ${UPLOAD_SERVICE_MS / 1000} s`),
			row('loopback', 'loopback, no service time', false),
			{
				id: 'P5',
				figure: 'requests per reference: uploads',
				unit: '',
				ours: figures.oursUploadsPerReference,
				baseline: figures.baselineUploadsPerReference,
			},
		],
	};

	/** @param {import('../sides.mjs').Side} side @param {string[]} fields @param {number} serviceMs */
	async function uploadPhase(side, fields, serviceMs) {
		await emulator.reset();
		await emulator.config({ taskMs: 300 });
		if (serviceMs) {
			await emulator.fault({
				method: 'POST',
				path: '/api/v1/files/upload',
				times: fields.length,
				action: { type: 'delay', ms: serviceMs },
			});
		}
		const emulatorCpu = emulator.cpuMs();
		const { value: result, cpuMs } = await measureCpu(() =>
			harness.runWorkflow(
				side.workflow({ prompt: 'P5 combine these', output: 'urls', references: fields }),
				{
					credentials: { seedreamApi: emulator.credentials },
					items: [{ json: {}, binary }],
				},
			),
		);
		log(
			`    ${side.name} ${fields.length} refs: n8n CPU ${round(cpuMs)} ms, emulator CPU ${emulator.cpuMs() - emulatorCpu} ms`,
		);
		assertSucceeded(result, side.nodeName);
		const requests = await emulator.requests();
		const uploads = requests.filter(
			(r) => r.method === 'POST' && r.path.startsWith('/api/v1/files/upload'),
		);
		const create = requests.find((r) => r.method === 'POST' && r.path === '/v1/images/generations');
		if (uploads.length !== fields.length || !create)
			throw new Error(`P5 expected ${fields.length} uploads and a create`);
		if (fields.length > 1)
			figures[`${side.name}UploadsPerReference`] = uploads.length / fields.length;
		return Date.parse(create.time) - Date.parse(uploads[0].time);
	}
}

/** The reference PNGs, rendered once into the tool cache (~/.cache/n8n-nodes-seedream) and read from there after. */
async function references() {
	mkdirSync(referencesDir, { recursive: true });
	const files = [];
	for (const [side, seed] of REFERENCES) {
		const path = join(referencesDir, `ref-${side}-${seed}.png`);
		if (!existsSync(path)) writeFileSync(path, await renderPng(side, side, `bench-ref-${seed}`));
		files.push(readFileSync(path));
	}
	return files;
}
