/**
 * What one Seedream model accepts, as data: everything that differs between models lives in its table
 * (one file per model, listed in ./index.ts). The node's validation, the UI's options and the request body
 * all read these tables; a field a table does not list is never shown and never sent.
 */

/** Where an extra field goes in the request body (docs/evolink-seedream-5.md §2-§4). */
export type FieldPlace = 'top' | 'model_params';

/** Ratio -> quality tier -> [width, height], for the ratios written out; the inverse ratios are transposes. */
export type PixelTable = Readonly<
	Record<string, Readonly<Record<string, readonly [number, number]>>>
>;

export interface ModelRules {
	/** The API's `model` value. */
	id: string;
	/** The UI's name for it. */
	name: string;
	/** One line for the model picker. */
	summary: string;
	/** Which operation offers it: image generation, or the layer decomposition of one image. */
	operation: 'generate' | 'decomposeLayers';
	/** What a completed task holds: images, or layers described by `result_data` (docs/evolink-seedream-5.md §4). */
	results: 'images' | 'layers';
	prompt: {
		required: boolean;
		/** Checked before sending when set. Unset: not pre-checked, the API's 400 costs nothing (§7). */
		maxCharacters?: number;
		/** The documented limit, for the UI. */
		limit: string;
	};
	/** `n`, when the model takes it (absent: never sent). */
	n?: {
		min: number;
		max: number;
		default: number;
		/** References + n at most this. */
		maxWithReferences: number;
	};
	/** `size`, when the model takes it (absent: never sent). */
	size?: {
		/** Tier strings accepted as `size` itself (4.x only: 5.x never documented them, §5). */
		presets: readonly string[];
		/** Ratios, `auto` included. */
		ratios: readonly string[];
		/** W·H range of a `WxH` size. */
		pixels: { min: number; max: number };
		/** W/H range of a `WxH` size. */
		aspect: { min: number; max: number };
		/** W and H must be more than this (5.0 Pro). */
		minSideExclusive?: number;
		/** What the UI starts with: today's 4.x defaults, the documented `auto` for 5.x. */
		defaultMode: 'preset' | 'ratio';
		defaultRatio: string;
	};
	/** `quality`: tiers, default, and the pixels of ratio x tier where the docs give them. */
	quality: {
		values: readonly string[];
		default: string;
		pixels?: PixelTable;
	};
	/** `prompt_priority` values; the first is the default. */
	promptPriorities: readonly string[];
	references: {
		min: number;
		max: number;
		maxBytes: number;
		/** Formats the model reads (by URL; binary ones also need the Files API to take them). */
		formats: readonly string[];
		aspect: { min: number; max: number };
		/** Width and height must be more than this. */
		minSideExclusive?: number;
		/** Width and height at most this. */
		maxSide?: number;
		/** W·H range. */
		minPixels?: number;
		maxPixels?: number;
	};
	/** Fields only some models take, and where each goes. */
	extras: {
		outputFormat?: { values: readonly string[]; default: string; place: FieldPlace; note?: string };
		/** `tools: [{type: 'web_search'}]`. */
		webSearch?: { place: FieldPlace };
		watermark?: { default: boolean; place: FieldPlace };
		background?: {
			values: readonly string[];
			default: string;
			place: FieldPlace;
			/** What `transparent` needs: this many references (with alpha) and this output format. */
			transparent: { references: number; outputFormat: string };
		};
	};
}

/** A pixel table with the inverse ratios filled in (each listed ratio's transpose). */
export function withTransposes(table: PixelTable): PixelTable {
	const full: Record<string, Record<string, readonly [number, number]>> = {};
	for (const [ratio, tiers] of Object.entries(table)) {
		full[ratio] = { ...tiers };
		const [a, b] = ratio.split(':');
		if (a === b) continue;
		full[`${b}:${a}`] = Object.fromEntries(
			Object.entries(tiers).map(([tier, [width, height]]) => [tier, [height, width] as const]),
		);
	}
	return full;
}

/** The ratios every generation model lists (docs/evolink-api.md §2, docs/evolink-seedream-5.md §2-§3). */
export const RATIOS = [
	'auto',
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
] as const;

const MB = 1024 * 1024;
export const megabytes = (count: number) => count * MB;
