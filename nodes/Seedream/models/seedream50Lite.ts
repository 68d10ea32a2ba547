import { PIXELS_4X, REFERENCES_4X, seedream40 } from './seedream40';
import { RATIOS, withTransposes, type ModelRules } from './types';

/** docs/evolink-seedream-5.md §2: the 2K and 4K columns are the 4.0 table's; 3K is Lite's own. */
const PIXELS_3K: Record<string, readonly [number, number]> = {
	'1:1': [3072, 3072],
	'16:9': [4096, 2304],
	'4:3': [3456, 2592],
	'3:2': [3744, 2496],
	'4:5': [2688, 3360],
	'21:9': [4704, 2016],
};

/** Seedream 5.0 Lite (docs/evolink-seedream-5.md §2). */
export const seedream50Lite: ModelRules = {
	id: 'doubao-seedream-5.0-lite',
	name: 'Seedream 5.0 Lite',
	summary:
		'Quality 2K/3K/4K, PNG or JPEG output, optional web search; prompt priority standard only',
	operation: 'generate',
	results: 'images',
	prompt: { required: true, maxCharacters: 2000, limit: '2000 characters' },
	// The default of n is not documented (U): the node always sends the user's value.
	n: seedream40.n,
	size: {
		presets: [],
		ratios: RATIOS,
		pixels: { min: 3_686_400, max: 16_777_216 },
		aspect: { min: 1 / 16, max: 16 },
		defaultMode: 'ratio',
		defaultRatio: 'auto',
	},
	quality: {
		values: ['2K', '3K', '4K'],
		default: '2K',
		pixels: withTransposes(
			Object.fromEntries(
				Object.keys(PIXELS_3K).map((ratio) => [
					ratio,
					{ '2K': PIXELS_4X[ratio]['2K'], '3K': PIXELS_3K[ratio], '4K': PIXELS_4X[ratio]['4K'] },
				]),
			),
		),
	},
	promptPriorities: ['standard'],
	references: REFERENCES_4X,
	extras: {
		outputFormat: { values: ['png', 'jpeg'], default: 'jpeg', place: 'model_params' },
		webSearch: { place: 'model_params' },
	},
};
