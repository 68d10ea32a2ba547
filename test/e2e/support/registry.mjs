// @ts-check
// A local npm registry for the registry-install tests: verdaccio (a dev dependency, from npm) on 127.0.0.1 with
// its storage in a temporary folder and no uplink, so it serves only what the test publishes. The package gets
// there as the release workflow puts it on the public registry: `npm publish --access public` (less provenance,
// which needs GitHub's OIDC token), by a user the test registers. n8n never sees this URL: it keeps its default
// registry, and the intercepting proxy (support/outside/) hands its https://registry.npmjs.org traffic to this
// server (docs/n8n-versions.md).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../scripts/lib/n8n/ports.mjs';
import { spawnService, tail } from '../../../scripts/lib/n8n/process.mjs';
import { node24Binary, node24Env, repoRoot } from '../../../scripts/lib/toolchain.mjs';

/** The public registry n8n installs community packages from by default; the proxy fakes it. */
export const PUBLIC_REGISTRY_HOST = 'registry.npmjs.org';

/** @typedef {Awaited<ReturnType<typeof startRegistry>>} LocalRegistry */

export async function startRegistry() {
	const dir = mkdtempSync(join(tmpdir(), 'seedream-registry-'));
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	const logFile = join(dir, 'verdaccio.log');
	writeFileSync(
		join(dir, 'config.yaml'),
		[
			`storage: ${join(dir, 'storage')}`,
			'auth:',
			'  htpasswd:',
			`    file: ${join(dir, 'htpasswd')}`,
			'web:',
			'  enable: false',
			'uplinks: {}',
			'packages:',
			"  '**':",
			'    access: $all',
			'    publish: $authenticated',
			'    unpublish: $authenticated',
			'log: { type: stdout, format: pretty, level: warn }',
			'',
		].join('\n'),
	);
	const service = spawnService(
		node24Binary(),
		[
			join(repoRoot, 'node_modules', 'verdaccio', 'bin', 'verdaccio'),
			'--config',
			join(dir, 'config.yaml'),
			'--listen',
			`127.0.0.1:${port}`,
		],
		// Tarball URLs in its answers name the host n8n asked for (https://registry.npmjs.org/...), not this one.
		{
			cwd: dir,
			logFile,
			env: { ...node24Env(), VERDACCIO_PUBLIC_URL: `https://${PUBLIC_REGISTRY_HOST}/` },
		},
	);
	const stop = async () => {
		await service.stop(5_000);
		rmSync(dir, { recursive: true, force: true });
	};
	try {
		const deadline = Date.now() + 60_000;
		for (;;) {
			const ready = await fetch(`${url}/-/ping`).then(
				(response) => response.ok,
				() => false,
			);
			if (ready) break;
			if (Date.now() > deadline || service.child.exitCode !== null)
				throw new Error(`verdaccio did not start:\n${tail(logFile)}`);
			await new Promise((resolve) => setTimeout(resolve, 200));
		}
		// A publisher, as `npm adduser` registers one; its token goes into an npmrc of its own.
		const user = { name: 'seedream-release', password: randomBytes(12).toString('hex') };
		const added = await fetch(`${url}/-/user/org.couchdb.user:${user.name}`, {
			method: 'PUT',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({
				name: user.name,
				password: user.password,
				email: 'release@n8n-nodes-seedream.dev',
				type: 'user',
				roles: [],
			}),
		});
		if (!added.ok)
			throw new Error(`verdaccio refused the publisher: ${added.status} ${await added.text()}`);
		const { token } = await added.json();
		const npmrc = join(dir, 'publisher.npmrc');
		writeFileSync(npmrc, `registry=${url}/\n//127.0.0.1:${port}/:_authToken=${token}\n`);

		/**
		 * `npm publish` of a package folder or a packed tarball, as the release workflow runs it.
		 * @param {string} target
		 */
		const publish = (target) => {
			const result = spawnSync(
				'npm',
				[
					'publish',
					target,
					'--access',
					'public',
					'--ignore-scripts',
					'--userconfig',
					npmrc,
					'--registry',
					`${url}/`,
				],
				{
					cwd: dir,
					encoding: 'utf8',
					env: node24Env(),
				},
			);
			if (result.status !== 0)
				throw new Error(`npm publish ${target} failed:\n${result.stdout}\n${result.stderr}`);
		};

		/**
		 * Publishes the contents of a packed tarball under another version: the next release, unchanged otherwise.
		 * @param {string} tarball @param {string} version
		 */
		const publishAs = (tarball, version) => {
			const work = mkdtempSync(join(dir, 'release-'));
			const unpacked = spawnSync('tar', ['-xzf', tarball, '-C', work, '--strip-components=1']);
			if (unpacked.status !== 0) throw new Error(`Could not unpack ${tarball}`);
			const manifestFile = join(work, 'package.json');
			writeFileSync(
				manifestFile,
				JSON.stringify({ ...JSON.parse(readFileSync(manifestFile, 'utf8')), version }, null, 2),
			);
			publish(work);
			rmSync(work, { recursive: true, force: true });
		};

		/** @param {string} name @returns {Promise<{ 'dist-tags': Record<string, string>, versions: Record<string, unknown> }>} */
		const packument = async (name) => await (await fetch(`${url}/${name}`)).json();
		return { url, logFile, publish, publishAs, packument, stop };
	} catch (error) {
		await stop();
		throw error;
	}
}

/** Keeps the registry's log beside the other e2e logs. @param {LocalRegistry} registry @param {string} logsDir */
export function keepRegistryLog(registry, logsDir) {
	mkdirSync(logsDir, { recursive: true });
	cpSync(registry.logFile, join(logsDir, 'verdaccio.log'));
}
