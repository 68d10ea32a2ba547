// @ts-check
// The EvoLink emulator for a test file: started in-process on 127.0.0.1 with a free port, plus a client for its
// control surface (/__emulator/*, docs/evolink-api.md §8), and the seedreamApi credential data that points at it.
import { randomBytes } from 'node:crypto';
import { maskKey } from '../../emulator/http.mjs';
import { startEmulator } from '../../emulator/server.mjs';

/**
 * @param {{ keys?: string[], taskMs?: number, allowInsecureCallbacks?: boolean, credits?: number, quiet?: boolean }} [options]
 *   as startEmulator's; the port is always a free one. The default key is random per emulator, so a test that
 *   looks for the key in an output or error cannot pass by accident.
 */
export async function startTestEmulator(options = {}) {
	const keys = options.keys ?? [`sk-test-${randomBytes(12).toString('hex')}`];
	const emulator = await startEmulator({ quiet: true, ...options, keys, port: 0 });
	const url = emulator.url.replace(/\/+$/, '');

	/**
	 * @param {string} method
	 * @param {string} path under /__emulator
	 * @param {unknown} [body]
	 */
	async function call(method, path, body) {
		const response = await fetch(`${url}/__emulator${path}`, {
			method,
			headers: body === undefined ? {} : { 'content-type': 'application/json' },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await response.text();
		if (!response.ok)
			throw new Error(`Emulator ${method} /__emulator${path} answered ${response.status}: ${text}`);
		return text ? JSON.parse(text) : undefined;
	}

	/** Lists may come bare or wrapped in an object ({ requests: [...] }); tests want the array. */
	const list = (/** @type {any} */ body, /** @type {string} */ field) =>
		Array.isArray(body) ? body : body[field];

	const control = {
		reset: () => call('POST', '/reset'),
		/** @param {Record<string, unknown>} [settings] without settings: read the current ones */
		config: (settings) =>
			settings === undefined ? call('GET', '/config') : call('POST', '/config', settings),
		/** @param {{ key: string, credits?: number, models?: string[], maxFiles?: number }} key */
		keys: (key) => call('POST', '/keys', key),
		/** @param {Record<string, unknown>} fault { method?, path?, times?, action } */
		fault: (fault) => call('POST', '/faults', fault),
		clearFaults: () => call('DELETE', '/faults'),
		/** @param {number} ms */
		advanceClock: (ms) => call('POST', '/clock', { advanceMs: ms }),
		/**
		 * Every non-control request the emulator received, oldest first.
		 * @param {{ method?: string, path?: string } | ((request: any) => boolean)} [filter] path is a prefix
		 */
		async requests(filter) {
			const requests = list(await call('GET', '/requests'), 'requests');
			if (typeof filter === 'function') return requests.filter(filter);
			return requests.filter(
				(/** @type {any} */ request) =>
					(!filter?.method || request.method === filter.method.toUpperCase()) &&
					(!filter?.path || request.path.startsWith(filter.path)),
			);
		},
		callbacks: async () => list(await call('GET', '/callbacks'), 'callbacks'),
		ledger: () => call('GET', '/ledger'),
		tasks: async () => list(await call('GET', '/tasks'), 'tasks'),
		/** Every upload since the reset, deleted ones too: [{ id, key (masked), sha256, deletedAt, ... }]. */
		files: async () => list(await call('GET', '/files'), 'files'),
		/** { [maskedKey]: { uploaded, deleted, expired, live } } */
		fileCounts: () => call('GET', '/files/counts'),
	};

	return {
		url,
		key: keys[0],
		/** How the emulator shows a key in its request log and ledger (never the full key). */
		maskKey,
		/** seedreamApi credential data for harness.runWorkflow({ credentials: { seedreamApi } }). */
		credentials: { apiKey: keys[0], baseUrl: url, filesBaseUrl: url },
		control,
		close: () => emulator.close(),
	};
}
