// @ts-check
// What the tests of the scripts' processes share: finding the processes a run left, and a package to install.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Running processes (zombies left out) whose command line or environment `matches` says are a run's.
 * @param {(process: { command: string, environ: string }) => boolean} matches
 * @returns {{ pid: number, command: string }[]}
 */
export function runningProcesses(matches) {
	/** @type {{ pid: number, command: string }[]} */
	const found = [];
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
			const environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
			const zombie = /^State:\s+Z/m.test(readFileSync(`/proc/${entry}/status`, 'utf8'));
			if (!zombie && matches({ command, environ })) found.push({ pid: Number(entry), command });
		} catch {
			// It ended while we looked.
		}
	}
	return found;
}

/**
 * A package named like ours with nothing in it, packed into `folder`: for starts that install a tarball but are
 * over before n8n would load a node. @param {string} folder @returns {string} the tarball
 */
export function emptyPackageTarball(folder) {
	mkdirSync(join(folder, 'pkg', 'package'), { recursive: true });
	writeFileSync(
		join(folder, 'pkg', 'package', 'package.json'),
		JSON.stringify({ name: 'n8n-nodes-seedream', version: '0.0.0' }),
	);
	const tarball = join(folder, 'package.tgz');
	const tar = spawnSync('tar', ['-czf', tarball, '-C', join(folder, 'pkg'), 'package'], {
		encoding: 'utf8',
	});
	if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
	return tarball;
}
