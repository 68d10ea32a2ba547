// @ts-check
// The GitHub workflows' check (scripts/lint-workflows.mjs): the shipped files pass, and each rule catches the
// mistake it is there for.
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lintWorkflows, readmeCommands } from '../../scripts/lint-workflows.mjs';
import { repoRoot } from '../../scripts/lib/toolchain.mjs';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const ci = {
	name: '.github/workflows/ci.yml',
	text: readFileSync(join(repoRoot, '.github', 'workflows', 'ci.yml'), 'utf8'),
};
const release = {
	name: '.github/workflows/release.yml',
	text: readFileSync(join(repoRoot, '.github', 'workflows', 'release.yml'), 'utf8'),
};

describe('GitHub workflows', () => {
	test("the README's two commands are npm start and npm test", () => {
		expect(readmeCommands(readme)).toEqual(['npm start', 'npm test']);
	});

	test('ci.yml and release.yml have no findings', async () => {
		expect(await lintWorkflows([ci, release], readme)).toEqual([]);
	});

	test('actionlint reports an expression that reads an undefined context property', async () => {
		const broken = {
			...ci,
			text: ci.text.replace('run: npm test', 'run: npm test ${{ github.no_such_thing }}'),
		};
		const findings = await lintWorkflows([broken], readme);
		expect(findings).toEqual(
			expect.arrayContaining([
				expect.stringMatching(
					/^\.github\/workflows\/ci\.yml:\d+:\d+: property "no_such_thing" is not defined/,
				),
			]),
		);
	});

	test('CI that does not run npm test, or runs an npm command the README does not give, is reported', async () => {
		const other = { ...ci, text: ci.text.replace('run: npm test', 'run: npm run build') };
		expect(await lintWorkflows([other], readme)).toEqual([
			'.github/workflows/ci.yml: runs `npm run build`, which the README does not give',
			'.github/workflows/ci.yml: CI must run `npm test`',
		]);
	});

	test('a release whose publish command the README does not give is reported', async () => {
		const other = {
			...release,
			text: release.text.replace(
				'run: npm publish --provenance --access public',
				'run: npm publish --access public',
			),
		};
		expect(await lintWorkflows([other], readme)).toEqual([
			'.github/workflows/release.yml: runs `npm publish --access public`, which the README does not give',
			'.github/workflows/release.yml: the release must run `npm publish --provenance --access public`',
		]);
	});

	test('a release that publishes before testing, or without id-token: write, is reported', async () => {
		const reordered = {
			...release,
			text: release.text.replace('run: npm test', 'run: echo skipped') + '      - run: npm test\n',
		};
		expect(await lintWorkflows([reordered], readme)).toEqual([
			'.github/workflows/release.yml: the release must run `npm test` before publishing',
		]);
		const unsigned = {
			...release,
			text: release.text.replace('id-token: write', 'packages: read'),
		};
		expect(await lintWorkflows([unsigned], readme)).toEqual([
			'.github/workflows/release.yml: provenance needs `permissions: id-token: write`',
		]);
	});
});
