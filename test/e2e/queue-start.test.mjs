// @ts-check
// `npm start -- --queue` itself (scripts/start.mjs), as a user runs it: the banner of `npm start` plus every
// process of the cluster with its port and pid, an editor that answers, and Ctrl-C (SIGINT to its process group,
// as a terminal sends it) stopping every process it printed. Free ports and a temp user folder.
// Left out by `npm test -- --skip-queue` with the other queue-mode file (never under CI=true).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_OWNER, readExamples } from '../../scripts/lib/n8n/seed.mjs';
import { N8nClient } from '../../scripts/lib/n8n/rest.mjs';
import { assertPortFree, freePorts } from '../../scripts/lib/n8n/ports.mjs';
import { interrupt, startCommand } from './support/start-command.mjs';

const root = mkdtempSync(join(tmpdir(), 'seedream-start-queue-'));
chmodSync(root, 0o755); // Postgres runs as its own user and must reach its folder under here
/** @type {import('node:child_process').ChildProcess | undefined} */
let child;
let ports = { port: 0, brokerPort: 0, emulatorPort: 0 };

beforeAll(async () => {
	const [port, brokerPort, emulatorPort] = await freePorts(3);
	ports = { port, brokerPort, emulatorPort };
});

afterAll(async () => {
	if (child && child.exitCode === null && child.signalCode === null) {
		interrupt(child);
		await new Promise((resolve) => child?.once('exit', resolve));
	}
	rmSync(root, { recursive: true, force: true });
}, 120_000);

/** Is a process alive? @param {number} pid */
function alive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

test('npm start -- --queue: prints the editor, login, workflows and each process; the editor works; Ctrl-C stops every process it started', async () => {
	const run = await startCommand({ ...ports, userFolder: join(root, 'user'), args: ['--queue'] });
	child = run.child;
	const text = run.output();
	expect(text).toMatch(/is ready in queue mode \(/);

	const url = `http://127.0.0.1:${ports.port}`;
	expect(text).toContain(`Editor:      ${url}\n`);
	expect(text).toContain(`Log in:      ${DEMO_OWNER.email} / ${DEMO_OWNER.password}\n`);
	const workflows = [
		...text.matchAll(/^ {4}(.+?)\s+http:\/\/127\.0\.0\.1:\d+\/workflow\/\w+$/gm),
	].map((m) => m[1]);
	expect(workflows.sort()).toEqual(
		readExamples()
			.map((e) => e.workflow.name)
			.sort(),
	);
	const processes = Object.fromEntries(
		[...text.matchAll(/^ {4}(\w+)\s+([\w-]+)\s+127\.0\.0\.1:(\d+)\s+pid (\d+)$/gm)].map((m) => [
			m[2],
			{ role: m[1], port: Number(m[3]), pid: Number(m[4]) },
		]),
	);
	expect(Object.keys(processes)).toEqual([
		'main',
		'worker-1',
		'worker-2',
		'webhook-1',
		'postgres',
		'redis',
		'emulator',
	]);
	expect(processes.main.port).toBe(ports.port);
	expect(processes.emulator.port).toBe(ports.emulatorPort);
	for (const { pid } of Object.values(processes)) expect(alive(pid)).toBe(true);

	const client = new N8nClient(url);
	await client.login(DEMO_OWNER);
	expect((await client.listWorkflows()).length).toBe(workflows.length);

	interrupt(run.child);
	expect(await run.exit).toBe(0);
	expect(run.output()).toContain('Stopping the cluster');
	for (const [name, { pid, port }] of Object.entries(processes)) {
		expect([name, alive(pid)]).toEqual([name, false]);
		await expect(assertPortFree(port, name, 'none')).resolves.toBeUndefined();
	}
}, 600_000);
