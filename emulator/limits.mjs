// @ts-check
/**
 * The spec's numbers that do not depend on the model, written once (docs/evolink-api.md). What differs by
 * model (prompt, n, sizes, qualities, references, prices) is in models.mjs, one table per model.
 */

// docs/evolink-api.md §2 callback_url: at most 2048 characters.
export const CALLBACK_URL_MAX_CHARS = 2048;
// docs/evolink-api.md §4: 10 s per attempt, retries after 1, 2, 4 s.
export const CALLBACK_TIMEOUT_MS = 10000;
export const CALLBACK_RETRY_DELAYS_MS = [1000, 2000, 4000];

// docs/evolink-api.md §2 Idempotency-Key: 16-96 chars of [A-Za-z0-9._-].
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._-]{16,96}$/;

// docs/evolink-api.md §9: each key starts with 10,000 credits.
export const DEFAULT_CREDITS = 10000;

// docs/evolink-api.md §3: result URLs expire 24 h after completion; §7: files 72 h after upload.
export const RESULT_TTL_MS = 24 * 3600 * 1000;
export const FILE_TTL_MS = 72 * 3600 * 1000;

// docs/evolink-api.md §7: jpeg, png, gif, webp only (docs/evolink-seedream-5.md §5: so heic, heif, bmp and tiff
// reach 5.0 Pro as URLs only). At most 100 MB a file (the §7 update, from EvoLink's tool texts), so a 30 MB 5.0 Pro
// reference can be uploaded; each model's own byte limit is checked when a task uses the file. The quota (§7 update): 100 files by default (500 for VIP; the docs'
// example shows 2000, so it is per account and unknown): 100, the safe default, per key unless configured.
export const FILE_FORMATS = ['jpeg', 'png', 'gif', 'webp'];
export const FILE_MAX_BYTES = 100 * 1024 * 1024;
export const FILES_MAX_PER_KEY = 100;

export const TASK_ID_PREFIX = 'task-unified-';
