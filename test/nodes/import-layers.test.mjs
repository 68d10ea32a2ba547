// @ts-check
// The node's layers (issue 16): reads every .ts file
// under nodes/, parses its imports and holds the rules that keep them running downwards, so the layering cannot
// drift. Source only: nothing is built or run.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { packageDir } from '../harness/paths.mjs';

const nodesDir = join(packageDir, 'nodes');

/** Each area of nodes/ and the areas its files may import (its own included). */
const MAY_IMPORT = {
	models: ['models'],
	helpers: ['models', 'helpers'],
	transport: ['models', 'helpers', 'transport'],
	shared: ['models', 'helpers', 'shared'],
	tasks: ['models', 'helpers', 'transport', 'tasks'],
	actions: ['models', 'helpers', 'transport', 'shared', 'tasks', 'actions'],
	node: ['models', 'helpers', 'transport', 'shared', 'tasks', 'actions'],
	trigger: ['models', 'helpers', 'transport', 'shared', 'tasks', 'trigger'],
};

/** @param {string} file path relative to nodes/, with forward slashes */
function areaOf(file) {
	const parts = file.split('/');
	if (parts[0] === 'shared') return 'shared';
	if (parts[0] === 'SeedreamTrigger') return 'trigger';
	if (parts[0] === 'Seedream') {
		if (parts.length === 2) return 'node';
		if (parts[1] in MAY_IMPORT) return parts[1];
	}
	return undefined;
}

/** @param {string} dir @returns {string[]} */
function tsFiles(dir) {
	return readdirSync(dir).flatMap((name) => {
		const path = join(dir, name);
		if (statSync(path).isDirectory()) return tsFiles(path);
		return name.endsWith('.ts') ? [path] : [];
	});
}

/** The relative specifiers a file imports: `from '...'`, `import '...'` and `import('...')`. */
function importsOf(/** @type {string} */ source) {
	const found = [];
	const pattern = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]*)['"]/g;
	for (const match of source.matchAll(pattern)) found.push(match[1]);
	return found;
}

/** @param {string} fromFile absolute @param {string} specifier @returns {string | undefined} absolute .ts path */
function resolveImport(fromFile, specifier) {
	const base = resolve(dirname(fromFile), specifier);
	for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) {
		if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
	}
	return undefined;
}

const rel = (/** @type {string} */ path) => relative(nodesDir, path).split('\\').join('/');

const files = tsFiles(nodesDir).sort();
/** @type {Map<string, { specifier: string, target: string | undefined }[]>} */
const graph = new Map(
	files.map((file) => [
		rel(file),
		importsOf(readFileSync(file, 'utf8')).map((specifier) => {
			const target = resolveImport(file, specifier);
			return { specifier, target: target && rel(target) };
		}),
	]),
);

test('the import reader finds the node files and their imports', () => {
	expect(graph.has('Seedream/Seedream.node.ts')).toBe(true);
	expect(graph.has('SeedreamTrigger/SeedreamTrigger.node.ts')).toBe(true);
	expect(graph.get('Seedream/Seedream.node.ts')?.length).toBeGreaterThan(0);
});

test('every file under nodes/ belongs to a layer and every relative import resolves', () => {
	const problems = [];
	for (const [file, imports] of graph) {
		if (!areaOf(file))
			problems.push(`nodes/${file}: in no layer (${Object.keys(MAY_IMPORT).join(', ')})`);
		for (const { specifier, target } of imports)
			if (!target) problems.push(`nodes/${file} imports '${specifier}': no such file`);
	}
	expect(problems).toEqual([]);
});

test.each(Object.entries(MAY_IMPORT))('%s/ imports only %j', (area, allowed) => {
	const violations = [];
	for (const [file, imports] of graph) {
		if (areaOf(file) !== area) continue;
		for (const { specifier, target } of imports) {
			const targetArea = target && areaOf(target);
			if (targetArea && !allowed.includes(targetArea))
				violations.push(`nodes/${file} imports '${specifier}' (${targetArea}/)`);
		}
	}
	expect(violations).toEqual([]);
});

test('no import cycle between files', () => {
	const cycles = [];
	/** @type {Map<string, 'open' | 'done'>} */
	const state = new Map();
	/** @param {string} file @param {string[]} path */
	const visit = (file, path) => {
		state.set(file, 'open');
		for (const { target } of graph.get(file) ?? []) {
			if (!target) continue;
			if (state.get(target) === 'open') {
				cycles.push(
					[...path.slice(path.indexOf(target)), target].map((f) => `nodes/${f}`).join(' -> '),
				);
			} else if (!state.has(target)) visit(target, [...path, target]);
		}
		state.set(file, 'done');
	};
	for (const file of graph.keys()) if (!state.has(file)) visit(file, [file]);
	expect(cycles).toEqual([]);
});
