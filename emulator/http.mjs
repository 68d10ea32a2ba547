// @ts-check
/**
 * HTTP plumbing: the section 5 error body, JSON replies, bounded body reading, key masking, a tiny router.
 */
import { randomBytes } from 'node:crypto';

/** An error answered with the section 5 body `{"error":{code,message,type,param?}}`. */
export class ApiError extends Error {
	/**
	 * @param {number} status
	 * @param {string} code
	 * @param {string} message
	 * @param {{ type?: string, param?: string, headers?: Record<string, string> }} [extra]
	 */
	constructor(status, code, message, extra = {}) {
		super(message);
		this.status = status;
		this.code = code;
		this.type = extra.type ?? TYPE_BY_STATUS[status] ?? 'api_error';
		this.param = extra.param;
		this.headers = extra.headers ?? {};
	}

	body() {
		/** @type {{ code: string, message: string, type: string, param?: string }} */
		const error = { code: this.code, message: this.message, type: this.type };
		if (this.param !== undefined) error.param = this.param;
		return { error };
	}
}

// docs/evolink-api.md §5: documented codes and types per status.
const TYPE_BY_STATUS = /** @type {Record<number, string>} */ ({
	400: 'invalid_request_error',
	401: 'authentication_error',
	402: 'insufficient_quota_error',
	403: 'permission_error',
	404: 'not_found_error',
	413: 'invalid_request_error',
	429: 'rate_limit_error',
	500: 'api_error',
	502: 'api_error',
	503: 'api_error',
});
const CODE_BY_STATUS = /** @type {Record<number, string>} */ ({
	400: 'invalid_request',
	401: 'unauthorized',
	402: 'insufficient_quota',
	403: 'model_access_denied',
	404: 'not_found',
	413: 'request_too_large',
	429: 'rate_limit_exceeded',
	500: 'internal_error',
	502: 'bad_gateway',
	503: 'service_unavailable',
});

/** The usual error for a status, used by injected faults. @param {number} status */
export function defaultError(status, message = `Emulated ${status} response`) {
	return new ApiError(status, CODE_BY_STATUS[status] ?? String(status), message);
}

/** 400 naming the field in `param` (the §5 body) and the allowed range in the message, as §9 does for callback_url. */
export const invalid = (/** @type {string} */ param, /** @type {string} */ message) =>
	new ApiError(400, 'invalid_request', message, { param });

/**
 * A reply a handler returns; the server writes it and records its status.
 * @typedef {{ status: number, json?: unknown, raw?: Buffer | string, headers?: Record<string, string | number>, taskId?: string }} Reply
 */

/** @returns {Reply} */
export const json = (/** @type {number} */ status, /** @type {unknown} */ body, headers = {}) => ({
	status,
	json: body,
	headers,
});

export const newRequestId = () => `req-${randomBytes(8).toString('hex')}`;

/**
 * Masks an API key for logs and the control surface (never echo a full key): `sk-e…demo`.
 * @param {string | undefined | null} key
 */
export function maskKey(key) {
	if (!key) return '';
	if (key.length <= 8) return `${key.slice(0, 2)}…`;
	return `${key.slice(0, 4)}…${key.slice(-4)}`;
}

/** The bearer token of a request, or undefined. @param {import('node:http').IncomingMessage} req */
export function bearerKey(req) {
	const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
	return match ? match[1] : undefined;
}

/** Thrown when a body is larger than the route allows. */
export class TooLarge extends Error {}

/**
 * Reads a request body, refusing (and stopping to buffer) beyond `limit` bytes.
 * @param {import('node:http').IncomingMessage} req
 * @param {number} limit
 * @returns {Promise<Buffer>}
 */
export function readBody(req, limit) {
	return new Promise((resolve, reject) => {
		/** @type {Buffer[]} */
		const chunks = [];
		let size = 0;
		let failed = false;
		req.on('data', (/** @type {Buffer} */ chunk) => {
			if (failed) return;
			size += chunk.length;
			if (size > limit) {
				failed = true;
				reject(new TooLarge(`Request body is larger than ${limit} bytes`));
				return;
			}
			chunks.push(chunk);
		});
		req.on('end', () => failed || resolve(Buffer.concat(chunks)));
		req.on('error', (error) => failed || reject(error));
	});
}

/** Parses a JSON object body or throws a 400 (§5). @param {Buffer} buffer */
export function parseJsonObject(buffer) {
	let value;
	try {
		value = JSON.parse(buffer.toString('utf8') || 'null');
	} catch {
		throw new ApiError(400, 'invalid_request', 'Request body is not valid JSON');
	}
	if (value === null || typeof value !== 'object' || Array.isArray(value)) {
		throw new ApiError(400, 'invalid_request', 'Request body must be a JSON object');
	}
	return /** @type {Record<string, unknown>} */ (value);
}

/**
 * A list of `[method, pattern, handler]`; patterns are regexps whose groups become `params`.
 * @template C
 * @typedef {[string, RegExp, (ctx: C, params: string[]) => Promise<Reply> | Reply]} Route
 */

/** A path segment decoded, or as sent when its escapes are malformed. @param {string} part */
function decodeParam(part) {
	try {
		return decodeURIComponent(part);
	} catch {
		return part;
	}
}

/**
 * @template C
 * @param {Route<C>[]} routes
 * @param {string} method
 * @param {string} path
 * @returns {{ handler: Route<C>[2], params: string[] } | { allowed: string[] } | undefined}
 */
export function findRoute(routes, method, path) {
	/** @type {string[]} */
	const allowed = [];
	for (const [routeMethod, pattern, handler] of routes) {
		const match = pattern.exec(path);
		if (!match) continue;
		const params = match.slice(1).map(decodeParam);
		if (routeMethod === method || (routeMethod === 'GET' && method === 'HEAD')) {
			return { handler, params };
		}
		allowed.push(routeMethod);
	}
	return allowed.length ? { allowed } : undefined;
}
