// @ts-check
// Account > Get Credits' single balance, `remainingCredits`, next to the two GET /v1/credits reports
// (docs/evolink-api.md §6): the smaller of the key's allowance and the account's balance, the account's alone for
// an unlimited key. The answers that differ are the spec's own example, served by the emulator as an answer to
// that one request.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startSuite } from './support.mjs';

/** @type {Awaited<ReturnType<typeof startSuite>>} */
let suite;
beforeAll(async () => {
	suite = await startSuite();
});
beforeEach(async () => await suite.reset());
afterAll(async () => await suite?.close());

/** The spec's example body (§6), with the key's and the account's balances changed by `data`. */
const specAnswer = (/** @type {{ token?: object, user?: object }} */ data = {}) => ({
	data: {
		token: {
			remaining_credits: 99416.44,
			unlimited_credits: false,
			used_credits: 583.56,
			...data.token,
		},
		user: { remaining_credits: 1095.4, used_credits: 135.9, ...data.user },
	},
	message: '',
	success: true,
});

/** Get Credits with the emulator answering `body` to GET /v1/credits. @param {unknown} body */
async function creditsWith(body) {
	await suite.emulator.control.fault({
		method: 'GET',
		path: '/v1/credits',
		action: { type: 'status', status: 200, body },
	});
	const result = await suite.run({ resource: 'account', operation: 'getCredits' });
	expect(result.status).toBe('success');
	return result.output('Seedream');
}

describe('Get Credits: remainingCredits', () => {
	test("the emulator's own answer: one balance, what the ledger says the key can still spend", async () => {
		const result = await suite.run({ resource: 'account', operation: 'getCredits' });
		const ledger = await suite.ledger();
		expect(result.output('Seedream')).toEqual([
			{
				json: expect.objectContaining({
					remainingCredits: ledger.available,
					token: expect.any(Object),
					user: expect.any(Object),
				}),
				pairedItem: { item: 0 },
			},
		]);
	});

	test("the spec's example: the account has 1095.4 and the key 99416.44, so 1095.4 can be spent; both reports stay", async () => {
		const [item] = await creditsWith(specAnswer());
		expect(item.json).toEqual({ remainingCredits: 1095.4, ...specAnswer().data });
	});

	test("a key allowed less than the account holds: the key's allowance", async () => {
		const [item] = await creditsWith(specAnswer({ token: { remaining_credits: 12.5 } }));
		expect(item.json.remainingCredits).toBe(12.5);
	});

	test("an unlimited key: the account's balance, whatever the key reports", async () => {
		const [item] = await creditsWith(
			specAnswer({ token: { remaining_credits: 0, unlimited_credits: true } }),
		);
		expect(item.json.remainingCredits).toBe(1095.4);
	});

	test('an answer without balances has no remainingCredits rather than a made-up one', async () => {
		const [item] = await creditsWith({ data: { user: {} }, message: '', success: true });
		expect(item.json).toEqual({ user: {} });
	});
});
