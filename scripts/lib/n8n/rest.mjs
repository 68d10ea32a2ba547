// @ts-check
// n8n's REST API (the editor's, with a session cookie) and its public API (with a key), as the tests and
// `npm start` use them on n8n 1.x and 2.x.
import { randomUUID } from 'node:crypto';
import { CREDENTIAL_TYPE } from './install.mjs';

/** @typedef {import('./process.mjs').Owner} Owner */

/** The one Seedream credential `npm start` keeps up to date (emulator or real API) and the examples use. */
export const CREDENTIAL_NAME = 'Seedream account';

/**
 * n8n's list endpoints answer `[...]`, `{ data: [...] }` (unwrapped by rest()) or `{ items: [...] }` (paginated).
 * @param {any} answer @returns {any[]}
 */
function listOf(answer) {
	if (Array.isArray(answer)) return answer;
	if (Array.isArray(answer?.items)) return answer.items;
	if (Array.isArray(answer?.data)) return answer.data;
	throw new Error(`Expected a list from n8n, got ${JSON.stringify(answer).slice(0, 200)}`);
}

/** n8n's REST API (the editor's, cookie session) and its public API (key), with errors that say what failed. */
export class N8nClient {
	/** @param {string} baseUrl */
	constructor(baseUrl) {
		this.baseUrl = baseUrl;
		this.cookie = '';
		// The editor sends one per tab; n8n ties the session to it for some endpoints.
		this.browserId = randomUUID();
		this.apiKey = '';
		/** @type {number | undefined} */
		this.majorVersion = undefined;
	}

	/** @param {Owner} owner */
	async login(owner) {
		const response = await fetch(`${this.baseUrl}/rest/login`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'browser-id': this.browserId },
			body: JSON.stringify({ emailOrLdapLoginId: owner.email, password: owner.password }),
		});
		if (!response.ok)
			throw new Error(
				`Login as ${owner.email} failed: ${response.status} ${await response.text()}`,
			);
		this.cookie = response.headers
			.getSetCookie()
			.map((c) => c.split(';')[0])
			.join('; ');
		return (await response.json()).data;
	}

	/**
	 * @param {string} method @param {string} path e.g. `/rest/workflows` @param {unknown} [body]
	 * @param {{ raw?: boolean }} [options] raw: return the Response (binary downloads, status checks)
	 */
	async rest(method, path, body, options = {}) {
		const response = await fetch(`${this.baseUrl}${path}`, {
			method,
			headers: {
				cookie: this.cookie,
				'browser-id': this.browserId,
				...(body === undefined ? {} : { 'content-type': 'application/json' }),
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		if (options.raw) return response;
		const text = await response.text();
		if (!response.ok)
			throw new Error(`${method} ${path} -> ${response.status}: ${text.slice(0, 500)}`);
		const json = text ? JSON.parse(text) : {};
		return 'data' in json ? json.data : json;
	}

	/** @param {string} method @param {string} path e.g. `/api/v1/executions/1` @param {unknown} [body] */
	async api(method, path, body) {
		const response = await fetch(`${this.baseUrl}${path}`, {
			method,
			headers: {
				'x-n8n-api-key': this.apiKey,
				...(body === undefined ? {} : { 'content-type': 'application/json' }),
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await response.text();
		if (!response.ok)
			throw new Error(`${method} ${path} -> ${response.status}: ${text.slice(0, 500)}`);
		return text ? JSON.parse(text) : {};
	}

	/**
	 * A public-API key with every scope the owner may grant (n8n shows its value once). An older key with the same
	 * label is deleted first, so that restarts do not pile keys up.
	 */
	async createApiKey(label = 'n8n-nodes-seedream') {
		for (const key of listOf(await this.rest('GET', '/rest/api-keys'))) {
			if (key.label === label) await this.rest('DELETE', `/rest/api-keys/${key.id}`);
		}
		const scopes = await this.rest('GET', '/rest/api-keys/scopes');
		const created = await this.rest('POST', '/rest/api-keys', { label, scopes, expiresAt: null });
		this.apiKey = created.rawApiKey;
		return created;
	}

	/** @param {string} name */
	async findCredential(name) {
		const list = listOf(await this.rest('GET', '/rest/credentials'));
		return list.find(
			(/** @type {{ name: string, type: string }} */ c) =>
				c.name === name && c.type === CREDENTIAL_TYPE,
		);
	}

	/**
	 * Creates the Seedream credential, or updates it so that it points where this run says.
	 * @param {{ apiKey: string, baseUrl: string, filesBaseUrl: string }} data @param {string} [name]
	 * @returns {Promise<{ id: string, name: string, created: boolean }>}
	 */
	async upsertCredential(data, name = CREDENTIAL_NAME) {
		const existing = await this.findCredential(name);
		if (existing) {
			await this.rest('PATCH', `/rest/credentials/${existing.id}`, {
				name,
				type: CREDENTIAL_TYPE,
				data,
			});
			return { id: existing.id, name, created: false };
		}
		const created = await this.rest('POST', '/rest/credentials', {
			name,
			type: CREDENTIAL_TYPE,
			data,
		});
		return { id: created.id, name, created: true };
	}

	/**
	 * Runs n8n's own credential test (the editor's "Retry"/"Save" check), for saved or unsaved data.
	 * @param {{ id?: string, name?: string, data?: Record<string, unknown> }} credential
	 * @returns {Promise<{ status: 'OK' | 'Error', message: string }>}
	 */
	async testCredential(credential) {
		return await this.rest('POST', '/rest/credentials/test', {
			credentials: {
				id: credential.id ?? '',
				name: credential.name ?? CREDENTIAL_NAME,
				type: CREDENTIAL_TYPE,
				data: credential.data,
			},
		});
	}

	/**
	 * Saves a new workflow, inactive. n8n 1.x needs `active` in the body (its column is NOT NULL); 2.x accepts it.
	 * @param {Record<string, unknown>} workflow @returns {Promise<Record<string, any> & { id: string, name: string }>}
	 */
	async createWorkflow(workflow) {
		return await this.rest('POST', '/rest/workflows', { active: false, ...workflow });
	}

	/**
	 * Turns a saved workflow on through the public API: `activate` exists on 1.x and 2.x (2.x also calls it
	 * publish; 1.x answers 405 to `/publish`).
	 * @param {string} workflowId
	 */
	async activateWorkflow(workflowId) {
		return await this.api('POST', `/api/v1/workflows/${workflowId}/activate`);
	}

	async listWorkflows() {
		return /** @type {{ id: string, name: string }[]} */ (
			listOf(await this.rest('GET', '/rest/workflows'))
		);
	}

	/** The running n8n's major version, read once from its settings. @returns {Promise<number>} */
	async major() {
		this.majorVersion ??= Number(
			String((await this.rest('GET', '/rest/settings')).versionCli).split('.')[0],
		);
		return this.majorVersion;
	}

	/**
	 * A manual run as the editor starts it (POST /rest/workflows/:id/run). n8n 1.x runs the workflow the editor
	 * sends in `workflowData`; 2.x runs the saved one and takes the rest of the body alone.
	 * @param {string} workflowId @param {Record<string, unknown>} body
	 */
	async manualRun(workflowId, body) {
		const workflowData =
			(await this.major()) < 2
				? await this.rest('GET', `/rest/workflows/${workflowId}`)
				: undefined;
		return await this.rest(
			'POST',
			`/rest/workflows/${workflowId}/run`,
			workflowData ? { workflowData, ...body } : body,
		);
	}

	/**
	 * Manual run of a saved workflow from its trigger, as the editor's "Execute workflow" button does.
	 * @param {string} workflowId @param {string} triggerName
	 * @returns {Promise<string>} execution id
	 */
	async runWorkflow(workflowId, triggerName) {
		const result = await this.manualRun(workflowId, { triggerToStartFrom: { name: triggerName } });
		if (!result.executionId)
			throw new Error(`Workflow ${workflowId} did not start: ${JSON.stringify(result)}`);
		return String(result.executionId);
	}

	/**
	 * Reads an execution through the public API until it has ended (success, error, crashed, canceled).
	 * @param {string} executionId @param {{ timeoutMs?: number }} [options]
	 */
	async waitForExecution(executionId, { timeoutMs = 120_000 } = {}) {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const execution = await this.api('GET', `/api/v1/executions/${executionId}?includeData=true`);
			const ended =
				execution.finished ||
				['success', 'error', 'crashed', 'canceled'].includes(execution.status);
			// n8n 1.x can report an execution ended a moment before its data is stored ("Found successful
			// execution where data is empty", or a resumed node without its run yet): read it again until it is.
			const runs = Object.values(execution.data?.resultData?.runData ?? {});
			if (
				ended &&
				execution.data?.resultData &&
				runs.every((r) => Array.isArray(r) && r.length > 0)
			)
				return execution;
			if (Date.now() > deadline)
				throw new Error(
					`Execution ${executionId} still ${execution.status} after ${timeoutMs / 1000} s`,
				);
			await new Promise((resolve) => setTimeout(resolve, 300));
		}
	}

	/**
	 * The bytes of a binary entry of an execution's output, whether stored inline or in n8n's binary store.
	 * @param {{ id?: string, data?: string }} binary
	 */
	async binaryBytes(binary) {
		if (!binary.id) return Buffer.from(binary.data ?? '', 'base64');
		const response = /** @type {Response} */ (
			await this.rest(
				'GET',
				`/rest/binary-data?id=${encodeURIComponent(binary.id)}&action=download`,
				undefined,
				{ raw: true },
			)
		);
		if (!response.ok)
			throw new Error(`Binary ${binary.id}: ${response.status} ${await response.text()}`);
		return Buffer.from(await response.arrayBuffer());
	}
}
