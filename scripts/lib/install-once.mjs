// @ts-check
// One install at a time into the shared cache, across processes: two `npm test` runs (or the Jest workers of
// one) that find the same thing missing must not install it together. A fresh machine showed why: parallel n8n
// installs into one folder clobbered each other's native builds. Built-ins only (this runs on Node 20 first).
//
// The lock is a directory (mkdir is atomic) holding the owner's pid and process start time. A lock whose owner is
// gone (killed mid-install, Ctrl-C) is stale: it is removed under a second, short-lived lock so that two waiters
// cannot both remove it and one of them take away a live owner's new lock. An install is complete only when its
// check says so (for a cache folder: a marker written last), so a half-finished one is found and redone.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';

const POLL_MS = 250;
/** A lock directory this old without its owner file was left by a process killed between mkdir and write. */
const OWNERLESS_STALE_MS = 10_000;
/** The breaking lock is held for a few file operations; one this old was left by a killed process. */
const BREAK_LOCK_STALE_MS = 30_000;
const REPORT_EVERY_MS = 30_000;

/** @param {number} ms */
function sleepSync(ms) {
	Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The kernel's start time of a process (field 22 of /proc/<pid>/stat), so that a reused pid is not taken for
 * the lock's owner. Undefined when the process does not exist (or /proc is not there).
 * @param {number} pid
 */
function processStartTime(pid) {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
	} catch {
		return undefined;
	}
}

/** @typedef {{ pid: number, start: string | undefined, host: string, label: string, since: string }} LockOwner */

/** @param {string} lockDir @returns {LockOwner | undefined} */
function readOwner(lockDir) {
	try {
		return JSON.parse(readFileSync(join(lockDir, 'owner.json'), 'utf8'));
	} catch {
		return undefined;
	}
}

/** @param {string} path */
function ageMs(path) {
	try {
		return Date.now() - statSync(path).mtimeMs;
	} catch {
		return 0;
	}
}

/**
 * Whether the lock is held by a live process. An owner on another host (a cache on a shared volume) cannot be
 * checked and counts as live.
 * @param {string} lockDir
 */
function isStale(lockDir) {
	const owner = readOwner(lockDir);
	if (!owner) return ageMs(lockDir) > OWNERLESS_STALE_MS;
	if (owner.host !== hostname()) return false;
	const start = processStartTime(owner.pid);
	return start === undefined || (owner.start !== undefined && start !== owner.start);
}

/**
 * Removes a stale lock, re-checking under the breaking lock that it is still the stale one.
 * @param {string} lockDir
 */
function breakIfStale(lockDir) {
	const breakDir = `${lockDir}.break`;
	if (ageMs(breakDir) > BREAK_LOCK_STALE_MS) rmSync(breakDir, { recursive: true, force: true });
	try {
		mkdirSync(breakDir);
	} catch {
		return; // another waiter is breaking it
	}
	try {
		if (isStale(lockDir)) rmSync(lockDir, { recursive: true, force: true });
	} finally {
		rmSync(breakDir, { recursive: true, force: true });
	}
}

/**
 * Blocks until this process holds `lockDir`; returns the release function.
 * @param {string} lockDir @param {string} label what is being installed, for the waiting message
 * @param {(message: string) => void} say
 */
export function acquireLock(lockDir, label, say) {
	const me = {
		pid: process.pid,
		start: processStartTime(process.pid),
		host: hostname(),
		label,
		since: new Date().toISOString(),
	};
	const waitingSince = Date.now();
	let reportedAt = 0;
	mkdirSync(dirname(lockDir), { recursive: true });
	for (;;) {
		try {
			mkdirSync(lockDir);
			writeFileSync(join(lockDir, 'owner.json'), JSON.stringify(me));
			return () => rmSync(lockDir, { recursive: true, force: true });
		} catch (error) {
			if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') throw error;
		}
		if (isStale(lockDir)) {
			breakIfStale(lockDir);
			continue;
		}
		if (Date.now() - reportedAt >= REPORT_EVERY_MS) {
			const owner = readOwner(lockDir);
			const waited = Math.round((Date.now() - waitingSince) / 1000);
			say(
				`Waiting for ${owner ? `process ${owner.pid}, which is installing ${owner.label} since ${owner.since}` : 'another process'}` +
					` (lock ${lockDir}${waited ? `; waited ${waited} s` : ''})`,
			);
			reportedAt = Date.now();
		}
		sleepSync(POLL_MS);
	}
}

/**
 * Runs `install` unless `isComplete()`, holding the cache lock while it checks and installs, so that exactly one
 * process installs and the others wait and then find it complete.
 * @param {{ lockDir: string, label: string, isComplete: () => boolean, install: () => void, say: (message: string) => void }} options
 * @returns {boolean} whether this process installed
 */
export function installOnce({ lockDir, label, isComplete, install, say }) {
	if (isComplete()) return false;
	const release = acquireLock(lockDir, label, say);
	try {
		if (isComplete()) return false; // another process finished it while this one waited
		install();
		if (!isComplete())
			throw new Error(`Installing ${label} finished but the install is still not complete`);
		return true;
	} finally {
		release();
	}
}

/**
 * A cache folder filled by `install`, complete only when its marker (written last) exists. A folder without the
 * marker is what a killed install left: it is removed and installed again, never taken as complete.
 * @param {{ dir: string, label: string, install: () => void, say: (message: string) => void }} options
 * @returns {boolean} whether this process installed
 */
export function installFolderOnce({ dir, label, install, say }) {
	const marker = join(dir, '.install-complete');
	return installOnce({
		lockDir: `${dir}.lock`,
		label,
		say,
		isComplete: () => {
			try {
				statSync(marker);
				return true;
			} catch {
				return false;
			}
		},
		install: () => {
			try {
				statSync(dir);
				say(`${dir} holds an unfinished install (no ${marker}): removing it and installing again`);
				rmSync(dir, { recursive: true, force: true });
			} catch {
				// not there: a first install
			}
			say(`Installing ${label} into ${dir} (once; later runs reuse it)`);
			mkdirSync(dir, { recursive: true });
			writeFileSync(join(dir, 'package.json'), '{ "private": true }\n');
			install();
			writeFileSync(marker, new Date().toISOString() + '\n');
		},
	});
}
