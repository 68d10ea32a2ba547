// @ts-check
/**
 * The API's routes (§2, §3, §6, §7 with its 2026-12-04 update) and the content links (§9: plain links, no key): what each path does,
 * on top of the modules that own the rules (validation, tasks, ledger, files, images).
 */
import { ApiError, bearerKey, invalid, parseJsonObject, readBody } from './http.mjs';
import { unlistedFields, validateCreate } from './validation.mjs';
import { IDEMPOTENCY_KEY_PATTERN } from './limits.mjs';
import { MODELS } from './models.mjs';

const API_BODY_LIMIT = 1024 * 1024;

/**
 * @typedef {import('./server.mjs').EmulatorState} EmulatorState
 * @typedef {{ req: import('node:http').IncomingMessage, entry: Record<string, any>, state: EmulatorState }} Context
 * @typedef {import('./http.mjs').Reply} Reply
 */

/** @type {import('./http.mjs').Route<Context>[]} */
export const API_ROUTES = [
	['GET', /^\/v1\/models$/, (ctx) => (authenticate(ctx), { status: 200, json: modelList() })],
	[
		'GET',
		/^\/v1\/credits$/,
		(ctx) => ({ status: 200, json: ctx.state.ledger.credits(authenticate(ctx)) }),
	],
	['POST', /^\/v1\/images\/generations$/, createTask],
	[
		'GET',
		/^\/v1\/tasks\/([^/]+)$/,
		(ctx, [id]) => {
			const task = ctx.state.tasks.read(authenticate(ctx), id);
			return { status: 200, json: ctx.state.tasks.view(task), taskId: task.id };
		},
	],
	[
		'POST',
		/^\/api\/v1\/files\/upload\/base64$/,
		(ctx) => ctx.state.files.uploadBase64(upload(ctx)),
	],
	[
		'POST',
		/^\/api\/v1\/files\/upload\/stream$/,
		(ctx) => ctx.state.files.uploadStream(upload(ctx)),
	],
	[
		'POST',
		/^\/api\/v1\/files\/upload\/url$/,
		(ctx) => ctx.state.files.uploadUrl(upload(ctx), ctx.state.closing.signal),
	],
	['GET', /^\/api\/v1\/files\/quota$/, (ctx) => ctx.state.files.quota(authenticate(ctx))],
	[
		'GET',
		/^\/api\/v1\/files\/list$/,
		(ctx) =>
			ctx.state.files.listPage(
				authenticate(ctx),
				new URL(ctx.req.url ?? '/', 'http://emulator').searchParams,
			),
	],
	[
		'DELETE',
		/^\/api\/v1\/files\/([^/]+)$/,
		(ctx, [id]) => ctx.state.files.delete(authenticate(ctx), id),
	],
	// §9: result and file URLs are plain links, no key needed.
	['GET', /^\/api\/v1\/files\/download\/([^/]+)$/, (ctx, [id]) => serveFile(ctx, id)],
	['GET', /^\/content\/files\/([^/]+)\/[^/]+$/, (ctx, [id]) => serveFile(ctx, id)],
	['GET', /^\/content\/results\/([^/]+)\/(\d+)\.(png|jpeg)$/, serveResult],
];

/** @param {Context} ctx */
function authenticate(ctx) {
	return ctx.state.ledger.authenticate(bearerKey(ctx.req));
}

/** @param {Context} ctx */
function upload(ctx) {
	return { req: ctx.req, entry: ctx.entry, account: authenticate(ctx) };
}

function modelList() {
	return {
		object: 'list',
		data: MODELS.map((id) => ({
			id,
			object: 'model',
			created: 1757116800,
			owned_by: 'bytedance',
			type: 'image',
		})),
	};
}

/** §2 `POST /v1/images/generations`. @param {Context} ctx @returns {Promise<Reply>} */
async function createTask(ctx) {
	const { state, req, entry } = ctx;
	const raw = await readBody(req, API_BODY_LIMIT);
	// Kept as text when it is not JSON, so a client's malformed body can be read back.
	entry.body = raw.toString('utf8');
	const body = parseJsonObject(raw);
	entry.body = body;
	// docs/evolink-seedream-5.md §7: fields the model does not list are accepted and ignored, but logged
	// (GET /__emulator/ignored-fields), so tests can check the node never sends them.
	const ignored = unlistedFields(body);
	if (ignored.length) entry.ignoredFields = ignored;
	const account = authenticate(ctx);
	const idempotencyKey = req.headers['idempotency-key'];
	if (idempotencyKey !== undefined) {
		if (typeof idempotencyKey !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
			throw invalid(
				'Idempotency-Key',
				'Idempotency-Key must be 16-96 characters of A-Z a-z 0-9 . _ -',
			);
		}
		const earlier = state.tasks.replay(account, idempotencyKey);
		if (earlier) {
			return {
				status: 200,
				json: state.tasks.view(earlier),
				headers: { 'idempotency-replayed': 'true' },
				taskId: earlier.id,
			};
		}
	}
	const request = validateCreate(body, {
		allowInsecureCallbacks: state.config.allowInsecureCallbacks,
	});
	state.ledger.checkModel(account, request.model);
	const task = state.tasks.create(account, request, idempotencyKey);
	return { status: 200, json: state.tasks.view(task), taskId: task.id };
}

/** @param {Context} ctx @param {string[]} params @returns {Promise<Reply>} */
async function serveResult(ctx, [id, index, extension]) {
	const found = ctx.state.tasks.result(id, Number(index));
	if (!found || found.image.format !== extension)
		throw new ApiError(404, 'not_found', 'No such result image');
	if (found.expired)
		throw new ApiError(
			404,
			'expired',
			'This result URL has expired (24 hours after the task completed)',
		);
	const { image } = found;
	const bytes = await ctx.state.images.get(`${id}/${index}`, async () => image.render());
	return {
		status: 200,
		raw: bytes,
		headers: { 'content-type': `image/${image.format}` },
		taskId: id,
	};
}

/** @param {Context} ctx @param {string} id @returns {Reply} */
function serveFile(ctx, id) {
	const found = ctx.state.files.find(id);
	if (!found) throw new ApiError(404, 'not_found', 'No such file');
	if (found.expired)
		throw new ApiError(404, 'expired', 'This file has expired (72 hours after upload)');
	return {
		status: 200,
		raw: found.file.data,
		headers: {
			'content-type': found.file.mimeType,
			'content-disposition': `inline; filename="${encodeURIComponent(found.file.fileName)}"`,
		},
	};
}
