// @ts-check
// One install at a time into the shared cache, across processes: two `npm test` runs (or the Jest workers of
// one) that find the same thing missing must not install it together. A fresh machine showed why: parallel n8n
// installs into one folder clobbered each other's native builds. Built-ins only (this runs on Node 20 first).
//
// The lock is a directory (mkdir is atomic) holding the owner's host, pid and process start time. A lock whose
// owner is gone (killed mid-install, Ctrl-C) is stale: it is removed under a second, short-lived lock (`.break`)
// so that two waiters cannot both remove it and one of them take away a live owner's new lock. The `.break` lock
// carries its owner from the moment it exists (made aside, then renamed into place) and is itself removed only
// when that owner is gone, never for its age: a slow machine must not let a second waiter in beside a live one.
// An owner on another host (a cache on a shared volume) cannot be checked: it is waited for, up to the overall
// timeout, which then names it. An install is complete only when its check says so (for a cache folder: a marker
// written last), so a half-finished one is found and redone.
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

const POLL_MS = 250;
/** A lock directory this old without its owner file was left by a process killed between mkdir and write. */
const OWNERLESS_STALE_MS = 10_000;
const REPORT_EVERY_MS = 30_000;
/** How long a waiter waits for an owner in all (SEEDREAM_LOCK_TIMEOUT_S): an n8n install takes about 10 minutes. */
const DEFAULT_TIMEOUT_MS = 60 * 60_000;
/** Where process start times are read; a system without it (no procfs) falls back to signal 0. */
const PROC = process.env.SEEDREAM_PROC_DIR || '/proc';

/** @param {number} ms */
function sleepSync(ms) {
	Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Whether /proc is there to read start times from. */
function hasProcfs() {
	try {
		return statSync(join(PROC, String(process.pid), 'stat')).isFile();
	} catch {
		return false;
	}
}

/**
 * The kernel's start time of a process (field 22 of /proc/<pid>/stat), so that a reused pid is not taken for
 * the lock's owner. Undefined when the process does not exist or /proc is not there.
 * @param {number} pid
 */
function processStartTime(pid) {
	try {
		const stat = readFileSync(join(PROC, String(pid), 'stat'), 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
	} catch {
		return undefined;
	}
}

/** Signal 0 asks the kernel whether a pid exists; EPERM means it does, owned by someone else. @param {number} pid */
function pidExists(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
	}
}

/** @typedef {{ pid: number, start: string | undefined, host: string, label: string, since: string, token?: string }} LockOwner */

/** This process as a lock owner. @param {string} label @returns {LockOwner} */
function ownerMe(label) {
	return {
		pid: process.pid,
		start: processStartTime(process.pid),
		host: hostname(),
		label,
		since: new Date().toISOString(),
		token: randomBytes(8).toString('hex'),
	};
}

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
 * Whether an owner on this host is gone: its pid is not running, or runs a later process (another start time).
 * Without /proc only the pid can be asked about.
 * @param {LockOwner} owner
 */
export function ownerIsGone(owner) {
	if (!hasProcfs()) return !pidExists(owner.pid);
	const start = processStartTime(owner.pid);
	return start === undefined || (owner.start !== undefined && start !== owner.start);
}

/**
 * Whether the lock is held by no live process. An owner on another host cannot be checked: it is not stale
 * (the overall timeout ends the wait for it).
 * @param {string} lockDir
 */
function isStale(lockDir) {
	const owner = readOwner(lockDir);
	if (!owner) return ageMs(lockDir) > OWNERLESS_STALE_MS;
	if (owner.host !== hostname()) return false;
	return ownerIsGone(owner);
}

/**
 * Takes `dir` as a lock with its owner file already inside (made aside and renamed into place, so the lock is
 * never seen without an owner; rename fails onto a directory that has one). False when another process holds it.
 * @param {string} dir @param {LockOwner} me
 */
function takeWithOwner(dir, me) {
	const aside = `${dir}.${process.pid}-${me.token}`;
	mkdirSync(aside, { recursive: true });
	writeFileSync(join(aside, 'owner.json'), JSON.stringify(me));
	try {
		renameSync(aside, dir);
		return true;
	} catch {
		rmSync(aside, { recursive: true, force: true });
		return false;
	}
}

/**
 * Removes a `.break` lock whose owner is gone (or, left by an older version of this file, one without an owner
 * for a while). It is moved aside first (rename is atomic) and removed only if what was moved is the one judged
 * gone (same token); a live owner's, taken in between, is moved back.
 * @param {string} breakDir
 */
function removeGoneBreakLock(breakDir) {
	const owner = readOwner(breakDir);
	const gone = owner
		? owner.host === hostname() && ownerIsGone(owner)
		: ageMs(breakDir) > OWNERLESS_STALE_MS;
	if (!gone) return;
	const aside = `${breakDir}.gone-${process.pid}-${randomBytes(4).toString('hex')}`;
	try {
		renameSync(breakDir, aside);
	} catch {
		return; // another waiter moved it
	}
	if (readOwner(aside)?.token === owner?.token) {
		rmSync(aside, { recursive: true, force: true });
		return;
	}
	try {
		renameSync(aside, breakDir);
	} catch {
		// A third waiter took the break lock meanwhile: it re-checks the stale lock itself, as its owner would.
		rmSync(aside, { recursive: true, force: true });
	}
}

/**
 * Removes a stale lock, re-checking under the breaking lock that it is still the stale one.
 * @param {string} lockDir @param {LockOwner} me
 */
function breakIfStale(lockDir, me) {
	const breakDir = `${lockDir}.break`;
	if (!takeWithOwner(breakDir, me)) {
		removeGoneBreakLock(breakDir);
		return;
	}
	try {
		if (isStale(lockDir)) rmSync(lockDir, { recursive: true, force: true });
	} finally {
		rmSync(breakDir, { recursive: true, force: true });
	}
}

/** @param {LockOwner | undefined} owner */
function describeOwner(owner) {
	if (!owner) return 'another process';
	const where = owner.host === hostname() ? '' : ` on host ${owner.host}`;
	return `process ${owner.pid}${where}, which is installing ${owner.label} since ${owner.since}`;
}

/**
 * Blocks until this process holds `lockDir`; returns the release function. Throws after `timeoutMs` of waiting
 * (SEEDREAM_LOCK_TIMEOUT_S, or an hour), naming the owner and the lock to remove if that owner is gone.
 * @param {string} lockDir @param {string} label what is being installed, for the waiting message
 * @param {(message: string) => void} say
 * @param {{ timeoutMs?: number }} [options]
 */
export function acquireLock(lockDir, label, say, options = {}) {
	const timeoutMs =
		options.timeoutMs ?? (Number(process.env.SEEDREAM_LOCK_TIMEOUT_S) * 1000 || DEFAULT_TIMEOUT_MS);
	const me = ownerMe(label);
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
			breakIfStale(lockDir, me);
			if (!existsDir(lockDir)) continue;
		}
		const owner = readOwner(lockDir);
		const waited = Math.round((Date.now() - waitingSince) / 1000);
		if (Date.now() - waitingSince >= timeoutMs) {
			throw new Error(
				`Gave up waiting for ${describeOwner(owner)} after ${waited} s (lock ${lockDir}). If no such install is ` +
					`running${owner && owner.host !== hostname() ? ` on ${owner.host}` : ''}, remove ${lockDir} and run again.`,
			);
		}
		if (Date.now() - reportedAt >= REPORT_EVERY_MS) {
			say(
				`Waiting for ${describeOwner(owner)} (lock ${lockDir}${waited ? `; waited ${waited} s` : ''})`,
			);
			reportedAt = Date.now();
		}
		sleepSync(POLL_MS);
	}
}

/** @param {string} dir */
function existsDir(dir) {
	try {
		return statSync(dir).isDirectory();
	} catch {
		return false;
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
