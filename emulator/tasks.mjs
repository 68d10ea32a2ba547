// @ts-check
/**
 * The task lifecycle (§2-§4, §9): create with billing and idempotency, pending → processing (progress rising,
 * estimated_time in seconds) → completed | failed on the emulator clock, then the callback. What a task makes
 * follows its model's table (models.mjs): pictures of the resolved size and format, or layerize's base and
 * layers (docs/evolink-seedream-5.md §4).
 */
import { randomBytes } from 'node:crypto';
import { ApiError, maskKey } from './http.mjs';
import { RESULT_TTL_MS, TASK_ID_PREFIX } from './limits.mjs';
import { outputCount, resolveSize } from './validation.mjs';
import { unixSeconds } from './clock.mjs';
import { renderPicture } from './images.mjs';
import { isUniform, resample } from './raster.mjs';
import { baseImage, encodeBase, encodeLayer, planLayers } from './layers.mjs';

/**
 * @typedef {import('./validation.mjs').CreateRequest} CreateRequest
 * @typedef {import('./ledger.mjs').Account} Account
 * @typedef {{ ok: true, first?: { width: number, height: number }, pixels?: import('./raster.mjs').Raster }
 *   | { ok: false, code: string, message: string }} ReferenceCheck pixels: the first reference as RGBA, when asked
 * @typedef {{ format: 'png' | 'jpeg', render: () => Promise<Buffer> | Buffer }} ResultImage
 * @typedef {{ perImage: number, webSearch?: number, reserveImages?: number }} Price
 * @typedef {{
 *   id: string, account: Account, request: CreateRequest, idempotencyKey?: string,
 *   status: 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled',
 *   createdAt: number, startAt: number, endAt: number, durationMs: number,
 *   startedAt: number | null, completedAt: number | null,
 *   reserved: number, used: number, outputs: number, width: number, height: number,
 *   results: string[], error: { code: string, message: string } | null,
 *   injectedError: { code: string, message?: string } | null, lateResultsMs: number,
 *   referenceCheck?: Promise<ReferenceCheck>, cancels: (() => void)[],
 *   price: Price, images: ResultImage[], layers: import('./layers.mjs').Layer[],
 * }} Task
 */

// How long a task stays `pending` before `processing`: a tenth of its duration, at most half a second.
const PENDING_SHARE = 0.1;
const PENDING_MAX_MS = 500;

/** Still running: `pending` or `processing`. @param {Task} task */
const isActive = (task) => task.status === 'pending' || task.status === 'processing';

const DEFAULT_MESSAGES = /** @type {Record<string, string>} */ ({
	content_policy_violation: 'Content policy violation: the prompt or a reference was refused',
	generation_timeout: 'Generation timed out',
	service_error: 'The generation service failed',
});

export class Tasks {
	/**
	 * @param {{
	 *   clock: import('./clock.mjs').Clock,
	 *   ledger: import('./ledger.mjs').Ledger,
	 *   config: { taskMs: number, taskMsQueue: number[], maxConcurrentTasks: number | null,
	 *     prices: Record<string, Price>, layerizeLayers: number,
	 *     layerizeEstimatedSeconds: number | null },
	 *   takeTaskFault: import('./faults.mjs').Faults['takeTaskFault'],
	 *   checkReferences: (urls: string[], rules: import('./models.mjs').ReferenceRules,
	 *     options: { pixels?: 'alpha' | 'rgba' }) => Promise<ReferenceCheck>,
	 *   onTerminal: (task: Task) => void,
	 *   baseUrl: () => string,
	 * }} deps
	 */
	constructor(deps) {
		this.deps = deps;
		/** @type {Map<string, Task>} */
		this.byId = new Map();
		/** @type {Map<string, string>} */
		this.byIdempotencyKey = new Map();
	}

	reset() {
		for (const task of this.byId.values()) task.cancels.forEach((cancel) => cancel());
		this.byId.clear();
		this.byIdempotencyKey.clear();
	}

	/** §2 Idempotency-Key: the earlier task of this key and account, if any. @param {Account} account @param {string} key */
	replay(account, key) {
		const id = this.byIdempotencyKey.get(`${account.key}\n${key}`);
		return id ? this.byId.get(id) : undefined;
	}

	/**
	 * @param {Account} account
	 * @param {CreateRequest} request
	 * @param {string} [idempotencyKey]
	 */
	create(account, request, idempotencyKey) {
		const { clock, ledger, config } = this.deps;
		const now = clock.now();
		this.#checkConcurrency(now);

		const id = `${TASK_ID_PREFIX}${unixSeconds(now)}-${randomId()}`;
		// The price when the task was created: a later /__emulator/config change does not reprice it.
		const price = { ...config.prices[request.model] };
		// §2: reserved for n; docs/evolink-seedream-5.md §4, §7: layerize reserves for its 17-image maximum.
		const reserved = credits(price.reserveImages ?? request.n, price, request.webSearch);
		ledger.reserve(account, id, reserved);

		const durationMs = Math.max(
			0,
			config.taskMsQueue.length ? Number(config.taskMsQueue.shift()) : config.taskMs,
		);
		/** @type {Task} */
		const task = {
			id,
			account,
			request,
			idempotencyKey,
			status: 'pending',
			createdAt: now,
			startAt: now + Math.min(PENDING_MAX_MS, durationMs * PENDING_SHARE),
			endAt: now + durationMs,
			durationMs,
			startedAt: null,
			completedAt: null,
			reserved,
			used: 0,
			outputs: 0,
			width: 0,
			height: 0,
			results: [],
			error: null,
			injectedError: this.deps.takeTaskFault('taskError'),
			lateResultsMs: this.deps.takeTaskFault('lateResults')?.ms ?? 0,
			cancels: [],
			price,
			images: [],
			layers: [],
		};
		this.byId.set(id, task);
		if (idempotencyKey) this.byIdempotencyKey.set(`${account.key}\n${idempotencyKey}`, id);
		task.cancels.push(clock.at(task.startAt, () => this.#start(task)));
		task.cancels.push(clock.at(task.endAt, () => this.#finish(task)));
		return task;
	}

	/**
	 * §3: 400 invalid_task_id, 404 task_not_found, 403 permission_denied.
	 * @param {Account} account @param {string} id
	 */
	read(account, id) {
		if (!id.startsWith(TASK_ID_PREFIX)) {
			throw new ApiError(
				400,
				'invalid_task_id',
				`Invalid task id: it must start with ${TASK_ID_PREFIX}`,
				{
					param: 'task_id',
				},
			);
		}
		const task = this.byId.get(id);
		if (!task) throw new ApiError(404, 'task_not_found', `Task ${id} not found`);
		// By key, not account object: POST /__emulator/keys may have replaced the account since.
		if (task.account.key !== account.key) {
			throw new ApiError(403, 'permission_denied', `Task ${id} belongs to another API key`);
		}
		return task;
	}

	/**
	 * The task as the API shows it (§2 create response, §3 read).
	 * @param {Task} task
	 */
	view(task) {
		const now = this.deps.clock.now();
		const terminal = !isActive(task);
		/** @type {Record<string, any>} */
		const body = {
			created: unixSeconds(task.createdAt),
			id: task.id,
			model: task.request.model,
			object: 'image.generation.task',
			progress: this.#progress(task, now),
			status: task.status,
			task_info: terminal
				? { can_cancel: false }
				: { can_cancel: true, estimated_time: this.#estimatedSeconds(task, now) },
			type: 'image',
			usage: {
				billing_rule: 'per_call',
				credits_reserved: task.reserved,
				user_group: 'default',
			},
		};
		if (task.status === 'completed') {
			const late = task.completedAt !== null && now < task.completedAt + task.lateResultsMs;
			body.results = late ? [] : [...task.results];
			if (task.request.rules.layerize) body.result_data = late ? [] : resultData(task);
			body.usage.credits_used = task.used;
		}
		if ((task.status === 'failed' || task.status === 'cancelled') && task.error) {
			body.error = { ...task.error, type: 'task_error' };
			body.usage.credits_used = 0;
		}
		return body;
	}

	/** `GET /__emulator/tasks`: the view plus internal timing on the emulator clock. @param {Task} task */
	internal(task) {
		return {
			...this.view(task),
			key: maskKey(task.account.key),
			createdAt: task.createdAt,
			startedAt: task.startedAt,
			/** When the task is due to end (createdAt + durationMs); completedAt is when it did. */
			endAt: task.endAt,
			completedAt: task.completedAt,
			durationMs: task.durationMs,
			outputs: task.outputs,
			width: task.width,
			height: task.height,
			prompt: task.request.prompt,
			n: task.request.n,
			outputFormat: task.request.outputFormat,
			webSearch: task.request.webSearch,
			watermark: task.request.watermark,
			background: task.request.background,
			imageUrls: task.request.imageUrls,
			callbackUrl: task.request.callbackUrl ?? null,
			idempotencyKey: task.idempotencyKey ?? null,
		};
	}

	/**
	 * The result of a content URL, if it exists and has not expired (§3: 24 h after completion).
	 * @param {string} id @param {number} index
	 */
	result(id, index) {
		const task = this.byId.get(id);
		if (!task || task.status !== 'completed' || task.completedAt === null) return undefined;
		if (!Number.isInteger(index) || index < 0 || index >= task.outputs) return undefined;
		const expired = this.deps.clock.now() >= task.completedAt + RESULT_TTL_MS;
		return { task, expired, image: task.images[index] };
	}

	/**
	 * Ends a running task as `cancelled` (§3 lists the status, no cancel endpoint is documented; the control
	 * surface offers this so clients can be tested against it). Releases the reservation, then calls back.
	 * @param {string} id
	 */
	cancel(id) {
		const task = this.byId.get(id);
		if (!task) throw new ApiError(404, 'task_not_found', `Task ${id} not found`);
		if (!isActive(task)) {
			throw new ApiError(409, 'task_finished', `Task ${id} is already ${task.status}`);
		}
		this.#end(task, 'cancelled', 'request_cancelled', 'The task was cancelled');
		return task;
	}

	/** @param {number} now */
	#checkConcurrency(now) {
		const max = this.deps.config.maxConcurrentTasks;
		if (max === null || max === undefined) return;
		const active = [...this.byId.values()].filter(isActive);
		if (active.length < max) return;
		// With a cap of 0 nothing is running: ask for a retry in a second.
		const soonest = active.length ? Math.min(...active.map((t) => t.endAt)) : now + 1000;
		const retryAfter = String(Math.max(1, Math.ceil((soonest - now) / 1000)));
		throw new ApiError(
			429,
			'rate_limit_exceeded',
			`Too many concurrent tasks (at most ${max}); retry after ${retryAfter} s`,
			{ headers: { 'retry-after': retryAfter } },
		);
	}

	/**
	 * Seconds left. docs/evolink-seedream-5.md §4: layerize says about 120 s; the emulator scales that by the
	 * share of its (configured) duration still to run, so it falls to 1 as the task ends.
	 * @param {Task} task @param {number} now
	 */
	#estimatedSeconds(task, now) {
		const documented = task.request.rules.estimatedSeconds;
		const typical = documented
			? (this.deps.config.layerizeEstimatedSeconds ?? documented)
			: documented;
		if (!typical) return Math.max(1, Math.ceil((task.endAt - now) / 1000));
		const left = task.durationMs > 0 ? (task.endAt - now) / task.durationMs : 1;
		return Math.max(1, Math.ceil(typical * Math.min(1, left)));
	}

	/** @param {Task} task @param {number} now */
	#progress(task, now) {
		if (task.status === 'completed') return 100;
		if (task.status !== 'processing' || task.startedAt === null) return 0;
		const span = Math.max(1, task.endAt - task.startAt);
		return Math.max(1, Math.min(99, Math.floor(((now - task.startAt) / span) * 100)));
	}

	/** §9: references are fetched when the task runs. @param {Task} task */
	#start(task) {
		if (task.status !== 'pending') return;
		task.status = 'processing';
		task.startedAt = this.deps.clock.now();
		const { imageUrls, rules, background } = task.request;
		if (!imageUrls.length) return;
		/** @type {'alpha' | 'rgba' | undefined} */
		const pixels = rules.layerize ? 'rgba' : background === 'transparent' ? 'alpha' : undefined;
		task.referenceCheck = this.deps.checkReferences(imageUrls, rules.references, { pixels });
		task.referenceCheck.then((check) => {
			if (!check.ok && task.status === 'processing') this.#fail(task, check.code, check.message);
		});
	}

	/** @param {Task} task */
	async #finish(task) {
		if (task.status === 'pending') this.#start(task);
		/** @type {ReferenceCheck} */
		const check = task.referenceCheck ? await task.referenceCheck : { ok: true };
		if (task.status !== 'processing') return;
		if (!check.ok) return this.#fail(task, check.code, check.message);
		if (task.injectedError) {
			const { code, message } = task.injectedError;
			return this.#fail(task, code, message ?? DEFAULT_MESSAGES[code] ?? `Task failed: ${code}`);
		}
		const [width, height] = resolveSize(task.request, check.first);
		task.width = width;
		task.height = height;
		if (task.request.rules.layerize) {
			// docs/evolink-seedream-5.md §7: an image with nothing to split fails (code U).
			if (!check.pixels || isUniform(check.pixels)) {
				return this.#fail(
					task,
					'generation_failed_no_content',
					'Nothing to split: the image has no distinct elements',
				);
			}
			this.#planLayerize(task, baseImage(check.pixels, width, height));
		} else {
			const { outputFormat: format, prompt, background } = task.request;
			// The reference at the result's size: a 6000² reference is not kept whole until the download.
			const alpha =
				background === 'transparent'
					? check.pixels
						? resample(check.pixels, 4, width, height)
						: null
					: undefined;
			task.images = Array.from({ length: outputCount(task.request) }, (_, i) => ({
				format,
				render: () =>
					renderPicture({ width, height, format, alpha, seed: `${task.id}\n${i}\n${prompt}` }),
			}));
		}
		task.outputs = task.images.length;
		const base = this.deps.baseUrl();
		task.results = task.images.map(
			({ format }, i) => `${base}/content/results/${task.id}/${i}.${format}`,
		);
		task.used = credits(task.outputs, task.price, task.request.webSearch);
		// §4: the callback goes out after billing is settled.
		this.deps.ledger.settle(task.account, task.id, task.reserved, task.used);
		task.status = 'completed';
		task.completedAt = this.deps.clock.now();
		// Expired links are never served again (§3: 24 h): drop the pixels the renders hold.
		task.cancels.push(
			this.deps.clock.at(task.completedAt + RESULT_TTL_MS, () => {
				task.images = task.images.map(({ format }) => ({ format, render: expiredRender }));
			}),
		);
		this.deps.onTerminal(task);
	}

	/**
	 * docs/evolink-seedream-5.md §4, §7: the base (z_index 0, the task's output_format) then one PNG per layer.
	 * @param {Task} task @param {import('./raster.mjs').Raster} base
	 */
	#planLayerize(task, base) {
		task.layers = planLayers(
			task.request.boxes,
			this.deps.config.layerizeLayers,
			base.width,
			base.height,
			task.id,
		);
		const format = task.request.outputFormat;
		task.images = [
			{ format, render: () => encodeBase(base, format) },
			...task.layers.map((layer) => ({
				format: /** @type {const} */ ('png'),
				render: () => encodeLayer(base, layer),
			})),
		];
	}

	/** @param {Task} task @param {string} code @param {string} message */
	#fail(task, code, message) {
		this.#end(task, 'failed', code, message);
	}

	/**
	 * §9: a failed (or cancelled) task releases its reservation.
	 * @param {Task} task @param {'failed' | 'cancelled'} status @param {string} code @param {string} message
	 */
	#end(task, status, code, message) {
		task.cancels.forEach((cancel) => cancel());
		this.deps.ledger.settle(task.account, task.id, task.reserved, 0);
		task.status = status;
		task.error = { code, message };
		task.completedAt = this.deps.clock.now();
		this.deps.onTerminal(task);
	}
}

/** The render of an expired result: never called, since an expired link answers 404 first. */
const expiredRender = () => {
	throw new Error('This result has expired');
};

/**
 * Credits for a number of images, plus the web-search charge of a Lite task that asked for it (docs/evolink-
 * seedream-5.md §2, §7: per task; the emulator's model always searches when asked), rounded to thousandths
 * (3 × 1.8 is 5.4, not 5.3999…; 17 × 2.304 is 39.168).
 * @param {number} images @param {Price} price @param {boolean} webSearch
 */
const credits = (images, price, webSearch) =>
	Math.round((images * price.perImage + (webSearch ? (price.webSearch ?? 0) : 0)) * 1000) / 1000;

/**
 * docs/evolink-seedream-5.md §4, §7: `result_data` in z_index order; the base has `image_url` and `z_index`,
 * each layer also `name`, `description` and `bounding_box` { absolute (base pixels), normalized (0-1000) }.
 * @param {Task} task
 */
function resultData(task) {
	return task.results.map((image_url, i) => {
		if (i === 0) return { image_url, z_index: 0 };
		const layer = task.layers[i - 1];
		return {
			image_url,
			z_index: layer.zIndex,
			name: layer.name,
			description: layer.description,
			bounding_box: { absolute: [...layer.absolute], normalized: [...layer.normalized] },
		};
	});
}

/** §2: 8 lowercase letters/digits. */
function randomId() {
	const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
	return [...randomBytes(8)].map((b) => alphabet[b % alphabet.length]).join('');
}
