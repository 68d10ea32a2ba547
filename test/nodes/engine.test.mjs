// @ts-check
// The Seedream node on n8n's engine in every configuration we ship for: binary data inline ('default') or on disk
// ('filesystem'), expressions on the legacy engine or n8n 2.x's isolated-vm engine. Account > Get Credits is the
// smallest real round trip: workflow -> node -> credential (Bearer) -> emulator -> output items.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHarness } from '../harness/index.mjs';
import { startTestEmulator } from '../harness/emulator.mjs';
import { workflowLib } from '../harness/n8n.mjs';
import { seedreamWorkflow } from '../harness/workflows.mjs';
import { waitUntil } from './support.mjs';

const getCreditsWorkflow = () => seedreamWorkflow({ resource: 'account', operation: 'getCredits' });

/** @type {Awaited<ReturnType<typeof startTestEmulator>>} */
let emulator;

beforeAll(async () => {
	emulator = await startTestEmulator();
});

afterAll(async () => {
	await emulator?.close();
});

/** A key of its own with an uneven balance, so the output can only match by reading this key's account. */
async function keyWithCredits(/** @type {number} */ credits) {
	const key = `sk-test-${randomBytes(12).toString('hex')}`;
	await emulator.control.keys({ key, credits });
	return key;
}

/** The GET /v1/credits requests the emulator received with this key. */
async function requestsWithKey(/** @type {string} */ key) {
	const requests = await emulator.control.requests({ method: 'GET', path: '/v1/credits' });
	return requests.filter((/** @type {any} */ request) => request.key === emulator.maskKey(key));
}

/**
 * Get Credits' item for an account of the emulator's ledger: the `data` of GET /v1/credits (docs/evolink-api.md
 * §6) and the one balance the node adds.
 */
function creditsOf(/** @type {any} */ account) {
	const balance = { remaining_credits: account.available, used_credits: account.charged };
	return {
		remainingCredits: account.available,
		token: { ...balance, unlimited_credits: false },
		user: balance,
	};
}

describe.each([
	{ binaryMode: 'default', engine: 'legacy' },
	{ binaryMode: 'filesystem', engine: 'legacy' },
	{ binaryMode: 'default', engine: 'vm' },
	{ binaryMode: 'filesystem', engine: 'vm' },
])('binary data $binaryMode, expression engine $engine', ({ binaryMode, engine }) => {
	/** @type {import('../harness/index.mjs').Harness} */
	let harness;

	beforeAll(async () => {
		harness = await createHarness({
			binaryMode: /** @type {'default' | 'filesystem'} */ (binaryMode),
			engine: /** @type {'legacy' | 'vm'} */ (engine),
		});
	});

	afterAll(async () => {
		await harness?.close();
	});

	test('Get Credits from the Manual Trigger outputs the ledger balance of the key it sent as Bearer', async () => {
		const key = await keyWithCredits(4321.37);

		const result = await harness.runWorkflow(getCreditsWorkflow(), {
			credentials: { seedreamApi: { ...emulator.credentials, apiKey: key } },
		});

		expect(workflowLib.Expression.getActiveImplementation()).toBe(engine);
		expect(result.error).toBeUndefined();
		expect(result.status).toBe('success');
		const account = (await emulator.control.ledger())[emulator.maskKey(key)];
		expect(account.initial).toBe(4321.37);
		expect(result.output('Seedream')).toEqual([
			{ json: creditsOf(account), pairedItem: { item: 0 } },
		]);
		// The emulator logs the Authorization header with the key masked: the node sent exactly this key, as Bearer.
		expect(await requestsWithKey(key)).toEqual([
			expect.objectContaining({
				method: 'GET',
				status: 200,
				headers: expect.objectContaining({ authorization: `Bearer ${emulator.maskKey(key)}` }),
			}),
		]);
		expect(JSON.stringify(result.run)).not.toContain(key);
	});

	test('Get Credits runs once per input item, each output paired with its item', async () => {
		const key = await keyWithCredits(87.5);

		const result = await harness.runWorkflow(getCreditsWorkflow(), {
			credentials: { seedreamApi: { ...emulator.credentials, apiKey: key } },
			items: [{ json: { row: 'a' } }, { json: { row: 'b' } }, { json: { row: 'c' } }],
		});

		expect(result.status).toBe('success');
		const account = (await emulator.control.ledger())[emulator.maskKey(key)];
		expect(result.output('Seedream')).toEqual(
			[0, 1, 2].map((item) => ({ json: creditsOf(account), pairedItem: { item } })),
		);
		expect(await requestsWithKey(key)).toHaveLength(3);
	});

	test('a rejected key fails the node with an error that does not contain the key', async () => {
		const wrongKey = `sk-test-unknown-${randomBytes(12).toString('hex')}`;

		const result = await harness.runWorkflow(getCreditsWorkflow(), {
			credentials: { seedreamApi: { ...emulator.credentials, apiKey: wrongKey } },
		});

		expect(result.status).toBe('error');
		expect(result.run.data.resultData.lastNodeExecuted).toBe('Seedream');
		expect(String(result.nodeError('Seedream')?.httpCode)).toBe('401');
		expect(result.error?.message).toEqual(expect.any(String));
		expect(JSON.stringify(result.run)).not.toContain(wrongKey);
	});
});

describe('Stop (cancel) while the node waits for EvoLink', () => {
	/** @type {import('../harness/index.mjs').Harness} */
	let harness;

	beforeAll(async () => {
		harness = await createHarness();
	});

	afterAll(async () => {
		await harness?.close();
	});

	test('aborts the in-flight request: the run ends canceled, the node outputs nothing', async () => {
		const key = await keyWithCredits(10);
		// The emulator holds the answer far longer than the test's timeout; only the abort can end the run in time.
		await emulator.control.fault({
			method: 'GET',
			path: '/v1/credits',
			times: 1,
			action: { type: 'delay', ms: 120_000 },
		});

		const execution = harness.startWorkflow(getCreditsWorkflow(), {
			credentials: { seedreamApi: { ...emulator.credentials, apiKey: key } },
		});
		await waitUntil(async () => (await requestsWithKey(key)).length > 0, 'the credits request');
		execution.cancel();
		const result = await execution.result;

		expect(result.status).toBe('canceled');
		expect(result.nodeError('Seedream')).toBeDefined();
		expect(result.run.data.resultData.runData.Seedream?.[0]?.data).toBeUndefined();
		// Logged on arrival; the status stays empty because the emulator never answered it.
		expect(await requestsWithKey(key)).toEqual([
			expect.objectContaining({ status: null, fault: 'delay' }),
		]);
		await emulator.control.clearFaults();
	});
});
