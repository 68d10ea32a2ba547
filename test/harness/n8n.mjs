// @ts-check
// The n8n libraries, loaded once per module registry (jest gives each test file its own) after the environment
// they read is in place: n8n's @Config classes read env once, at the first Container.get().
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// G6: InstanceSettings writes <N8N_USER_FOLDER>/.n8n/config (a generated encryption key) on first use; it must
// never land in $HOME. One folder per module registry, because the container keeps the path it read first.
export const userFolder = mkdtempSync(join(tmpdir(), 'seedream-harness-'));
const storagePath = join(userFolder, '.n8n', 'storage');

process.env.N8N_USER_FOLDER = userFolder;
process.env.N8N_BINARY_DATA_STORAGE_PATH = storagePath;
process.env.N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS = 'false';
// G7: the ErrorReporter logs every node error (axios stack, request config) to stdout; tests expect errors.
process.env.N8N_LOG_LEVEL = 'silent';
process.env.N8N_DIAGNOSTICS_ENABLED = 'false';
// The mode is switched per harness through BinaryDataConfig (harness doc section 7); this is only the start value.
process.env.N8N_DEFAULT_BINARY_DATA_MODE ??= 'default';

// G1: n8n-workflow's ESM build uses extensionless specifiers, and a second copy would not share classes with the
// CJS one n8n-core uses (ICredentialsHelper, Workflow). So everything comes through require.
const require = createRequire(import.meta.url);

/** @type {typeof import('n8n-core')} */
export const core = require('n8n-core');
// n8n-core may nest its own @n8n/di (it does in our lockfile); the container must be the one n8n-core uses.
/** @type {typeof import('@n8n/di')} */
export const di = createRequire(require.resolve('n8n-core'))('@n8n/di');
/** @type {typeof import('n8n-workflow')} */
export const workflowLib = require('n8n-workflow');

/** Recreates the user folder after a harness removed it (the container still points at the same path). */
export function ensureUserFolder() {
	mkdirSync(storagePath, { recursive: true });
}

export function removeUserFolder() {
	rmSync(userFolder, { recursive: true, force: true });
}
