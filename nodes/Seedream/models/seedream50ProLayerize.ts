import { megabytes, type ModelRules } from './types';

/**
 * Seedream 5.0 Pro Layerize (docs/evolink-seedream-5.md §4): splits one image into a base (z_index 0) and layers,
 * 1-17 images in all; no `size`, `n`, `watermark`, `background` or `model_params`.
 */
export const seedream50ProLayerize: ModelRules = {
	id: 'doubao-seedream-5.0-pro-layerize',
	name: 'Seedream 5.0 Pro Layerize',
	summary: 'Splits one image into a base image and transparent PNG layers',
	operation: 'decomposeLayers',
	results: 'layers',
	// Optional; its length limit is not stated (U), so it is not pre-checked (§7).
	prompt: { required: false, limit: 'not stated' },
	quality: { values: ['auto', '1K', '1.5K', '2K'], default: 'auto' },
	promptPriorities: ['standard', 'fast'],
	references: {
		min: 1,
		max: 1,
		maxBytes: megabytes(30),
		formats: ['png', 'jpeg'],
		aspect: { min: 1 / 16, max: 16 },
		minPixels: 262_144,
		maxPixels: 6000 * 6000,
	},
	extras: {
		outputFormat: {
			values: ['jpeg', 'png'],
			default: 'jpeg',
			place: 'top',
			note: 'the base image only: layers are always PNG',
		},
	},
};

/** Most images one layer task yields, the base included (§4). */
export const LAYERS_MAX = 17;
