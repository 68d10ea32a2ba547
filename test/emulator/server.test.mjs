// @ts-check
// The CLI and the lifecycle of the server itself: the ready line, options and env, signals, a clean close.
import { afterEach, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../../emulator/server.mjs';

const CLI = fileURLToPath(new URL('../../emulator/cli.mjs', import.meta.url));
const SERVER = fileURLToPath(new URL('../../emulator/server.mjs', import.meta.url));

/** @type {import('node:child_process').ChildProcess[]} */
const children = [];
// A failed assertion must not leave a server running (it would keep Jest from exiting).
afterEach(() => children.forEach((child) => child.exitCode === null && child.kill('SIGKILL')));

/** A child Node process with piped output, killed after the test if still running. */
function node(/** @type {string[]} */ args, env = {}) {
	const child = spawn(process.execPath, args, {
		env: { ...process.env, ...env },
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	children.push(child);
	child.stderr.on(
		'data',
		(chunk) => /** @type {any} */ (child.err = /** @type {any} */ (child.err ?? '') + chunk),
	);
	return child;
}

/**
 * Runs the CLI until it has printed its start-up lines (the ready line first, the key summary last);
 * returns the process, its url and everything printed.
 * @param {string[]} args @param {Record<string, string>} [env]
 */
function cli(args, env = {}) {
	const child = node([CLI, ...args], env);
	let out = '';
	const exited = new Promise((resolve) =>
		child.on('exit', (code, signal) => resolve({ code, signal })),
	);
	const ready = new Promise((resolve, reject) => {
		child.stdout.on('data', (chunk) => {
			out += chunk;
			const match = /^EvoLink emulator listening on (http:\/\/127\.0\.0\.1:(\d+))$/m.exec(out);
			if (match && /control surface/.test(out)) resolve(match[1]);
		});
		child.on('exit', () => reject(new Error(`exited before ready: ${out}`)));
	});
	return { child, ready, exited, output: () => out };
}

describe('CLI', () => {
	test('flags: port 0, task duration, keys, insecure callbacks; SIGTERM exits cleanly', async () => {
		const run = cli([
			'--port',
			'0',
			'--task-ms',
			'123',
			'--keys',
			'sk-first-key-1111,sk-second-key-2222',
			'--allow-insecure-callbacks',
			'--layerize-estimated-seconds',
			'3',
		]);
		const url = await run.ready;
		const lines = run.output().split('\n');
		expect(lines[0]).toBe(`EvoLink emulator listening on ${url}`);
		expect(run.output()).toMatch(/insecure callbacks are allowed/i);
		expect(run.output()).not.toContain('sk-second-key-2222');
		const models = await fetch(`${url}/v1/models`, {
			headers: { authorization: 'Bearer sk-second-key-2222' },
		});
		expect(models.status).toBe(200);
		await new Promise((resolve) => setTimeout(resolve, 100));
		// One log line per request, with the key masked.
		expect(run.output()).toContain('GET /v1/models 200 key=sk-s…2222');
		expect(run.output()).not.toContain('sk-second-key-2222');
		expect(await (await fetch(`${url}/__emulator/config`)).json()).toMatchObject({
			taskMs: 123,
			allowInsecureCallbacks: true,
			layerizeEstimatedSeconds: 3,
		});
		// A reset goes back to the values the emulator was started with, not to the documented 120 s.
		await fetch(`${url}/__emulator/config`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ layerizeEstimatedSeconds: null }),
		});
		expect((await fetch(`${url}/__emulator/reset`, { method: 'POST' })).status).toBe(200);
		expect(await (await fetch(`${url}/__emulator/config`)).json()).toMatchObject({
			taskMs: 123,
			layerizeEstimatedSeconds: 3,
		});
		run.child.kill('SIGTERM');
		expect(await run.exited).toEqual({ code: 0, signal: null });
	});

	test('environment variables, and SIGINT', async () => {
		const run = cli([], {
			EVOLINK_EMULATOR_PORT: '0',
			EVOLINK_EMULATOR_KEYS: 'sk-env-key-33333333',
			EVOLINK_EMULATOR_TASK_MS: '77',
			EVOLINK_EMULATOR_ALLOW_INSECURE_CALLBACKS: '1',
			EVOLINK_EMULATOR_LAYERIZE_ESTIMATED_SECONDS: '4',
		});
		const url = await run.ready;
		const config = await (await fetch(`${url}/__emulator/config`)).json();
		expect(config).toMatchObject({
			taskMs: 77,
			allowInsecureCallbacks: true,
			layerizeEstimatedSeconds: 4,
		});
		expect(
			(
				await fetch(`${url}/v1/models`, {
					headers: { authorization: 'Bearer sk-env-key-33333333' },
				})
			).status,
		).toBe(200);
		run.child.kill('SIGINT');
		expect(await run.exited).toEqual({ code: 0, signal: null });
	});

	test('without --layerize-estimated-seconds layerize keeps the documented 120 s; 0 or 1.5 exits 2 naming the flag', async () => {
		const run = cli(['--port', '0']);
		const url = await run.ready;
		expect(await (await fetch(`${url}/__emulator/config`)).json()).toMatchObject({
			layerizeEstimatedSeconds: null,
		});
		run.child.kill('SIGTERM');
		await run.exited;
		for (const value of ['0', '1.5']) {
			const child = node([CLI, '--port', '0', '--layerize-estimated-seconds', value]);
			const code = await new Promise((resolve) => child.on('exit', resolve));
			expect(code).toBe(2);
			expect(/** @type {any} */ (child).err).toContain(
				'--layerize-estimated-seconds must be an integer ≥ 1',
			);
		}
	});

	test('an unknown option exits 2 with the usage', async () => {
		const child = node([CLI, '--colour']);
		const code = await new Promise((resolve) => child.on('exit', resolve));
		expect(code).toBe(2);
		expect(/** @type {any} */ (child).err).toContain('Usage');
	});
});

describe('startEmulator', () => {
	test('listens on 127.0.0.1 only, and close() leaves nothing running (a process exits by itself)', async () => {
		// A child that leaves a long task, a callback retry due in 1 s, a reference download in flight and a
		// keep-alive socket, then closes, and watches for 1.5 s whether anything of the emulator still acts.
		const script = `
			import { startEmulator } from ${JSON.stringify(SERVER)};
			import http from 'node:http';
			const listen = async (server) => { server.listen(0, '127.0.0.1'); await new Promise((r) => server.once('listening', r)); server.unref(); return 'http://127.0.0.1:' + server.address().port; };
			const emu = await startEmulator({ taskMs: 60000, allowInsecureCallbacks: true });
			// A reference host that never answers, and a callback receiver that always refuses (so a retry is due).
			const silent = http.createServer(() => {});
			const silentUrl = await listen(silent);
			let hooks = 0;
			const receiver = http.createServer((req, res) => { hooks++; res.writeHead(500).end(); });
			const receiverUrl = await listen(receiver);
			await fetch(emu.url + '/__emulator/config', { method: 'POST', body: JSON.stringify({ taskMsQueue: [0, 0] }) });
			const headers = { authorization: 'Bearer sk-emulator-demo', 'content-type': 'application/json' };
			const create = (body) => fetch(emu.url + '/v1/images/generations', { method: 'POST', headers, body: JSON.stringify({ model: 'doubao-seedream-4.0', ...body }) });
			await create({ prompt: 'x', callback_url: receiverUrl + '/hook' });
			await create({ prompt: 'z', image_urls: [silentUrl + '/ref.png'] });
			await create({ prompt: 'y' });
			await new Promise((r) => setTimeout(r, 200));
			const callbacks = await (await fetch(emu.url + '/__emulator/callbacks')).json();
			await emu.close();
			await emu.close();
			const hooksAtClose = hooks;
			await new Promise((r) => setTimeout(r, 1500));
			const downloadsOpen = await new Promise((r) => silent.getConnections((e, n) => r(e ? -1 : n)));
			console.log(JSON.stringify({ host: new URL(emu.url).hostname, callbacks: callbacks.length, hooksAtClose, hooksAfterClose: hooks - hooksAtClose, downloadsOpen }));
		`;
		const child = node(['--input-type=module', '-e', script]);
		let out = '';
		child.stdout.on('data', (chunk) => (out += chunk));
		const code = await new Promise((resolve) => child.on('exit', resolve));
		expect(code).toBe(0);
		const result = JSON.parse(out);
		expect(result).toMatchObject({ host: '127.0.0.1', callbacks: 1, hooksAtClose: 1 });
		// The retry due 1 s after the first attempt never came, and the reference download was dropped.
		expect(result).toMatchObject({ hooksAfterClose: 0, downloadsOpen: 0 });
		// The child exits by itself (its 60 s task would otherwise outlive this test's 20 s timeout).
	}, 20_000);

	test('after close the port refuses connections', async () => {
		const emu = await startEmulator({ port: 0 });
		expect((await fetch(`${emu.url}/v1/models`)).status).toBe(401);
		await emu.close();
		await expect(fetch(`${emu.url}/v1/models`)).rejects.toThrow();
	});
});
