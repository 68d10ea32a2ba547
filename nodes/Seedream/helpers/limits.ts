/**
 * The EvoLink API's numbers that hold for every model (docs/evolink-api.md). What differs by model lives in the
 * model tables (../models).
 */

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
