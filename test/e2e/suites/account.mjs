// @ts-check
// examples/get-credits.json in real n8n: Account > Get Credits.
import { describe, expect, test } from '@jest/globals';
import { outputOf, runExample } from '../support/run.mjs';

/** @param {() => import('../support/instance.mjs').E2eInstance} get */
export function accountTests(get) {
	describe('examples/get-credits.json', () => {
		test('runs to success and returns the balance of the emulator key', async () => {
			const execution = await runExample(get(), 'get-credits.json');
			expect(execution.status).toBe('success');
			const [item, ...rest] = outputOf(execution, 'Get Credits');
			expect(rest).toEqual([]);
			// Spec section 6: the balances of the account (user) and of the key (token); a fresh emulator key has 10,000.
			expect(item.json.user).toEqual(
				expect.objectContaining({
					remaining_credits: expect.any(Number),
					used_credits: expect.any(Number),
				}),
			);
			expect(item.json.token).toEqual(
				expect.objectContaining({
					remaining_credits: expect.any(Number),
					unlimited_credits: false,
				}),
			);
			// The one balance the node adds: what the key can still spend (the emulator reports the same number twice).
			expect(item.json.remainingCredits).toBe(item.json.user.remaining_credits);
			expect(item.pairedItem).toEqual({ item: 0 });
		}, 180_000);
	});
}
