// @ts-check
/**
 * One rule table per model, written once: everything the models differ in (docs/evolink-api.md §2 for 4.0 and
 * 4.5, docs/evolink-seedream-5.md §2-§5 for the 5.0 family). Validation, sizing, references, billing and
 * rendering all read these tables; adding a model is one entry here plus its tests.
 */

/** The listed ratios of every model (docs/evolink-api.md §2; docs/evolink-seedream-5.md §2, §3). */
export const RATIOS = [
	'1:1',
	'2:3',
	'3:2',
	'3:4',
	'4:3',
	'4:5',
	'5:4',
	'9:16',
	'16:9',
	'21:9',
	'9:21',
];

/**
 * A ratio × quality table with the inverse ratios added as transposes (every table of the docs says
 * "inverse ratios are transposes").
 * @param {Record<string, Record<string, [number, number]>>} listed
 * @returns {Record<string, Record<string, [number, number]>>}
 */
function withTransposes(listed) {
	/** @type {Record<string, Record<string, [number, number]>>} */
	const table = { ...listed };
	for (const [ratio, cells] of Object.entries(listed)) {
		const [w, h] = ratio.split(':');
		if (w === h) continue;
		table[`${h}:${w}`] = Object.fromEntries(
			Object.entries(cells).map(([quality, [width, height]]) => [quality, [height, width]]),
		);
	}
	return table;
}

// docs/evolink-api.md §2: ratio × quality for 4.0 and 4.5 (4:5 is listed portrait; 5:4 its transpose).
const TABLE_40 = withTransposes({
	'1:1': { '1K': [1024, 1024], '2K': [2048, 2048], '4K': [4096, 4096] },
	'16:9': { '1K': [1280, 720], '2K': [2848, 1600], '4K': [5504, 3040] },
	'4:3': { '1K': [1152, 864], '2K': [2304, 1728], '4K': [4704, 3520] },
	'3:2': { '1K': [1248, 832], '2K': [2496, 1664], '4K': [4992, 3328] },
	'4:5': { '1K': [896, 1120], '2K': [1792, 2240], '4K': [3584, 4480] },
	'21:9': { '1K': [1512, 648], '2K': [3136, 1344], '4K': [6240, 2656] },
});

// docs/evolink-seedream-5.md §2: Lite's 2K and 4K columns are the 4.0 table's, cell for cell; its 3K column is its own.
const LITE_3K = withTransposes({
	'1:1': { '3K': [3072, 3072] },
	'2:3': { '3K': [2496, 3744] },
	'3:4': { '3K': [2592, 3456] },
	'4:5': { '3K': [2688, 3360] },
	'9:16': { '3K': [2304, 4096] },
	'21:9': { '3K': [4704, 2016] },
});
const TABLE_LITE = Object.fromEntries(
	RATIOS.map((ratio) => [
		ratio,
		{ '2K': TABLE_40[ratio]['2K'], '3K': LITE_3K[ratio]['3K'], '4K': TABLE_40[ratio]['4K'] },
	]),
);

// docs/evolink-seedream-5.md §3: Pro's own table (eight cells differ from 4.0's: not reused).
const TABLE_PRO = withTransposes({
	'1:1': { '1K': [1024, 1024], '1.5K': [1536, 1536], '2K': [2048, 2048] },
	'2:3': { '1K': [832, 1248], '1.5K': [1248, 1872], '2K': [1664, 2496] },
	'3:4': { '1K': [864, 1152], '1.5K': [1344, 1792], '2K': [1776, 2368] },
	'4:5': { '1K': [896, 1120], '1.5K': [1344, 1680], '2K': [1792, 2240] },
	'9:16': { '1K': [800, 1424], '1.5K': [1152, 2048], '2K': [1584, 2816] },
	'9:21': { '1K': [672, 1568], '1.5K': [1008, 2352], '2K': [1344, 3136] },
});

const ASPECT = /** @type {[number, number]} */ ([1 / 16, 16]);
const MB = 1024 * 1024;

/**
 * @typedef {{
 *   max: number, exactly?: number, maxBytes: number, formats: string[], aspect: [number, number],
 *   minSideExclusive?: number, maxSide?: number, areaMin?: number, areaMax?: number,
 * }} ReferenceRules
 * @typedef {{
 *   id: string,
 *   documented: { top: string[], modelParams: string[] },
 *   prompt: { required: boolean, maxChars?: number, maxTokens?: number },
 *   n: { min: number, max: number, default: number } | null,
 *   size: null | { presets: Record<string, [number, number]>, tiers: string[], areaMin: number, areaMax: number,
 *     aspect: [number, number], minSideExclusive?: number, omitted: 'auto' | [number, number] },
 *   qualities: string[], defaultQuality: string,
 *   ratioTable: Record<string, Record<string, [number, number]>>,
 *   promptPriorities: string[],
 *   references: ReferenceRules,
 *   outputFormat: null | { values: string[], default: string, place: 'top' | 'model_params', otherPlaceAccepted: boolean },
 *   tools: string[], watermark: boolean, backgrounds: string[],
 *   price: { perImage: number, webSearch?: number, reserveImages?: number },
 *   estimatedSeconds: number | null,
 *   layerize: boolean,
 * }} ModelRules
 */

/** @type {ReferenceRules} docs/evolink-api.md §2 (also 5.0 Lite, docs/evolink-seedream-5.md §2). */
const REFERENCES_4X = {
	max: 14,
	maxBytes: 10 * MB,
	formats: ['jpeg', 'png', 'webp', 'bmp', 'tiff', 'gif'],
	aspect: ASPECT,
	minSideExclusive: 14,
	maxSide: 6000,
};

/** @type {Record<string, [number, number]>} docs/evolink-api.md §9: the 4.x presets. */
const PRESETS_4X = { '1K': [1024, 1024], '2K': [2048, 2048], '4K': [4096, 4096] };
// docs/evolink-seedream-5.md §5: "The 4.x values 1K/2K/4K were never documented for 5.x": a tier as size is a 400.
const TIERS_5X = ['1K', '1.5K', '2K', '3K', '4K'];

/** @type {ModelRules} docs/evolink-api.md §2, §9 */
const SEEDREAM_40 = {
	id: 'doubao-seedream-4.0',
	documented: {
		top: [
			'model',
			'prompt',
			'n',
			'size',
			'quality',
			'prompt_priority',
			'image_urls',
			'callback_url',
		],
		modelParams: [],
	},
	prompt: { required: true, maxChars: 2000 },
	n: { min: 1, max: 15, default: 1 },
	size: {
		presets: PRESETS_4X,
		tiers: [],
		areaMin: 921600,
		areaMax: 16777216,
		aspect: ASPECT,
		omitted: [2048, 2048],
	},
	qualities: ['1K', '2K', '4K'],
	defaultQuality: '2K',
	ratioTable: TABLE_40,
	promptPriorities: ['standard', 'fast'],
	references: REFERENCES_4X,
	outputFormat: null,
	tools: [],
	watermark: false,
	backgrounds: [],
	// docs/evolink-api.md §9: 1.8 credits per image (the documented reservation for n = 1).
	price: { perImage: 1.8 },
	estimatedSeconds: null,
	layerize: false,
};

/**
 * @type {ModelRules} Written out on its own, not as 4.0's copy (issue 17, finding 10: inherited, it accepted 4.0's
 * `1K` and `1024x1024`): docs/evolink-api.md §2 (quality 2K/4K, prompt_priority standard only) and
 * docs/evolink-seedream-5.md §5 (pixels in [3 686 400, 16 777 216], so the `1K` preset is out too; 2K and 4K
 * remain, §5 says only 5.x never documented the tier presets).
 */
const SEEDREAM_45 = {
	id: 'doubao-seedream-4.5',
	// docs/evolink-seedream-5.md §6: the 4.5 schema holds exactly these fields, as 4.0's.
	documented: {
		top: [
			'model',
			'prompt',
			'n',
			'size',
			'quality',
			'prompt_priority',
			'image_urls',
			'callback_url',
		],
		modelParams: [],
	},
	prompt: { required: true, maxChars: 2000 },
	n: { min: 1, max: 15, default: 1 },
	size: {
		presets: { '2K': [2048, 2048], '4K': [4096, 4096] },
		tiers: [],
		areaMin: 3686400,
		areaMax: 16777216,
		aspect: ASPECT,
		omitted: [2048, 2048],
	},
	qualities: ['2K', '4K'],
	defaultQuality: '2K',
	// The docs give one 4.x table; 4.5 uses its 2K and 4K columns (its 1K column is below 4.5's pixel range).
	ratioTable: TABLE_40,
	promptPriorities: ['standard'],
	references: REFERENCES_4X,
	outputFormat: null,
	tools: [],
	watermark: false,
	backgrounds: [],
	// No 4.5 price is documented: 4.0's 1.8 (docs/evolink-api.md §9, unverified as a price).
	price: { perImage: 1.8 },
	estimatedSeconds: null,
	layerize: false,
};

/** @type {ModelRules} docs/evolink-seedream-5.md §2 */
const SEEDREAM_50_LITE = {
	id: 'doubao-seedream-5.0-lite',
	documented: {
		top: [
			'model',
			'prompt',
			'n',
			'size',
			'quality',
			'prompt_priority',
			'image_urls',
			'model_params',
			'callback_url',
		],
		modelParams: ['output_format', 'tools'],
	},
	prompt: { required: true, maxChars: 2000 },
	// §7: n's default is U; 1 as in 4.x.
	n: { min: 1, max: 15, default: 1 },
	size: {
		presets: {},
		tiers: TIERS_5X,
		areaMin: 3686400,
		areaMax: 16777216,
		aspect: ASPECT,
		omitted: 'auto',
	},
	qualities: ['2K', '3K', '4K'],
	defaultQuality: '2K',
	ratioTable: TABLE_LITE,
	promptPriorities: ['standard'],
	references: REFERENCES_4X,
	// §7: accepted in either place; model_params (the documented one) wins.
	outputFormat: {
		values: ['png', 'jpeg'],
		default: 'jpeg',
		place: 'model_params',
		otherPlaceAccepted: true,
	},
	tools: ['web_search'],
	watermark: false,
	backgrounds: [],
	// §7: 2.2 per image, 0.5 per web-search task (the higher of the product page's two figures; U).
	price: { perImage: 2.2, webSearch: 0.5 },
	estimatedSeconds: null,
	layerize: false,
};

/** @type {ReferenceRules} docs/evolink-seedream-5.md §3: 10 references of 30 MB, HEIC/HEIF too, pixels in [196, 6000²]. */
const REFERENCES_PRO = {
	max: 10,
	maxBytes: 30 * MB,
	// §3: P lists heic and heif (and tiff) against the older error-codes page (U): the emulator follows P.
	formats: ['jpeg', 'png', 'webp', 'bmp', 'tiff', 'gif', 'heic', 'heif'],
	aspect: ASPECT,
	minSideExclusive: 14,
	areaMin: 196,
	areaMax: 6000 * 6000,
};

/** @type {ModelRules} docs/evolink-seedream-5.md §3 */
const SEEDREAM_50_PRO = {
	id: 'doubao-seedream-5.0-pro',
	documented: {
		top: [
			'model',
			'prompt',
			'size',
			'quality',
			'prompt_priority',
			'image_urls',
			'output_format',
			'watermark',
			'background',
			'callback_url',
		],
		modelParams: [],
	},
	prompt: { required: true, maxTokens: 4000 },
	n: null,
	size: {
		presets: {},
		tiers: TIERS_5X,
		areaMin: 921600,
		areaMax: 4624220,
		aspect: ASPECT,
		minSideExclusive: 14,
		omitted: 'auto',
	},
	qualities: ['1K', '1.5K', '2K'],
	defaultQuality: '1K',
	ratioTable: TABLE_PRO,
	promptPriorities: ['standard', 'fast'],
	references: REFERENCES_PRO,
	outputFormat: {
		values: ['png', 'jpeg'],
		default: 'jpeg',
		place: 'top',
		otherPlaceAccepted: true,
	},
	tools: [],
	watermark: true,
	backgrounds: ['opaque', 'transparent'],
	// §7: 2.304 per image (no price is published, U); 1K and 1.5K cost the same, and so, here, does 2K.
	price: { perImage: 2.304 },
	estimatedSeconds: null,
	layerize: false,
};

/** @type {ModelRules} docs/evolink-seedream-5.md §4 */
const SEEDREAM_50_PRO_LAYERIZE = {
	id: 'doubao-seedream-5.0-pro-layerize',
	documented: {
		top: [
			'model',
			'prompt',
			'quality',
			'prompt_priority',
			'image_urls',
			'output_format',
			'callback_url',
		],
		modelParams: [],
	},
	// §4: optional, length limit not stated (U); §7: the emulator applies Pro's 4000-token estimate.
	prompt: { required: false, maxTokens: 4000 },
	n: null,
	size: null,
	qualities: ['auto', '1K', '1.5K', '2K'],
	defaultQuality: 'auto',
	// §7: a layerize tier uses the Pro table entry nearest the input's ratio.
	ratioTable: TABLE_PRO,
	promptPriorities: ['standard', 'fast'],
	references: {
		max: 1,
		exactly: 1,
		maxBytes: 30 * MB,
		formats: ['png', 'jpeg'],
		aspect: ASPECT,
		areaMin: 262144,
		areaMax: 6000 * 6000,
	},
	// §4: top level only; base image only (layers are always PNG). §7's "either place" is for Lite and Pro.
	outputFormat: {
		values: ['png', 'jpeg'],
		default: 'jpeg',
		place: 'top',
		otherPlaceAccepted: false,
	},
	tools: [],
	watermark: false,
	backgrounds: [],
	// §7: 2.304 per image; §4: 17 × 2.304 reserved (the example's 39.168), settled per image made.
	price: { perImage: 2.304, reserveImages: 17 },
	// §4: "A task takes about 120 s (estimated_time example 120)".
	estimatedSeconds: 120,
	layerize: true,
};

/** @type {Record<string, ModelRules>} */
export const MODEL_RULES = Object.fromEntries(
	[SEEDREAM_40, SEEDREAM_45, SEEDREAM_50_LITE, SEEDREAM_50_PRO, SEEDREAM_50_PRO_LAYERIZE].map(
		(rules) => [rules.id, rules],
	),
);

export const MODELS = Object.keys(MODEL_RULES);

// docs/evolink-seedream-5.md §4: a task yields 1-17 images, the base and up to 16 layers.
export const LAYERIZE_MAX_IMAGES = 17;
// §7: without <bbox> tags the emulator makes 2 layers (configurable through /__emulator/config).
export const LAYERIZE_DEFAULT_LAYERS = 2;
// §4 "auto keeps an input of 921 600-4 624 220 px as is; a smaller one comes out at 1K, a larger one at 2K".
export const LAYERIZE_AUTO_AREA = /** @type {[number, number]} */ ([921600, 4624220]);

/** The starting price list (credits per image, per web-search task), which /__emulator/config may change. */
export const initialPrices = () =>
	Object.fromEntries(Object.values(MODEL_RULES).map((rules) => [rules.id, { ...rules.price }]));
