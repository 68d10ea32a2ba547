// @ts-check
// `npm start` as a user runs it, for the tests of scripts/start.mjs: `node scripts/start.mjs [args]` in its own
// process group (so that Ctrl-C can go to the group, as a terminal sends it), on the given ports and user folder,
// with the demo login and the emulator (whatever this shell's environment says), until it prints that it is ready.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../../scripts/lib/toolchain.mjs';

/**
 * @param {{ port: number, brokerPort: number, emulatorPort: number, userFolder: string, args?: string[] }} options
 * @returns {Promise<{ child: import('node:child_process').ChildProcess, output: () => string, exit: Promise<number | null> }>}
 */
export async function startCommand({ port, brokerPort, emulatorPort, userFolder, args = [] }) {
	const { NODE_ENV, NODE_OPTIONS, JEST_WORKER_ID, ...env } = process.env;
	const child = spawn(process.execPath, [join(repoRoot, 'scripts', 'start.mjs'), ...args], {
		cwd: repoRoot,
		detached: true,
		stdio: ['ignore', 'pipe', 'pipe'],
		env: {
			...env,
			SEEDREAM_BOOTSTRAPPED: '1',
			N8N_PORT: String(port),
			N8N_RUNNERS_BROKER_PORT: String(brokerPort),
			EVOLINK_EMULATOR_PORT: String(emulatorPort),
			SEEDREAM_N8N_USER_FOLDER: userFolder,
			SEEDREAM_OWNER_EMAIL: '',
			SEEDREAM_OWNER_PASSWORD: '',
			EVOLINK_API_KEY: '',
			SEEDREAM_TARBALL: '',
		},
	});
	let text = '';
	child.stdout?.on('data', (chunk) => (text += chunk));
	child.stderr?.on('data', (chunk) => (text += chunk));
	/** @type {Promise<number | null>} */
	const exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
	await new Promise((resolve, reject) => {
		child.stdout?.on(
			'data',
			() => / is ready( in queue mode)? \(/.test(text) && resolve(undefined),
		);
		exit.then((code) =>
			reject(
				new Error(`npm start ${args.join(' ')} exited (${code}) before it was ready:\n${text}`),
			),
		);
	});
	return { child, output: () => text, exit };
}

/** Ctrl-C: SIGINT to the process group, as a terminal sends it. @param {import('node:child_process').ChildProcess} child */
export function interrupt(child) {
	if (child.pid) process.kill(-child.pid, 'SIGINT');
}
