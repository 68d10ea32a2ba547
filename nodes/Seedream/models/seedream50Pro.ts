import { megabytes, RATIOS, withTransposes, type ModelRules, type PixelTable } from './types';

/** docs/evolink-seedream-5.md §3: Pro's own table (eight cells differ from 4.0's: do not reuse it). */
export const PIXELS_PRO: PixelTable = withTransposes({
	'1:1': { '1K': [1024, 1024], '1.5K': [1536, 1536], '2K': [2048, 2048] },
	'2:3': { '1K': [832, 1248], '1.5K': [1248, 1872], '2K': [1664, 2496] },
	'3:4': { '1K': [864, 1152], '1.5K': [1344, 1792], '2K': [1776, 2368] },
	'4:5': { '1K': [896, 1120], '1.5K': [1344, 1680], '2K': [1792, 2240] },
	'9:16': { '1K': [800, 1424], '1.5K': [1152, 2048], '2K': [1584, 2816] },
	'9:21': { '1K': [672, 1568], '1.5K': [1008, 2352], '2K': [1344, 3136] },
});

/** Seedream 5.0 Pro (docs/evolink-seedream-5.md §3): one image per task, no `n`. */
export const seedream50Pro: ModelRules = {
	id: 'doubao-seedream-5.0-pro',
	name: 'Seedream 5.0 Pro',
	summary:
		'One image per task, quality 1K/1.5K/2K, up to 10 references of 30 MB, PNG or JPEG, watermark, transparent background',
	operation: 'generate',
	results: 'images',
	// 4000 tokens, not characters: not pre-checked, an over-long prompt is a 400 that costs nothing (§7).
	prompt: { required: true, limit: '4000 tokens (about 5000 English words)' },
	size: {
		presets: [],
		ratios: RATIOS,
		pixels: { min: 921_600, max: 4_624_220 },
		aspect: { min: 1 / 16, max: 16 },
		minSideExclusive: 14,
		defaultMode: 'ratio',
		defaultRatio: 'auto',
	},
	quality: { values: ['1K', '1.5K', '2K'], default: '1K', pixels: PIXELS_PRO },
	promptPriorities: ['standard', 'fast'],
	references: {
		min: 0,
		max: 10,
		maxBytes: megabytes(30),
		// HEIC and TIFF: the generic error page says unsupported, P lists them (U); the node follows P.
		formats: ['jpeg', 'png', 'webp', 'bmp', 'tiff', 'gif', 'heic', 'heif'],
		aspect: { min: 1 / 16, max: 16 },
		minSideExclusive: 14,
		minPixels: 196,
		maxPixels: 6000 * 6000,
	},
	extras: {
		outputFormat: { values: ['png', 'jpeg'], default: 'jpeg', place: 'top' },
		watermark: { default: false, place: 'top' },
		background: {
			values: ['opaque', 'transparent'],
			default: 'opaque',
			place: 'top',
			transparent: { references: 1, outputFormat: 'png' },
		},
	},
};
