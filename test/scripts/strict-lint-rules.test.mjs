// @ts-check
// The rules scripts/lint-strict.mjs adds ahead of n8n's published plugin (scripts/lib/strict-lint-rules.mjs):
// what they report and what they let through, on TypeScript parsed as n8n-node's lint parses it.
import { describe, expect, test } from '@jest/globals';
import { Linter } from 'eslint';
import tsParser from '@typescript-eslint/parser';
import { upcomingCommunityNodeRules } from '../../scripts/lib/strict-lint-rules.mjs';

/** @param {string} rule @param {string} code @param {string} [filename] */
function lint(rule, code, filename = 'nodes/Example/Example.node.ts') {
	const linter = new Linter({ configType: 'flat' });
	return linter
		.verify(
			code,
			[
				{
					files: ['**/*.ts'],
					languageOptions: { parser: tsParser },
					plugins: { next: upcomingCommunityNodeRules },
					rules: { [`next/${rule}`]: 'error' },
				},
			],
			filename,
		)
		.map((m) => `${m.line}:${m.ruleId}`);
}

describe('node-execute-block', () => {
	const rule = 'node-execute-block';

	test('reports a NodeOperationError without options, or whose options lack itemIndex, in a *.node.ts', () => {
		const code = [
			"throw new NodeOperationError(this.getNode(), 'Bad token');",
			"throw new NodeOperationError(this.getNode(), 'Bad token', { description: 'Set one' });",
			"const options = { itemIndex: 0 }; throw new NodeOperationError(this.getNode(), 'x', options);",
			"throw new NodeOperationError(this.getNode(), 'x', { ...shared });",
		].join('\n');
		expect(lint(rule, code)).toEqual([
			'1:next/node-execute-block',
			'2:next/node-execute-block',
			'3:next/node-execute-block',
			'4:next/node-execute-block',
		]);
	});

	test('accepts itemIndex as a property or a shorthand, and other errors', () => {
		const code = [
			"throw new NodeOperationError(this.getNode(), 'x', { itemIndex: 0 });",
			"throw new NodeOperationError(this.getNode(), 'x', { description: 'd', itemIndex });",
			'throw new NodeApiError(this.getNode(), error);',
		].join('\n');
		expect(lint(rule, code)).toEqual([]);
	});

	test('looks only at *.node.ts files', () => {
		expect(
			lint(
				rule,
				"throw new NodeOperationError(this.getNode(), 'x');",
				'nodes/Example/actions/router.ts',
			),
		).toEqual([]);
	});
});

describe('node-operation-error-itemindex', () => {
	const rule = 'node-operation-error-itemindex';
	/** @param {string} body */
	const node = (body) =>
		`export class Example implements INodeType {\n\tasync execute(this: IExecuteFunctions) {\n${body}\n\t}\n}`;

	test('reports item errors without itemIndex inside a loop over the input items of execute()', () => {
		const code = node(
			[
				'const items = this.getInputData();',
				'for (let i = 0; i < items.length; i++) {',
				"throw new NodeOperationError(this.getNode(), 'x');",
				'}',
				'for (const item of items) {',
				"throw new NodeApiError(this.getNode(), error, { message: 'm' });",
				'}',
			].join('\n'),
		);
		expect(lint(rule, code)).toEqual([
			'5:next/node-operation-error-itemindex',
			'8:next/node-operation-error-itemindex',
		]);
	});

	test('accepts itemIndex, unreadable options, and errors outside the item loop', () => {
		const code = node(
			[
				'const items = this.getInputData();',
				"if (items.length === 0) throw new NodeOperationError(this.getNode(), 'none');",
				'for (let i = 0; i < items.length; i++) {',
				"throw new NodeOperationError(this.getNode(), 'x', { itemIndex: i });",
				'throw new NodeApiError(this.getNode(), error, options);',
				'}',
				'for (let r = 0; r < 3; r++) {',
				"throw new NodeOperationError(this.getNode(), 'retries');",
				'}',
			].join('\n'),
		);
		expect(lint(rule, code)).toEqual([]);
	});
});
