// @ts-check
// P3: peak memory while one item makes n = 15 images at 4K in filesystem binary mode. Each side runs in a fresh
// child process (p3-child.mjs) so the figure is that n8n process's own growth, not what earlier scenarios left on
// the heap; the emulator is yet another process.
// Two figures: RSS as n8n runs (V8 collects when it likes), and the live memory (heap + buffers still referenced)
// with a forced collection every 100 ms. They differ because every socket read lands in a fresh 64 KB buffer that
// V8 frees only at its next collection, which its external-memory heuristic puts off for ~64 MB: streaming 80 MB
// of images shows ~64 MB of RSS growth whatever the node keeps. The live figure is what the node decides; a third
// child ("floor") reads the same images with bare node:http and keeps nothing, to show that growth in this run.
import { fileURLToPath } from 'node:url';
import { round, runChild } from '../measure.mjs';
import { sides } from '../sides.mjs';

const childScript = fileURLToPath(new URL('./p3-child.mjs', import.meta.url));
const MB = 1024 * 1024;

/** Forced collections this often give the live-memory figure (each costs a few ms on a 170 MB heap). */
const GC_EVERY_MS = 100;
const LIVE_IMAGES = 6;

/** @param {import('../run.mjs').Context} context */
export async function p3({ emulator, quick, log }) {
	const n = quick ? LIVE_IMAGES : 15;
	/** @type {Record<string, any>} */
	const figures = { n, size: '4K', gcEveryMs: GC_EVERY_MS };
	for (const side of sides) {
		for (const mode of ['rss', 'live']) {
			await emulator.reset();
			await emulator.config({ taskMs: 1000 });
			const gcEveryMs = mode === 'live' ? GC_EVERY_MS : 0;
			const emulatorCpu = emulator.cpuMs();
			// The live figure does not grow with n (nothing is kept per image), so fewer images keep the slowed run short.
			const images = mode === 'live' ? Math.min(n, LIVE_IMAGES) : n;
			const measured = await runChild(childScript, 'BENCH_P3_JOB', {
				side: side.name,
				n: images,
				credentials: emulator.credentials,
				gcEveryMs,
			});
			measured.emulatorCpuMs = emulator.cpuMs() - emulatorCpu;
			figures[side.name] = { ...figures[side.name], [mode]: measured };
		}
		const { rss, live } = figures[side.name];
		log(
			`  P3 ${side.name}: RSS +${mb(rss.growthBytes)} MB, live +${mb(live.liveGrowthBytes)} MB, largest image ${mb(rss.largestImageBytes)} MB`,
		);
	}
	await emulator.reset();
	await emulator.config({ taskMs: 1000 });
	figures.floor = {
		rss: await runChild(childScript, 'BENCH_P3_JOB', {
			side: 'floor',
			n,
			credentials: emulator.credentials,
			gcEveryMs: 0,
		}),
	};
	log(`  P3 floor (a bare client keeping no byte): RSS +${mb(figures.floor.rss.growthBytes)} MB`);
	const image = Math.max(
		...sides.flatMap((side) => [
			figures[side.name].rss.largestImageBytes,
			figures[side.name].live.largestImageBytes,
		]),
	);
	figures.imageBytes = image;
	const { ours, baseline } = figures;
	return {
		figures,
		rows: [
			{
				id: 'P3',
				figure: `peak RSS growth, 1 item, n = ${n} at 4K, filesystem mode`,
				unit: 'MB',
				ours: mb(ours.rss.growthBytes),
				baseline: mb(baseline.rss.growthBytes),
				goal: `<= 2 x one image (${mb(image)} MB)`,
				holds: ours.rss.growthBytes <= 2 * image,
				note: `collection left to V8; a bare Node.js client reading the same images and keeping no byte grows ${mb(figures.floor.rss.growthBytes)} MB`,
			},
			{
				id: 'P3',
				figure: `peak live memory growth, n = ${Math.min(n, LIVE_IMAGES)}, garbage collected every ${GC_EVERY_MS} ms`,
				unit: 'MB',
				ours: mb(ours.live.liveGrowthBytes),
				baseline: mb(baseline.live.liveGrowthBytes),
				goal: `<= 2 x one image (${mb(image)} MB)`,
				holds: ours.live.liveGrowthBytes <= 2 * image,
			},
			{
				id: 'P3',
				figure: `wall time of that run (${n} downloads)`,
				unit: 's',
				ours: round(ours.rss.wallMs / 1000, 1),
				baseline: round(baseline.rss.wallMs / 1000, 1),
			},
		],
	};
}

const mb = (/** @type {number} */ bytes) => round(bytes / MB, 1);
