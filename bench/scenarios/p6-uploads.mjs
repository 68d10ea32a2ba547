// @ts-check
// P6 (issue 10, finding 9): upload memory. One Generate (Don't Wait, so nothing but the uploads and the creates
// runs) with ITEMS items x REFERENCES binary references of ~9.8 MiB PNGs each (6000x6000, the largest the node
// and the API accept), uploaded to the Files API. Each side runs in a fresh n8n process (p6-child.mjs, like
// P3) so neither pollutes the other; the emulator is another process. The figure is the n8n process's peak RSS
// growth against the bytes uploaded, the latter read from the emulator's log of the uploads it received.
// Baseline: bench/baseline-upload-node.mjs, each reference read whole and copied into a multipart buffer (the
// node's way before streaming).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir } from '../../scripts/lib/toolchain.mjs';
import { renderPng } from '../../emulator/images.mjs';
import { round } from '../measure.mjs';

const childScript = fileURLToPath(new URL('./p6-child.mjs', import.meta.url));
const MB = 1024 * 1024;
const ITEMS = 5;
const REFERENCES = 14;
const QUICK_ITEMS = 2;
const SIDE_PX = 6000;
/** Goal: peak RSS growth at most this share of the bytes uploaded. */
const GOAL_SHARE = 0.3;
// Outside the source tree, like P5's: n8n-node build copies every image under the clone into dist.
const referencesDir = join(cacheDir(), 'bench-references');

/** @param {import('../run.mjs').Context} context */
export async function p6({ emulator, quick, log }) {
	const items = quick ? QUICK_ITEMS : ITEMS;
	const files = await references(log);
	/** @type {Record<string, any>} */
	const figures = { items, referencesPerItem: REFERENCES, sidePx: SIDE_PX };
	for (const side of ['baseline', 'ours']) {
		await emulator.reset();
		// Tasks stay pending/processing long after the run: the emulator's reading of the references (§9) is
		// its own CPU, not n8n's, but there is no need for it to compete with the uploads.
		await emulator.config({ taskMs: 600_000 });
		const measured = await runChild({ side, credentials: emulator.credentials, items, files: files.big, warmUpFile: files.warmUp });
		const uploads = (await emulator.requests()).filter((r) => r.method === 'POST' && r.path.startsWith('/api/v1/files/upload') && r.status === 200);
		// The warm-up's one small upload is in the log too: count the measured run's only.
		const measuredUploads = uploads.filter((r) => r.body?.fileName !== 'warm.png');
		if (measuredUploads.length !== items * REFERENCES) {
			throw new Error(`P6 ${side}: the emulator received ${measuredUploads.length} uploads, expected ${items * REFERENCES}`);
		}
		measured.uploadedBytes = measuredUploads.reduce((sum, r) => sum + Number(r.body?.size ?? 0), 0);
		measured.growthPerUploadedByte = round(measured.growthBytes / measured.uploadedBytes, 2);
		figures[side] = measured;
		log(
			`  P6 ${side}: RSS +${mb(measured.growthBytes)} MB for ${mb(measured.uploadedBytes)} MB uploaded ` +
				`(${measured.growthPerUploadedByte} x), ${round(measured.wallMs / 1000, 1)} s, n8n CPU ${measured.cpuMs} ms`,
		);
	}
	await emulator.reset();
	const { ours, baseline } = figures;
	const label = `${items} items x ${REFERENCES} references of ${round(Math.min(...files.bytes) / MB, 1)}-${round(Math.max(...files.bytes) / MB, 1)} MB (${mb(ours.uploadedBytes)} MB uploaded)`;
	return {
		figures,
		rows: [
			{
				id: 'P6',
				figure: `peak RSS growth / bytes uploaded, ${label}`,
				unit: 'x',
				ours: ours.growthPerUploadedByte,
				baseline: baseline.growthPerUploadedByte,
				goal: `<= ${GOAL_SHARE} x`,
				holds: ours.growthBytes <= GOAL_SHARE * ours.uploadedBytes,
				note: `ours +${mb(ours.growthBytes)} MB, baseline +${mb(baseline.growthBytes)} MB`,
			},
			{ id: 'P6', figure: 'wall time of that run (uploads and creates)', unit: 's', ours: round(ours.wallMs / 1000, 1), baseline: round(baseline.wallMs / 1000, 1) },
		],
	};
}

const mb = (/** @type {number} */ bytes) => round(bytes / MB, 1);

/**
 * REFERENCES distinct 6000x6000 PNGs from the emulator's painter (~9.8 MiB each, under the 10 MiB limit of the
 * node and the API) and one small one for the warm-up, rendered once into the tool cache.
 * @param {(message: string) => void} log
 */
async function references(log) {
	mkdirSync(referencesDir, { recursive: true });
	/** @param {number} side @param {string} seed */
	const file = async (side, seed) => {
		const path = join(referencesDir, `p6-${side}-${seed}.png`);
		if (!existsSync(path)) {
			log(`  P6: rendering ${path} (once)`);
			writeFileSync(path, await renderPng(side, side, `bench-p6-${seed}`));
		}
		return path;
	};
	const big = [];
	for (let index = 0; index < REFERENCES; index++) big.push(await file(SIDE_PX, String(index)));
	return { big, bytes: big.map((path) => statSync(path).size), warmUp: await file(512, 'warm') };
}

/** @param {Record<string, unknown>} job @returns {Promise<any>} */
function runChild(job) {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, ['--expose-gc', childScript], {
			env: { ...process.env, BENCH_P6_JOB: JSON.stringify(job) },
			stdio: ['ignore', 'pipe', 'inherit'],
		});
		let out = '';
		child.stdout.on('data', (chunk) => (out += chunk));
		child.once('error', reject);
		child.once('exit', (code) => {
			const line = out.trim().split('\n').at(-1) ?? '';
			if (code !== 0) return reject(new Error(`P6 child (${job.side}) exited ${code}: ${out}`));
			resolve(JSON.parse(line));
		});
	});
}
