// @ts-check
// The queue-mode cluster of `npm start -- --queue` (scripts/lib/queue-cluster.mjs) for the end-to-end tests: a
// fresh folder in a temp directory, free loopback ports, the package packed from the working tree (or
// SEEDREAM_TARBALL), the emulator with short tasks. It has the shape of support/instance.mjs's instance, so
// the single-process suites run on it unchanged, plus the processes and who-ran-what from their logs.
// Logs are kept in test-results/e2e-logs/queue/ after the run.
import {
	chmodSync,
	cpSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildAndPack } from '../../../scripts/lib/pack.mjs';
import { DEMO_OWNER } from '../../../scripts/lib/n8n/seed.mjs';
import { freePorts } from '../../../scripts/lib/n8n/ports.mjs';
import { startCluster } from '../../../scripts/lib/queue-cluster.mjs';
import { repoRoot } from '../../../scripts/lib/toolchain.mjs';
import { EmulatorClient } from '../../../emulator/client.mjs';

/** @typedef {Awaited<ReturnType<typeof startQueueCluster>>} QueueCluster */

/** @param {{ workers?: number, concurrency?: number, taskMs?: number, logsName?: string }} [options] */
export async function startQueueCluster(options = {}) {
	const root = mkdtempSync(join(tmpdir(), 'seedream-queue-'));
	// Postgres runs as its own user and must reach its folder under here (mkdtemp makes it private).
	chmodSync(root, 0o755);
	const folder = join(root, 'cluster');
	const logsOut = join(repoRoot, 'test-results', 'e2e-logs', options.logsName ?? 'queue');
	/** @type {Awaited<ReturnType<typeof startCluster>> | undefined} */
	let cluster;
	const cleanup = async () => {
		await cluster?.stop();
		if (existsSync(join(folder, 'logs'))) {
			rmSync(logsOut, { recursive: true, force: true });
			mkdirSync(logsOut, { recursive: true });
			cpSync(join(folder, 'logs'), logsOut, { recursive: true });
		}
		rmSync(root, { recursive: true, force: true });
	};
	try {
		const tarball = process.env.SEEDREAM_TARBALL
			? resolve(process.env.SEEDREAM_TARBALL)
			: buildAndPack({
					outDir: join(repoRoot, 'test-results', `pack-e2e-${process.env.JEST_WORKER_ID ?? '0'}`),
				}).tarball;
		const [port, brokerPort, emulatorPort] = await freePorts(3);
		cluster = await startCluster({
			folder,
			tarball,
			port,
			brokerPort,
			emulatorPort,
			owner: DEMO_OWNER,
			workers: options.workers,
			concurrency: options.concurrency,
			taskMs: options.taskMs ?? 400,
		});
		const running = cluster;
		const emulator = new EmulatorClient(/** @type {string} */ (cluster.emulatorUrl));
		/** @param {string} file */
		const workflow = (file) => {
			const found = running.workflows.find((w) => w.file === file);
			if (!found) throw new Error(`examples/${file} was not imported`);
			return found;
		};
		/** @param {string} name */
		const processNamed = (name) => {
			const found = running.processes.find((p) => p.name === name);
			if (!found) throw new Error(`no process ${name}`);
			return found;
		};
		/** Lines of a process's log (n8n prints "Enqueued execution N (job J)", "Worker started execution N (job J)"). @param {string} name */
		const logOf = (name) => readFileSync(processNamed(name).logFile, 'utf8');
		/**
		 * Who ran what for one execution, from the processes' logs: the processes that put a job for it on the queue
		 * (main for a manual run, the process that took the webhook or the resume) and the workers that ran each job.
		 * @param {string} executionId
		 */
		const jobsOf = (executionId) => {
			/** @type {{ enqueuedBy: string[], ranOn: string[] }} */
			const jobs = { enqueuedBy: [], ranOn: [] };
			for (const p of running.processes) {
				const log = logOf(p.name);
				const count = (/** @type {RegExp} */ pattern) => (log.match(pattern) ?? []).length;
				for (
					let i = count(new RegExp(`^Enqueued execution ${executionId} \\(job`, 'gm'));
					i > 0;
					i--
				)
					jobs.enqueuedBy.push(p.name);
				for (
					let i = count(new RegExp(`^Worker started execution ${executionId} \\(job`, 'gm'));
					i > 0;
					i--
				)
					jobs.ranOn.push(p.name);
			}
			return jobs;
		};
		return {
			...cluster,
			tarball,
			folder,
			emulator,
			workflow,
			processNamed,
			logOf,
			jobsOf,
			stop: cleanup,
		};
	} catch (error) {
		await cleanup();
		throw error;
	}
}
