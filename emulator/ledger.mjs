// @ts-check
/**
 * Keys and credits. Billing follows §2/§9: reserve at creation (n × the model's price; layerize 17 ×,
 * docs/evolink-seedream-5.md §7), settle the images made and release the rest at completion, release everything
 * on failure. Amounts are kept in thousandths so the arithmetic tests read exact numbers.
 */
import { ApiError, maskKey } from './http.mjs';
import { DEFAULT_CREDITS } from './limits.mjs';
import { MODELS } from './models.mjs';

// Thousandths: 5.0 Pro's 2.304 credits per image (docs/evolink-seedream-5.md §7) has three decimals.
const toMilli = (/** @type {number} */ credits) => Math.round(credits * 1000);
const fromMilli = (/** @type {number} */ milli) => milli / 1000;

/**
 * @typedef {{ time: string, type: 'reserve' | 'settle' | 'release', taskId: string, credits: number }} Entry
 * @typedef {{ key: string, models: string[] | null, initial: number, charged: number, reserved: number, entries: Entry[] }} Account
 */

export class Ledger {
	/** @param {() => number} now */
	constructor(now) {
		this.now = now;
		/** @type {Map<string, Account>} */
		this.accounts = new Map();
	}

	/**
	 * Adds or replaces a key. `models` null means every model.
	 * @param {string} key
	 * @param {{ credits?: number, models?: string[] | null }} [options]
	 */
	addKey(key, { credits = DEFAULT_CREDITS, models = null } = {}) {
		this.accounts.set(key, {
			key,
			models: models ? [...models] : null,
			initial: toMilli(credits),
			charged: 0,
			reserved: 0,
			entries: [],
		});
	}

	/** The account of a request's key, or a 401 (§5). @param {string | undefined} key */
	authenticate(key) {
		const account = key ? this.accounts.get(key) : undefined;
		if (!account) {
			throw new ApiError(
				401,
				'unauthorized',
				'Invalid or missing API key (Authorization: Bearer sk-...)',
			);
		}
		return account;
	}

	/** §5: 403 model_access_denied for a model the key may not use. @param {Account} account @param {string} model */
	checkModel(account, model) {
		if (account.models && !account.models.includes(model)) {
			throw new ApiError(
				403,
				'model_access_denied',
				`This API key has no access to model ${model}`,
				{
					param: 'model',
				},
			);
		}
	}

	/** Credits still spendable: initial − charged − reserved. @param {Account} account */
	available(account) {
		return fromMilli(account.initial - account.charged - account.reserved);
	}

	/**
	 * Reserves credits for a new task, or 402 insufficient_quota (§5: "all key and balance rejections are 402").
	 * @param {Account} account @param {string} taskId @param {number} credits
	 */
	reserve(account, taskId, credits) {
		const milli = toMilli(credits);
		if (account.initial - account.charged - account.reserved < milli) {
			throw new ApiError(
				402,
				'insufficient_quota',
				`Insufficient credits: ${credits} needed, ${this.available(account)} available`,
			);
		}
		account.reserved += milli;
		this.#entry(account, 'reserve', taskId, milli);
	}

	/**
	 * Charges `used` of a task's reservation and releases the rest (a failed task uses 0).
	 * @param {Account} account @param {string} taskId @param {number} reserved @param {number} used
	 */
	settle(account, taskId, reserved, used) {
		const reservedMilli = toMilli(reserved);
		const usedMilli = Math.min(toMilli(used), reservedMilli);
		account.reserved -= reservedMilli;
		account.charged += usedMilli;
		if (usedMilli > 0) this.#entry(account, 'settle', taskId, usedMilli);
		if (reservedMilli > usedMilli)
			this.#entry(account, 'release', taskId, reservedMilli - usedMilli);
	}

	/** §6 `GET /v1/credits`. @param {Account} account */
	credits(account) {
		const remaining = this.available(account);
		const used = fromMilli(account.charged);
		return {
			data: {
				token: { remaining_credits: remaining, unlimited_credits: false, used_credits: used },
				user: { remaining_credits: remaining, used_credits: used },
			},
			message: '',
			success: true,
		};
	}

	/** `GET /__emulator/ledger`: masked keys only. */
	snapshot() {
		return Object.fromEntries(
			[...this.accounts.values()].map((account) => [
				maskKey(account.key),
				{
					initial: fromMilli(account.initial),
					balance: fromMilli(account.initial - account.charged),
					reserved: fromMilli(account.reserved),
					charged: fromMilli(account.charged),
					available: this.available(account),
					models: account.models ?? [...MODELS],
					entries: account.entries.map((entry) => ({ ...entry })),
				},
			]),
		);
	}

	/** @param {Account} account @param {Entry['type']} type @param {string} taskId @param {number} milli */
	#entry(account, type, taskId, milli) {
		account.entries.push({
			time: new Date(this.now()).toISOString(),
			type,
			taskId,
			credits: fromMilli(milli),
		});
	}
}
