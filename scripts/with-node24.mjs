// @ts-check
// Runs a repository script under Node 24 after installing what is missing: `node scripts/with-node24.mjs <script> [args]`.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { reexecUnderNode24, repoRoot } from './lib/toolchain.mjs';

await reexecUnderNode24(import.meta.url);
const [script, ...args] = process.argv.slice(2);
if (!script) {
	console.error('usage: node scripts/with-node24.mjs <script.mjs> [args...]');
	process.exit(2);
}
process.argv = [process.argv[0], resolve(repoRoot, script), ...args];
await import(pathToFileURL(resolve(repoRoot, script)).href);
