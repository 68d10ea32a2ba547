import { PIXELS_4X, REFERENCES_4X, seedream40, SIZE_4X } from './seedream40';
import type { ModelRules } from './types';

/**
 * Seedream 4.5 (docs/evolink-api.md §2): quality 2K/4K, prompt priority standard only, and (docs/evolink-seedream-5.md
 * §5) pixels from 3 686 400, which also leaves the 1K preset out.
 */
export const seedream45: ModelRules = {
	id: 'doubao-seedream-4.5',
	name: 'Seedream 4.5',
	summary: 'Quality 2K or 4K only; prompt priority standard only',
	operation: 'generate',
	results: 'images',
	prompt: seedream40.prompt,
	n: seedream40.n,
	size: {
		...SIZE_4X,
		presets: ['2K', '4K'],
		pixels: { min: 3_686_400, max: 16_777_216 },
	},
	// The docs give one 4.x table; 4.5 is taken to use its 2K and 4K columns.
	quality: { values: ['2K', '4K'], default: '2K', pixels: PIXELS_4X },
	promptPriorities: ['standard'],
	references: REFERENCES_4X,
	extras: {},
};
