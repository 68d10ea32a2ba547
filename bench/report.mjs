// @ts-check
// The table on stdout (Markdown, so it pastes into an issue), the JSON under bench-results/, and the comparison
// with the committed reference run (bench/reference-results.json).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
export const REFERENCE_PATH = join(repoRoot, 'bench', 'reference-results.json');

/** @typedef {import('./run.mjs').Row} Row */

/** @param {Row} row */
export function ratio(row) {
	if (typeof row.ours !== 'number' || typeof row.baseline !== 'number' || row.baseline === 0)
		return '';
	return `${formatNumber(row.ours / row.baseline, 2)}x`;
}

/** @param {number} value @param {number} [digits] */
function formatNumber(value, digits) {
	if (!Number.isFinite(value)) return String(value);
	const d = digits ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
	return value.toFixed(d);
}

/** @param {number | string | null | undefined} value @param {string} unit */
function cell(value, unit) {
	if (value === null || value === undefined || value === '') return '-';
	if (typeof value === 'string') return value;
	return `${formatNumber(value)}${unit ? ` ${unit}` : ''}`;
}

/** @param {{ rows: Row[], date: string, machine: any, seconds: number, node: string }} run */
export function printTable(run) {
	const header = ['id', 'figure', 'ours', 'baseline', 'ratio', 'goal', 'holds'];
	const lines = run.rows.map((row) => [
		row.id,
		row.figure + (row.note ? ` (${row.note})` : ''),
		cell(row.ours, row.unit),
		cell(row.baseline, row.unit),
		ratio(row),
		row.goal ?? '',
		row.holds === undefined ? '' : row.holds ? 'yes' : 'NO',
	]);
	const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i].length)));
	const format = (/** @type {string[]} */ line) =>
		`| ${line.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
	console.log('');
	console.log(format(header));
	console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
	for (const line of lines) console.log(format(line));
	const load = `load ${run.machine.loadAtStart.join('/')} at start, ${run.machine.loadAtEnd.join('/')} at end`;
	console.log(
		`\n${run.date}, Node ${run.node}, ${run.machine.cpus} cores, ${load}; ${run.seconds} s in all.`,
	);
}

/**
 * Writes bench-results/bench-<date>.json and latest.json, and prints how "ours" moved against the reference.
 * @param {any} run @param {{ updateReference?: boolean }} [options]
 */
export function writeResults(run, { updateReference = false } = {}) {
	const dir = join(repoRoot, 'bench-results');
	mkdirSync(dir, { recursive: true });
	const file = join(dir, `bench-${run.date.replace(/[:.]/g, '-')}.json`);
	const json = JSON.stringify(run, null, '\t') + '\n';
	writeFileSync(file, json);
	writeFileSync(join(dir, 'latest.json'), json);
	console.log(`Results: ${relative(process.cwd(), file)}`);
	compareWithReference(run);
	if (updateReference) {
		mkdirSync(dirname(REFERENCE_PATH), { recursive: true });
		writeFileSync(REFERENCE_PATH, json);
		console.log(`Reference updated: ${relative(process.cwd(), REFERENCE_PATH)}`);
	}
	return file;
}

/** @param {{ rows: Row[] }} run */
function compareWithReference(run) {
	if (!existsSync(REFERENCE_PATH)) {
		console.log('No reference run to compare with (bench/reference-results.json).');
		return;
	}
	const reference = JSON.parse(readFileSync(REFERENCE_PATH, 'utf8'));
	const key = (/** @type {Row} */ row) => `${row.id} ${row.figure}`;
	const before = new Map(reference.rows.map((/** @type {Row} */ row) => [key(row), row]));
	console.log(`\nAgainst the reference run of ${reference.date} (ours; ratio = now / then):`);
	for (const row of run.rows) {
		const then = before.get(key(row));
		if (!then || typeof row.ours !== 'number' || typeof then.ours !== 'number') continue;
		const change = then.ours === 0 ? '' : `${(row.ours / then.ours).toFixed(2)}x`;
		const flip =
			then.holds !== undefined && then.holds !== row.holds
				? row.holds
					? '  now holds'
					: '  NO LONGER HOLDS'
				: '';
		console.log(
			`  ${row.id} ${row.figure}: ${cell(then.ours, row.unit)} -> ${cell(row.ours, row.unit)} ${change}${flip}`,
		);
	}
}
