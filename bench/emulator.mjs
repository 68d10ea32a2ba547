// @ts-check
// The emulator for the bench runs in a CHILD process (`node emulator/cli.mjs --port 0`), so that the CPU time
// and memory it spends rendering PNGs and parsing uploads are not counted as the node's.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { waitForListening } from '../scripts/lib/n8n/process.mjs';
import { EmulatorClient } from '../emulator/client.mjs';

const cliScript = fileURLToPath(new URL('../emulator/cli.mjs', import.meta.url));

/**
 * Callbacks to http://127.0.0.1 are allowed (--allow-insecure-callbacks): the callback scenario needs them.
 * @returns {Promise<BenchEmulator>}
 */
export async function startEmulatorProcess() {
	const key = `sk-bench-${randomBytes(12).toString('hex')}`;
	const args = [cliScript, '--port', '0', '--keys', key, '--allow-insecure-callbacks'];
	const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
	const url = (
		await waitForListening(
			child,
			({ code }, seen) => `The emulator exited (${code}) before listening: ${seen}`,
		)
	).replace(/\/+$/, '');

	// The emulator must not outlive the bench, whatever ends it.
	const kill = () => child.kill('SIGTERM');
	process.once('exit', kill);

	const client = new EmulatorClient(url);
	return Object.assign(client, {
		pid: /** @type {number} */ (child.pid),
		credentials: { apiKey: key, baseUrl: url, filesBaseUrl: url },
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
	});
}

/**
 * @typedef {{ id: string, status: string, createdAt: number, startedAt: number | null, completedAt: number | null,
 *   durationMs: number, outputs: number, width: number, height: number }} EmulatorTask
 * @typedef {EmulatorClient & { pid: number, credentials: { apiKey: string, baseUrl: string, filesBaseUrl: string },
 *   cpuMs(): number, close(): Promise<void> }} BenchEmulator
 */
