// @ts-check
// A real n8n with our packed package, the way users get it: the tarball is installed into the instance's user
// folder as n8n installs a community package (node types `n8n-nodes-seedream.*`), the local EvoLink emulator
// runs beside it, an owner is set up, and a Seedream credential and the example workflows are created over n8n's
// own REST API. Used by `npm start` (scripts/start.mjs) and by the end-to-end tests (test/e2e). Everything
// listens on 127.0.0.1. Measured facts behind the choices: docs/n8n-runtime.md.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_NAME, installPackage, nodesDir } from './install.mjs';
import { startEmulator, startN8n } from './process.mjs';
import { DEMO_OWNER, setUpDemo } from './seed.mjs';
import { N8N_VERSION } from '../toolchain.mjs';

/** @typedef {import('./process.mjs').Owner} Owner */

/** @typedef {import('./process.mjs').Service} Service */

/**
 * The whole instance: emulator, n8n with the package installed, owner login, API key, credential, examples.
 * @param {{
 *   userFolder: string, tarball: string, port: number, brokerPort: number, emulatorPort: number,
 *   owner?: Owner, taskMs?: number, realApi?: { apiKey: string, baseUrl?: string, filesBaseUrl?: string },
 *   env?: NodeJS.ProcessEnv, onStep?: (message: string) => void, n8nVersion?: string,
 * }} options
 */
export async function startInstance(options) {
	const owner = options.owner ?? DEMO_OWNER;
	const say = options.onStep ?? (() => {});
	const logs = join(options.userFolder, 'logs');
	mkdirSync(logs, { recursive: true });
	/** @type {Service[]} */
	const services = [];
	const stop = async () => {
		for (const service of services.reverse()) await service.stop();
		services.length = 0;
	};
	try {
		say(`Installing the package into ${nodesDir(options.userFolder)}`);
		const install = installPackage(options.userFolder, options.tarball);
		say(
			install.changed
				? `Installed ${PACKAGE_NAME}@${install.version}`
				: `${PACKAGE_NAME}@${install.version} already installed (same tarball)`,
		);

		/** @type {Service | undefined} */
		let emulator;
		if (!options.realApi) {
			say(`Starting the EvoLink emulator on 127.0.0.1:${options.emulatorPort}`);
			emulator = await startEmulator({
				port: options.emulatorPort,
				logFile: join(logs, 'emulator.log'),
				taskMs: options.taskMs,
			});
			services.push(emulator);
		}
		say(
			`Starting n8n ${options.n8nVersion ?? N8N_VERSION} on 127.0.0.1:${options.port} (about 20 s)`,
		);
		const n8n = await startN8n({
			version: options.n8nVersion,
			userFolder: options.userFolder,
			port: options.port,
			brokerPort: options.brokerPort,
			owner,
			logFile: join(logs, 'n8n.log'),
			env: options.env,
		});
		services.push(n8n);

		const { client, credential, workflows } = await setUpDemo(n8n.url, {
			owner,
			realApi: options.realApi,
			emulatorUrl: emulator?.url,
		});
		/** Resolves when n8n or the emulator ends by itself (a crash): `npm start` reports it instead of hanging. */
		const ended = Promise.race(
			[
				['n8n', n8n],
				['the emulator', emulator],
			]
				.filter(([, s]) => s)
				.map(([name, s]) =>
					/** @type {Service} */ (s).exited.then((how) => ({ name: String(name), ...how })),
				),
		);
		return {
			url: n8n.url,
			n8nVersion: options.n8nVersion ?? N8N_VERSION,
			n8nPid: n8n.pid,
			emulatorUrl: emulator?.url,
			owner,
			client,
			credential,
			workflows,
			install,
			logs,
			ended,
			stop,
		};
	} catch (error) {
		await stop();
		throw error;
	}
}
