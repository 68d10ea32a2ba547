// @ts-check
// A scripted OpenAI-compatible chat model on 127.0.0.1, so n8n's real AI Agent can run offline with the real
// "OpenAI Chat Model" node pointed at it (credential Base URL). It plays one turn of a tool-using model:
// - a request with no tool result yet: answer with one call of the offered tool whose name contains
//   `toolName`, with `toolArguments`;
// - a request carrying the tool's result: answer in words, quoting every image URL found in that result.
// It records each request body so a test can check what the agent sent (tools offered, tool results).
import http from 'node:http';

/**
 * @param {{ toolName: string, toolArguments: Record<string, unknown> }} script
 */
export async function startChatModel(script) {
	/** @type {any[]} */
	const requests = [];
	const server = http.createServer((req, res) => {
		let body = '';
		req.setEncoding('utf8');
		req.on('data', (chunk) => (body += chunk));
		req.on('end', () => {
			if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
				res
					.writeHead(404, { 'content-type': 'application/json' })
					.end('{"error":{"message":"not found"}}');
				return;
			}
			const request = JSON.parse(body);
			requests.push(request);
			const message = reply(request, script);
			const completion = {
				id: `chatcmpl-local-${requests.length}`,
				object: 'chat.completion',
				created: Math.floor(Date.now() / 1000),
				model: request.model,
				choices: [{ index: 0, message, finish_reason: message.tool_calls ? 'tool_calls' : 'stop' }],
				usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
			};
			if (request.stream) {
				// The same answer as one server-sent chunk (tool calls carry their index when streamed).
				const delta = message.tool_calls
					? {
							role: 'assistant',
							tool_calls: message.tool_calls.map((/** @type {any} */ c, index) => ({
								index,
								...c,
							})),
						}
					: { role: 'assistant', content: message.content };
				const chunk = {
					...completion,
					object: 'chat.completion.chunk',
					choices: [{ index: 0, delta, finish_reason: completion.choices[0].finish_reason }],
				};
				res.writeHead(200, { 'content-type': 'text/event-stream' });
				res.end(`data: ${JSON.stringify(chunk)}\n\ndata: [DONE]\n\n`);
				return;
			}
			res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(completion));
		});
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
	const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
	return {
		/** The Base URL for an OpenAI credential. */
		url: `http://127.0.0.1:${port}/v1`,
		requests,
		close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
	};
}

/** @param {any} request @param {{ toolName: string, toolArguments: Record<string, unknown> }} script */
function reply(request, script) {
	const results = (request.messages ?? []).filter((/** @type {any} */ m) => m.role === 'tool');
	if (results.length === 0) {
		const tool = (request.tools ?? []).find((/** @type {any} */ t) =>
			t.function?.name?.includes(script.toolName),
		);
		if (!tool)
			return { role: 'assistant', content: `No tool named like ${script.toolName} was offered.` };
		return {
			role: 'assistant',
			content: null,
			tool_calls: [
				{
					id: 'call_local_1',
					type: 'function',
					function: { name: tool.function.name, arguments: JSON.stringify(script.toolArguments) },
				},
			],
		};
	}
	const text = results
		.map((/** @type {any} */ m) =>
			typeof m.content === 'string' ? m.content : JSON.stringify(m.content),
		)
		.join('\n');
	const urls = [...new Set(text.match(/https?:\/\/[^\s"\\]+/g) ?? [])];
	return { role: 'assistant', content: `Here is your picture: ${urls.join(' ')}` };
}
