// @ts-check
// Executions paused by putExecutionToWait, and the waiting webhook that resumes them: what n8n's CLI keeps in
// its database and serves at /webhook-waiting/<executionId>. Optionally served over real HTTP on 127.0.0.1, so
// the emulator's callbacks (docs/evolink-api.md §4) can reach it.
import { createServer } from 'node:http';
import { resumeWaitingExecution } from './resume.mjs';

/**
 * @typedef {import('./resume.mjs').WaitingRequest & { url?: string }} ResumeRequest
 * @typedef {{ run: import('n8n-workflow').IRun, state: 'waiting' | 'running' | 'finished',
 *   resume: (request: import('./resume.mjs').WaitingRequest) => Promise<Awaited<ReturnType<typeof resumeWaitingExecution>> & ResumedExecution>,
 *   resumed: PromiseWithResolvers<any> }} WaitingExecution
 */

/**
 * @typedef {{ executedNodes: string[], executionId: string, instanceUrl: string }} ResumedExecution
 */

/**
 * @param {{ onResumed: (run: import('n8n-workflow').IRun, execution: ResumedExecution) => any }} hooks
 *   onResumed turns the resumed run into the harness's Result
 */
export function createWaitingExecutions({ onResumed }) {
	/** @type {Map<string, WaitingExecution>} */
	const executions = new Map();
	/** @type {import('node:http').Server | undefined} */
	let server;

	/**
	 * n8n's answers: 404 unknown execution, 409 running or finished, 401 wrong signature token.
	 * @param {string} executionId
	 * @param {string | null} signature
	 * @param {import('./resume.mjs').WaitingRequest} request
	 * @returns {Promise<{ response: import('./resume.mjs').WaitingResponse, result?: any }>}
	 */
	async function resume(executionId, signature, request) {
		const execution = executions.get(executionId);
		if (!execution) return refuse(404, `The execution "${executionId}" does not exist.`);
		if (execution.state === 'running')
			return refuse(409, `The execution "${executionId}" is running already.`);
		if (execution.state === 'finished')
			return refuse(409, `The execution "${executionId} has finished already.`);
		if (execution.run.data.resumeToken && signature !== execution.run.data.resumeToken) {
			return { response: { status: 401, body: { error: 'Invalid token' } } };
		}
		// As in n8n, the execution stays 'waiting' while the node's webhook() runs (n8n marks it running when the run
		// continues), so a second call can reach webhook() meanwhile; each call works on its own copy of the run.
		try {
			const { response, execution: resumed, ...resumedExecution } = await execution.resume(request);
			if (!resumed) return { response };
			if (execution.state !== 'waiting') {
				resumed.cancel();
				return refuse(409, `The execution "${executionId}" is running already.`);
			}
			execution.state = 'running';
			const run = await resumed;
			execution.state = run.status === 'waiting' ? 'waiting' : 'finished';
			if (run.status === 'waiting') execution.run = run;
			const result = onResumed(run, resumedExecution);
			execution.resumed.resolve(result);
			if (run.status === 'waiting') execution.resumed = newDeferred();
			return { response, result };
		} catch (error) {
			execution.state = 'waiting';
			execution.resumed.reject(error);
			return refuse(500, /** @type {Error} */ (error).message);
		}
	}

	return {
		/**
		 * @param {string} executionId
		 * @param {import('n8n-workflow').IRun} run
		 * @param {WaitingExecution['resume']} resumeRun
		 */
		register(executionId, run, resumeRun) {
			executions.set(executionId, {
				run,
				state: 'waiting',
				resume: resumeRun,
				resumed: newDeferred(),
			});
		},

		/**
		 * Calls the waiting webhook of a waiting Result; request.url defaults to its resumeUrl.
		 * @param {{ resumeUrl?: string }} result
		 * @param {ResumeRequest} [request]
		 */
		async resumeWorkflow(result, request = {}) {
			const url = new URL(request.url ?? result.resumeUrl ?? '');
			const executionId = decodeURIComponent(url.pathname.split('/').filter(Boolean).pop() ?? '');
			const query = Object.fromEntries(url.searchParams);
			return await resume(executionId, url.searchParams.get('signature'), { ...request, query });
		},

		/** The Result of the run that continues after the waiting webhook is called (by HTTP or resumeWorkflow). */
		async waitForResume(
			/** @type {{ run: import('n8n-workflow').IRun, executionId: string }} */ result,
		) {
			const execution = executions.get(result.executionId);
			if (!execution) throw new Error(`Execution ${result.executionId} is not waiting`);
			return await execution.resumed.promise;
		},

		/** Serves <url>/webhook-waiting/<executionId> on 127.0.0.1; resolves to the base URL. */
		async listen() {
			server = createServer((req, res) => {
				void handle(req, res);
			});
			await new Promise((resolve) => server?.listen(0, '127.0.0.1', () => resolve(undefined)));
			const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
			return `http://127.0.0.1:${port}`;
		},

		async close() {
			if (!server) return;
			const closing = new Promise((resolve) => server?.close(resolve));
			server.closeAllConnections();
			await closing;
		},
	};

	/** @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res */
	async function handle(req, res) {
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		const [prefix, executionId] = url.pathname.split('/').filter(Boolean);
		/** @type {{ response: import('./resume.mjs').WaitingResponse }} */
		let outcome;
		if (prefix !== 'webhook-waiting' || !executionId) {
			outcome = refuse(404, `No route ${req.method} ${url.pathname}`);
		} else {
			const chunks = [];
			for await (const chunk of req) chunks.push(chunk);
			const text = Buffer.concat(chunks).toString('utf8');
			let body = text;
			try {
				if (/json/i.test(req.headers['content-type'] ?? '') && text) body = JSON.parse(text);
			} catch {
				body = text;
			}
			outcome = await resume(decodeURIComponent(executionId), url.searchParams.get('signature'), {
				method: req.method,
				body,
				headers: /** @type {Record<string, string>} */ (req.headers),
				query: Object.fromEntries(url.searchParams),
			});
		}
		const { status, body } = outcome.response;
		const payload =
			body === undefined || body === ''
				? ''
				: typeof body === 'string'
					? body
					: JSON.stringify(body);
		res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
		res.end(payload);
	}
}

/** A deferred whose rejection is not unhandled when no test waits for it. */
function newDeferred() {
	const deferred = Promise.withResolvers();
	deferred.promise.catch(() => {});
	return deferred;
}

/** @param {number} status @param {string} message */
function refuse(status, message) {
	return { response: { status, body: { code: status, message } } };
}
