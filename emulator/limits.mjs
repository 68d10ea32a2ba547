// @ts-check
/**
 * The spec's numbers, written once (docs/evolink-api.md).
 * Validation, sizing, billing and the emulator's tests all read them from here.
 */

export const MODELS = /** @type {const} */ (['doubao-seedream-4.0', 'doubao-seedream-4.5']);

// docs/evolink-api.md §2: prompt at most 2000 characters, n 1-15, at most 14 references, references + n at most 15.
export const PROMPT_MAX_CHARS = 2000;
export const N_MIN = 1;
export const N_MAX = 15;
export const MAX_REFERENCES = 14;
export const MAX_OUTPUTS_WITH_REFERENCES = 15;

// docs/evolink-api.md §2: pixel sizes WxH with W*H in [1280x720, 4096x4096] and W/H in [1/16, 16].
export const PIXEL_AREA_MIN = 921600;
export const PIXEL_AREA_MAX = 16777216;
export const ASPECT_MIN = 1 / 16;
export const ASPECT_MAX = 16;

export const PRESET_SIZES = /** @type {Record<string, [number, number]>} */ ({
	'1K': [1024, 1024],
	'2K': [2048, 2048],
	'4K': [4096, 4096],
});
// docs/evolink-api.md §9: omitted size means 2048x2048.
export const DEFAULT_SIZE = /** @type {[number, number]} */ ([2048, 2048]);

export const QUALITIES = ['1K', '2K', '4K'];
export const DEFAULT_QUALITY = '2K';
// docs/evolink-api.md §2: the 4.5 model accepts quality 2K/4K only and prompt_priority standard only.
export const QUALITIES_45 = ['2K', '4K'];
export const PROMPT_PRIORITIES = ['standard', 'fast'];
export const PROMPT_PRIORITIES_45 = ['standard'];

// docs/evolink-api.md §2: ratio x quality -> pixels, landscape (or square) side; the inverse ratios are the transposes.
/** @type {Record<string, Record<string, [number, number]>>} */
const LANDSCAPE_TABLE = {
	'1:1': { '1K': [1024, 1024], '2K': [2048, 2048], '4K': [4096, 4096] },
	'16:9': { '1K': [1280, 720], '2K': [2848, 1600], '4K': [5504, 3040] },
	'4:3': { '1K': [1152, 864], '2K': [2304, 1728], '4K': [4704, 3520] },
	'3:2': { '1K': [1248, 832], '2K': [2496, 1664], '4K': [4992, 3328] },
	'5:4': { '1K': [1120, 896], '2K': [2240, 1792], '4K': [4480, 3584] },
	'21:9': { '1K': [1512, 648], '2K': [3136, 1344], '4K': [6240, 2656] },
};
// 4:5 is listed in §2 as a portrait size (896x1120 ..); 5:4 is its transpose.
const INVERSE = { '16:9': '9:16', '4:3': '3:4', '3:2': '2:3', '5:4': '4:5', '21:9': '9:21' };

/** @type {Record<string, Record<string, [number, number]>>} */
export const RATIO_SIZES = { ...LANDSCAPE_TABLE };
for (const [ratio, inverse] of Object.entries(INVERSE)) {
	RATIO_SIZES[inverse] = Object.fromEntries(
		Object.entries(LANDSCAPE_TABLE[ratio]).map(([q, [w, h]]) => [q, [h, w]]),
	);
}
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

// docs/evolink-api.md §2 references: at most 10 MB, width and height > 14, W/H in [1/16, 16], at most 6000x6000.
export const REFERENCE_MAX_BYTES = 10 * 1024 * 1024;
export const REFERENCE_MIN_SIDE_EXCLUSIVE = 14;
export const REFERENCE_MAX_SIDE = 6000;
export const REFERENCE_FORMATS = ['jpeg', 'png', 'webp', 'bmp', 'tiff', 'gif'];

// docs/evolink-api.md §2 callback_url: at most 2048 characters.
export const CALLBACK_URL_MAX_CHARS = 2048;
// docs/evolink-api.md §4: 10 s per attempt, retries after 1, 2, 4 s.
export const CALLBACK_TIMEOUT_MS = 10000;
export const CALLBACK_RETRY_DELAYS_MS = [1000, 2000, 4000];

// docs/evolink-api.md §2 Idempotency-Key: 16-96 chars of [A-Za-z0-9._-].
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._-]{16,96}$/;

// docs/evolink-api.md §9: 1.8 credits per Seedream 4.0 image; each key starts with 10,000 credits.
export const CREDITS_PER_IMAGE = 1.8;
export const DEFAULT_CREDITS = 10000;

// docs/evolink-api.md §3: result URLs expire 24 h after completion; §7: files 72 h after upload.
export const RESULT_TTL_MS = 24 * 3600 * 1000;
export const FILE_TTL_MS = 72 * 3600 * 1000;

// docs/evolink-api.md §7: jpeg, png, gif, webp only; per-account quota 2000 files. The per-file byte limit is not
// documented: the emulator uses the reference limit (10 MB), since uploads exist to become references.
export const FILE_FORMATS = ['jpeg', 'png', 'gif', 'webp'];
export const FILE_MAX_BYTES = REFERENCE_MAX_BYTES;
export const FILES_MAX_PER_KEY = 2000;

export const TASK_ID_PREFIX = 'task-unified-';
