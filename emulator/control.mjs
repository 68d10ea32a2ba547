// @ts-check
/**
 * The control surface under /__emulator/ (§8): no auth, JSON in and out, never used by the node.
 */
import { invalid, json, parseJsonObject, readBody } from './http.mjs';
import { LAYERIZE_MAX_IMAGES, MODELS } from './models.mjs';

const CONTROL_BODY_LIMIT = 1024 * 1024;

/**
 * @typedef {import('./server.mjs').EmulatorState} EmulatorState
 * @typedef {import('./http.mjs').Reply} Reply
 */

/** @param {EmulatorState} state @returns {import('./http.mjs').Route<import('node:http').IncomingMessage>[]} */
export function controlRoutes(state) {
	const body = async (/** @type {import('node:http').IncomingMessage} */ req) =>
		parseJsonObject(await readBody(req, CONTROL_BODY_LIMIT));
	return [
		['POST', /^\/__emulator\/reset$/, () => (state.reset(), json(200, { ok: true }))],
		['GET', /^\/__emulator\/config$/, () => json(200, state.config)],
		[
			'POST',
			/^\/__emulator\/config$/,
			async (req) => json(200, applyConfig(state, await body(req))),
		],
		[
			'POST',
			/^\/__emulator\/keys$/,
			async (req) => {
				const { key, credits, models, maxFiles } = await body(req);
				if (typeof key !== 'string' || !key) throw invalid('key', 'key is required');
				if (credits !== undefined && !(typeof credits === 'number' && credits >= 0)) {
					throw invalid('credits', 'credits must be a number ≥ 0');
				}
				if (
					models !== undefined &&
					models !== null &&
					!(Array.isArray(models) && models.every((m) => typeof m === 'string'))
				) {
					throw invalid('models', 'models must be an array of model ids');
				}
				if (maxFiles !== undefined && !(Number.isInteger(maxFiles) && maxFiles >= 0)) {
					throw invalid('maxFiles', 'maxFiles must be a whole number ≥ 0');
				}
				state.ledger.addKey(key, {
					credits: typeof credits === 'number' ? credits : state.options.credits,
					models,
				});
				// This key's own file quota (docs/evolink-api.md §7: 100 by default, 500 for VIP).
				if (maxFiles !== undefined) state.files.setKeyQuota(key, /** @type {number} */ (maxFiles));
				return json(200, { ok: true });
			},
		],
		['GET', /^\/__emulator\/faults$/, () => json(200, state.faults.list)],
		['POST', /^\/__emulator\/faults$/, async (req) => json(200, state.faults.add(await body(req)))],
		['DELETE', /^\/__emulator\/faults$/, () => (state.faults.clear(), json(200, { ok: true }))],
		[
			'POST',
			/^\/__emulator\/clock$/,
			async (req) => {
				const { advanceMs } = await body(req);
				if (typeof advanceMs !== 'number' || !(advanceMs >= 0)) {
					throw invalid('advanceMs', 'advanceMs must be a number ≥ 0');
				}
				await state.clock.advance(advanceMs);
				return json(200, { now: state.clock.now(), offsetMs: state.clock.offsetMs });
			},
		],
		[
			'GET',
			/^\/__emulator\/clock$/,
			() => json(200, { now: state.clock.now(), offsetMs: state.clock.offsetMs }),
		],
		['GET', /^\/__emulator\/requests$/, () => json(200, state.requests)],
		[
			'GET',
			/^\/__emulator\/ignored-fields$/,
			() =>
				json(
					200,
					state.requests
						.filter((entry) => entry.ignoredFields?.length)
						.map(({ seq, time, body, status, taskId, ignoredFields }) => ({
							seq,
							time,
							model: body?.model ?? null,
							status,
							taskId: taskId ?? null,
							fields: ignoredFields,
						})),
				),
		],
		['GET', /^\/__emulator\/callbacks$/, () => json(200, state.callbacks.log)],
		['GET', /^\/__emulator\/callbacks\/pending$/, () => json(200, state.callbacks.pending())],
		['GET', /^\/__emulator\/ledger$/, () => json(200, state.ledger.snapshot())],
		[
			'GET',
			/^\/__emulator\/tasks$/,
			() =>
				json(
					200,
					[...state.tasks.byId.values()].map((t) => state.tasks.internal(t)),
				),
		],
		['GET', /^\/__emulator\/files$/, () => json(200, state.files.list())],
		['GET', /^\/__emulator\/files\/counts$/, () => json(200, state.files.counts())],
		[
			'POST',
			/^\/__emulator\/tasks\/([^/]+)\/cancel$/,
			(_req, [id]) => json(200, state.tasks.view(state.tasks.cancel(id))),
		],
	];
}

/**
 * Validates and applies a partial config; unknown fields are refused so a typo is not silently ignored.
 * @param {EmulatorState} state @param {Record<string, any>} changes
 */
function applyConfig(state, changes) {
	const config = state.config;
	const isMs = (/** @type {unknown} */ v) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
	/** @type {Record<string, (v: any) => boolean>} */
	const rules = {
		taskMs: isMs,
		taskMsQueue: (v) => Array.isArray(v) && v.every(isMs),
		maxConcurrentTasks: (v) => v === null || (Number.isInteger(v) && v >= 0),
		allowInsecureCallbacks: (v) => typeof v === 'boolean',
		callbackTimeoutMs: isMs,
		callbackRetryDelaysMs: (v) => Array.isArray(v) && v.every(isMs),
		maxFiles: (v) => Number.isInteger(v) && v >= 0,
		// docs/evolink-seedream-5.md §7: layers made when the prompt has no <bbox> tag (0-16; the base is one more).
		layerizeLayers: (v) => Number.isInteger(v) && v >= 0 && v <= LAYERIZE_MAX_IMAGES - 1,
		// The layerize estimated_time at creation, instead of the documented 120 s (null: the documented figure).
		layerizeEstimatedSeconds: (v) => v === null || (Number.isInteger(v) && v >= 1),
		// Per model: { perImage?, webSearch?, reserveImages? }; what is not named keeps its price.
		prices: (v) =>
			v !== null &&
			typeof v === 'object' &&
			Object.entries(v).every(
				([model, price]) =>
					MODELS.includes(model) &&
					price !== null &&
					typeof price === 'object' &&
					Object.entries(price).every(
						([name, value]) =>
							['perImage', 'webSearch', 'reserveImages'].includes(name) &&
							typeof value === 'number' &&
							value >= 0 &&
							Number.isFinite(value),
					),
			),
	};
	for (const [name, value] of Object.entries(changes)) {
		// Own fields only: a name such as toString would otherwise find Object.prototype's function.
		if (!Object.hasOwn(rules, name)) throw invalid(name, `Unknown config field ${name}`);
		if (!rules[name](value)) throw invalid(name, `Invalid value for ${name}`);
	}
	Object.assign(
		config,
		changes,
		changes.taskMsQueue ? { taskMsQueue: [...changes.taskMsQueue] } : {},
		changes.prices ? { prices: mergePrices(config.prices, changes.prices) } : {},
	);
	return config;
}

/**
 * @param {Record<string, Record<string, number>>} prices @param {Record<string, Record<string, number>>} changes
 */
function mergePrices(prices, changes) {
	const merged = { ...prices };
	for (const [model, price] of Object.entries(changes))
		merged[model] = { ...prices[model], ...price };
	return merged;
}
