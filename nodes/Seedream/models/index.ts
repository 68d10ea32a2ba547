import { seedream40 } from './seedream40';
import { seedream45 } from './seedream45';
import { seedream50Lite } from './seedream50Lite';
import { seedream50Pro } from './seedream50Pro';
import { LAYERS_MAX, seedream50ProLayerize } from './seedream50ProLayerize';
import type { ModelRules } from './types';

export type { FieldPlace, ModelRules, PixelTable } from './types';
export { LAYERS_MAX };

/** Every model the node knows, in the order the UI lists them. Adding a model: its table here, plus its tests. */
export const MODEL_TABLES: readonly ModelRules[] = [
	seedream40,
	seedream45,
	seedream50Lite,
	seedream50Pro,
	seedream50ProLayerize,
];

/**
 * The most images one task of this model can hold (its `n`, 1 without, 17 for layers); for a model the node does
 * not know, the most of any model. A callback listing more is not a task's.
 */
export function resultsMax(id: string | undefined): number {
	const rules = modelRules(id);
	const most = (model: ModelRules) =>
		model.results === 'layers' ? LAYERS_MAX : (model.n?.max ?? 1);
	return rules ? most(rules) : Math.max(...MODEL_TABLES.map(most));
}

/** Existing workflows keep 4.0: it stays the default of Image > Generate. */
export const DEFAULT_MODEL = seedream40.id;

export function modelsFor(operation: ModelRules['operation']): ModelRules[] {
	return MODEL_TABLES.filter((model) => model.operation === operation);
}

export function modelRules(id: string | undefined): ModelRules | undefined {
	return MODEL_TABLES.find((model) => model.id === id);
}

/** The Files API takes these only (docs/evolink-api.md §7), so other formats reach a model by URL only. */
export const UPLOAD_FORMATS = ['jpeg', 'png', 'gif', 'webp'] as const;
