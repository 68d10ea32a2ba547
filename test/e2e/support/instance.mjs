// @ts-check
// One real n8n for the whole end-to-end suite (starting it is the slow part): a fresh user folder in a temp
// directory, free loopback ports (so it never clashes with a running `npm start`), the package built and packed
// from the working tree (or SEEDREAM_TARBALL), the emulator with short tasks. Logs are kept in
// test-results/e2e-logs/ after the run, secrets excluded (n8n and the emulator never print keys).
// n8n's outbound node traffic goes through a local intercepting proxy that fakes Slack and Google and refuses
// every other host (support/outside/), so the real Slack and Google Drive nodes can run and nothing leaves the
// machine; files the Read/Write Files from Disk node may touch live in the temporary directory.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildAndPack } from '../../../scripts/lib/pack.mjs';
import { DEMO_OWNER } from '../../../scripts/lib/n8n/seed.mjs';
import { freePorts } from '../../../scripts/lib/n8n/ports.mjs';
import { startInstance } from '../../../scripts/lib/n8n/instance.mjs';
import { withoutMcpRegistry } from '../../../scripts/lib/n8n/process.mjs';
import { repoRoot } from '../../../scripts/lib/toolchain.mjs';
import { EmulatorClient } from '../../../emulator/client.mjs';
import { startOutside } from './outside/index.mjs';

/** @typedef {Awaited<ReturnType<typeof startE2eInstance>>} E2eInstance */

/** @param {{ n8nVersion?: string }} [options] n8nVersion: the n8n to run (the pinned 2.x unless told) */
export async function startE2eInstance({ n8nVersion } = {}) {
	const root = mkdtempSync(join(tmpdir(), 'seedream-e2e-'));
	const userFolder = join(root, 'n8n');
	// One folder per Jest worker: test files that start their own n8n must not overwrite each other's logs.
	const logsOut = join(
		repoRoot,
		'test-results',
		'e2e-logs',
		n8nVersion ? `n8n-${n8nVersion}` : `worker-${process.env.JEST_WORKER_ID ?? '0'}`,
	);
	const filesDir = join(root, 'files');
	/** @type {Awaited<ReturnType<typeof startInstance>> | undefined} */
	let instance;
	/** @type {import('./outside/index.mjs').Outside | undefined} */
	let outside;
	const cleanup = async () => {
		await instance?.stop();
		await outside?.stop();
		if (existsSync(join(userFolder, 'logs'))) {
			rmSync(logsOut, { recursive: true, force: true });
			mkdirSync(logsOut, { recursive: true });
			cpSync(join(userFolder, 'logs'), logsOut, { recursive: true });
		}
		rmSync(root, { recursive: true, force: true });
	};
	try {
		const tarball = process.env.SEEDREAM_TARBALL
			? resolve(process.env.SEEDREAM_TARBALL)
			: // Per Jest worker (two test files may pack at once); reused by the next run when the sources are unchanged.
				buildAndPack({
					outDir: join(repoRoot, 'test-results', `pack-e2e-${process.env.JEST_WORKER_ID ?? '0'}`),
				}).tarball;
		const [port, brokerPort, emulatorPort] = await freePorts(3);
		outside = await startOutside();
		mkdirSync(filesDir);
		instance = await startInstance({
			userFolder,
			tarball,
			port,
			brokerPort,
			emulatorPort,
			owner: DEMO_OWNER,
			n8nVersion,
			// Short tasks keep the suite quick; polling and waiting are still exercised.
			taskMs: 400,
			env: {
				...outside.env,
				// Otherwise n8n itself CONNECTs to api.n8n.io at start (MCP registry refresh): docs/n8n-fake-slack-drive.md.
				...withoutMcpRegistry(n8nVersion),
				N8N_RESTRICT_FILE_ACCESS_TO: filesDir,
			},
		});
		const emulator = new EmulatorClient(/** @type {string} */ (instance.emulatorUrl));
		/** @param {string} file */
		const workflow = (file) => {
			const found = instance?.workflows.find((w) => w.file === file);
			if (!found) throw new Error(`examples/${file} was not imported`);
			return found;
		};
		return {
			...instance,
			tarball,
			userFolder,
			emulator,
			workflow,
			outside,
			filesDir,
			stop: cleanup,
		};
	} catch (error) {
		await cleanup();
		throw error;
	}
}
