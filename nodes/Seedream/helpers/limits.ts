/**
 * The EvoLink API's limits for Seedream 4, written once with the numbers of `docs/evolink-api.md`.
 * Validation, the UI's min/max and the option lists all read from here.
 */

export const MODELS = ['doubao-seedream-4.0', 'doubao-seedream-4.5'] as const;
export type SeedreamModel = (typeof MODELS)[number];
export const DEFAULT_MODEL: SeedreamModel = 'doubao-seedream-4.0';

export const PROMPT_MAX_LENGTH = 2000;

export const N_MIN = 1;
export const N_MAX = 15;
/** References + n may not exceed this (docs/evolink-api.md §2). */
export const N_PLUS_REFERENCES_MAX = 15;

export const PRESET_SIZES = ['1K', '2K', '4K'] as const;
export type PresetSize = (typeof PRESET_SIZES)[number];

/** Pixel sizes: W*H in [1280x720, 4096x4096] and W/H in [1/16, 16]. */
export const PIXELS_MIN = 921_600;
export const PIXELS_MAX = 16_777_216;
export const ASPECT_MIN = 1 / 16;
export const ASPECT_MAX = 16;

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
export type AspectRatio = (typeof RATIOS)[number];

export const QUALITIES = ['1K', '2K', '4K'] as const;
export type Quality = (typeof QUALITIES)[number];
export const DEFAULT_QUALITY: Quality = '2K';

export const PROMPT_PRIORITIES = ['standard', 'fast'] as const;
export type PromptPriority = (typeof PROMPT_PRIORITIES)[number];

/** Model-specific narrowing: Seedream 4.5 accepts quality 2K/4K only and prompt priority standard only. */
export const MODEL_RULES: Record<
	SeedreamModel,
	{ qualities: readonly Quality[]; promptPriorities: readonly PromptPriority[] }
> = {
	'doubao-seedream-4.0': { qualities: QUALITIES, promptPriorities: PROMPT_PRIORITIES },
	'doubao-seedream-4.5': { qualities: ['2K', '4K'], promptPriorities: ['standard'] },
};

export const REFERENCES_MAX = 14;
export const REFERENCE_MAX_BYTES = 10 * 1024 * 1024;
export const REFERENCE_MIN_SIDE_EXCLUSIVE = 14;
export const REFERENCE_MAX_SIDE = 6000;
export const REFERENCE_ASPECT_MIN = 1 / 16;
export const REFERENCE_ASPECT_MAX = 16;
/** Formats the generation endpoint reads. */
export const REFERENCE_FORMATS = ['jpeg', 'png', 'webp', 'bmp', 'tiff', 'gif'] as const;
/** Formats the Files API accepts for upload (a narrower list than the generation endpoint's). */
export const UPLOAD_FORMATS = ['jpeg', 'png', 'gif', 'webp'] as const;

export const CALLBACK_URL_MAX_LENGTH = 2048;

export const TASK_ID_PREFIX = 'task-unified-';
export const RESULT_URL_LIFETIME_MS = 24 * 60 * 60 * 1000;

export const TERMINAL_STATUSES = ['completed', 'failed', 'cancelled'] as const;

/** Task error codes the spec lists as the client's fault: running the same request again will fail again. */
export const CLIENT_TASK_ERROR_CODES = [
	'content_policy_violation',
	'invalid_parameters',
	'image_processing_error',
	'image_dimension_mismatch',
	'request_cancelled',
];
/** Server-side task error codes: a new task later may succeed. Codes in neither list count as these. */
export const SERVER_TASK_ERROR_CODES = [
	'generation_failed_no_content',
	'service_error',
	'generation_timeout',
	'resource_exhausted',
	'quota_exceeded',
	'service_unavailable',
	'resource_not_found',
	'unknown_error',
];

/** Ratio x quality -> pixels, for the ratios the spec lists; the inverse ratios are transposes. */
export const RATIO_PIXELS: Record<string, Record<Quality, [number, number]>> = {
	'1:1': { '1K': [1024, 1024], '2K': [2048, 2048], '4K': [4096, 4096] },
	'16:9': { '1K': [1280, 720], '2K': [2848, 1600], '4K': [5504, 3040] },
	'4:3': { '1K': [1152, 864], '2K': [2304, 1728], '4K': [4704, 3520] },
	'3:2': { '1K': [1248, 832], '2K': [2496, 1664], '4K': [4992, 3328] },
	'4:5': { '1K': [896, 1120], '2K': [1792, 2240], '4K': [3584, 4480] },
	'21:9': { '1K': [1512, 648], '2K': [3136, 1344], '4K': [6240, 2656] },
};
