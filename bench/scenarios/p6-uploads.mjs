// @ts-check
// P6 (issue 10, finding 9): upload memory. One Generate (Don't Wait, so nothing but the uploads and the creates
// runs) with ITEMS items x REFERENCES binary references of 9.9 MiB PNGs each (just under the 10 MiB the node and
// the API accept), uploaded to the Files API. Each side runs in a fresh n8n process (p6-child.mjs, like
// P3) so neither pollutes the other; the emulator is another process. The figure is the n8n process's peak RSS
// growth against the bytes uploaded, the latter read from the emulator's log of the uploads it received.
// Baseline: bench/baseline-upload-node.mjs, each reference read whole and copied into a multipart buffer (the
// node's way before streaming).
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir } from '../../scripts/lib/toolchain.mjs';
import { renderPng } from '../../emulator/images.mjs';
import { round, runChild } from '../measure.mjs';

const childScript = fileURLToPath(new URL('./p6-child.mjs', import.meta.url));
const MB = 1024 * 1024;
const ITEMS = 5;
const REFERENCES = 14;
const QUICK_ITEMS = 2;
/** Each reference: a real PNG of this side from the emulator's painter, padded to REFERENCE_BYTES (below). */
const SIDE_PX = 3000;
const REFERENCE_BYTES = Math.round(9.9 * MB);
/** Goal: peak RSS growth at most this share of the bytes uploaded. */
const GOAL_SHARE = 0.3;
// Outside the source tree, like P5's: n8n-node build copies every image under the clone into dist.
const referencesDir = join(cacheDir(), 'bench-references');

/** @param {import('../run.mjs').Context} context */
export async function p6({ emulator, quick, log }) {
	const items = quick ? QUICK_ITEMS : ITEMS;
	const files = await references(log);
	if (files.bytes.some((bytes) => bytes !== REFERENCE_BYTES))
		throw new Error(`P6: a cached reference in ${referencesDir} is not ${REFERENCE_BYTES} bytes`);
	/** @type {Record<string, any>} */
	const figures = {
		items,
		referencesPerItem: REFERENCES,
		sidePx: SIDE_PX,
		referenceBytes: REFERENCE_BYTES,
	};
	for (const side of ['baseline', 'ours']) {
		await emulator.reset();
		// Tasks stay pending/processing long after the run: the emulator's reading of the references (§9) is
		// its own CPU, not n8n's, but there is no need for it to compete with the uploads.
		await emulator.config({ taskMs: 600_000 });
		const measured = await runChild(childScript, 'BENCH_P6_JOB', {
			side,
			credentials: emulator.credentials,
			items,
			files: files.big,
			warmUpFile: files.warmUp,
		});
		const uploads = (await emulator.requests()).filter(
			(r) => r.method === 'POST' && r.path.startsWith('/api/v1/files/upload') && r.status === 200,
		);
		// The warm-up's one small upload is in the log too: count the measured run's only.
		const measuredUploads = uploads.filter((r) => r.body?.fileName !== 'warm.png');
		if (measuredUploads.length !== items * REFERENCES) {
			throw new Error(
				`P6 ${side}: the emulator received ${measuredUploads.length} uploads, expected ${items * REFERENCES}`,
			);
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
	const label = `${items} items x ${REFERENCES} references of ${mb(REFERENCE_BYTES)} MB (${mb(ours.uploadedBytes)} MB uploaded)`;
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
			{
				id: 'P6',
				figure: 'wall time of that run (uploads and creates)',
				unit: 's',
				ours: round(ours.wallMs / 1000, 1),
				baseline: round(baseline.wallMs / 1000, 1),
			},
		],
	};
}

const mb = (/** @type {number} */ bytes) => round(bytes / MB, 1);

/**
 * REFERENCES distinct PNGs of REFERENCE_BYTES and one small one for the warm-up, made once into the tool cache.
 * The painter's file size depends on the seed (5-15 MB at 6000x6000), so each is a 3000x3000 painting padded
 * with a private ancillary chunk of random bytes (which decoders skip) to exactly REFERENCE_BYTES.
 * @param {(message: string) => void} log
 */
async function references(log) {
	mkdirSync(referencesDir, { recursive: true });
	/** @param {string} name @param {() => Promise<Buffer>} make */
	const file = async (name, make) => {
		const path = join(referencesDir, name);
		if (!existsSync(path)) {
			log(`  P6: writing ${path} (once)`);
			writeFileSync(path, await make());
		}
		return path;
	};
	const big = [];
	for (let index = 0; index < REFERENCES; index++) {
		big.push(
			await file(`p6-${index}-${REFERENCE_BYTES}.png`, async () =>
				padPng(await renderPng(SIDE_PX, SIDE_PX, `bench-p6-${index}`), REFERENCE_BYTES),
			),
		);
	}
	return {
		big,
		bytes: big.map((path) => statSync(path).size),
		warmUp: await file('p6-warm-512.png', () => renderPng(512, 512, 'bench-p6-warm')),
	};
}

/** zlib.crc32 (Node >= 22; the bench runs on Node 24). @type {(data: Buffer) => number} */
const crc32 = /** @type {any} */ (zlib).crc32;

/**
 * The PNG with a "pdNg" chunk (ancillary, private: readers ignore it) before IEND, sized so the file is `bytes`.
 * @param {Buffer} png @param {number} bytes
 */
function padPng(png, bytes) {
	const iend = png.length - 12;
	const length = bytes - png.length - 12;
	if (length < 0)
		throw new Error(`P6: the painted reference is already ${png.length} bytes, over ${bytes}`);
	const chunk = Buffer.alloc(12 + length);
	chunk.writeUInt32BE(length, 0);
	chunk.write('pdNg', 4, 'latin1');
	randomBytes(length).copy(chunk, 8);
	chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + length)) >>> 0, 8 + length);
	return Buffer.concat([png.subarray(0, iend), chunk, png.subarray(iend)]);
}
