// @ts-check
// Builds the package and packs it the way it is published (`npm pack`), without touching the clone's dist/:
// the working tree is copied into a temporary folder (node_modules symlinked), built there with `n8n-node build`
// and packed. Other work in the clone (a running test that reads dist/) is never disturbed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
	cpSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	readdirSync,
	rmSync,
	statSync,
	symlinkSync,
	writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { node24Env, repoRoot } from './toolchain.mjs';

/** Folders never copied: the build makes dist/ itself, and node_modules is linked. */
const SKIP = new Set([
	'node_modules',
	'dist',
	'.git',
	'.n8n-dev',
	'test-results',
	'bench-results',
	'coverage',
	'.cache',
]);
/** What the package is built from: top-level files, the TypeScript folders, and the static files `n8n-node build` copies. */
const SOURCE_DIRS = new Set(['nodes', 'credentials', 'icons']);
const isPackageInput = (/** @type {string} */ file) =>
	!file.includes('/') ||
	SOURCE_DIRS.has(file.split('/')[0]) ||
	/\.(png|svg)$/.test(file) ||
	file.includes('/__schema__/');

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
	const result = spawnSync(command, args, {
		cwd,
		encoding: 'utf8',
		env: node24Env(),
		maxBuffer: 64 * 1024 * 1024,
	});
	if (result.status !== 0) {
		throw new Error(
			`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`,
		);
	}
	return result.stdout;
}

/** @param {string} file */
export function sha256File(file) {
	return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/**
 * Builds a copy of the package's sources and packs it into `outDir`. When the sources are byte for byte those of
 * the tarball already in `outDir`, that tarball is reused (a second `npm start` skips the build).
 * @param {{ outDir: string }} options
 * @returns {{ tarball: string, sha256: string, name: string, version: string, files: string[], reused: boolean }}
 */
export function buildAndPack({ outDir }) {
	mkdirSync(outDir, { recursive: true });
	const inputs = workingTreeFiles().filter(isPackageInput).sort();
	const inputsHash = createHash('sha256');
	for (const file of inputs)
		inputsHash
			.update(`${file}\0`)
			.update(readFileSync(join(repoRoot, file)))
			.update('\0');
	const digest = inputsHash.digest('hex');
	const record = join(outDir, 'last-pack.json');
	if (existsSync(record)) {
		const last = JSON.parse(readFileSync(record, 'utf8'));
		if (
			last.inputs === digest &&
			existsSync(last.tarball) &&
			sha256File(last.tarball) === last.sha256
		)
			return { ...last, reused: true };
	}
	const work = mkdtempSync(join(tmpdir(), 'seedream-pack-'));
	try {
		for (const file of inputs) {
			const target = join(work, file);
			mkdirSync(dirname(target), { recursive: true });
			if (statSync(join(repoRoot, file)).isFile()) cpSync(join(repoRoot, file), target);
		}
		symlinkSync(join(repoRoot, 'node_modules'), join(work, 'node_modules'), 'dir');
		runQuiet(join(repoRoot, 'node_modules', '.bin', 'n8n-node'), ['build'], work);
		const packed = pack(work, outDir);
		writeFileSync(record, JSON.stringify({ ...packed, inputs: digest }, null, 2));
		return { ...packed, reused: false };
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
	const output = runQuiet(
		'npm',
		['pack', '--json', '--ignore-scripts', '--pack-destination', outDir],
		packageDir,
	);
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
