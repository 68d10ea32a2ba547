// @ts-check
// Q1: throughput in n8n's queue mode (docs/n8n-queue-mode.md). The cluster of `npm start -- --queue`
// (scripts/lib/queue-cluster.mjs) with one worker, then with two (each running 5 executions at once): 60 webhook
// calls at once to the webhook processor, each an execution generating one 1K image (3 s tasks, Wait for the
// Result, binary in the database) and answering when done. Wall time from the first call to the last answer,
// against the ideal ceil(60 / (workers x 5)) x 3 s. It needs Postgres, Redis and n8n, not the bench's harness.
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_OWNER } from '../../scripts/lib/n8n/seed.mjs';
import { freePorts } from '../../scripts/lib/n8n/ports.mjs';
import { buildAndPack } from '../../scripts/lib/pack.mjs';
import { startCluster } from '../../scripts/lib/queue-cluster.mjs';
import { repoRoot } from '../../scripts/lib/toolchain.mjs';
import { round } from '../measure.mjs';

const TASK_MS = 3000;
const CALLS = 60;
const CONCURRENCY = 5;

/** @param {import('../run.mjs').Context} context */
export async function q1({ quick, log }) {
	const calls = quick ? 20 : CALLS;
	const root = mkdtempSync(join(tmpdir(), 'seedream-bench-q1-'));
	chmodSync(root, 0o755); // Postgres runs as its own user and must reach its folder
	const { tarball } = buildAndPack({ outDir: join(repoRoot, 'bench-results', 'pack') });
	/** @type {Record<string, any>} */
	const figures = { taskMs: TASK_MS, calls, concurrencyPerWorker: CONCURRENCY };
	try {
		for (const workers of [1, 2]) {
			figures[`workers${workers}`] = await runWith(workers);
			log(`  Q1 ${workers} worker(s): ${round(figures[`workers${workers}`].wallMs / 1000, 1)} s`);
		}
	} finally {
		rmSync(root, { recursive: true, force: true });
	}
	const ideal = (/** @type {number} */ workers) =>
		Math.ceil(calls / (workers * CONCURRENCY)) * TASK_MS;
	const one = figures.workers1;
	const two = figures.workers2;
	const rows = [1, 2].map((workers) => {
		const measured = figures[`workers${workers}`];
		return {
			id: 'Q1',
			figure: `queue mode, ${calls} webhook calls (one 1K image each, 3 s tasks), ${workers} worker${workers === 1 ? '' : 's'} x ${CONCURRENCY}: wall time (x ideal ${ideal(workers) / 1000} s)`,
			unit: 's',
			ours: `${round(measured.wallMs / 1000, 1)} (${round(measured.wallMs / ideal(workers), 2)} x)`,
			baseline: null,
			note: `${measured.ok}/${calls} answered 200`,
		};
	});
	rows.push({
		id: 'Q1',
		figure: 'speed-up from one worker to two (ideal 2.0)',
		unit: 'x',
		ours: round(one.wallMs / two.wallMs, 2),
		baseline: null,
		note: '',
	});
	return { figures, rows };

	/** A cluster with `workers` workers in its own folder; 60 calls; the cluster stopped. @param {number} workers */
	async function runWith(workers) {
		const [port, brokerPort, emulatorPort] = await freePorts(3);
		const cluster = await startCluster({
			folder: join(root, `workers-${workers}`),
			tarball,
			port,
			brokerPort,
			emulatorPort,
			owner: DEMO_OWNER,
			workers,
			concurrency: CONCURRENCY,
			taskMs: TASK_MS,
		});
		try {
			const path = `q1-${randomUUID()}`;
			const { client, credential, webhookUrl } = cluster;
			const workflow = await client.rest('POST', '/rest/workflows', {
				name: 'bench Q1',
				settings: { executionOrder: 'v1' },
				nodes: [
					{
						id: randomUUID(),
						name: 'Webhook',
						type: 'n8n-nodes-base.webhook',
						typeVersion: 2,
						position: [0, 0],
						webhookId: randomUUID(),
						parameters: { httpMethod: 'POST', path, responseMode: 'lastNode', options: {} },
					},
					{
						id: randomUUID(),
						name: 'Generate',
						type: 'n8n-nodes-seedream.seedream',
						typeVersion: 1,
						position: [240, 0],
						credentials: { seedreamApi: { id: credential.id, name: credential.name } },
						parameters: {
							resource: 'image',
							operation: 'generate',
							prompt: '={{ $json.body.prompt }}',
							sizeMode: 'preset',
							size: '1K',
							waitMode: 'wait',
							output: 'binaryPerImage',
						},
					},
				],
				connections: { Webhook: { main: [[{ node: 'Generate', type: 'main', index: 0 }]] } },
			});
			await client.api('POST', `/api/v1/workflows/${workflow.id}/activate`);
			const url = `${webhookUrl}/webhook/${path}`;
			// Registered a moment after activation: a GET answers 404 "...did you mean to make a POST request?" once it is.
			for (let tries = 0; !/POST request/.test(await (await fetch(url)).text()); tries++) {
				if (tries > 200) throw new Error(`The Q1 webhook never registered at ${url}`);
				await new Promise((resolve) => setTimeout(resolve, 100));
			}
			const started = performance.now();
			const answers = await Promise.all(
				Array.from({ length: calls }, (_, i) =>
					fetch(url, {
						method: 'POST',
						headers: { 'content-type': 'application/json' },
						body: JSON.stringify({ prompt: `a lighthouse, number ${i}` }),
					}).then(async (r) => {
						await r.arrayBuffer();
						return r.status;
					}),
				),
			);
			const wallMs = performance.now() - started;
			return {
				wallMs: round(wallMs),
				ok: answers.filter((s) => s === 200).length,
				startSeconds: round(cluster.startSeconds, 1),
				memoryMb: cluster.memory(),
			};
		} finally {
			await cluster.stop();
		}
	}
}
