/**
 * The decrypted credential, kept in this process's memory for a short while, for callers that read the API once
 * per incoming request (the trigger's and the resume webhook's confirming read of each callback).
 *
 * Why: in a webhook context n8n 2.x loads a credential "runless", and its credentials helper builds a throwaway
 * workflow and an expression isolate (~37 ms of n8n's one main thread under the default `vm` engine) on every
 * `getCredentials`, whether or not the credential holds an expression (bench/README.md, T1).
 * At 20 callbacks a second that alone is most of a core.
 *
 * What keeps it safe: the entry is keyed by the credential's ID, lives in a module variable of this process only
 * (each n8n process, main or worker in queue mode, has its own, and none is shared), and is never written to static
 * data, outputs, errors or logs. It expires CREDENTIAL_CACHE_TTL_MS after it was read, so an edit in n8n (another
 * key, another base URL) applies within that time at the latest; sooner when a request made with it is refused
 * (401, 403) or cannot reach its host: the transport (requests.ts) then drops it, reads the credential again
 * (`fresh`) and sends again if it changed, so an edited credential costs one callback one extra read. A copy read
 * again because its host was unreachable is marked (`recheckedUnreachable`) and not read again for that reason
 * while it is held: during an API outage, callbacks would otherwise each pay the read this cache exists to save.
 * A credential deleted in n8n can still confirm callbacks for up to that minute.
 */

import type { IAllExecuteFunctions, ICredentialDataDecryptedObject } from 'n8n-workflow';

export const CREDENTIAL_CACHE_TTL_MS = 60_000;
/** Credentials held at most (one per credential ID in use by a trigger: a handful in practice). */
const CREDENTIAL_CACHE_MAX = 100;

interface Entry<T> {
	/** A load under way is shared: callbacks arriving together read the credential once. */
	credentials: Promise<T>;
	readAt: number;
	/** Read again because its host could not be reached: an unreachable host alone does not read it again. */
	recheckedUnreachable: boolean;
}

export class CredentialCache<T = ICredentialDataDecryptedObject> {
	private readonly entries = new Map<string, Entry<T>>();

	constructor(
		private readonly ttlMs = CREDENTIAL_CACHE_TTL_MS,
		private readonly now: () => number = Date.now,
	) {}

	/**
	 * The credential of `id`, loaded with `load` when none is held, it has expired, or `fresh` is asked; `cached`
	 * says whether it came from memory (only then can a re-read help after a refusal).
	 */
	async read(
		id: string,
		load: () => Promise<T>,
		{ fresh = false, recheckedUnreachable = false } = {},
	): Promise<{ credentials: T; cached: boolean; recheckedUnreachable: boolean }> {
		const entry = this.entries.get(id);
		if (!fresh && entry && this.now() - entry.readAt < this.ttlMs) {
			return {
				credentials: await entry.credentials,
				cached: true,
				recheckedUnreachable: entry.recheckedUnreachable,
			};
		}
		const loading = load();
		this.entries.delete(id);
		this.entries.set(id, { credentials: loading, readAt: this.now(), recheckedUnreachable });
		if (this.entries.size > CREDENTIAL_CACHE_MAX) {
			const oldest = this.entries.keys().next().value;
			if (oldest !== undefined) this.entries.delete(oldest);
		}
		// A failed load is not kept: the next caller tries again (and this one gets the error, below).
		loading.catch(() => {
			if (this.entries.get(id)?.credentials === loading) this.entries.delete(id);
		});
		return { credentials: await loading, cached: false, recheckedUnreachable };
	}

	forget(id: string): void {
		this.entries.delete(id);
	}
}

const processCache = new CredentialCache();

/**
 * The node's credential of `type`, from this process's cache when `useCache` and the node names a credential ID
 * (an unsaved node, or a context without one, always loads it). `forget` drops the held copy.
 */
export async function credentialsOf<T extends ICredentialDataDecryptedObject>(
	context: IAllExecuteFunctions,
	type: string,
	{ useCache = false, fresh = false, recheckedUnreachable = false } = {},
): Promise<{
	credentials: T;
	cached: boolean;
	recheckedUnreachable: boolean;
	forget: () => void;
}> {
	const load = async () => await context.getCredentials<T>(type);
	const id = useCache ? context.getNode().credentials?.[type]?.id : undefined;
	if (!id) {
		return { credentials: await load(), cached: false, recheckedUnreachable, forget: () => {} };
	}
	const key = `${type}:${id}`;
	const read = await processCache.read(key, load, { fresh, recheckedUnreachable });
	return {
		credentials: read.credentials as T,
		cached: read.cached,
		recheckedUnreachable: read.recheckedUnreachable,
		forget: () => processCache.forget(key),
	};
}
