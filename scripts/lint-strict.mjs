// @ts-check
// The strictest lint n8n publishes for community nodes, beyond `n8n-node lint` (which must keep the generated
// one-line eslint.config.mjs in strict mode, so the extra rules cannot live there):
// - n8n-node's own configuration (the `recommended` set of @n8n/eslint-plugin-community-nodes, and
//   eslint-plugin-n8n-nodes-base's community, credentials and nodes sets);
// - every rule the installed @n8n/eslint-plugin-community-nodes exports, also those outside `recommended`;
// - the rules n8n's development branch adds and no published plugin has yet (lib/strict-lint-rules.mjs);
// - warnings count as failures, and `eslint-disable` comments are ignored, as n8n's verification scanner does.
// The three eslint-plugin-n8n-nodes-base rules n8n-node turns off stay off: two want `inputs`/`outputs` as the
// literal ['main'], which the community plugin's node-connection-type-literal forbids (NodeConnectionTypes.Main),
// and n8n's development branch drops all three when it folds that plugin in (docs/verification.md).
//   node scripts/lint-strict.mjs        exit 0 when no rule reports anything
import { createRequire } from 'node:module';
import { ESLint } from 'eslint';
import { reexecUnderNode24, repoRoot, step } from './lib/toolchain.mjs';
import { upcomingCommunityNodeRules } from './lib/strict-lint-rules.mjs';

await reexecUnderNode24(import.meta.url);

const require = createRequire(import.meta.url);
/** @type {import('eslint').Linter.Config[]} */
const n8nNodeConfig = require('@n8n/node-cli/eslint').config;
const COMMUNITY = '@n8n/community-nodes';
const UPCOMING = '@n8n/community-nodes-next';
const community = n8nNodeConfig.map((entry) => entry.plugins?.[COMMUNITY]).find(Boolean);
if (!community?.rules)
	throw new Error(`n8n-node's ESLint configuration no longer registers ${COMMUNITY}`);

/** @param {string} namespace @param {Record<string, unknown>} rules */
const allAsErrors = (namespace, rules) =>
	Object.fromEntries(Object.keys(rules).map((name) => [`${namespace}/${name}`, 'error']));

/** @type {import('eslint').Linter.Config[]} */
const strictConfig = [
	...n8nNodeConfig,
	{ files: ['**/*.ts', 'package.json'], rules: allAsErrors(COMMUNITY, community.rules) },
	{
		files: ['**/*.ts'],
		plugins: { [UPCOMING]: upcomingCommunityNodeRules },
		rules: allAsErrors(UPCOMING, upcomingCommunityNodeRules.rules),
	},
];

step(
	`Strict lint: n8n-node's rules, all ${Object.keys(community.rules).length} of ${COMMUNITY}, ${Object.keys(upcomingCommunityNodeRules.rules).join(', ')}; warnings fail`,
);
const eslint = new ESLint({
	cwd: repoRoot,
	overrideConfigFile: true,
	overrideConfig: strictConfig,
	allowInlineConfig: false,
});
const results = await eslint.lintFiles(['.']);
const errors = results.reduce((sum, r) => sum + r.errorCount, 0);
const warnings = results.reduce((sum, r) => sum + r.warningCount, 0);
if (errors + warnings > 0) {
	console.log(await (await eslint.loadFormatter('stylish')).format(results));
	console.log(
		`Strict lint: ${errors} error(s), ${warnings} warning(s) in ${results.filter((r) => r.messages.length).length} file(s)`,
	);
	process.exit(1);
}
console.log(`Strict lint: ${results.length} files, 0 findings`);
