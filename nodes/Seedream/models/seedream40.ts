import { megabytes, RATIOS, withTransposes, type ModelRules, type PixelTable } from './types';

/** The 4.x ratio x quality table (docs/evolink-api.md §2); 5.0 Lite reuses its 2K and 4K columns. */
export const PIXELS_4X: PixelTable = withTransposes({
	'1:1': { '1K': [1024, 1024], '2K': [2048, 2048], '4K': [4096, 4096] },
	'16:9': { '1K': [1280, 720], '2K': [2848, 1600], '4K': [5504, 3040] },
	'4:3': { '1K': [1152, 864], '2K': [2304, 1728], '4K': [4704, 3520] },
	'3:2': { '1K': [1248, 832], '2K': [2496, 1664], '4K': [4992, 3328] },
	'4:5': { '1K': [896, 1120], '2K': [1792, 2240], '4K': [3584, 4480] },
	'21:9': { '1K': [1512, 648], '2K': [3136, 1344], '4K': [6240, 2656] },
});

/** References of the 4.x models and 5.0 Lite (docs/evolink-api.md §2, docs/evolink-seedream-5.md §2). */
export const REFERENCES_4X: ModelRules['references'] = {
	min: 0,
	max: 14,
	maxBytes: megabytes(10),
	formats: ['jpeg', 'png', 'webp', 'bmp', 'tiff', 'gif'],
	aspect: { min: 1 / 16, max: 16 },
	minSideExclusive: 14,
	maxSide: 6000,
};

/** 4.0's sizes (docs/evolink-api.md §2): tier presets, ratios, or `WxH`; today's UI defaults. */
export const SIZE_4X: NonNullable<ModelRules['size']> = {
	presets: ['1K', '2K', '4K'],
	ratios: RATIOS,
	pixels: { min: 921_600, max: 16_777_216 },
	aspect: { min: 1 / 16, max: 16 },
	defaultMode: 'preset',
	defaultRatio: '1:1',
};

/** Seedream 4.0 (docs/evolink-api.md §2): the default model. */
export const seedream40: ModelRules = {
	id: 'doubao-seedream-4.0',
	name: 'Seedream 4.0',
	summary: 'All sizes, quality 1K/2K/4K; prompt priority standard or fast',
	operation: 'generate',
	results: 'images',
	prompt: { required: true, maxCharacters: 2000, limit: '2000 characters' },
	n: { min: 1, max: 15, default: 1, maxWithReferences: 15 },
	size: SIZE_4X,
	quality: { values: ['1K', '2K', '4K'], default: '2K', pixels: PIXELS_4X },
	promptPriorities: ['standard', 'fast'],
	references: REFERENCES_4X,
	extras: {},
};
