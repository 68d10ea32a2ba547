// @ts-check
/**
 * Reference images, checked when the task runs (§9): the emulator fetches each URL (loopback hosts only,
 * since it stands in for a service on the public internet and must not reach out), then applies the model's
 * limits (docs/evolink-api.md §2; docs/evolink-seedream-5.md §2-§5).
 * Unreachable or unreadable → image_processing_error; outside a limit → invalid_parameters naming the rule.
 */
import http from 'node:http';
import https from 'node:https';
import { imageDimensions, sniffFormat } from './formats.mjs';
import { decodeRgba } from './raster.mjs';
import { isLoopbackHost } from './validation.mjs';

const FETCH_TIMEOUT_MS = 10000;
// docs/evolink-seedream-5.md §7: with background transparent, a reference in a format without alpha fails the task.
const FORMATS_WITHOUT_ALPHA = ['jpeg', 'bmp'];

/**
 * @param {string[]} urls
 * @param {import('./models.mjs').ReferenceRules} rules the model's reference limits
 * @param {{ signal?: AbortSignal, pixels?: 'alpha' | 'rgba' }} [options] signal: aborted when the emulator
 *   closes; pixels: also decode the first reference, `alpha` for 5.0 Pro transparent (a format without alpha
 *   fails the task), `rgba` for layerize (an image that cannot be decoded fails it)
 * @returns {Promise<import('./tasks.mjs').ReferenceCheck>}
 */
export async function checkReferences(urls, rules, { signal, pixels } = {}) {
	/** @type {import('./tasks.mjs').ReferenceCheck & { ok: true }} */
	const result = { ok: true };
	for (const [index, url] of urls.entries()) {
		const name = `image_urls[${index}]`;
		const fetched = await fetchLimited(url, rules.maxBytes, signal);
		if ('error' in fetched) {
			return fail(fetched.code ?? 'image_processing_error', `${name} (${url}): ${fetched.error}`);
		}
		const format = sniffFormat(fetched.body);
		if (!format) {
			return fail(
				'image_processing_error',
				`${name}: not a readable image (${rules.formats.join(', ')})`,
			);
		}
		if (!rules.formats.includes(format.format)) {
			return fail(
				'invalid_parameters',
				`${name} is ${format.format}: this model takes ${rules.formats.join(', ')}`,
			);
		}
		const dimensions = imageDimensions(fetched.body, format.format);
		if (!dimensions)
			return fail('image_processing_error', `${name}: the ${format.format} header cannot be read`);
		const broken = brokenLimit(dimensions, rules);
		if (broken)
			return fail(
				'invalid_parameters',
				`${name} is ${dimensions.width}x${dimensions.height}: ${broken}`,
			);
		if (index > 0) continue;
		result.first = dimensions;
		if (pixels === 'alpha' && FORMATS_WITHOUT_ALPHA.includes(format.format)) {
			return fail(
				'invalid_parameters',
				`${name} is ${format.format}, which has no alpha channel: background transparent keeps the reference's alpha (use png, webp, gif, tiff or heic)`,
			);
		}
		// Alpha is read from PNGs; what the emulator cannot decode (gif, webp, tiff, heic, an interlaced or
		// sub-byte PNG) gives an opaque result rather than failing a reference the service would take.
		if ((pixels === 'alpha' && format.format === 'png') || pixels === 'rgba') {
			try {
				result.pixels = decodeRgba(fetched.body, format.format);
			} catch (error) {
				if (pixels === 'alpha') continue;
				return fail(
					'image_processing_error',
					`${name}: the ${format.format} image cannot be decoded (${/** @type {Error} */ (error).message})`,
				);
			}
		}
	}
	return result;
}

/**
 * The first reference limit a size breaks, if any: sides > 14 px, at most 6000×6000 (sides for 4.x and Lite,
 * pixels for Pro and layerize), W/H in [1/16, 16].
 * @param {{ width: number, height: number }} size @param {import('./models.mjs').ReferenceRules} rules
 */
function brokenLimit({ width, height }, rules) {
	const { minSideExclusive, maxSide, areaMin, areaMax, aspect } = rules;
	if (minSideExclusive && (width <= minSideExclusive || height <= minSideExclusive)) {
		return `width and height must be greater than ${minSideExclusive} px`;
	}
	if (maxSide && (width > maxSide || height > maxSide))
		return `at most ${maxSide}x${maxSide} pixels`;
	const area = width * height;
	if (areaMin !== undefined && areaMax !== undefined && (area < areaMin || area > areaMax)) {
		return `${area} pixels; W*H must be from ${areaMin} to ${areaMax}`;
	}
	const ratio = width / height;
	if (ratio < aspect[0] || ratio > aspect[1]) return 'W/H must be from 1/16 to 16';
	return undefined;
}

/** @param {string} code @param {string} message @returns {import('./tasks.mjs').ReferenceCheck} */
const fail = (code, message) => ({ ok: false, code, message });

/**
 * GET a URL, stopping past the size limit (also the Files API's upload by URL).
 * @param {string} url
 * @param {number} maxBytes
 * @param {AbortSignal} [signal]
 * @returns {Promise<{ body: Buffer } | { error: string, code?: string }>}
 */
export function fetchLimited(url, maxBytes, signal) {
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
					if (size > maxBytes) {
						request.destroy();
						resolve({
							code: 'invalid_parameters',
							error: `larger than ${maxBytes / 1024 / 1024} MB`,
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
