// @ts-check
// n8n's verification scanner, offline. `@n8n/scan-community-package` only scans published packages (it fetches
// from the public registry and GitHub), so this runs its exported `analyzePackage` the way its
// `analyzePackageByName` does: on the source (its SOURCE_FILE_PATTERNS) and on the unpacked `npm pack` tarball
// (compiled .js and package.json). Zero findings -> exit 0; otherwise the findings are printed and it exits 1.
//   node scripts/scan.mjs [--tarball <file.tgz>]   (without --tarball the package is built and packed first)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { reexecUnderNode24, repoRoot, step } from './lib/toolchain.mjs';

await reexecUnderNode24(import.meta.url);

const { buildAndPack } = await import('./lib/pack.mjs');
const scannerUrl = import.meta.resolve('@n8n/scan-community-package/scanner/scanner.mjs');
const { analyzePackage, buildScanConfig, SOURCE_FILE_PATTERNS } = await import(scannerUrl);
// The scanner's own ESLint and fast-glob (it pins versions of its own), for the warnings pass below.
const scannerRequire = createRequire(scannerUrl);
const { ESLint } = await import(pathToFileURL(scannerRequire.resolve('eslint')).href);
const glob = scannerRequire('fast-glob');

/**
 * analyzePackage fails on errors only and hides warnings when it passes. "Zero findings" means warnings too,
 * so the same configuration is run again here and every message counts.
 * @param {string} dir @param {string[]} patterns
 */
async function warnings(dir, patterns) {
	const eslint = new ESLint({
		cwd: dir,
		allowInlineConfig: false,
		overrideConfigFile: true,
		overrideConfig: await buildScanConfig(),
	});
	const files = glob.sync(patterns, {
		cwd: dir,
		absolute: true,
		ignore: ['node_modules/**', '**/package-lock.json'],
	});
	const results = await eslint.lintFiles(files);
	const count = results.reduce((sum, r) => sum + r.warningCount, 0);
	return {
		count,
		details: count ? await (await eslint.loadFormatter('stylish')).format(results) : '',
	};
}

/** The scanner's own choice for the tarball leg (scanner.mjs, analyzePackageByName). */
const TARBALL_FILE_PATTERNS = ['**/*.js', 'package.json'];

const work = mkdtempSync(join(tmpdir(), 'seedream-scan-'));
let failed = false;
try {
	const given = process.argv.indexOf('--tarball');
	let tarball;
	if (given !== -1 && process.argv[given + 1]) {
		tarball = resolve(process.argv[given + 1]);
	} else {
		step('Scanner: building and packing the package');
		// Kept in test-results/ (ignored by git): the next scan reuses it when the sources are unchanged.
		tarball = buildAndPack({ outDir: join(repoRoot, 'test-results', 'pack-scan') }).tarball;
	}
	const unpacked = join(work, 'package');
	mkdirSync(unpacked);
	const tar = spawnSync('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1'], {
		encoding: 'utf8',
	});
	if (tar.status !== 0) throw new Error(`tar could not unpack ${tarball}: ${tar.stderr}`);

	const legs = [
		{
			label: `source (${SOURCE_FILE_PATTERNS.join(', ')})`,
			dir: repoRoot,
			patterns: SOURCE_FILE_PATTERNS,
		},
		{
			label: `packed tarball (${TARBALL_FILE_PATTERNS.join(', ')})`,
			dir: unpacked,
			patterns: TARBALL_FILE_PATTERNS,
		},
	];
	for (const leg of legs) {
		step(`Scanner: ${leg.label}`);
		const result = await analyzePackage(leg.dir, leg.patterns);
		if (result.passed && result.message === 'No files found to analyze') {
			// An empty scan proves nothing: treat it as a finding.
			console.log(`  FAIL  no files matched in ${leg.dir}`);
			failed = true;
		} else if (result.passed) {
			const warned = await warnings(leg.dir, leg.patterns);
			if (warned.count === 0) {
				console.log(`  ok    ${leg.label}: 0 findings`);
			} else {
				failed = true;
				console.log(`  FAIL  ${leg.label}: ${warned.count} warning(s)`);
				console.log(warned.details);
			}
		} else {
			failed = true;
			console.log(`  FAIL  ${leg.label}: ${result.message}`);
			if (result.details) console.log(result.details);
		}
	}
} catch (error) {
	failed = true;
	console.error(`Scanner could not run: ${/** @type {Error} */ (error).stack ?? error}`);
} finally {
	rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
