// @ts-check
// The Seedream tool reached by an AI agent outside n8n: n8n's MCP Server Trigger exposes it over the Model
// Context Protocol, and the official MCP client SDK (@modelcontextprotocol/sdk) drives it the way an agent's
// host does: connect, list the tools, call one. Both transports the trigger offers are used: Streamable HTTP
// (POST to the trigger's URL) and the older SSE (GET opens the stream, POSTs carry the messages). The client
// authenticates with a bearer token, as the README tells users to set the trigger up.
import { afterAll, describe, expect, test } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { NODE_TYPE } from '../../../scripts/lib/n8n/install.mjs';
import { repoRoot } from '../../../scripts/lib/toolchain.mjs';
import { readPng } from '../../harness/png.mjs';
import { removeWorkflow, until } from '../support/run.mjs';

const TOOL_NODE = 'Generate Image';

const TOOL_NAME = 'Generate_Image';

/** @param {() => import('../support/instance.mjs').E2eInstance} get */
export function mcpTests(get) {
	describe('MCP Server Trigger with the Seedream tool, driven by the MCP client SDK', () => {
		const path = `seedream-${randomBytes(8).toString('hex')}`;
		const token = randomBytes(24).toString('hex');
		/** @type {string | undefined} */
		let workflowId;
		/** @type {string | undefined} */
		let bearerCredentialId;
		/** Milliseconds per step per transport, and the tool as listed: test-results/mcp-figures.json. @type {Record<string, any>} */
		const figures = {};
		afterAll(() => {
			mkdirSync(join(repoRoot, 'test-results'), { recursive: true });
			writeFileSync(
				join(repoRoot, 'test-results', 'mcp-figures.json'),
				JSON.stringify(figures, null, 2) + '\n',
			);
		});

		/** @param {'streamable' | 'sse'} kind */
		async function connect(kind) {
			const url = new URL(`${get().url}/mcp/${path}`);
			const requestInit = { headers: { authorization: `Bearer ${token}` } };
			const transport =
				kind === 'streamable'
					? new StreamableHTTPClientTransport(url, { requestInit })
					: // The SSE stream itself is opened with fetch: give the header there too.
						new SSEClientTransport(url, {
							requestInit,
							eventSourceInit: {
								fetch: (input, init) =>
									fetch(input, {
										...init,
										headers: { ...init?.headers, authorization: `Bearer ${token}` },
									}),
							},
						});
			const client = new Client({ name: 'n8n-nodes-seedream-e2e', version: '1.0.0' });
			await client.connect(transport);
			return client;
		}

		test('the workflow (MCP Server Trigger <- Seedream tool) saves and activates', async () => {
			const instance = get();
			const bearer = await instance.client.rest('POST', '/rest/credentials', {
				name: 'e2e: MCP bearer token',
				type: 'httpBearerAuth',
				data: { token },
			});
			bearerCredentialId = String(bearer.id);
			const created = await instance.client.rest('POST', '/rest/workflows', {
				name: 'e2e: Seedream over MCP',
				nodes: [
					{
						id: randomUUID(),
						name: 'MCP Server Trigger',
						type: '@n8n/n8n-nodes-langchain.mcpTrigger',
						typeVersion: 2.1,
						position: [0, 0],
						webhookId: randomUUID(),
						parameters: { authentication: 'bearerAuth', path },
						credentials: { httpBearerAuth: { id: bearerCredentialId, name: bearer.name } },
					},
					{
						id: randomUUID(),
						name: TOOL_NODE,
						type: `${NODE_TYPE}Tool`,
						typeVersion: 1.1,
						position: [0, 240],
						parameters: {
							resource: 'image',
							operation: 'generate',
							prompt:
								"={{ $fromAI('prompt', 'A detailed description of the picture to draw, in English', 'string') }}",
							sizeMode: 'preset',
							size: '1K',
						},
						credentials: {
							seedreamApi: { id: instance.credential.id, name: instance.credential.name },
						},
					},
				],
				connections: {
					[TOOL_NODE]: { ai_tool: [[{ node: 'MCP Server Trigger', type: 'ai_tool', index: 0 }]] },
				},
				settings: { executionOrder: 'v1' },
			});
			workflowId = String(created.id);
			const activated = await instance.client.api(
				'POST',
				`/api/v1/workflows/${workflowId}/activate`,
			);
			expect(activated.active).toBe(true);
			// n8n registers the production URL a moment after activation: until then it answers 404.
			await until(
				async () => (await fetch(`${instance.url}/mcp/${path}`, { method: 'POST' })).status !== 404,
				'the MCP URL to be registered',
			);
		}, 60_000);

		test('without the bearer token the MCP endpoint refuses the client', async () => {
			const response = await fetch(`${get().url}/mcp/${path}`, {
				method: 'POST',
				headers: {
					'content-type': 'application/json',
					accept: 'application/json, text/event-stream',
				},
				body: JSON.stringify({
					jsonrpc: '2.0',
					id: 1,
					method: 'initialize',
					params: {
						protocolVersion: '2025-03-26',
						capabilities: {},
						clientInfo: { name: 'x', version: '1' },
					},
				}),
			});
			expect(response.status).toBe(403);
		}, 30_000);

		for (const kind of /** @type {const} */ (['streamable', 'sse'])) {
			test(`over ${kind === 'streamable' ? 'Streamable HTTP' : 'SSE'}: the client lists the tool with a description and a prompt parameter, calls it, and gets the task ID and a working image URL, no binary`, async () => {
				const instance = get();
				if (!workflowId) throw new Error('the MCP workflow was not created (see the first test)');
				const times = (figures[kind] = {});
				let started = Date.now();
				const client = await connect(kind);
				try {
					times.connectMs = Date.now() - started;

					started = Date.now();
					const { tools } = await client.listTools();
					times.listToolsMs = Date.now() - started;
					const tool = tools.find((t) => t.name === TOOL_NAME);
					figures.tool = { ...tool };
					expect(tool).toBeDefined();
					// What an agent reads to decide to call it, and what to send.
					expect(tool?.description).toMatch(/image/i);
					expect(tool?.inputSchema).toEqual(
						expect.objectContaining({
							type: 'object',
							properties: expect.objectContaining({
								prompt: expect.objectContaining({
									type: 'string',
									description: expect.stringContaining('picture to draw'),
								}),
							}),
							required: expect.arrayContaining(['prompt']),
						}),
					);

					const prompt = `A paper boat on a pond, ink drawing (${kind})`;
					const since = await instance.emulator.lastSeq();
					started = Date.now();
					const result =
						/** @type {{ content: { type: string, text?: string, data?: string }[], isError?: boolean }} */ (
							await client.callTool({ name: TOOL_NAME, arguments: { prompt } })
						);
					times.callToolMs = Date.now() - started;
					expect(result.isError).toBeFalsy();
					// Text an agent can read, no image bytes: the binary stays in n8n.
					expect(result.content.map((c) => c.type)).toEqual(['text']);
					const answer = JSON.parse(String(result.content[0].text));
					const [first] = Array.isArray(answer) ? answer : [answer];
					expect(first).toEqual(
						expect.objectContaining({
							taskId: expect.stringMatching(/^task-unified-/),
							status: 'completed',
							imageUrls: [expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\//)],
							expiresAt: expect.any(String),
						}),
					);
					expect(JSON.stringify(answer)).not.toMatch(/"data"\s*:|base64/);

					// The task was made from the agent's prompt, and the URL is the task's real 1024x1024 PNG.
					const creates = (await instance.emulator.requestsSince(since)).filter(
						(r) => r.method === 'POST' && r.path === '/v1/images/generations',
					);
					expect(creates.map((r) => r.taskId)).toEqual([first.taskId]);
					expect(creates[0].body.prompt).toBe(prompt);
					const image = await fetch(first.imageUrls[0]);
					expect(image.status).toBe(200);
					expect(readPng(Buffer.from(await image.arrayBuffer()))).toEqual(
						expect.objectContaining({ width: 1024, height: 1024 }),
					);
				} finally {
					await client.close();
				}
			}, 180_000);
		}

		test('cleans up: the workflow and the bearer credential are removed', async () => {
			const instance = get();
			if (workflowId) {
				await instance.client.api('POST', `/api/v1/workflows/${workflowId}/deactivate`);
				// Deleting right after deactivating gets 409 ("still being unpublished") for a moment.
				const id = workflowId;
				await until(
					() =>
						removeWorkflow(instance, id).then(
							() => true,
							() => false,
						),
					'the workflow to be deleted',
				);
			}
			if (bearerCredentialId)
				await instance.client.rest('DELETE', `/rest/credentials/${bearerCredentialId}`);
			const response = await fetch(`${instance.url}/mcp/${path}`, {
				method: 'POST',
				headers: { authorization: `Bearer ${token}` },
			});
			expect(response.status).toBe(404);
		}, 60_000);
	});
}
