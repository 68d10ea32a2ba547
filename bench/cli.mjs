// @ts-check
// `npm run bench`: our node against the ways users do Seedream today, as ratios against baselines run in the
// same process on the same emulator (issue 6). Not part of `npm test`: timings belong on a quiet machine.
//   npm run bench                     all scenarios (a few minutes)
//   npm run bench -- --quick          fewer tasks and items, for development
//   npm run bench -- --only P1,P3     some scenarios (--only Q1: queue mode alone, on a cluster of its own)
//   npm run bench -- --full           the P2 baseline on all 60 items instead of 10 scaled (adds ~3 minutes)
//   npm run bench -- --update-reference   also write bench/reference-results.json
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { reexecUnderNode24, repoRoot, step } from '../scripts/lib/toolchain.mjs';

await reexecUnderNode24(import.meta.url);

const args = process.argv.slice(2);
const value = (/** @type {string} */ flag) => {
	const index = args.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
	if (index === -1) return undefined;
	return args[index].includes('=') ? args[index].split('=')[1] : args[index + 1];
};
const { SCENARIOS, runBench, writeResults } = await import('./run.mjs');
const only = (value('--only') ?? Object.keys(SCENARIOS).join(','))
	.split(',')
	.map((id) => id.trim().toUpperCase())
	.filter(Boolean);
const unknown = only.filter((id) => !(id in SCENARIOS));
if (unknown.length) {
	console.error(
		`Unknown scenario ${unknown.join(', ')}; there are ${Object.keys(SCENARIOS).join(', ')}`,
	);
	process.exit(2);
}

step('Build (tsc): the bench runs the built node from dist/');
const tsc = spawnSync(join(repoRoot, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], {
	cwd: repoRoot,
	stdio: 'inherit',
});
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

const [load] = loadavg();
if (load > 1)
	step(`Load average is ${load.toFixed(2)}: other work on this machine will show in the timings`);
const run = await runBench({
	only,
	quick: args.includes('--quick'),
	full: args.includes('--full'),
	log: (message) => step(message),
});
writeResults(run, { updateReference: args.includes('--update-reference') });
