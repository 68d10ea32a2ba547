// @ts-check
// The seedreamApi credential's "Test" button (GET /v1/models, docs/evolink-api.md §6), run the way n8n's CLI runs it,
// against the emulator.
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHarness } from '../harness/index.mjs';
import { startTestEmulator } from '../harness/emulator.mjs';

/** @type {import('../harness/index.mjs').Harness} */
let harness;
/** @type {Awaited<ReturnType<typeof startTestEmulator>>} */
let emulator;

beforeAll(async () => {
	harness = await createHarness();
	emulator = await startTestEmulator();
});

afterAll(async () => {
	await emulator?.close();
	await harness?.close();
});

/** A port that was free a moment ago: bound, then released, so nothing listens on it. */
async function closedPort() {
	const server = createServer();
	await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
	const address = /** @type {import('node:net').AddressInfo} */ (server.address());
	await new Promise((resolve) => server.close(resolve));
	return address.port;
}

describe('seedreamApi credential test', () => {
	test('a valid key is accepted, with one GET /v1/models carrying it as a Bearer token', async () => {
		await emulator.control.reset();

		const result = await harness.testCredential('seedreamApi', emulator.credentials);

		expect(result).toEqual({ status: 'OK', message: 'Connection successful!' });
		const requests = await emulator.control.requests();
		expect(requests).toHaveLength(1);
		expect(requests[0]).toMatchObject({ method: 'GET', path: '/v1/models', status: 200 });
		// The emulator logs the Authorization header with the key masked.
		expect(requests[0].headers.authorization).toBe(`Bearer ${emulator.maskKey(emulator.key)}`);
		expect(requests[0].key).toBe(emulator.maskKey(emulator.key));
	});

	test('a wrong key fails with the credential rule for 401, which does not contain the key', async () => {
		const wrongKey = `${emulator.key}-wrong`;

		const result = await harness.testCredential('seedreamApi', {
			...emulator.credentials,
			apiKey: wrongKey,
		});

		expect(result).toEqual({
			status: 'Error',
			message: 'The API key was rejected (401): check that it is correct and active',
		});
		expect(JSON.stringify(result)).not.toContain(wrongKey);
	});

	test('a 402 from the service maps to the credential rule for 402', async () => {
		await emulator.control.fault({
			method: 'GET',
			path: '/v1/models',
			times: 1,
			action: { type: 'status', status: 402 },
		});

		const result = await harness.testCredential('seedreamApi', emulator.credentials);

		expect(result).toEqual({
			status: 'Error',
			message: 'The API key has no usable balance or was disabled (402)',
		});
	});

	test('nothing listening at the base URL: the connection is refused', async () => {
		const port = await closedPort();

		const result = await harness.testCredential('seedreamApi', {
			...emulator.credentials,
			baseUrl: `http://127.0.0.1:${port}`,
		});

		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/ECONNREFUSED|refused/i);
		expect(result.message).not.toContain(emulator.key);
	});

	test('a base URL with trailing slashes works and still calls /v1/models', async () => {
		await emulator.control.reset();

		const result = await harness.testCredential('seedreamApi', {
			...emulator.credentials,
			baseUrl: `${emulator.url}//`,
		});

		expect(result).toEqual({ status: 'OK', message: 'Connection successful!' });
		expect(await emulator.control.requests()).toEqual([
			expect.objectContaining({ path: '/v1/models', status: 200 }),
		]);
	});

	test('a server error without a rule reports the HTTP status text, never the key', async () => {
		await emulator.control.fault({
			method: 'GET',
			path: '/v1/models',
			times: 1,
			action: { type: 'status', status: 500 },
		});

		const result = await harness.testCredential('seedreamApi', emulator.credentials);

		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/Internal Server Error|500/);
		expect(result.message).not.toContain(emulator.key);
	});
});
