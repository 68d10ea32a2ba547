// @ts-check
// The credential test as the editor runs it: n8n's own POST /rest/credentials/test, which sends the
// credential's test request (GET /v1/models) to the emulator.
import { describe, expect, test } from '@jest/globals';
import { maskKey } from '../../../emulator/http.mjs';
import { CREDENTIAL_NAME } from '../../../scripts/lib/n8n/rest.mjs';
import { EMULATOR_KEY } from '../../../scripts/lib/n8n/seed.mjs';

const WRONG_KEY = 'sk-wrong-key-for-the-e2e-test';

/** @param {() => import('../support/instance.mjs').E2eInstance} get */
export function credentialTests(get) {
	describe('credential test through n8n', () => {
		test('the saved credential passes, as the editor tests it (stored key, shown to the browser redacted)', async () => {
			const { client, credential } = get();
			const saved = await client.rest('GET', `/rest/credentials/${credential.id}?includeData=true`);
			expect(saved.name).toBe(CREDENTIAL_NAME);
			expect(saved.data.apiKey).not.toBe(EMULATOR_KEY);
			const result = await client.testCredential({
				id: credential.id,
				name: saved.name,
				data: saved.data,
			});
			expect(result).toEqual({ status: 'OK', message: expect.any(String) });
		});

		test('a wrong key fails with the message of the 401 rule, without echoing the key', async () => {
			const { client, emulatorUrl } = get();
			const result = await client.testCredential({
				data: { apiKey: WRONG_KEY, baseUrl: emulatorUrl, filesBaseUrl: emulatorUrl },
			});
			expect(result.status).toBe('Error');
			expect(result.message).toMatch(/rejected \(401\)/);
			expect(result.message).not.toContain(WRONG_KEY);
		});

		test('the test request is GET /v1/models with the key as a Bearer token, masked in what the emulator recorded', async () => {
			const { emulator } = get();
			const requests = await emulator.requests();
			const tests = requests.filter((r) => r.path === '/v1/models');
			// The saved credential's test and the wrong key's, each with its own key as the Bearer token.
			const bearers = tests.map((r) => `${r.method} ${r.headers.authorization}`);
			expect(bearers).toEqual(
				expect.arrayContaining([
					`GET Bearer ${maskKey(EMULATOR_KEY)}`,
					`GET Bearer ${maskKey(WRONG_KEY)}`,
				]),
			);
			expect(tests.every((r) => r.method === 'GET')).toBe(true);
			expect(JSON.stringify(requests)).not.toContain(EMULATOR_KEY);
		});
	});
}
