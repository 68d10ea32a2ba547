// @ts-check
// `npm start` itself (scripts/start.mjs), as a user runs it: it builds and installs the package, prints the
// editor URL, the login and the imported examples, answers on the printed URL, stops n8n and the emulator on
// Ctrl-C (SIGINT to its process group, as a terminal sends it), and a second start reuses the tarball, the
// install and the imported workflows. Free ports and a temp user folder, so a running `npm start` is untouched.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_OWNER, readExamples } from '../../scripts/lib/n8n/seed.mjs';
import { N8nClient } from '../../scripts/lib/n8n/rest.mjs';
import { assertPortFree, freePorts } from '../../scripts/lib/n8n/ports.mjs';
import { interrupt, startCommand } from './support/start-command.mjs';
import { EmulatorClient } from '../../emulator/client.mjs';

/** @type {{ port: number, brokerPort: number, emulatorPort: number }} */
const ports = { port: 0, brokerPort: 0, emulatorPort: 0 };
const userFolder = mkdtempSync(join(tmpdir(), 'seedream-start-'));
/** @type {Set<import('node:child_process').ChildProcess>} */
const running = new Set();

/** `npm start` on this file's ports and folder, tracked so that afterAll can stop a start a failed test left. */
async function start() {
	const run = await startCommand({ ...ports, userFolder });
	running.add(run.child);
	run.exit.then(() => running.delete(run.child));
	return run;
}

/** The workflow lines of the banner: name -> id. @param {string} text */
function workflowsIn(text) {
	return Object.fromEntries(
		[...text.matchAll(/^ {4}(.+?)\s+http:\/\/127\.0\.0\.1:\d+\/workflow\/(\w+)$/gm)].map((m) => [
			m[1],
			m[2],
		]),
	);
}

beforeAll(async () => {
	[ports.port, ports.brokerPort, ports.emulatorPort] = await freePorts(3);
});

afterAll(async () => {
	// A failed test may leave a start running: stop it the way a user would, so it stops n8n and the emulator.
	for (const child of running) {
		interrupt(child);
		await new Promise((resolve) => child.once('exit', resolve));
	}
	rmSync(userFolder, { recursive: true, force: true });
}, 120_000);

describe('npm start', () => {
	/** @type {Record<string, string>} */
	let firstWorkflows = {};

	test('first start: builds, installs, prints the editor URL, the demo login and every example; the URL works; Ctrl-C stops everything', async () => {
		const run = await start();
		const text = run.output();
		const url = `http://127.0.0.1:${ports.port}`;
		expect(text).toContain(`Editor:      ${url}\n`);
		expect(text).toContain(`Log in:      ${DEMO_OWNER.email} / ${DEMO_OWNER.password}\n`);
		expect(text).toContain(`the EvoLink emulator at http://127.0.0.1:${ports.emulatorPort}`);
		expect(text).toMatch(/Packed .*n8n-nodes-seedream-[\d.]+\.tgz/);
		expect(text).toMatch(/Installed n8n-nodes-seedream@/);

		firstWorkflows = workflowsIn(text);
		expect(Object.keys(firstWorkflows).sort()).toEqual(
			readExamples()
				.map((e) => e.workflow.name)
				.sort(),
		);

		const client = new N8nClient(url);
		await client.login(DEMO_OWNER);
		const saved = await client.listWorkflows();
		for (const [name, id] of Object.entries(firstWorkflows)) {
			expect(saved).toContainEqual(expect.objectContaining({ id, name }));
		}

		// The demo's layer tasks take the emulator's 3 s and say so, instead of the documented 120 s that would
		// hold a Decompose Layers run's first poll back a minute.
		const emulatorConfig = await new EmulatorClient(
			`http://127.0.0.1:${ports.emulatorPort}`,
		).config();
		expect(emulatorConfig).toMatchObject({ taskMs: 3000, layerizeEstimatedSeconds: 3 });

		interrupt(run.child);
		expect(await run.exit).toBe(0);
		expect(run.output()).toContain('Stopping n8n and the emulator');
		for (const [port, what] of [
			[ports.port, 'n8n'],
			[ports.brokerPort, 'broker'],
			[ports.emulatorPort, 'emulator'],
		]) {
			await expect(assertPortFree(Number(port), String(what), 'none')).resolves.toBeUndefined();
		}
	}, 600_000);

	test('second start: same tarball, nothing reinstalled, the same workflows (no duplicates)', async () => {
		const run = await start();
		const text = run.output();
		expect(text).toContain('Sources unchanged since the last start: same tarball');
		expect(text).toMatch(/n8n-nodes-seedream@[\d.]+ already installed \(same tarball\)/);
		expect(workflowsIn(text)).toEqual(firstWorkflows);

		const client = new N8nClient(`http://127.0.0.1:${ports.port}`);
		await client.login(DEMO_OWNER);
		expect((await client.listWorkflows()).length).toBe(Object.keys(firstWorkflows).length);

		interrupt(run.child);
		expect(await run.exit).toBe(0);
	}, 600_000);
});
