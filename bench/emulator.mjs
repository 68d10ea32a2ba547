// @ts-check
// The emulator for the bench runs in a CHILD process (`node emulator/server.mjs --port 0`), so that the CPU time
// and memory it spends rendering PNGs and parsing uploads are not counted as the node's.
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { waitForListening } from '../scripts/lib/n8n/process.mjs';

const serverScript = fileURLToPath(new URL('../emulator/server.mjs', import.meta.url));

/**
 * Callbacks to http://127.0.0.1 are allowed (--allow-insecure-callbacks): the callback scenario needs them.
 * @returns {Promise<BenchEmulator>}
 */
export async function startEmulatorProcess() {
	const key = `sk-bench-${randomBytes(12).toString('hex')}`;
	const args = [serverScript, '--port', '0', '--keys', key, '--allow-insecure-callbacks'];
	const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
	const url = (await waitForListening(child, ({ code }, seen) => `The emulator exited (${code}) before listening: ${seen}`)).replace(/\/+$/, '');

	// The emulator must not outlive the bench, whatever ends it.
	const kill = () => child.kill('SIGTERM');
	process.once('exit', kill);

	/**
	 * A fresh connection per call (agent: false): a kept-alive one can be closed by the server's idle timeout just
	 * as a long scenario step reuses it.
	 * @param {string} method @param {string} path @param {unknown} [body]
	 */
	function call(method, path, body) {
		const payload = body === undefined ? undefined : JSON.stringify(body);
		return new Promise((resolve, reject) => {
			const req = request(`${url}/__emulator${path}`, {
				method,
				agent: false,
				headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
			});
			req.once('error', reject);
			req.once('response', (res) => {
				/** @type {Buffer[]} */
				const chunks = [];
				res.on('data', (chunk) => chunks.push(chunk));
				res.once('error', reject);
				res.once('end', () => {
					const text = Buffer.concat(chunks).toString('utf8');
					const status = res.statusCode ?? 0;
					if (status >= 400) reject(new Error(`Emulator ${method} /__emulator${path} answered ${status}: ${text}`));
					else resolve(text ? JSON.parse(text) : undefined);
				});
			});
			req.end(payload);
		});
	}

	return {
		url,
		pid: /** @type {number} */ (child.pid),
		credentials: { apiKey: key, baseUrl: url, filesBaseUrl: url },
		/** Back to the start values (tasks, files, request log, config), so each scenario reads only its own. */
		reset: () => call('POST', '/reset'),
		config: (/** @type {Record<string, unknown>} */ settings) => call('POST', '/config', settings),
		fault: (/** @type {Record<string, unknown>} */ fault) => call('POST', '/faults', fault),
		/** @returns {Promise<EmulatorRequest[]>} */
		requests: () => call('GET', '/requests'),
		/** @returns {Promise<EmulatorTask[]>} */
		tasks: () => call('GET', '/tasks'),
		/** @returns {Promise<any[]>} */
		callbacks: () => call('GET', '/callbacks'),
		/** CPU time the emulator process has used so far (Linux /proc; clock ticks of 10 ms). */
		cpuMs() {
			const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
			return (Number(fields[11]) + Number(fields[12])) * 10;
		},
		async close() {
			process.off('exit', kill);
			if (child.exitCode !== null) return;
			const exited = new Promise((resolve) => child.once('exit', resolve));
			child.kill('SIGTERM');
			await exited;
		},
	};
}

/**
 * @typedef {{ seq: number, time: string, method: string, path: string, status: number | null, taskId?: string,
 *   body?: any }} EmulatorRequest
 * @typedef {{ id: string, status: string, createdAt: number, startedAt: number | null, completedAt: number | null,
 *   durationMs: number, outputs: number, width: number, height: number }} EmulatorTask
 * @typedef {{ url: string, pid: number, credentials: { apiKey: string, baseUrl: string, filesBaseUrl: string },
 *   reset(): Promise<unknown>, config(settings: Record<string, unknown>): Promise<unknown>,
 *   fault(fault: Record<string, unknown>): Promise<unknown>, requests(): Promise<EmulatorRequest[]>,
 *   tasks(): Promise<EmulatorTask[]>, callbacks(): Promise<any[]>, cpuMs(): number, close(): Promise<void> }} BenchEmulator
 */
