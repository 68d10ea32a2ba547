// @ts-check
// What `npm start` (and every e2e instance) puts into a running n8n: the owner's session and an API key, the
// Seedream credential pointing at the emulator or the real API, and the example workflows.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../toolchain.mjs';
import { CREDENTIAL_TYPE } from './install.mjs';
import { CREDENTIAL_NAME, N8nClient } from './rest.mjs';

/** @typedef {import('./process.mjs').Owner} Owner */

/** The emulator's default key (emulator/server.mjs): not a secret, it opens nothing but the local emulator. */
export const EMULATOR_KEY = 'sk-emulator-demo';
/** A documented demo login for a loopback-only instance; override with SEEDREAM_OWNER_EMAIL / _PASSWORD. */
export const DEMO_OWNER = Object.freeze({
	email: 'demo@n8n-nodes-seedream.dev',
	password: 'Seedream-demo-1',
});
export const REAL_API = Object.freeze({
	baseUrl: 'https://api.evolink.ai',
	filesBaseUrl: 'https://files-api.evolink.ai',
});
export const examplesDir = join(repoRoot, 'examples');

/** The example workflows shipped in examples/, by file name. */
export function readExamples() {
	if (!existsSync(examplesDir)) return [];
	return readdirSync(examplesDir)
		.filter((file) => file.endsWith('.json'))
		.sort()
		.map((file) => ({ file, workflow: JSON.parse(readFileSync(join(examplesDir, file), 'utf8')) }));
}

/**
 * Points every Seedream credential reference of a workflow at the given credential.
 * @param {Record<string, any> & { nodes: { type?: string, webhookId?: string, credentials?: Record<string, { id: string, name: string }> }[] }} workflow
 * @param {{ id: string, name: string }} credential
 */
export function withCredential(workflow, credential) {
	/** @type {Record<string, any>} */
	const result = {
		...workflow,
		nodes: workflow.nodes.map((node) => {
			const linked = node.credentials?.[CREDENTIAL_TYPE]
				? {
						...node,
						credentials: {
							...node.credentials,
							[CREDENTIAL_TYPE]: { id: credential.id, name: credential.name },
						},
					}
				: node;
			// A webhook's ID is its URL: the shipped examples carry none, so each instance gets its own
			// unguessable one (the Seedream Trigger uses it as its URL token) instead of one everybody knows.
			return node.type?.endsWith('.seedreamTrigger') && !node.webhookId
				? { ...linked, webhookId: randomUUID() }
				: linked;
		}),
	};
	return result;
}

/**
 * Imports the examples that are not there yet (matched by name: a user's edits to an imported example are kept).
 * @param {N8nClient} client @param {{ id: string, name: string }} credential
 * @returns {Promise<{ file: string, id: string, name: string, created: boolean }[]>}
 */
export async function importExamples(client, credential) {
	const existing = await client.listWorkflows();
	const imported = [];
	for (const { file, workflow } of readExamples()) {
		const found = existing.find((w) => w.name === workflow.name);
		if (found) {
			imported.push({ file, id: found.id, name: found.name, created: false });
			continue;
		}
		const {
			id: _id,
			active: _active,
			versionId: _versionId,
			...body
		} = withCredential(workflow, credential);
		const created = await client.createWorkflow(body);
		imported.push({ file, id: created.id, name: created.name, created: true });
	}
	return imported;
}

/**
 * What `npm start` sets up in a running n8n (single or the main of a cluster): the owner's session and an API
 * key, the Seedream credential pointing at the emulator (or the real API), the examples.
 * @param {string} url n8n's editor URL
 * @param {{ owner: Owner, realApi?: { apiKey: string, baseUrl?: string, filesBaseUrl?: string }, emulatorUrl?: string }} options
 */
export async function setUpDemo(url, { owner, realApi, emulatorUrl }) {
	const client = new N8nClient(url);
	await client.login(owner);
	await client.createApiKey();
	const credentialData = realApi
		? {
				apiKey: realApi.apiKey,
				baseUrl: realApi.baseUrl ?? REAL_API.baseUrl,
				filesBaseUrl: realApi.filesBaseUrl ?? REAL_API.filesBaseUrl,
			}
		: { apiKey: EMULATOR_KEY, baseUrl: String(emulatorUrl), filesBaseUrl: String(emulatorUrl) };
	const credential = await client.upsertCredential(credentialData);
	const workflows = await importExamples(client, credential);
	return { client, credential, workflows };
}
