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
			expect(item.json.success).toBe(true);
			expect(typeof item.json.data.user.remaining_credits).toBe('number');
			expect(item.pairedItem).toEqual({ item: 0 });
		});
	});
}
