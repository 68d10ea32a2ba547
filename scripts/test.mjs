// @ts-check
// `npm test`: everything CI checks, from a fresh clone. Installs what is missing (Node 24, dev dependencies,
// n8n for the end-to-end suite) once into a cache outside the clone, then lints, builds and runs every suite.
// `npm test -- --skip-e2e` leaves out the real-n8n suite while iterating; `npm test -- --skip-queue` leaves out
// only its queue-mode files (test/e2e/queue*.test.mjs: a Postgres + Redis + four-process n8n cluster), except
// under CI=true, where the queue-mode tests always run.
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import {
	ensureEndToEndTools,
	reexecUnderNode24,
	repoRoot,
	runForwardingSignals,
	runTimes,
	step,
} from './lib/toolchain.mjs';

await reexecUnderNode24(import.meta.url);

const ci = process.env.CI === 'true';
const skipE2e = process.argv.includes('--skip-e2e');
const skipQueue = process.argv.includes('--skip-queue') && !ci;
if (ci && process.argv.includes('--skip-queue'))
	step('CI=true: the queue-mode tests run; --skip-queue is ignored');
const bin = (/** @type {string} */ name) => join(repoRoot, 'node_modules', '.bin', name);
const resultsDir = join(repoRoot, 'test-results');
mkdirSync(resultsDir, { recursive: true });

/** @type {{ name: string, passed: number, failed: number, ok: boolean, seconds: number }[]} */
const stages = [];

/**
 * @param {string} name
 * @param {string} command
 * @param {string[]} args
 * @param {{ env?: NodeJS.ProcessEnv, counts?: () => { passed: number, failed: number } }} [options]
 */
async function stage(name, command, args, options = {}) {
	step(name);
	const started = Date.now();
	// Not spawnSync: a SIGTERM to `npm test` must reach the stage's processes (Jest starts n8n instances).
	const status = await runForwardingSignals(command, args, {
		cwd: repoRoot,
		stdio: 'inherit',
		env: { ...process.env, ...options.env },
	});
	const ok = status === 0;
	const counts = options.counts?.() ?? { passed: ok ? 1 : 0, failed: ok ? 0 : 1 };
	// A stage that exits non-zero counts as a failure even when its report shows none (no tests found, a crash).
	if (!ok && counts.failed === 0) counts.failed = 1;
	stages.push({ name, ok, ...counts, seconds: (Date.now() - started) / 1000 });
	return ok;
}

/** @param {string} file */
function jestCounts(file) {
	return () => {
		if (!existsSync(file)) return { passed: 0, failed: 1 };
		const report = JSON.parse(readFileSync(file, 'utf8'));
		return {
			passed: report.numPassedTests,
			failed: report.numFailedTests + report.numRuntimeErrorTestSuites,
		};
	};
}

/** @param {string} suite @param {NodeJS.ProcessEnv} [env] @param {string[]} [args] */
async function jest(suite, env = {}, args = []) {
	const output = join(resultsDir, `jest-${suite}.json`);
	return stage(
		`Tests: ${suite}`,
		bin('jest'),
		['--ci', '--maxWorkers=2', '--json', `--outputFile=${output}`, ...args],
		{
			env: {
				SEEDREAM_TEST_SUITE: suite,
				NODE_OPTIONS: '--experimental-vm-modules --no-warnings=ExperimentalWarning',
				...env,
			},
			counts: jestCounts(output),
		},
	);
}

/**
 * Builds and packs the package once for the end-to-end tests and the scanner, which would otherwise each pack
 * the same sources (every e2e Jest worker, then the scanner). If packing fails here they pack for themselves,
 * and fail in their own stages as before.
 * @returns {Promise<string | undefined>} the tarball
 */
async function packOnce() {
	step('Packing the package for the end-to-end tests and the scanner');
	try {
		const { buildAndPack } = await import('./lib/pack.mjs');
		return buildAndPack({ outDir: join(resultsDir, 'pack') }).tarball;
	} catch (error) {
		console.error(
			`Packing failed; the end-to-end tests and the scanner will pack themselves:\n${/** @type {Error} */ (error).message ?? error}`,
		);
		return undefined;
	}
}

// Installs happen here, once, before any parallel work: the e2e suite's Jest workers would otherwise find n8n
// missing together. They hold the cache lock, so a second `npm test` on the same cache waits for this one.
if (!skipE2e) {
	step(
		`Tools for the end-to-end suite: n8n 2.x and 1.x, Chromium${skipQueue ? '' : ', Postgres and Redis'} (installed once, then reused)`,
	);
	ensureEndToEndTools();
	if (!skipQueue) (await import('./lib/queue-cluster.mjs')).ensureClusterPackages();
}

// The GitHub workflows cannot run here: actionlint and the project's rules for them (scripts/lint-workflows.mjs).
await stage('GitHub workflows (actionlint)', process.execPath, [
	join(repoRoot, 'scripts', 'lint-workflows.mjs'),
]);

// Prettier formats everything outside .prettierignore; a file it would change fails here, not in review.
await stage('Format (prettier --check)', bin('prettier'), ['--check', '--cache', '.']);

const built =
	(await stage('Lint (n8n-node lint)', bin('n8n-node'), ['lint'])) &&
	// The rules n8n-node lint leaves out: the plugin's whole set, the development branch's additions, no warnings.
	(await stage("Lint (strict: all of n8n's rules)", process.execPath, [
		join(repoRoot, 'scripts', 'lint-strict.mjs'),
	])) &&
	(await stage('Build (n8n-node build)', bin('n8n-node'), ['build']));
if (built) {
	const tarball = await packOnce();
	await jest('engine');
	// A tarball the user chose (SEEDREAM_TARBALL) is still the one the e2e tests install.
	if (!skipE2e) {
		await jest(
			'e2e',
			tarball && !process.env.SEEDREAM_TARBALL ? { SEEDREAM_TARBALL: tarball } : {},
			skipQueue ? ['--testPathIgnorePatterns', '/test/e2e/queue[^/]*\\.test\\.mjs$'] : [],
		);
	}
	await stage('Community-package scanner (offline)', process.execPath, [
		join(repoRoot, 'scripts', 'scan.mjs'),
		...(tarball ? ['--tarball', tarball] : []),
	]);
}

const passed = stages.reduce((sum, s) => sum + s.passed, 0);
const failed = stages.reduce((sum, s) => sum + s.failed, 0) + (built ? 0 : 1);
console.log('\nStage summary:');
for (const s of stages) {
	console.log(
		`  ${s.ok ? 'ok  ' : 'FAIL'} ${s.name.padEnd(40)} ${String(s.passed).padStart(4)} passed ${String(s.failed).padStart(3)} failed  ${s.seconds.toFixed(1)} s`,
	);
}
const { startedAt, installSeconds } = runTimes();
console.log(
	`\n  ${((Date.now() - startedAt) / 1000).toFixed(0)} s in all, of which installing ${installSeconds.toFixed(0)} s`,
);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 && stages.every((s) => s.ok) ? 0 : 1);
