// @ts-check
/**
 * The create rules of §2 and §9. Every violation is a 400 naming the field in `param` and the allowed
 * range in the message. Also the §9 readings the service does where the documents are silent:
 * how many images a prompt asks for, and which pixels a size resolves to.
 */
import { invalid } from './http.mjs';
import {
	ASPECT_MAX,
	ASPECT_MIN,
	CALLBACK_URL_MAX_CHARS,
	DEFAULT_QUALITY,
	DEFAULT_SIZE,
	MAX_OUTPUTS_WITH_REFERENCES,
	MAX_REFERENCES,
	MODELS,
	N_MAX,
	N_MIN,
	PIXEL_AREA_MAX,
	PIXEL_AREA_MIN,
	PRESET_SIZES,
	PROMPT_MAX_CHARS,
	PROMPT_PRIORITIES,
	PROMPT_PRIORITIES_45,
	QUALITIES,
	QUALITIES_45,
	RATIOS,
	RATIO_SIZES,
} from './limits.mjs';

/**
 * @typedef {{ kind: 'pixels', width: number, height: number } | { kind: 'ratio', ratio: string, quality: string }} SizeSpec
 * @typedef {{ model: string, prompt: string, n: number, size: SizeSpec, imageUrls: string[], promptPriority: string, callbackUrl?: string }} CreateRequest
 */

const list = (/** @type {readonly string[]} */ values) => values.join(', ');

/**
 * @param {Record<string, unknown>} body
 * @param {{ allowInsecureCallbacks: boolean }} options
 * @returns {CreateRequest}
 */
export function validateCreate(body, { allowInsecureCallbacks }) {
	const model = body.model;
	if (typeof model !== 'string' || !model) {
		throw invalid('model', `model is required: one of ${list(MODELS)}`);
	}
	if (!MODELS.includes(/** @type {any} */ (model))) {
		throw invalid('model', `model must be one of ${list(MODELS)}`);
	}
	const is45 = model === 'doubao-seedream-4.5';

	const prompt = body.prompt;
	if (typeof prompt !== 'string' || prompt.trim() === '') {
		throw invalid(
			'prompt',
			`prompt is required: a non-empty string of at most ${PROMPT_MAX_CHARS} characters`,
		);
	}
	// Characters as code points, so an emoji counts once (the schema's maxLength).
	const promptLength = [...prompt].length;
	if (promptLength > PROMPT_MAX_CHARS) {
		throw invalid(
			'prompt',
			`prompt must be at most ${PROMPT_MAX_CHARS} characters (got ${promptLength})`,
		);
	}

	const n = body.n ?? 1;
	if (typeof n !== 'number' || !Number.isInteger(n) || n < N_MIN || n > N_MAX) {
		throw invalid('n', `n must be an integer from ${N_MIN} to ${N_MAX}`);
	}

	const size = validateSize(body.size, body.quality, is45);

	const imageUrls = validateImageUrls(body.image_urls);

	const promptPriority = body.prompt_priority ?? 'standard';
	const priorities = is45 ? PROMPT_PRIORITIES_45 : PROMPT_PRIORITIES;
	if (typeof promptPriority !== 'string' || !priorities.includes(promptPriority)) {
		throw invalid(
			'prompt_priority',
			`prompt_priority must be ${list(priorities)}${is45 ? ` for ${model}` : ''}`,
		);
	}

	/** @type {CreateRequest} */
	const request = { model, prompt, n, size, imageUrls, promptPriority };
	if (body.callback_url !== undefined && body.callback_url !== null) {
		request.callbackUrl = validateCallbackUrl(body.callback_url, allowInsecureCallbacks);
	}
	return request;
}

/**
 * @param {unknown} size
 * @param {unknown} quality
 * @param {boolean} is45
 * @returns {SizeSpec}
 */
function validateSize(size, quality, is45) {
	const qualities = is45 ? QUALITIES_45 : QUALITIES;
	const sizeRule = `size must be 1K, 2K, 4K, WxH pixels (area ${PIXEL_AREA_MIN}-${PIXEL_AREA_MAX}, W/H 1/16-16) or a ratio (auto, ${list(RATIOS)})`;
	if (size !== undefined && size !== null && typeof size !== 'string')
		throw invalid('size', sizeRule);
	const isRatio = typeof size === 'string' && (size === 'auto' || RATIOS.includes(size));

	if (quality !== undefined && quality !== null) {
		if (typeof quality !== 'string' || !qualities.includes(quality)) {
			throw invalid(
				'quality',
				`quality must be one of ${list(qualities)}${is45 ? ' for doubao-seedream-4.5' : ''}`,
			);
		}
		if (!isRatio) {
			throw invalid('quality', `quality is only allowed with a ratio size (auto, ${list(RATIOS)})`);
		}
	}

	if (size === undefined || size === null) {
		return { kind: 'pixels', width: DEFAULT_SIZE[0], height: DEFAULT_SIZE[1] };
	}
	if (isRatio) {
		const resolvedQuality = /** @type {string | undefined} */ (quality) ?? DEFAULT_QUALITY;
		return { kind: 'ratio', ratio: size, quality: resolvedQuality };
	}
	if (PRESET_SIZES[size]) {
		const [width, height] = PRESET_SIZES[size];
		return { kind: 'pixels', width, height };
	}
	const match = /^(\d{1,5})[x*](\d{1,5})$/i.exec(size.trim());
	if (!match) throw invalid('size', sizeRule);
	const width = Number(match[1]);
	const height = Number(match[2]);
	const area = width * height;
	if (area < PIXEL_AREA_MIN || area > PIXEL_AREA_MAX) {
		throw invalid(
			'size',
			`size ${width}x${height} has ${area} pixels; W*H must be from ${PIXEL_AREA_MIN} (1280x720) to ${PIXEL_AREA_MAX} (4096x4096)`,
		);
	}
	const aspect = width / height;
	if (aspect < ASPECT_MIN || aspect > ASPECT_MAX) {
		throw invalid('size', `size ${width}x${height}: W/H must be from 1/16 to 16`);
	}
	return { kind: 'pixels', width, height };
}

/** @param {unknown} urls @returns {string[]} */
function validateImageUrls(urls) {
	if (urls === undefined || urls === null) return [];
	if (!Array.isArray(urls)) {
		throw invalid('image_urls', `image_urls must be an array of at most ${MAX_REFERENCES} URLs`);
	}
	if (urls.length > MAX_REFERENCES) {
		throw invalid(
			'image_urls',
			`image_urls has ${urls.length} entries; at most ${MAX_REFERENCES} are allowed`,
		);
	}
	urls.forEach((url, index) => {
		if (!isHttpUrl(url)) {
			throw invalid('image_urls', `image_urls[${index}] is not a valid http(s) URL`);
		}
	});
	return urls;
}

/** @param {unknown} value @returns {value is string} */
function isHttpUrl(value) {
	if (typeof value !== 'string') return false;
	try {
		const url = new URL(value);
		return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
	} catch {
		return false;
	}
}

/**
 * §2/§9: https only, no internal address, at most 2048 characters; else 400 naming callback_url.
 * With allowInsecureCallbacks (an emulator option), http(s) to 127.0.0.1/localhost is allowed too.
 * @param {unknown} value @param {boolean} allowInsecure
 */
function validateCallbackUrl(value, allowInsecure) {
	if (typeof value !== 'string' || !isHttpUrl(value)) {
		throw invalid('callback_url', 'callback_url must be a valid HTTPS URL');
	}
	if (value.length > CALLBACK_URL_MAX_CHARS) {
		throw invalid(
			'callback_url',
			`callback_url must be at most ${CALLBACK_URL_MAX_CHARS} characters (got ${value.length})`,
		);
	}
	const url = new URL(value);
	if (allowInsecure && isLoopbackHost(url.hostname)) return value;
	if (url.protocol !== 'https:') throw invalid('callback_url', 'callback_url must use HTTPS');
	if (isInternalHost(url.hostname)) {
		throw invalid(
			'callback_url',
			'callback_url must not point to an internal address (localhost, 127.x, 10.x, 172.16-31.x, 192.168.x)',
		);
	}
	return value;
}

/** @param {string} hostname */
export function isLoopbackHost(hostname) {
	const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
	return (
		host === 'localhost' || host.endsWith('.localhost') || /^127\./.test(host) || host === '::1'
	);
}

/**
 * §2's internal ranges, plus the unspecified/link-local addresses a careful service would refuse too.
 * @param {string} hostname
 */
function isInternalHost(hostname) {
	const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
	if (isLoopbackHost(host)) return true;
	const octets = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host)?.slice(1).map(Number);
	// IPv6 literals only: a domain such as fcbarcelona.com is not internal.
	if (!octets)
		return host.includes(':') && (host === '::' || /^f[cd][0-9a-f]{0,2}:|^fe80:/.test(host));
	const [a, b] = octets;
	return (
		a === 10 ||
		a === 0 ||
		(a === 172 && b >= 16 && b <= 31) ||
		(a === 192 && b === 168) ||
		(a === 169 && b === 254)
	);
}

const NUMBER_WORDS = [
	'two',
	'three',
	'four',
	'five',
	'six',
	'seven',
	'eight',
	'nine',
	'ten',
	'eleven',
	'twelve',
	'thirteen',
	'fourteen',
	'fifteen',
];
const NUMBER = `(\\d+|${NUMBER_WORDS.join('|')})`;
// docs/evolink-api.md §9: a number followed within three words by images/pictures/photos/variations/versions,
// or after "set of" / "series of".
const COUNT_BEFORE_NOUN = new RegExp(
	`\\b${NUMBER}\\b(?:\\s+[\\w'-]+){0,2}?\\s+(?:images?|pictures?|photos?|variations?|versions?)\\b`,
	'i',
);
const COUNT_AFTER_SET = new RegExp(`\\b(?:set|series)\\s+of\\s+${NUMBER}\\b`, 'i');

/** §9: the number of images a prompt asks for; none found means 1. @param {string} prompt */
export function countFromPrompt(prompt) {
	const match = COUNT_BEFORE_NOUN.exec(prompt) ?? COUNT_AFTER_SET.exec(prompt);
	if (!match) return 1;
	const word = match[1].toLowerCase();
	const count = /^\d+$/.test(word) ? Number(word) : NUMBER_WORDS.indexOf(word) + 2;
	return Math.max(1, count);
}

/** §9: min(n, the prompt's count, 15 − references). @param {CreateRequest} request */
export function outputCount(request) {
	return Math.min(
		request.n,
		countFromPrompt(request.prompt),
		MAX_OUTPUTS_WITH_REFERENCES - request.imageUrls.length,
	);
}

/** The nearest listed ratio (in log space) to an aspect. @param {number} aspect */
function nearestRatio(aspect) {
	let best = '1:1';
	let bestDistance = Infinity;
	for (const ratio of RATIOS) {
		const [w, h] = ratio.split(':').map(Number);
		const distance = Math.abs(Math.log(aspect) - Math.log(w / h));
		if (distance < bestDistance) {
			best = ratio;
			bestDistance = distance;
		}
	}
	return best;
}

/**
 * §9: pixels for a size. `auto` is 1:1 at the quality, or the first reference's nearest listed ratio.
 * @param {SizeSpec} size
 * @param {{ width: number, height: number }} [firstReference]
 * @returns {[number, number]}
 */
export function resolveSize(size, firstReference) {
	if (size.kind === 'pixels') return [size.width, size.height];
	let ratio = size.ratio;
	if (ratio === 'auto') {
		ratio = firstReference ? nearestRatio(firstReference.width / firstReference.height) : '1:1';
	}
	return RATIO_SIZES[ratio][size.quality];
}
