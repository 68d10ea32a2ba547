// @ts-check
/**
 * The create rules of docs/evolink-api.md §2 and §9 and docs/evolink-seedream-5.md §2-§5, read from each model's
 * table (models.mjs). Every violation is a 400 naming the field in `param` and the allowed range in the message
 * (docs/evolink-seedream-5.md §7). Also the readings the service does where the documents are silent: how many
 * images a prompt asks for, and which pixels a size resolves to.
 */
import { invalid } from './http.mjs';
import { CALLBACK_URL_MAX_CHARS } from './limits.mjs';
import { LAYERIZE_AUTO_AREA, LAYERIZE_MAX_IMAGES, MODELS, MODEL_RULES, RATIOS } from './models.mjs';

/**
 * @typedef {import('./models.mjs').ModelRules} ModelRules
 * @typedef {{ kind: 'pixels', width: number, height: number } | { kind: 'ratio', ratio: string, quality: string }
 *   | { kind: 'source', quality: string }} SizeSpec `source`: layerize, sized from its input (docs/evolink-seedream-5.md §4)
 * @typedef {{ label: string, box: [number, number, number, number] }} BoxRequest a <bbox> region, 0-1000
 * @typedef {{ model: string, rules: ModelRules, prompt: string, n: number, size: SizeSpec, imageUrls: string[],
 *   promptPriority: string, callbackUrl?: string, outputFormat: 'png' | 'jpeg', webSearch: boolean,
 *   watermark: boolean, background: string, boxes: BoxRequest[] }} CreateRequest
 */

const list = (/** @type {readonly string[]} */ values) => values.join(', ');
const isObject = (/** @type {unknown} */ value) =>
	typeof value === 'object' && value !== null && !Array.isArray(value);
const given = (/** @type {unknown} */ value) => value !== undefined && value !== null;

/**
 * The fields of a create body that the model's documentation does not list where they were sent
 * (docs/evolink-seedream-5.md §1: unknown fields are U; §7: accepted, ignored, and logged so tests can check
 * the node never sends them). `model_params.x` for nested ones. An unknown model has none.
 * @param {Record<string, unknown>} body
 */
export function unlistedFields(body) {
	const rules = typeof body.model === 'string' ? MODEL_RULES[body.model] : undefined;
	if (!rules) return [];
	const { top, modelParams } = rules.documented;
	const fields = Object.keys(body).filter((name) => name !== 'model_params' && !top.includes(name));
	if (isObject(body.model_params)) {
		const listed = top.includes('model_params') ? modelParams : [];
		for (const name of Object.keys(/** @type {object} */ (body.model_params))) {
			if (!listed.includes(name)) fields.push(`model_params.${name}`);
		}
	} else if (given(body.model_params) && !top.includes('model_params')) fields.push('model_params');
	return fields;
}

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
	if (!Object.hasOwn(MODEL_RULES, model)) {
		throw invalid('model', `model must be one of ${list(MODELS)}`);
	}
	const rules = MODEL_RULES[model];
	const modelParams = validateModelParams(body.model_params, rules);

	const prompt = validatePrompt(body.prompt, rules);
	const n = validateN(body.n, rules);
	const size = validateSize(body.size, body.quality, rules);
	const imageUrls = validateImageUrls(body.image_urls, rules);

	const promptPriority = body.prompt_priority ?? 'standard';
	if (typeof promptPriority !== 'string' || !rules.promptPriorities.includes(promptPriority)) {
		throw invalid(
			'prompt_priority',
			`prompt_priority must be ${list(rules.promptPriorities)} for ${model}`,
		);
	}

	const webSearch = validateTools(modelParams.tools, rules);
	const watermark = rules.watermark ? validateWatermark(body.watermark) : false;
	const background = validateBackground(body.background, rules);
	const outputFormat = validateOutputFormat(body, modelParams, rules, background, imageUrls);

	/** @type {CreateRequest} */
	const request = {
		model,
		rules,
		prompt,
		n,
		size,
		imageUrls,
		promptPriority,
		outputFormat,
		webSearch,
		watermark,
		background,
		boxes: rules.layerize ? parseBoxes(prompt) : [],
	};
	if (given(body.callback_url)) {
		request.callbackUrl = validateCallbackUrl(body.callback_url, allowInsecureCallbacks);
	}
	return request;
}

/**
 * `model_params` of a model that documents it (Lite, docs/evolink-seedream-5.md §2) must be an object. Elsewhere
 * it is unlisted: read only for §7's misplaced output_format.
 * @param {unknown} value @param {ModelRules} rules @returns {Record<string, unknown>}
 */
function validateModelParams(value, rules) {
	if (!given(value)) return {};
	if (isObject(value)) return /** @type {Record<string, unknown>} */ (value);
	if (rules.documented.top.includes('model_params')) {
		throw invalid('model_params', 'model_params must be an object ({ output_format?, tools? })');
	}
	return {};
}

/** @param {unknown} prompt @param {ModelRules} rules @returns {string} */
function validatePrompt(prompt, rules) {
	const { required, maxChars, maxTokens } = rules.prompt;
	const limit = maxChars ? `at most ${maxChars} characters` : `at most ${maxTokens} tokens`;
	// docs/evolink-seedream-5.md §4: optional on layerize (omitted: every major element is split).
	if (!required && (prompt === undefined || prompt === null || prompt === '')) return '';
	if (typeof prompt !== 'string' || (required && prompt.trim() === '')) {
		throw invalid(
			'prompt',
			required
				? `prompt is required: a non-empty string of ${limit}`
				: `prompt must be a string of ${limit}`,
		);
	}
	if (maxChars) {
		// Characters as code points, so an emoji counts once (the schema's maxLength).
		const length = [...prompt].length;
		if (length > maxChars) {
			throw invalid('prompt', `prompt must be at most ${maxChars} characters (got ${length})`);
		}
	}
	if (maxTokens) {
		const hundredths = promptTokenHundredths(prompt);
		if (hundredths > maxTokens * 100) {
			throw invalid(
				'prompt',
				`prompt must be at most ${maxTokens} tokens (about 2600 Chinese characters or 5000 English words); estimated ${hundredths / 100}`,
			);
		}
	}
	return prompt;
}

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/gu;

/**
 * docs/evolink-seedream-5.md §7: tokens estimated as 1.54 × CJK characters + 0.8 × other words (the docs' own
 * equivalences: 4000 tokens ≈ 2600 Chinese characters ≈ 5000 English words), in hundredths to stay exact.
 * @param {string} prompt
 */
export function promptTokenHundredths(prompt) {
	const cjk = prompt.match(CJK)?.length ?? 0;
	const words = prompt.replace(CJK, ' ').split(/\s+/).filter(Boolean).length;
	return 154 * cjk + 80 * words;
}

/** @param {unknown} value @param {ModelRules} rules @returns {number} */
function validateN(value, rules) {
	if (!rules.n) {
		// docs/evolink-seedream-5.md §3, §4: no `n` (1 image, or the split's count); §7: n > 1 is a 400. n = 1 is
		// accepted, ignored and logged like any unlisted field.
		if (given(value) && value !== 1) {
			throw invalid(
				'n',
				`${rules.id} has no n (it makes ${rules.layerize ? '1-17 images by itself' : 'one image per task'}); only 1 is tolerated`,
			);
		}
		return 1;
	}
	const { min, max } = rules.n;
	const n = value ?? rules.n.default;
	if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
		throw invalid('n', `n must be an integer from ${min} to ${max}`);
	}
	return n;
}

/**
 * @param {unknown} size
 * @param {unknown} quality
 * @param {ModelRules} rules
 * @returns {SizeSpec}
 */
function validateSize(size, quality, rules) {
	const qualityRule = `quality must be one of ${list(rules.qualities)} for ${rules.id}`;
	if (given(quality) && (typeof quality !== 'string' || !rules.qualities.includes(quality))) {
		throw invalid('quality', qualityRule);
	}
	if (!rules.size) {
		// docs/evolink-seedream-5.md §4: layerize has no size; §7: any size is a 400.
		if (given(size)) {
			throw invalid('size', `${rules.id} takes no size: use quality (${list(rules.qualities)})`);
		}
		return {
			kind: 'source',
			quality: /** @type {string | undefined} */ (quality) ?? rules.defaultQuality,
		};
	}
	const { presets, tiers, areaMin, areaMax, aspect, minSideExclusive, omitted } = rules.size;
	const presetList = Object.keys(presets);
	const sizeRule = `size must be ${presetList.length ? `${list(presetList)}, ` : ''}WxH pixels (area ${areaMin}-${areaMax}, W/H 1/16-16${minSideExclusive ? `, W and H > ${minSideExclusive}` : ''}) or a ratio (auto, ${list(RATIOS)})`;
	if (given(size) && typeof size !== 'string') throw invalid('size', sizeRule);
	const isRatio =
		typeof size === 'string' ? size === 'auto' || RATIOS.includes(size) : omitted === 'auto';

	if (given(quality) && !isRatio) {
		throw invalid('quality', `quality is only allowed with a ratio size (auto, ${list(RATIOS)})`);
	}
	if (isRatio) {
		const ratio = typeof size === 'string' ? size : 'auto';
		return {
			kind: 'ratio',
			ratio,
			quality: /** @type {string | undefined} */ (quality) ?? rules.defaultQuality,
		};
	}
	if (typeof size !== 'string') {
		const [width, height] = /** @type {[number, number]} */ (omitted);
		return { kind: 'pixels', width, height };
	}
	if (Object.hasOwn(presets, size)) {
		const [width, height] = presets[size];
		return { kind: 'pixels', width, height };
	}
	// docs/evolink-seedream-5.md §5, §7: a tier string as size is a 400 on 5.x (the tier goes in quality).
	if (tiers.includes(size)) {
		throw invalid(
			'size',
			`size ${size} is a quality tier, not a size, on ${rules.id}: send a ratio size with quality ${size}`,
		);
	}
	// docs/evolink-api.md §2 documents `WxH` only (lowercase x): 2048*2048 and 2048X2048 are 400s.
	const match = /^(\d{1,5})x(\d{1,5})$/.exec(size);
	if (!match) throw invalid('size', sizeRule);
	const width = Number(match[1]);
	const height = Number(match[2]);
	const area = width * height;
	if (area < areaMin || area > areaMax) {
		throw invalid(
			'size',
			`size ${width}x${height} has ${area} pixels; W*H must be from ${areaMin} to ${areaMax} for ${rules.id}`,
		);
	}
	const ratio = width / height;
	if (ratio < aspect[0] || ratio > aspect[1]) {
		throw invalid('size', `size ${width}x${height}: W/H must be from 1/16 to 16`);
	}
	if (minSideExclusive && (width <= minSideExclusive || height <= minSideExclusive)) {
		throw invalid(
			'size',
			`size ${width}x${height}: W and H must be greater than ${minSideExclusive}`,
		);
	}
	return { kind: 'pixels', width, height };
}

/** @param {unknown} urls @param {ModelRules} rules @returns {string[]} */
function validateImageUrls(urls, rules) {
	const { max, exactly } = rules.references;
	const countRule = exactly
		? `image_urls is required for ${rules.id}: exactly ${exactly} URL`
		: `image_urls must be an array of at most ${max} URLs`;
	if (!given(urls)) {
		if (exactly) throw invalid('image_urls', countRule);
		return [];
	}
	if (!Array.isArray(urls)) throw invalid('image_urls', countRule);
	if (exactly && urls.length !== exactly) {
		throw invalid('image_urls', `${countRule} (got ${urls.length})`);
	}
	if (urls.length > max) {
		throw invalid(
			'image_urls',
			`image_urls has ${urls.length} entries; at most ${max} are allowed for ${rules.id}`,
		);
	}
	urls.forEach((url, index) => {
		if (!isHttpUrl(url)) {
			throw invalid('image_urls', `image_urls[${index}] is not a valid http(s) URL`);
		}
	});
	return urls;
}

/**
 * docs/evolink-seedream-5.md §2: `model_params.tools` is only `[{"type":"web_search"}]` (an empty list is off).
 * @param {unknown} tools @param {ModelRules} rules
 */
function validateTools(tools, rules) {
	if (!rules.tools.length || !given(tools)) return false;
	const rule = `model_params.tools must be [{"type":"web_search"}] (or [])`;
	if (!Array.isArray(tools) || tools.length > 1) throw invalid('model_params.tools', rule);
	for (const tool of tools) {
		if (!isObject(tool) || !rules.tools.includes(tool.type))
			throw invalid('model_params.tools', rule);
	}
	return tools.length === 1;
}

/** docs/evolink-seedream-5.md §3: a boolean, default false. @param {unknown} value */
function validateWatermark(value) {
	if (!given(value)) return false;
	if (typeof value !== 'boolean') throw invalid('watermark', 'watermark must be true or false');
	return value;
}

/** @param {unknown} value @param {ModelRules} rules */
function validateBackground(value, rules) {
	if (!rules.backgrounds.length) return 'opaque';
	if (!given(value)) return rules.backgrounds[0];
	if (typeof value !== 'string' || !rules.backgrounds.includes(value)) {
		throw invalid('background', `background must be one of ${list(rules.backgrounds)}`);
	}
	return value;
}

/**
 * The format of the results. docs/evolink-seedream-5.md §7: for Lite and Pro either place is accepted and the
 * documented one wins; §3, §7: `transparent` needs exactly one reference and refuses jpeg, and always makes PNG.
 * 4.x documents no output_format: PNG.
 * @param {Record<string, unknown>} body @param {Record<string, unknown>} modelParams @param {ModelRules} rules
 * @param {string} background @param {string[]} imageUrls
 * @returns {'png' | 'jpeg'}
 */
function validateOutputFormat(body, modelParams, rules, background, imageUrls) {
	const format = rules.outputFormat;
	if (!format) return 'png';
	const places = /** @type {const} */ ([
		['model_params.output_format', modelParams.output_format],
		['output_format', body.output_format],
	]);
	const [documented, other] = format.place === 'top' ? [places[1], places[0]] : places;
	const [param, value] = given(documented[1]) || !format.otherPlaceAccepted ? documented : other;
	if (given(value) && (typeof value !== 'string' || !format.values.includes(value))) {
		throw invalid(param, `${param} must be one of ${list(format.values)}`);
	}
	if (background === 'transparent') {
		if (imageUrls.length !== 1) {
			throw invalid(
				'background',
				`background transparent keeps the alpha of exactly one reference: image_urls must have 1 entry (got ${imageUrls.length})`,
			);
		}
		if (value === 'jpeg') {
			throw invalid(
				'background',
				'background transparent always makes a PNG: output_format jpeg is refused',
			);
		}
		return 'png';
	}
	return /** @type {'png' | 'jpeg'} */ (value ?? format.default);
}

const BBOX = /<bbox>([^<]*)<\/bbox>/gi;

/**
 * docs/evolink-seedream-5.md §4: `label<bbox>x1 y1 x2 y2</bbox>` regions, 0-1000 normalised; §7: one layer per
 * tag, at most 16 (17 images with the base). A box outside 0-1000 or empty is a 400 naming prompt.
 * @param {string} prompt @returns {BoxRequest[]}
 */
export function parseBoxes(prompt) {
	/** @type {BoxRequest[]} */
	const boxes = [];
	let labelStart = 0;
	for (const match of prompt.matchAll(BBOX)) {
		const numbers = match[1]
			.trim()
			.split(/[\s,]+/)
			.map(Number);
		const [x1, y1, x2, y2] = numbers;
		if (
			numbers.length !== 4 ||
			!numbers.every((v) => Number.isFinite(v) && v >= 0 && v <= 1000) ||
			x1 >= x2 ||
			y1 >= y2
		) {
			throw invalid(
				'prompt',
				`<bbox>${match[1]}</bbox>: a box is four numbers x1 y1 x2 y2 from 0 to 1000 with x1 < x2 and y1 < y2`,
			);
		}
		const label = prompt.slice(labelStart, match.index).replace(/^[\s,;.:]+|[\s,;.:]+$/g, '');
		boxes.push({ label, box: [x1, y1, x2, y2] });
		labelStart = (match.index ?? 0) + match[0].length;
	}
	return boxes.slice(0, LAYERIZE_MAX_IMAGES - 1);
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

// docs/evolink-api.md §2, §9 (and 5.0 Lite, docs/evolink-seedream-5.md §2): references + outputs at most 15.
const MAX_OUTPUTS_WITH_REFERENCES = 15;

/**
 * Images a generation task makes: docs/evolink-api.md §9's min(n, the prompt's count, 15 − references) where
 * the model has n (4.x, Lite); one otherwise (Pro, docs/evolink-seedream-5.md §5). Layerize decides by its split.
 * @param {CreateRequest} request
 */
export function outputCount(request) {
	if (!request.rules.n) return 1;
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
 * Pixels for a size, from the model's own table. docs/evolink-api.md §9 and docs/evolink-seedream-5.md §7:
 * `auto` is 1:1 at the quality, or the first reference's nearest listed ratio. Layerize (§4, §7): `auto` keeps
 * an input of 921 600-4 624 220 px as is, a smaller one comes out at 1K and a larger one at 2K; a tier is the
 * Pro table's entry nearest the input's ratio.
 * @param {CreateRequest} request
 * @param {{ width: number, height: number }} [firstReference]
 * @returns {[number, number]}
 */
export function resolveSize({ size, rules }, firstReference) {
	if (size.kind === 'pixels') return [size.width, size.height];
	const nearest = () =>
		firstReference ? nearestRatio(firstReference.width / firstReference.height) : '1:1';
	if (size.kind === 'source') {
		let quality = size.quality;
		if (quality === 'auto' && firstReference) {
			const area = firstReference.width * firstReference.height;
			if (area >= LAYERIZE_AUTO_AREA[0] && area <= LAYERIZE_AUTO_AREA[1]) {
				return [firstReference.width, firstReference.height];
			}
			quality = area < LAYERIZE_AUTO_AREA[0] ? '1K' : '2K';
		}
		return rules.ratioTable[nearest()][quality === 'auto' ? '1K' : quality];
	}
	const ratio = size.ratio === 'auto' ? nearest() : size.ratio;
	return rules.ratioTable[ratio][size.quality];
}
