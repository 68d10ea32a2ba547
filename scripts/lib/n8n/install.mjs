// @ts-check
// The packed package in an n8n user folder, installed the way n8n installs a community package, so that its node
// types are `n8n-nodes-seedream.*` as users get them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256File } from '../pack.mjs';
import { node24Env } from '../toolchain.mjs';

export const PACKAGE_NAME = 'n8n-nodes-seedream';
export const NODE_TYPE = `${PACKAGE_NAME}.seedream`;
export const CREDENTIAL_TYPE = 'seedreamApi';

/** Where n8n keeps community packages for a user folder (InstanceSettings.nodesDownloadDir). */
export function nodesDir(/** @type {string} */ userFolder) {
	return join(userFolder, '.n8n', 'nodes');
}

/**
 * Installs the packed tarball as n8n 2.x installs a community package (CommunityPackagesService.downloadPackage):
 * unpack into nodes/node_modules/<name>, drop dev/peer/optional dependencies from its package.json, run npm
 * install there with scripts off, and record it in nodes/package.json. Skipped when the same tarball is installed.
 * @param {string} userFolder @param {string} tarball
 * @returns {{ changed: boolean, directory: string, version: string }}
 */
export function installPackage(userFolder, tarball) {
	const nodes = nodesDir(userFolder);
	const directory = join(nodes, 'node_modules', PACKAGE_NAME);
	const marker = join(nodes, `.${PACKAGE_NAME}.sha256`);
	const sha = sha256File(tarball);
	const installedManifest = join(directory, 'package.json');
	if (
		existsSync(marker) &&
		existsSync(installedManifest) &&
		readFileSync(marker, 'utf8').trim() === sha
	) {
		return {
			changed: false,
			directory,
			version: JSON.parse(readFileSync(installedManifest, 'utf8')).version,
		};
	}
	rmSync(marker, { force: true });
	rmSync(directory, { recursive: true, force: true });
	mkdirSync(directory, { recursive: true });
	const tar = spawnSync('tar', ['-xzf', tarball, '-C', directory, '--strip-components=1'], {
		encoding: 'utf8',
	});
	if (tar.status !== 0) throw new Error(`Could not unpack ${tarball}: ${tar.stderr}`);
	const { devDependencies, peerDependencies, optionalDependencies, ...manifest } = JSON.parse(
		readFileSync(installedManifest, 'utf8'),
	);
	writeFileSync(installedManifest, JSON.stringify(manifest, null, 2));
	const npm = spawnSync(
		'npm',
		[
			'install',
			'--audit=false',
			'--fund=false',
			'--bin-links=false',
			'--install-strategy=shallow',
			'--ignore-scripts=true',
			'--package-lock=false',
			'--loglevel=error',
		],
		{ cwd: directory, encoding: 'utf8', env: node24Env() },
	);
	if (npm.status !== 0)
		throw new Error(`npm install in ${directory} failed:\n${npm.stdout}\n${npm.stderr}`);
	const listPath = join(nodes, 'package.json');
	const list = existsSync(listPath)
		? JSON.parse(readFileSync(listPath, 'utf8'))
		: { name: 'installed-nodes', private: true, dependencies: {} };
	list.dependencies = { ...list.dependencies, [PACKAGE_NAME]: manifest.version };
	writeFileSync(listPath, JSON.stringify(list, null, 2));
	writeFileSync(marker, sha + '\n');
	return { changed: true, directory, version: manifest.version };
}
