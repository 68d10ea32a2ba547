// @ts-check
// A real n8n WITHOUT our package, set up to install it the way users do: from its default registry setting
// (https://registry.npmjs.org), which the intercepting proxy hands to a local registry server where the packed
// package was published as a release publishes it. The EvoLink emulator runs beside it. n8n can be restarted
// on the same user folder (installed packages are loaded again at start).
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildAndPack } from '../../../scripts/lib/pack.mjs';
import { nodesDir } from '../../../scripts/lib/n8n/install.mjs';
import { freePorts } from '../../../scripts/lib/n8n/ports.mjs';
import { startEmulator, startN8n, withoutMcpRegistry } from '../../../scripts/lib/n8n/process.mjs';
import { N8nClient } from '../../../scripts/lib/n8n/rest.mjs';
import { DEMO_OWNER } from '../../../scripts/lib/n8n/seed.mjs';
import { N8N_VERSION, repoRoot } from '../../../scripts/lib/toolchain.mjs';
import { startOutside } from './outside/index.mjs';
import { keepRegistryLog, startRegistry } from './registry.mjs';

/** @typedef {Awaited<ReturnType<typeof startRegistryInstance>>} RegistryInstance */

/** @param {{ n8nVersion?: string }} [options] */
export async function startRegistryInstance({ n8nVersion = N8N_VERSION } = {}) {
	const root = mkdtempSync(join(tmpdir(), 'seedream-registry-e2e-'));
	const userFolder = join(root, 'n8n');
	const logs = join(userFolder, 'logs');
	mkdirSync(logs, { recursive: true });
	const logsOut = join(repoRoot, 'test-results', 'e2e-logs', `registry-n8n-${n8nVersion}`);
	/** @type {(() => Promise<void>)[]} */
	const stops = [];
	/** @type {import('../../../scripts/lib/n8n/process.mjs').Service | undefined} */
	let n8n;
	/** @type {import('./registry.mjs').LocalRegistry | undefined} */
	let registry;
	const stop = async () => {
		await n8n?.stop();
		for (const s of stops.reverse()) await s();
		if (registry) keepRegistryLog(registry, logs);
		await registry?.stop();
		rmSync(logsOut, { recursive: true, force: true });
		mkdirSync(logsOut, { recursive: true });
		cpSync(logs, logsOut, { recursive: true });
		rmSync(root, { recursive: true, force: true });
	};
	try {
		const tarball = process.env.SEEDREAM_TARBALL
			? resolve(process.env.SEEDREAM_TARBALL)
			: buildAndPack({
					outDir: join(repoRoot, 'test-results', `pack-e2e-${process.env.JEST_WORKER_ID ?? '0'}`),
				}).tarball;
		registry = await startRegistry();
		registry.publish(tarball);
		const outside = await startOutside({ registryUrl: registry.url });
		stops.push(() => outside.stop());
		if (Number(n8nVersion.split('.')[0]) < 2) {
			// n8n 1.x runs `npm outdated` (the update check) with only PATH, NODE_PATH, APPDATA and NODE_ENV, so a
			// proxy in n8n's environment does not reach it. An admin behind a proxy configures npm where n8n runs it:
			// an .npmrc in the community-nodes folder (npm reads a project's .npmrc from its working directory).
			mkdirSync(nodesDir(userFolder), { recursive: true });
			writeFileSync(
				join(nodesDir(userFolder), '.npmrc'),
				[
					`proxy=${outside.proxy.url}`,
					`https-proxy=${outside.proxy.url}`,
					'noproxy=127.0.0.1,localhost',
					`cafile=${outside.env.NODE_EXTRA_CA_CERTS}`,
					'',
				].join('\n'),
			);
		}
		const [port, brokerPort, emulatorPort] = await freePorts(3);
		const emulator = await startEmulator({
			port: emulatorPort,
			logFile: join(logs, 'emulator.log'),
			taskMs: 400,
		});
		stops.push(() => emulator.stop());
		const owner = DEMO_OWNER;
		const startIt = async () =>
			await startN8n({
				version: n8nVersion,
				userFolder,
				port,
				brokerPort,
				owner,
				logFile: join(logs, 'n8n.log'),
				env: { ...outside.env, ...withoutMcpRegistry(n8nVersion) },
			});
		n8n = await startIt();
		const client = new N8nClient(n8n.url);
		await client.login(owner);
		await client.createApiKey();
		return {
			n8nVersion,
			url: n8n.url,
			userFolder,
			owner,
			client,
			tarball,
			registry,
			outside,
			emulatorUrl: emulator.url,
			/** Stops n8n and starts it again on the same user folder and port; the session stays valid. */
			async restart() {
				await n8n?.stop();
				n8n = await startIt();
				await client.login(owner);
			},
			stop,
		};
	} catch (error) {
		await stop();
		throw error;
	}
}
