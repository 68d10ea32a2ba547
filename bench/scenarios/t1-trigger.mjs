// @ts-check
// T1 (issues 10 and 19): Seedream Trigger throughput on ONE real n8n process (SQLite, the package installed
// from the packed tarball as n8n installs a community package: scripts/lib/n8n/instance.mjs, as the e2e suite
// does), against the emulator started beside it. Open-loop load on 127.0.0.1: `rate` callbacks/s for `seconds`,
// sent on a fixed schedule whatever the answers (EvoLink does not wait for n8n), each POST on a fresh
// connection with EvoLink's 10 s timeout. Every body is a real finished task of the emulator exactly as
// `GET /v1/tasks/{id}` returns it, so the trigger's confirming read succeeds. Every REPEAT_EVERY-th slot
// repeats the callback sent ~1 s earlier (as EvoLink's first retry would), to count duplicate starts.
// Each line is one workflow in a fresh n8n process of its own (one process, as a single-main SQLite install
// runs; fresh so that one line's leftovers are not charged to the next), in n8n's filesystem or database
// binary-data mode:
// - baseline: n8n's own Webhook node, answering on receipt, nothing else in the workflow (beside URLs only);
// - baselineUpload: the same receiving each task's image as an upload (beside binary output: the same bytes
//   into the same binary-data store);
// - ours: the Seedream Trigger 1 (URLs only) with its default settings (Confirm With the API on);
// - oursBinary: the Seedream Trigger 1.1 as added today (binary output: one download per callback);
// - oursNoConfirm (only when BENCH_T1_LINES names it): Confirm With the API off (its bodies carry the result
//   URLs on example.com, never fetched: the emulator's loopback URLs would be refused as internal).
// Parts: "modes" (each mode: the rate finder, then every line at the held rate and at 20/s), "flat" (the
// binary line for 15 s and 60 s), "contention" (one core kept busy by a child process; the binary line and its
// baseline with n8n's default engine and with N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=true).
// Measured per line: answer time (request start -> response end) p50/p95/max, failed requests (not 2xx,
// network error, or no answer within 10 s), lost tasks (a callback answered 2xx, no execution for that task),
// duplicate starts (executions beyond one per task), executions started, the RSS growth of the n8n process
// group (main process and its task runner, /proc/<pid>/status VmRSS, sampled every 250 ms; at its peak and
// after the last execution), its CPU time and n8n's count of expression isolates per request.
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAndPack } from '../../scripts/lib/pack.mjs';
import { EMULATOR_KEY } from '../../scripts/lib/n8n/seed.mjs';
import { freePorts } from '../../scripts/lib/n8n/ports.mjs';
import { startInstance } from '../../scripts/lib/n8n/instance.mjs';
import { repoRoot } from '../../scripts/lib/toolchain.mjs';
import { percentile, round } from '../measure.mjs';

// The options (environment, so that `npm run bench -- --only T1` stays one command); the defaults are issue 19's.
// BENCH_T1_RATE: one fixed rate instead of the rate finder (the highest of RATES_TO_TRY at which n8n's Webhook
//   node fails nothing) plus 20/s. BENCH_T1_SECONDS: the length of each line. BENCH_T1_MODES: n8n's binary-data
//   modes to run in. BENCH_T1_PARTS: which parts run (modes, flat, contention). BENCH_T1_FLAT_SECONDS: the two
//   lengths of the flatness figure. BENCH_T1_LINES: some lines only.
const env = process.env;
const FIXED_RATE = Number(env.BENCH_T1_RATE) || undefined;
const RATES_TO_TRY = [20, 10, 5];
const TOP_RATE = 20;
const SECONDS = Number(env.BENCH_T1_SECONDS) || 30;
const QUICK_SECONDS = 10;
const MODES = (env.BENCH_T1_MODES ?? 'filesystem,database').split(',').filter(Boolean);
const PARTS = (env.BENCH_T1_PARTS ?? 'modes,flat,contention').split(',').filter(Boolean);
const FLAT_SECONDS = (env.BENCH_T1_FLAT_SECONDS ?? '15,60').split(',').map(Number);
const ONLY_LINES = env.BENCH_T1_LINES ? env.BENCH_T1_LINES.split(',') : undefined;
/** The n8n setting issue 19 asks to compare under contention: an isolate only when an expression needs one. */
const LAZY = { N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true' };
/** Every 20th slot repeats the callback of the slot 19 before it (0.95 s earlier at 20/s). */
export const REPEAT_EVERY = 20;
/** EvoLink's timeout per callback attempt (docs/evolink-api.md §4): a slower answer is a failed callback. */
const CALLBACK_TIMEOUT_MS = 10_000;
/** How long executions may keep starting after the last answer before the count is taken. */
const DRAIN_MAX_MS = 180_000;
const DRAIN_STABLE_MS = 6_000;
const MB = 1024 * 1024;

const TRIGGER = 'n8n-nodes-seedream.seedreamTrigger';
const TRIGGER_NAME = 'Seedream Trigger';
const WEBHOOK_NAME = 'Webhook';

/**
 * @typedef {{ name: string, label: string, node: () => Record<string, any>, taskIdOf: (json: any) => unknown, nodeName: string,
 *   body?: (body: string) => string, upload?: boolean, downloads?: boolean }} Line
 * @typedef {{ line: Line, rate: number, seconds: number, mode: string, lazy?: boolean, busy?: boolean }} Run
 */

/** A Webhook node v2 with static parameters: n8n skips the webhook-phase isolate for it (and only for it). */
const webhookNode = () => {
	const webhookId = randomUUID();
	return {
		name: WEBHOOK_NAME,
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		webhookId,
		parameters: { httpMethod: 'POST', path: webhookId, responseMode: 'onReceived', options: {} },
	};
};

/**
 * The lines. `taskIdOf` reads the task ID from an execution's first item. `body` turns the task as the API
 * returns it into the callback body the line sends (by default, as it is). `upload`: the line receives the
 * task's image as a multipart upload instead (n8n stores it as binary, as the trigger stores its download).
 * `downloads`: the trigger fetches each task's image, so the emulator renders them all before the line starts
 * (below).
 * @type {Line[]}
 */
const LINES = [
	{
		name: 'baseline',
		label: "n8n's Webhook node, answering on receipt",
		nodeName: WEBHOOK_NAME,
		node: webhookNode,
		taskIdOf: (json) => json?.body?.id,
	},
	{
		// The baseline of the binary line: n8n's Webhook node receiving the same bytes (the task's image) as an
		// upload, which n8n puts into its binary-data store as the trigger puts its download.
		name: 'baselineUpload',
		label: "n8n's Webhook node, answering on receipt, receiving the image as an upload (binary)",
		nodeName: WEBHOOK_NAME,
		node: webhookNode,
		taskIdOf: (json) => json?.body?.id,
		upload: true,
	},
	{
		name: 'ours',
		label:
			'Seedream Trigger 1 (as saved in existing workflows: URLs only), default settings (Confirm With the API on)',
		nodeName: TRIGGER_NAME,
		node: () => ({
			name: TRIGGER_NAME,
			type: TRIGGER,
			typeVersion: 1,
			webhookId: randomUUID(),
			parameters: {},
		}),
		taskIdOf: (json) => json?.taskId,
	},
	{
		// What a trigger added today is (node version 1.1): binary output, so each callback also downloads its image.
		name: 'oursBinary',
		label:
			'Seedream Trigger 1.1 as added today (Confirm With the API on, images downloaded as binary)',
		nodeName: TRIGGER_NAME,
		node: () => ({
			name: TRIGGER_NAME,
			type: TRIGGER,
			typeVersion: 1.1,
			webhookId: randomUUID(),
			parameters: {},
		}),
		taskIdOf: (json) => json?.taskId,
		downloads: true,
	},
	{
		name: 'oursNoConfirm',
		label: 'Seedream Trigger, Confirm With the API off',
		nodeName: TRIGGER_NAME,
		node: () => ({
			name: TRIGGER_NAME,
			type: TRIGGER,
			typeVersion: 1,
			webhookId: randomUUID(),
			parameters: { options: { verify: false } },
		}),
		taskIdOf: (json) => json?.taskId,
		// Unconfirmed, the trigger refuses result URLs to internal hosts (issue 10, finding 4), and the emulator's
		// are on 127.0.0.1: the bodies carry them on example.com instead (reserved; the output is URLs Only, so
		// nothing is fetched), else this line would measure 600 refusals.
		body: (/** @type {string} */ body) => publicUrls(body),
	},
];
const line = (/** @type {string} */ name) =>
	/** @type {Line} */ (LINES.find((l) => l.name === name));
/** Lines that run unless BENCH_T1_LINES names others (Confirm off is issue 10's question, answered there). */
const DEFAULT_LINES = ['baseline', 'baselineUpload', 'ours', 'oursBinary'];
const runs = (/** @type {string} */ name) => (ONLY_LINES ?? DEFAULT_LINES).includes(name);

/** @param {Run} run */
const runKey = ({ line, rate, seconds, mode, lazy, busy }) =>
	`${mode} ${rate}/s ${seconds}s ${line.name}${lazy ? ' lazy' : ''}${busy ? ' busy' : ''}`;

/** @param {import('../run.mjs').Context} context */
export async function t1({ quick, log }) {
	const seconds = quick ? Math.min(QUICK_SECONDS, SECONDS) : SECONDS;
	log('  T1: packing the package (reused when the sources are unchanged)');
	const { tarball } = buildAndPack({ outDir: join(repoRoot, 'bench-results', 'pack') });
	/** @type {Record<string, any>} */
	const measured = {};
	const measure = async (/** @type {Run} */ run) => {
		const key = runKey(run);
		if (measured[key]) return measured[key];
		const result = await measureLine(run, { tarball, log });
		measured[key] = {
			...result,
			key,
			line: run.line.name,
			rate: run.rate,
			seconds: run.seconds,
			mode: run.mode,
			lazy: !!run.lazy,
			busy: !!run.busy,
		};
		log(
			`  T1 ${key}: p50 ${result.p50Ms} ms, p95 ${result.p95Ms} ms, max ${result.maxMs} ms, failed ${result.failed}, ` +
				`lost ${result.lost}, duplicate starts ${result.duplicateStarts}, executions ${result.executions}, ` +
				`RSS +${mb(result.rss.growthBytes)} MB (${mb(result.rss.startBytes)} -> ${mb(result.rss.peakBytes)} MB, ${mb(result.rss.endBytes)} MB after), ` +
				`CPU ${result.cpuMsPerRequest} ms and ${result.isolatesPerRequest} isolates per request`,
		);
		return measured[key];
	};
	/** The rate each mode's Webhook node (upload) held: the highest of RATES_TO_TRY with nothing failed. @type {Record<string, number>} */
	const held = {};
	/** @type {import('../run.mjs').Row[]} */
	const out = [];
	for (const mode of PARTS.includes('modes') ? MODES : []) {
		if (FIXED_RATE) held[mode] = FIXED_RATE;
		else {
			for (const rate of RATES_TO_TRY) {
				held[mode] = rate;
				const probe = await measure({ line: line('baselineUpload'), rate, seconds, mode });
				if (probe.failed === 0) break;
			}
		}
		for (const rate of [...new Set([held[mode], ...(FIXED_RATE ? [] : [TOP_RATE])])]) {
			/** @type {Record<string, any>} */
			const group = {};
			for (const name of ['baseline', 'ours', 'baselineUpload', 'oursBinary', 'oursNoConfirm']) {
				if (runs(name)) group[name] = await measure({ line: line(name), rate, seconds, mode });
			}
			const what = `${mode} mode, ${rate}/s for ${seconds} s${!FIXED_RATE && rate === held[mode] ? ` (the highest rate of ${RATES_TO_TRY.join('/')} the Webhook node held)` : ''}`;
			if (group.ours)
				out.push(...compare(`trigger 1 (URLs only), ${what}`, group.ours, group.baseline));
			if (group.oursNoConfirm)
				out.push(
					...compare(`trigger 1, Confirm off, ${what}`, group.oursNoConfirm, group.baseline),
				);
			if (group.oursBinary)
				out.push(
					...compare(`trigger 1.1 (binary), ${what}`, group.oursBinary, group.baselineUpload),
				);
		}
	}
	const steadyRate = held.filesystem ?? FIXED_RATE ?? RATES_TO_TRY.at(-1) ?? 5;
	if (PARTS.includes('flat')) {
		// The same line for a short and a long run: memory that grows with the number of callbacks shows here.
		const short = await measure({
			line: line('oursBinary'),
			rate: steadyRate,
			seconds: quick ? 10 : FLAT_SECONDS[0],
			mode: 'filesystem',
		});
		const long = await measure({
			line: line('oursBinary'),
			rate: steadyRate,
			seconds: quick ? 20 : FLAT_SECONDS[1],
			mode: 'filesystem',
		});
		out.push({
			id: 'T1',
			figure: `trigger 1.1, filesystem, ${steadyRate}/s: RSS growth over ${long.seconds} s (ours) against ${short.seconds} s (baseline column)`,
			unit: 'MB',
			ours: mb(long.rss.growthBytes),
			baseline: mb(short.rss.growthBytes),
			goal: `flat: <= 1.5 x (${long.seconds / short.seconds} x the callbacks)`,
			holds: long.rss.growthBytes <= 1.5 * short.rss.growthBytes,
			note: `after the last execution: ${mb(long.rss.endBytes - long.rss.startBytes)} / ${mb(short.rss.endBytes - short.rss.startBytes)} MB over the start`,
		});
	}
	if (PARTS.includes('contention')) {
		// A busy child process takes one of the machine's cores while the callbacks come, with n8n's default engine
		// and with lazy isolate acquisition.
		for (const lazy of [false, true]) {
			const common = { rate: steadyRate, seconds, mode: 'filesystem', busy: true, lazy };
			const hook = await measure({ line: line('baselineUpload'), ...common });
			const ours = await measure({ line: line('oursBinary'), ...common });
			const what = `one core busy, filesystem, ${steadyRate}/s for ${seconds} s${lazy ? ', N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=true' : ", n8n's default engine"}`;
			out.push(
				{
					id: 'T1',
					figure: `trigger 1.1, ${what}: answer time p95`,
					unit: 'ms',
					ours: ours.p95Ms,
					baseline: hook.p95Ms,
					goal: '<= 1.5 x',
					holds: ours.p95Ms <= 1.5 * hook.p95Ms,
					note: `p50 ${ours.p50Ms} / ${hook.p50Ms} ms`,
				},
				{
					id: 'T1',
					figure: `trigger 1.1, ${what}: failed / lost / duplicate starts`,
					unit: '',
					ours: `${ours.failed} / ${ours.lost} / ${ours.duplicateStarts}`,
					baseline: `${hook.failed} / ${hook.lost} / ${hook.duplicateStarts}`,
				},
				{
					id: 'T1',
					figure: `trigger 1.1, ${what}: CPU per request / isolates per request`,
					unit: '',
					ours: `${ours.cpuMsPerRequest} ms / ${ours.isolatesPerRequest}`,
					baseline: `${hook.cpuMsPerRequest} ms / ${hook.isolatesPerRequest}`,
				},
				{
					id: 'T1',
					figure: `trigger 1.1, ${what}: RSS growth`,
					unit: 'MB',
					ours: mb(ours.rss.growthBytes),
					baseline: mb(hook.rss.growthBytes),
				},
			);
		}
	}
	return { figures: { heldRate: held, measured }, rows: out };
}

/**
 * The rows of one trigger line beside its baseline line of the same run (issue 19's goals).
 * @param {string} what @param {any} ours @param {any} [base]
 * @returns {import('../run.mjs').Row[]}
 */
function compare(what, ours, base) {
	const b = (/** @type {(r: any) => any} */ pick) => (base ? pick(base) : null);
	const within = (/** @type {number} */ a, /** @type {number | null} */ limit) =>
		limit === null || a <= limit;
	return [
		{
			id: 'T1',
			figure: `${what}: answer time p95`,
			unit: 'ms',
			ours: ours.p95Ms,
			baseline: b((r) => r.p95Ms),
			goal: '<= baseline',
			holds: within(
				ours.p95Ms,
				b((r) => r.p95Ms),
			),
			note: `p50 ${ours.p50Ms} ms, max ${ours.maxMs} ms`,
		},
		{
			id: 'T1',
			figure: `${what}: failed / lost / duplicate starts`,
			unit: '',
			ours: `${ours.failed} / ${ours.lost} / ${ours.duplicateStarts}`,
			baseline: b((r) => `${r.failed} / ${r.lost} / ${r.duplicateStarts}`),
			goal: '- / 0 / 0',
			holds: ours.lost === 0 && ours.duplicateStarts === 0,
			note: `${ours.executions} executions of ${ours.uniqueTasks} tasks; the Webhook node starts once per request by design`,
		},
		{
			id: 'T1',
			figure: `${what}: n8n RSS growth (main + task runner)`,
			unit: 'MB',
			ours: mb(ours.rss.growthBytes),
			baseline: b((r) => mb(r.rss.growthBytes)),
			goal: '<= 1.5 x',
			holds: within(
				ours.rss.growthBytes,
				b((r) => 1.5 * Math.max(r.rss.growthBytes, 0)),
			),
			note: `after the last execution: +${mb(ours.rss.endBytes - ours.rss.startBytes)} MB`,
		},
		{
			id: 'T1',
			figure: `${what}: n8n CPU time per request`,
			unit: 'ms',
			ours: ours.cpuMsPerRequest,
			baseline: b((r) => r.cpuMsPerRequest),
			goal: '<= 1.25 x',
			holds: within(
				ours.cpuMsPerRequest,
				b((r) => 1.25 * r.cpuMsPerRequest),
			),
		},
		{
			id: 'T1',
			figure: `${what}: expression isolates per request (n8n's /metrics)`,
			unit: '',
			ours: ours.isolatesPerRequest,
			baseline: b((r) => r.isolatesPerRequest),
			goal: '<= 1',
			holds: ours.isolatesPerRequest <= 1,
		},
	];
}

/**
 * One line in a fresh n8n process (and its emulator): what one line leaves behind (heap, executions being
 * saved, a collection under way) must not be charged to the next.
 * @param {Run} run
 * @param {{ tarball: string, log: (message: string) => void }} options
 */
async function measureLine({ line, rate, seconds, mode, lazy, busy }, { tarball, log }) {
	const slots = rate * seconds;
	const uniqueTasks = slots - Math.floor(slots / REPEAT_EVERY);
	const root = mkdtempSync(join(tmpdir(), 'seedream-bench-t1-'));
	const [port, brokerPort, emulatorPort] = await freePorts(3);
	log(
		`  T1 ${line.name}: starting n8n (SQLite, one process, binary data mode ${mode}) and its emulator on 127.0.0.1`,
	);
	const instance = await startInstance({
		userFolder: join(root, 'n8n'),
		tarball,
		port,
		brokerPort,
		emulatorPort,
		taskMs: 100,
		env: {
			N8N_DEFAULT_BINARY_DATA_MODE: mode,
			// /metrics, for n8n's own count of expression isolates handed out (expression engine "vm", the default).
			N8N_METRICS: 'true',
			N8N_METRICS_INCLUDE_DEFAULT_METRICS: 'false',
			// BENCH_T1_NODE_OPTIONS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to profile n8n during the run.
			...(env.BENCH_T1_NODE_OPTIONS ? { NODE_OPTIONS: env.BENCH_T1_NODE_OPTIONS } : {}),
			...(lazy ? LAZY : {}),
			// BENCH_T1_N8N_ENV, JSON: n8n settings to try, e.g. {"N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE":"true"}.
			...JSON.parse(env.BENCH_T1_N8N_ENV || '{}'),
		},
	});
	try {
		const { client, credential } = instance;
		const emulatorUrl = /** @type {string} */ (instance.emulatorUrl);
		const tasks = await finishedTasks(emulatorUrl, uniqueTasks);
		if (line.downloads) {
			// The emulator renders an image on its first download (~150 ms of its one thread for 1K), fewer than
			// 20 a second: rendered during the line, the trigger's downloads would wait for the emulator, not n8n.
			// Rendered now, they are served from its cache (256 MB: ~600 images of ~400 KB) as a content host would.
			log(`  T1 ${line.name}: the emulator renders the ${tasks.length} images first`);
			await inBatches(tasks.length, 4, async (index) => {
				const response = await fetch(JSON.parse(tasks[index].body).results[0]);
				await response.arrayBuffer();
			});
		}
		const image = line.upload
			? Buffer.from(await (await fetch(JSON.parse(tasks[0].body).results[0])).arrayBuffer())
			: undefined;
		const bodies = tasks.map((task) => ({
			id: task.id,
			body: image ? uploadBody(task.id, image) : line.body ? line.body(task.body) : task.body,
		}));
		const schedule = Array.from({ length: slots }, (_, slot) => {
			const repeat = slot % REPEAT_EVERY === REPEAT_EVERY - 1;
			return { task: bodies[uniqueIndex(repeat ? slot - (REPEAT_EVERY - 1) : slot)], repeat };
		});
		/** @type {Record<string, any>} */
		const node = { id: randomUUID(), position: [0, 0], ...line.node() };
		if (node.type === TRIGGER)
			node.credentials = { seedreamApi: { id: credential.id, name: credential.name } };
		const workflow = await client.rest('POST', '/rest/workflows', {
			name: `bench T1: ${line.label}`,
			nodes: [node],
			connections: {},
			settings: { executionOrder: 'v1' },
		});
		await client.api('POST', `/api/v1/workflows/${workflow.id}/activate`);
		const url = `${instance.url}/webhook/${node.webhookId}`;
		await untilRegistered(url);

		log(
			`  T1 ${line.name}: ${slots} callbacks at ${rate}/s to ${line.label}${busy ? ', one core kept busy' : ''}`,
		);
		apiRefusals.length = 0;
		const load = busy ? busyCore() : undefined;
		try {
			const group = sampleProcessGroup(/** @type {number} */ (instance.n8nPid));
			const isolatesBefore = await withRetries(() => isolatesAcquired(instance.url));
			const answers = await sendOnSchedule(url, schedule, rate);
			await untilDrained(client, workflow.id);
			const { rss, cpuMs } = group.stop();
			const isolates = (await withRetries(() => isolatesAcquired(instance.url))) - isolatesBefore;
			const executions = await allExecutions(client, workflow.id, true);

			const started = new Map();
			for (const execution of executions) {
				const item =
					execution.data?.resultData?.runData?.[line.nodeName]?.[0]?.data?.main?.[0]?.[0];
				const taskId = line.taskIdOf(item?.json);
				started.set(taskId, (started.get(taskId) ?? 0) + 1);
			}
			const answered = new Set(answers.filter((a) => a.ok).map((a) => a.taskId));
			const ms = answers.filter((a) => a.ms !== undefined).map((a) => /** @type {number} */ (a.ms));
			return {
				requests: slots,
				uniqueTasks,
				p50Ms: round(percentile(ms, 50)),
				p95Ms: round(percentile(ms, 95)),
				maxMs: round(Math.max(...ms)),
				failed: answers.filter((a) => !a.ok).length,
				failures: countBy(answers.filter((a) => !a.ok).map((a) => a.error ?? `HTTP ${a.status}`)),
				lost: [...answered].filter((taskId) => !started.has(taskId)).length,
				duplicateStarts: [...started.values()].reduce(
					(sum, count) => sum + Math.max(0, count - 1),
					0,
				),
				executions: executions.length,
				executionStatuses: countBy(executions.map((e) => e.status)),
				binaryIds: countBy(
					executions.map((e) => String(firstBinary(e, line.nodeName)?.id ?? 'none').split(':')[0]),
				),
				rss,
				cpuMsPerRequest: round(cpuMs / slots, 1),
				isolatesPerRequest: round(isolates / slots, 2),
				n8nApiRefusalsWhileDraining: countBy(apiRefusals),
			};
		} finally {
			load?.kill('SIGKILL');
		}
	} finally {
		await instance.stop();
		rmSync(root, { recursive: true, force: true });
	}
}

/** The first binary entry of an execution's start item (its id says where n8n stored it). @param {any} execution @param {string} nodeName */
function firstBinary(execution, nodeName) {
	const binary = execution.data?.resultData?.runData?.[nodeName]?.[0]?.data?.main?.[0]?.[0]?.binary;
	return binary ? Object.values(binary)[0] : undefined;
}

/** A child process spinning on one core for as long as it lives: "one core taken by other work". */
export function busyCore() {
	return spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
}

/**
 * The multipart body that uploads a task's image to a Webhook node (the file in binary field "data", the task ID
 * as a form field), as parts, so the image is shared by every body instead of copied 600 times.
 * @param {string} taskId @param {Buffer} image @returns {Buffer[]}
 */
export function uploadBody(taskId, image) {
	const boundary = 'SeedreamBenchT1';
	const head = Buffer.from(
		`--${boundary}\r\nContent-Disposition: form-data; name="id"\r\n\r\n${taskId}\r\n` +
			`--${boundary}\r\nContent-Disposition: form-data; name="data"; filename="${taskId}-0.png"\r\nContent-Type: image/png\r\n\r\n`,
	);
	return [head, image, Buffer.from(`\r\n--${boundary}--\r\n`)];
}

/**
 * A task body with its result URLs moved from the emulator's loopback origin to https://example.com (same paths).
 * @param {string} body
 */
function publicUrls(body) {
	const task = JSON.parse(body);
	const move = (/** @type {unknown} */ url) =>
		typeof url === 'string' ? url.replace(/^https?:\/\/[^/]+/, 'https://example.com') : url;
	if (Array.isArray(task.results)) task.results = task.results.map(move);
	return JSON.stringify(task);
}

/** Slot -> index of the unique task it carries (repeat slots carry none of their own). @param {number} slot */
export function uniqueIndex(slot) {
	return slot - Math.floor(slot / REPEAT_EVERY);
}

/**
 * Creates `count` tasks through the emulator's API (as Generate would), waits until all are completed, and
 * returns each as `GET /v1/tasks/{id}` answers: the body EvoLink posts as the callback (docs/evolink-api.md §4).
 * @param {string} emulatorUrl @param {number} count @returns {Promise<{ id: string, body: string }[]>}
 */
export async function finishedTasks(emulatorUrl, count) {
	const headers = { authorization: `Bearer ${EMULATOR_KEY}`, 'content-type': 'application/json' };
	const ids = await inBatches(count, 10, async (index) => {
		const response = await fetch(`${emulatorUrl}/v1/images/generations`, {
			method: 'POST',
			headers,
			body: JSON.stringify({
				model: 'doubao-seedream-4.0',
				prompt: `T1 callback ${index}`,
				n: 1,
				size: '1K',
			}),
		});
		const task = await response.json();
		if (!response.ok)
			throw new Error(
				`T1: creating task ${index} answered ${response.status}: ${JSON.stringify(task)}`,
			);
		return /** @type {string} */ (task.id);
	});
	const deadline = Date.now() + 60_000;
	for (;;) {
		const tasks = await (await fetch(`${emulatorUrl}/__emulator/tasks`)).json();
		const done = tasks.filter(
			(/** @type {any} */ t) => ids.includes(t.id) && t.status === 'completed',
		).length;
		if (done === ids.length) break;
		if (Date.now() > deadline)
			throw new Error(`T1: only ${done} of ${ids.length} tasks completed on the emulator`);
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
	return await inBatches(count, 10, async (index) => {
		const response = await fetch(`${emulatorUrl}/v1/tasks/${ids[index]}`, { headers });
		const body = await response.text();
		if (!response.ok) throw new Error(`T1: reading task ${ids[index]} answered ${response.status}`);
		return { id: ids[index], body };
	});
}

/** @template T @param {number} count @param {number} width @param {(index: number) => Promise<T>} work @returns {Promise<T[]>} */
export async function inBatches(count, width, work) {
	/** @type {T[]} */
	const out = [];
	for (let start = 0; start < count; start += width) {
		const batch = Array.from({ length: Math.min(width, count - start) }, (_, i) => work(start + i));
		out.push(...(await Promise.all(batch)));
	}
	return out;
}

/**
 * A workflow's webhook is registered a moment after activation. A GET tells without starting anything: n8n
 * answers a registered POST-only path with a hint naming POST, an unknown path without.
 * @param {string} url
 */
export async function untilRegistered(url) {
	const deadline = Date.now() + 30_000;
	for (;;) {
		const response = await fetch(url);
		const text = await response.text();
		if (/POST/.test(text) && /not registered for GET|did you mean/i.test(text)) return;
		if (Date.now() > deadline)
			throw new Error(
				`T1: ${url} not registered after 30 s (GET answered ${response.status}: ${text.slice(0, 200)})`,
			);
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}

/**
 * Sends each scheduled callback at its slot (1/rate s apart), never waiting for earlier answers.
 * @param {string} url @param {{ task: { id: string, body: string | Buffer[] }, repeat: boolean }[]} schedule @param {number} rate
 * @returns {Promise<{ taskId: string, repeat: boolean, ok: boolean, status?: number, ms?: number, error?: string }[]>}
 */
async function sendOnSchedule(url, schedule, rate) {
	const started = performance.now();
	const pending = [];
	for (const [slot, { task, repeat }] of schedule.entries()) {
		const due = started + (slot * 1000) / rate;
		const wait = due - performance.now();
		if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
		pending.push(post(url, task.body).then((answer) => ({ taskId: task.id, repeat, ...answer })));
	}
	return await Promise.all(pending);
}

/**
 * One callback as EvoLink sends it: a fresh connection, JSON body, 10 s to answer; or an upload (multipart parts).
 * @param {string} url @param {string | Buffer[]} body @returns {Promise<{ ok: boolean, status?: number, ms?: number, error?: string }>}
 */
export function post(url, body) {
	return new Promise((resolve) => {
		const sent = performance.now();
		const request = http.request(url, {
			method: 'POST',
			agent: false,
			headers:
				typeof body === 'string'
					? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
					: {
							'content-type': 'multipart/form-data; boundary=SeedreamBenchT1',
							'content-length': body.reduce((n, part) => n + part.length, 0),
						},
		});
		const timer = setTimeout(() => request.destroy(new Error('timeout')), CALLBACK_TIMEOUT_MS);
		// A failed request counts in the answer times with the time it took (a timeout as 10 s): leaving it out
		// would make the percentiles of an overloaded side look better.
		request.once('error', (error) => {
			clearTimeout(timer);
			const timedOut = error.message === 'timeout';
			resolve({
				ok: false,
				ms: performance.now() - sent,
				error: timedOut ? 'timeout (10 s)' : /** @type {any} */ (error.code ?? error.message),
			});
		});
		request.once('response', (response) => {
			let text = '';
			response.setEncoding('utf8');
			response.on('data', (chunk) => (text += chunk));
			response.once('end', () => {
				clearTimeout(timer);
				const status = response.statusCode ?? 0;
				const ok = status >= 200 && status < 300;
				// What n8n said when it refused (e.g. 503 "Database is not ready!"), for the figures' failure counts.
				const error = ok
					? undefined
					: `HTTP ${status}: ${/"message":"([^"]{0,60})/.exec(text)?.[1] ?? text.slice(0, 60)}`;
				resolve({ ok, status, ms: performance.now() - sent, error });
			});
		});
		if (typeof body === 'string') request.end(body);
		else {
			for (const part of body.slice(0, -1)) request.write(part);
			request.end(body.at(-1));
		}
	});
}

/**
 * Resolves once a workflow's executions stopped coming (the count unchanged for DRAIN_STABLE_MS and none still
 * running), or after DRAIN_MAX_MS.
 * @param {import('../../scripts/lib/n8n/rest.mjs').N8nClient} client @param {string} workflowId
 */
export async function untilDrained(client, workflowId) {
	const deadline = Date.now() + DRAIN_MAX_MS;
	let last = -1;
	let stableSince = Date.now();
	for (;;) {
		const executions = await allExecutions(client, workflowId, false);
		const running = executions.some(
			(e) => !e.finished && !['success', 'error', 'crashed', 'canceled'].includes(e.status),
		);
		if (executions.length !== last || running) {
			last = executions.length;
			stableSince = Date.now();
		} else if (Date.now() - stableSince >= DRAIN_STABLE_MS) {
			return;
		}
		if (Date.now() > deadline) return;
		await new Promise((resolve) => setTimeout(resolve, 1000));
	}
}

/** @param {import('../../scripts/lib/n8n/rest.mjs').N8nClient} client @param {string} workflowId @param {boolean} includeData */
export async function allExecutions(client, workflowId, includeData) {
	/** @type {any[]} */
	const all = [];
	let cursor = '';
	for (let page = 0; page < 100; page++) {
		const query = `workflowId=${workflowId}&includeData=${includeData}&limit=250${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
		const { data, nextCursor } = await withRetries(() =>
			client.api('GET', `/api/v1/executions?${query}`),
		);
		all.push(...data);
		if (!nextCursor) break;
		cursor = nextCursor;
	}
	return all;
}

/**
 * n8n's count of expression isolates handed out so far (n8n_expression_pool_acquired_total on /metrics): each
 * one taken from the pool (of 1, n8n's default) is replaced by a freshly built isolate, or built on the spot
 * when the pool is empty.
 * @param {string} n8nUrl
 */
async function isolatesAcquired(n8nUrl) {
	const response = await fetch(`${n8nUrl}/metrics`);
	const text = await response.text();
	if (!response.ok) throw new Error(`GET /metrics -> ${response.status}: ${text.slice(0, 200)}`);
	const line = text
		.split('\n')
		.find((l) => /^n8n_expression_pool_acquired_total(\{[^}]*\})? /.test(l));
	return line ? Number(line.split(' ').at(-1)) : NaN;
}

/**
 * RSS and CPU time of n8n's process group (n8n runs in its own group, with its task runner): the peak of the
 * summed VmRSS over 250 ms samples against the start, and the CPU time used, until stop().
 * @param {number} groupId
 */
export function sampleProcessGroup(groupId) {
	/** CPU ms (user + system, clock ticks of 10 ms) by process. @type {Map<number, number>} */
	const cpuStart = new Map();
	/** @type {Map<number, number>} */
	const cpuNow = new Map();
	let started = false;
	const read = () => {
		/** @type {Record<string, number>} */
		const byProcess = {};
		for (const entry of readdirSync('/proc')) {
			if (!/^\d+$/.test(entry)) continue;
			try {
				const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
				const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
				if (Number(fields[2]) !== groupId) continue;
				const cpu = (Number(fields[11]) + Number(fields[12])) * 10;
				// A process that appears later (a task runner) counts from 0.
				if (!cpuStart.has(Number(entry))) cpuStart.set(Number(entry), started ? 0 : cpu);
				cpuNow.set(Number(entry), cpu);
				const status = readFileSync(`/proc/${entry}/status`, 'utf8');
				const rss = /VmRSS:\s+(\d+) kB/.exec(status);
				if (rss)
					byProcess[Number(entry) === groupId ? 'main' : `child ${entry}`] = Number(rss[1]) * 1024;
			} catch {
				// The process ended while being read.
			}
		}
		return byProcess;
	};
	const sum = (/** @type {Record<string, number>} */ byProcess) =>
		Object.values(byProcess).reduce((a, b) => a + b, 0);
	const start = read();
	started = true;
	let peak = start;
	const timer = setInterval(() => {
		const now = read();
		if (sum(now) > sum(peak)) peak = now;
	}, 250);
	return {
		stop() {
			clearInterval(timer);
			const end = read();
			if (sum(end) > sum(peak)) peak = end;
			let cpuMs = 0;
			for (const [pid, cpu] of cpuNow) cpuMs += cpu - (cpuStart.get(pid) ?? 0);
			return {
				rss: {
					startBytes: sum(start),
					peakBytes: sum(peak),
					endBytes: sum(end),
					growthBytes: sum(peak) - sum(start),
					start,
					peak,
					end,
				},
				cpuMs,
			};
		},
	};
}

/**
 * n8n under this load answers its own API with 503 "Database is not ready!" at times (its database health check
 * timed out): the bench asks again rather than losing the run. Each refusal is counted in `apiRefusals`.
 * @template T @param {() => Promise<T>} call @returns {Promise<T>}
 */
export async function withRetries(call) {
	for (let attempt = 1; ; attempt++) {
		try {
			return await call();
		} catch (error) {
			apiRefusals.push(String(/** @type {Error} */ (error).message).slice(0, 80));
			if (attempt >= 60) throw error;
			await new Promise((resolve) => setTimeout(resolve, 1000));
		}
	}
}
/** @type {string[]} */
const apiRefusals = [];

/** @param {string[]} values */
export function countBy(values) {
	/** @type {Record<string, number>} */
	const counts = {};
	for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
	return counts;
}

export const mb = (/** @type {number} */ bytes) => round(bytes / MB, 1);
