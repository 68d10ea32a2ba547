// @ts-check
/**
 * Reference images, checked when the task runs (§9): the emulator fetches each URL (loopback hosts only,
 * since it stands in for a service on the public internet and must not reach out), then applies §2's limits.
 * Unreachable or unreadable → image_processing_error; outside a limit → invalid_parameters naming the rule.
 */
import http from 'node:http';
import https from 'node:https';
import {
	ASPECT_MAX,
	ASPECT_MIN,
	REFERENCE_FORMATS,
	REFERENCE_MAX_BYTES,
	REFERENCE_MAX_SIDE,
	REFERENCE_MIN_SIDE_EXCLUSIVE,
} from './limits.mjs';
import { imageDimensions, sniffFormat } from './formats.mjs';
import { isLoopbackHost } from './validation.mjs';

const FETCH_TIMEOUT_MS = 10000;

/**
 * @param {string[]} urls
 * @param {AbortSignal} [signal] aborted when the emulator closes
 * @returns {Promise<import('./tasks.mjs').ReferenceCheck>}
 */
export async function checkReferences(urls, signal) {
	/** @type {{ width: number, height: number } | undefined} */
	let first;
	for (const [index, url] of urls.entries()) {
		const name = `image_urls[${index}]`;
		const fetched = await fetchLimited(url, signal);
		if ('error' in fetched) {
			return fail(fetched.code ?? 'image_processing_error', `${name} (${url}): ${fetched.error}`);
		}
		const format = sniffFormat(fetched.body);
		if (!format || !REFERENCE_FORMATS.includes(format.format)) {
			return fail(
				'image_processing_error',
				`${name}: not a readable image (${REFERENCE_FORMATS.join(', ')})`,
			);
		}
		const dimensions = imageDimensions(fetched.body, format.format);
		if (!dimensions)
			return fail('image_processing_error', `${name}: the ${format.format} header cannot be read`);
		const { width, height } = dimensions;
		if (width <= REFERENCE_MIN_SIDE_EXCLUSIVE || height <= REFERENCE_MIN_SIDE_EXCLUSIVE) {
			return fail(
				'invalid_parameters',
				`${name} is ${width}x${height}: width and height must be greater than ${REFERENCE_MIN_SIDE_EXCLUSIVE} px`,
			);
		}
		if (width > REFERENCE_MAX_SIDE || height > REFERENCE_MAX_SIDE) {
			return fail(
				'invalid_parameters',
				`${name} is ${width}x${height}: at most ${REFERENCE_MAX_SIDE}x${REFERENCE_MAX_SIDE} pixels`,
			);
		}
		const aspect = width / height;
		if (aspect < ASPECT_MIN || aspect > ASPECT_MAX) {
			return fail(
				'invalid_parameters',
				`${name} is ${width}x${height}: W/H must be from 1/16 to 16`,
			);
		}
		first ??= dimensions;
	}
	return { ok: true, first };
}

/** @param {string} code @param {string} message @returns {import('./tasks.mjs').ReferenceCheck} */
const fail = (code, message) => ({ ok: false, code, message });

/**
 * GET a URL, stopping past the size limit.
 * @param {string} url
 * @param {AbortSignal} [signal]
 * @returns {Promise<{ body: Buffer } | { error: string, code?: string }>}
 */
function fetchLimited(url, signal) {
	const target = new URL(url);
	if (!isLoopbackHost(target.hostname)) {
		return Promise.resolve({
			error: 'the emulator only fetches references from loopback hosts (127.0.0.1, localhost)',
		});
	}
	return new Promise((resolve) => {
		const client = target.protocol === 'https:' ? https : http;
		const request = client.get(
			target,
			{ agent: false, timeout: FETCH_TIMEOUT_MS, signal },
			(response) => {
				if ((response.statusCode ?? 0) >= 400) {
					response.resume();
					return resolve({ error: `download failed with HTTP ${response.statusCode}` });
				}
				/** @type {Buffer[]} */
				const chunks = [];
				let size = 0;
				response.on('data', (/** @type {Buffer} */ chunk) => {
					size += chunk.length;
					if (size > REFERENCE_MAX_BYTES) {
						request.destroy();
						resolve({
							code: 'invalid_parameters',
							error: `larger than ${REFERENCE_MAX_BYTES / 1024 / 1024} MB`,
						});
						return;
					}
					chunks.push(chunk);
				});
				response.on('end', () => resolve({ body: Buffer.concat(chunks) }));
				response.on('error', (error) => resolve({ error: error.message }));
			},
		);
		request.on('timeout', () => request.destroy(new Error('timeout')));
		request.on('error', (error) =>
			resolve({ error: `download failed (${/** @type {any} */ (error).code ?? error.message})` }),
		);
	});
}
