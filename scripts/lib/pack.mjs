// @ts-check
// Builds the package and packs it the way it is published (`npm pack`), without touching the clone's dist/:
// the working tree is copied into a temporary folder (node_modules symlinked), built there with `n8n-node build`
// and packed. Other work in the clone (a running test that reads dist/) is never disturbed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { node24Env, repoRoot } from './toolchain.mjs';

/** Folders never copied: the build makes dist/ itself, and node_modules is linked. */
const SKIP = new Set(['node_modules', 'dist', '.git', '.n8n-dev', 'test-results', 'bench-results', 'coverage', '.cache']);

/** Files of the working tree as git sees them (tracked + untracked, ignored ones left out). */
function workingTreeFiles() {
	const git = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
		cwd: repoRoot,
		encoding: 'utf8',
		maxBuffer: 64 * 1024 * 1024,
	});
	if (git.status === 0) {
		return git.stdout
			.split('\0')
			.filter((file) => file && !SKIP.has(file.split('/')[0]) && existsSync(join(repoRoot, file)));
	}
	// Not a git checkout (an unpacked source archive): walk the tree instead.
	/** @type {string[]} */
	const files = [];
	const walk = (/** @type {string} */ dir) => {
		for (const entry of readdirSync(dir, { withFileTypes: true })) {
			const path = join(dir, entry.name);
			if (entry.isDirectory()) {
				if (!SKIP.has(entry.name) && !entry.name.endsWith('.tgz')) walk(path);
			} else if (entry.isFile() && !entry.name.endsWith('.tgz')) {
				files.push(relative(repoRoot, path));
			}
		}
	};
	walk(repoRoot);
	return files;
}

/**
 * @param {string} command @param {string[]} args @param {string} cwd
 * @returns {string} stdout
 */
function runQuiet(command, args, cwd) {
	const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: node24Env(), maxBuffer: 64 * 1024 * 1024 });
	if (result.status !== 0) {
		throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
	}
	return result.stdout;
}

/** @param {string} file */
export function sha256File(file) {
	return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/**
 * Builds a copy of the working tree and packs it into `outDir`.
 * @param {{ outDir: string }} options
 * @returns {{ tarball: string, sha256: string, name: string, version: string, files: string[] }}
 */
export function buildAndPack({ outDir }) {
	mkdirSync(outDir, { recursive: true });
	const work = mkdtempSync(join(tmpdir(), 'seedream-pack-'));
	try {
		for (const file of workingTreeFiles()) {
			const target = join(work, file);
			mkdirSync(dirname(target), { recursive: true });
			if (statSync(join(repoRoot, file)).isFile()) cpSync(join(repoRoot, file), target);
		}
		symlinkSync(join(repoRoot, 'node_modules'), join(work, 'node_modules'), 'dir');
		runQuiet(join(repoRoot, 'node_modules', '.bin', 'n8n-node'), ['build'], work);
		return pack(work, outDir);
	} finally {
		rmSync(work, { recursive: true, force: true });
	}
}

/**
 * Packs an already built package folder (its dist/ must be current).
 * @param {string} packageDir @param {string} outDir
 */
export function pack(packageDir, outDir) {
	mkdirSync(outDir, { recursive: true });
	const output = runQuiet('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', outDir], packageDir);
	const [info] = JSON.parse(output);
	const tarball = join(outDir, info.filename);
	return {
		tarball,
		sha256: sha256File(tarball),
		name: info.name,
		version: info.version,
		files: info.files.map((/** @type {{ path: string }} */ f) => f.path),
	};
}
