// @ts-check
// The EvoLink emulator for a test file: started in-process on 127.0.0.1 with a free port, plus the client of its
// control surface (emulator/client.mjs), and the seedreamApi credential data that points at it.
import { randomBytes } from 'node:crypto';
import { maskKey } from '../../emulator/http.mjs';
import { startEmulator } from '../../emulator/server.mjs';
import { EmulatorClient } from '../../emulator/client.mjs';

/**
 * @param {{ keys?: string[], taskMs?: number, allowInsecureCallbacks?: boolean, credits?: number, quiet?: boolean }} [options]
 *   as startEmulator's; the port is always a free one. The default key is random per emulator, so a test that
 *   looks for the key in an output or error cannot pass by accident.
 */
export async function startTestEmulator(options = {}) {
	const keys = options.keys ?? [`sk-test-${randomBytes(12).toString('hex')}`];
	const emulator = await startEmulator({ quiet: true, ...options, keys, port: 0 });
	const url = emulator.url.replace(/\/+$/, '');

	// edges-n's two reads of the Files store, on main's client (resolution of this merge only).
	const client = new EmulatorClient(url);
	const control = Object.assign(client, {
		/** Every upload since the reset, deleted ones too: [{ id, key (masked), sha256, deletedAt, ... }]. */
		files: async () => {
			const body = /** @type {any} */ (await client.call('GET', '/files'));
			return Array.isArray(body) ? body : body.files;
		},
		/** { [maskedKey]: { uploaded, deleted, expired, live } } */
		fileCounts: () => client.call('GET', '/files/counts'),
	});

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
