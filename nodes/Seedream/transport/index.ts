import {
	randomString,
	sleep,
	type BinaryHelperFunctions,
	type IAllExecuteFunctions,
	type IDataObject,
	type IHttpRequestMethods,
	type IN8nHttpFullResponse,
	type JsonObject,
} from 'n8n-workflow';
import { apiError as newApiError, operationError } from '../helpers/errors';
import type { SeedreamTask } from '../helpers/task';

/** The only code that talks HTTP to EvoLink. Usable from any n8n context (execute, webhook, trigger...). */

export const CREDENTIAL_TYPE = 'seedreamApi';

export interface SeedreamCredentials {
	apiKey: string;
	baseUrl: string;
	filesBaseUrl: string;
}

/**
 * - `read`: safe to send again (GET, uploads): retried on 429, 5xx and network errors.
 * - `create`: bills when it succeeds: retried on 429 and on refused connections (nothing was sent); after a
 *   5xx or a lost response only because it carries an Idempotency-Key, so the service replays the first task.
 * - `none`: sent once.
 */
export type RetryPolicy = 'read' | 'create' | 'none';

export interface ApiRequestOptions {
	host?: 'api' | 'files';
	/** JSON, or a ready-made body (a Buffer) whose Content-Type is in `headers`. */
	body?: IDataObject | Buffer;
	qs?: IDataObject;
	headers?: IDataObject;
	retry?: RetryPolicy;
	itemIndex?: number;
}

export interface ApiResponse {
	body: IDataObject;
	headers: IDataObject;
	statusCode: number;
}

// Retry budgets. 429s get a long budget: the service limits per model (unpublished, docs/evolink-api.md §5) and a
// busy account should slow a workflow down, never fail it. Other transient errors get a short one.
const RATE_LIMIT_MAX_RETRIES = 30;
const RATE_LIMIT_MAX_TOTAL_MS = 10 * 60 * 1000;
const RETRY_AFTER_MAX_MS = 60 * 1000;
const TRANSIENT_MAX_RETRIES = 4;
const BACKOFF_BASE_MS = 250;
const BACKOFF_MAX_MS = 15 * 1000;

/** Error codes of connections that never carried the request: sending again cannot create a second task. */
const NOT_SENT_CODES = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'];

/** Where the credential points. The key itself stays with n8n's authentication, never in node code. */
export async function seedreamHosts(
	this: IAllExecuteFunctions,
): Promise<Pick<SeedreamCredentials, 'baseUrl' | 'filesBaseUrl'>> {
	const credentials = await this.getCredentials<SeedreamCredentials>(CREDENTIAL_TYPE);
	return {
		baseUrl: trimSlashes(credentials.baseUrl || 'https://api.evolink.ai'),
		filesBaseUrl: trimSlashes(credentials.filesBaseUrl || 'https://files-api.evolink.ai'),
	};
}

function trimSlashes(url: string): string {
	return url.trim().replace(/\/+$/, '');
}

/** The execution's cancel signal, where the context has one (webhook and trigger contexts do not). */
export function cancelSignal(context: IAllExecuteFunctions): AbortSignal | undefined {
	return 'getExecutionCancelSignal' in context ? context.getExecutionCancelSignal() : undefined;
}

export async function apiRequestFull(
	this: IAllExecuteFunctions,
	method: IHttpRequestMethods,
	endpoint: string,
	options: ApiRequestOptions = {},
): Promise<ApiResponse> {
	const { host = 'api', body, qs, headers, itemIndex } = options;
	const retry = options.retry ?? (method === 'GET' ? 'read' : 'none');
	const hosts = await seedreamHosts.call(this);
	const url = `${host === 'files' ? hosts.filesBaseUrl : hosts.baseUrl}${endpoint}`;
	const response = await sendWithRetries(
		this,
		async () =>
			(await this.helpers.httpRequestWithAuthentication.call(this, CREDENTIAL_TYPE, {
				method,
				url,
				body,
				qs,
				headers,
				json: true,
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
			})) as IN8nHttpFullResponse,
		{
			// With an Idempotency-Key, sending a create again replays the first task instead of billing twice.
			// Unverified (docs/evolink-api.md §2: seen in EvoLink's own client, not documented): were the service to
			// ignore the key, only a create whose answer was lost after it was processed could bill twice.
			retry: retry === 'create' && hasIdempotencyKey(headers) ? 'read' : retry,
			itemIndex,
			what: `${method} ${endpoint}`,
			isFailure: isApiFailure,
		},
	);
	if (isApiFailure(response)) throw apiError(this, response, itemIndex);
	return {
		body: response.body as IDataObject,
		headers: (response.headers ?? {}) as IDataObject,
		statusCode: response.statusCode,
	};
}

/**
 * Sends a request until it succeeds, fails for good, or the retry budget is spent; returns the last response
 * (success or failure) for the caller to read. Network errors that outlive the budget become NodeApiErrors.
 */
async function sendWithRetries(
	context: IAllExecuteFunctions,
	send: () => Promise<IN8nHttpFullResponse>,
	options: {
		retry: RetryPolicy;
		itemIndex?: number;
		what: string;
		isFailure: (response: IN8nHttpFullResponse) => boolean;
		onDiscard?: (response: IN8nHttpFullResponse) => void;
	},
): Promise<IN8nHttpFullResponse> {
	const { retry, itemIndex, what } = options;
	const signal = cancelSignal(context);
	const started = Date.now();
	let rateLimitRetries = 0;
	let transientRetries = 0;
	for (;;) {
		let response: IN8nHttpFullResponse;
		try {
			response = await send();
		} catch (error) {
			if (signal?.aborted) throw cancelledError(context, itemIndex);
			const code = networkErrorCode(error);
			const retryable = retry === 'read' || (retry === 'create' && NOT_SENT_CODES.includes(code));
			if (retryable && transientRetries < TRANSIENT_MAX_RETRIES) {
				await pause(context, backoffMs(transientRetries++), itemIndex);
				continue;
			}
			throw networkError(context, code, what, itemIndex);
		}
		if (!options.isFailure(response)) return response;

		const { statusCode } = response;
		const responseHeaders = (response.headers ?? {}) as IDataObject;
		let waitMs: number | undefined;
		if (statusCode === 429 && retry !== 'none') {
			// A 429 is a refusal: nothing was created or billed, so even a create without a key may go again.
			const wait = retryAfterMs(responseHeaders) ?? backoffMs(rateLimitRetries);
			if (
				rateLimitRetries < RATE_LIMIT_MAX_RETRIES &&
				Date.now() - started + wait <= RATE_LIMIT_MAX_TOTAL_MS
			) {
				rateLimitRetries++;
				waitMs = wait;
			}
		} else if (statusCode >= 500 && statusCode !== 501 && retry === 'read') {
			if (transientRetries < TRANSIENT_MAX_RETRIES) {
				waitMs = retryAfterMs(responseHeaders) ?? backoffMs(transientRetries);
				transientRetries++;
			}
		}
		if (waitMs === undefined) return response;
		options.onDiscard?.(response);
		await pause(context, waitMs, itemIndex);
	}
}

export async function apiRequest(
	this: IAllExecuteFunctions,
	method: IHttpRequestMethods,
	endpoint: string,
	options: ApiRequestOptions = {},
): Promise<IDataObject> {
	return (await apiRequestFull.call(this, method, endpoint, options)).body;
}

/** `GET /v1/tasks/{id}` (docs/evolink-api.md §3). */
export async function getTask(
	this: IAllExecuteFunctions,
	taskId: string,
	itemIndex?: number,
): Promise<SeedreamTask> {
	const task = await apiRequest.call(this, 'GET', `/v1/tasks/${encodeURIComponent(taskId)}`, {
		itemIndex,
	});
	return asTask(this, task, itemIndex);
}

/** `POST /v1/images/generations` (docs/evolink-api.md §2); `replayed` when the key matched an earlier task. */
export async function createTask(
	this: IAllExecuteFunctions,
	body: IDataObject,
	idempotencyKey: string,
	itemIndex?: number,
): Promise<{ task: SeedreamTask; replayed: boolean }> {
	const response = await apiRequestFull.call(this, 'POST', '/v1/images/generations', {
		body,
		headers: { 'Idempotency-Key': idempotencyKey },
		retry: 'create',
		itemIndex,
	});
	return {
		task: asTask(this, response.body, itemIndex),
		replayed: String(response.headers['idempotency-replayed']).toLowerCase() === 'true',
	};
}

/**
 * `POST {files host}/api/v1/files/upload/stream` (docs/evolink-api.md §7), multipart/form-data with the bytes as they
 * are. Not the base64 JSON form: for an 8 MB reference, JSON.stringify of its 11 MB base64 string alone took
 * 60-100 ms of n8n's only thread (bench P5), so ten references uploaded "in parallel" queued behind each other.
 * The multipart body is built by hand (community nodes may not import an encoder). An upload is retried like a
 * read: a duplicate file costs nothing and expires after 72 h.
 */
export async function uploadFile(
	this: IAllExecuteFunctions,
	file: { data: Buffer; mimeType: string; fileName: string },
	itemIndex?: number,
): Promise<string> {
	const boundary = `----SeedreamUpload${randomString(24)}`;
	const fileName = file.fileName.replace(/["\r\n\\]/g, '_');
	const part = (headers: string) => Buffer.from(`--${boundary}\r\n${headers}\r\n\r\n`, 'utf8');
	const body = Buffer.concat([
		part(`Content-Disposition: form-data; name="file_name"`),
		Buffer.from(`${fileName}\r\n`, 'utf8'),
		part(
			`Content-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: ${file.mimeType}`,
		),
		file.data,
		Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'),
	]);
	const response = await apiRequest.call(this, 'POST', '/api/v1/files/upload/stream', {
		host: 'files',
		body,
		headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
		retry: 'read',
		itemIndex,
	});
	const data = (response.data ?? {}) as IDataObject;
	const fileUrl = data.file_url ?? data.download_url;
	if (typeof fileUrl !== 'string' || fileUrl === '') {
		throw newApiError(this.getNode(), response as JsonObject, {
			message: 'The Files API accepted the upload but returned no file URL',
			itemIndex,
		});
	}
	return fileUrl;
}

/** A readable stream, typed without importing Node's `stream` (n8n's lint allows no Node imports). */
export type ByteStream = Awaited<ReturnType<BinaryHelperFunctions['getBinaryStream']>>;

export interface Download {
	stream: ByteStream;
	mimeType?: string;
}

/**
 * Fetches a result or file URL. These are plain links on a content host (docs/evolink-api.md §9), so they are fetched
 * WITHOUT the credential: the API key never leaves for another host. The body streams (never a whole image in
 * memory); a declared size over `maxBytes` is refused at once, and an undeclared one is cut off when it passes.
 */
export async function downloadFile(
	this: IAllExecuteFunctions,
	url: string,
	options: { maxBytes: number; what: string; itemIndex?: number },
): Promise<Download> {
	const { maxBytes, what, itemIndex } = options;
	const signal = cancelSignal(this);
	const response = await sendWithRetries(
		this,
		async () =>
			(await this.helpers.httpRequest({
				method: 'GET',
				url,
				encoding: 'stream',
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
				abortSignal: signal,
			})) as IN8nHttpFullResponse,
		{
			retry: 'read',
			itemIndex,
			what: `Download of ${what}`,
			isFailure: (res) => res.statusCode >= 400,
			onDiscard: (res) => discard(res.body),
		},
	);
	const headers = (response.headers ?? {}) as IDataObject;
	const stream = response.body as ByteStream;
	if (response.statusCode >= 400) {
		discard(stream);
		const expired = [403, 404, 410].includes(response.statusCode);
		throw newApiError(
			this.getNode(),
			{ message: `HTTP ${response.statusCode}`, httpCode: String(response.statusCode) },
			{
				message: `Could not download ${what} (HTTP ${response.statusCode})`,
				description: expired
					? 'Result URLs expire 24 hours after the task completes. Run the generation again for new images.'
					: `The content host answered HTTP ${response.statusCode} for ${url}`,
				httpCode: String(response.statusCode),
				itemIndex,
				context: { httpCode: response.statusCode, url },
			},
		);
	}
	const declared = Number(headers['content-length']);
	if (Number.isFinite(declared) && declared > maxBytes) {
		discard(stream);
		throw tooLargeError(this, what, `${mb(declared)} MB`, maxBytes, itemIndex);
	}
	let received = 0;
	const capped = stream.map((chunk: Buffer) => {
		received += chunk.length;
		if (received > maxBytes)
			throw tooLargeError(this, what, `more than ${mb(maxBytes)} MB`, maxBytes, itemIndex);
		return chunk;
	}) as ByteStream;
	const contentType =
		typeof headers['content-type'] === 'string' ? headers['content-type'] : undefined;
	return { stream: capped, mimeType: contentType?.split(';')[0].trim().toLowerCase() };
}

function discard(body: unknown): void {
	const stream = body as { destroy?: () => void } | undefined;
	if (stream && typeof stream.destroy === 'function') stream.destroy();
}

function mb(bytes: number): number {
	return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

function tooLargeError(
	context: IAllExecuteFunctions,
	what: string,
	size: string,
	maxBytes: number,
	itemIndex?: number,
) {
	return operationError(
		context.getNode(),
		`Stopped downloading ${what}: it is ${size}, over the maximum download size of ${mb(maxBytes)} MB`,
		{
			itemIndex,
			description:
				'Raise Options > Max Download Size (MB), or choose the URLs Only output to skip downloading.',
		},
	);
}

function asTask(context: IAllExecuteFunctions, body: unknown, itemIndex?: number): SeedreamTask {
	const task = body as SeedreamTask;
	if (
		!task ||
		typeof task !== 'object' ||
		typeof task.id !== 'string' ||
		typeof task.status !== 'string'
	) {
		throw newApiError(
			context.getNode(),
			{ body: JSON.stringify(body ?? null).slice(0, 500) },
			{
				message: 'EvoLink answered with something that is not a task (no id or status)',
				itemIndex,
			},
		);
	}
	return task;
}

/**
 * An error status, or an upload error: those have an unverified shape (docs/evolink-api.md §7), `success: false`
 * with `code`/`msg` in a 200.
 */
function isApiFailure(response: IN8nHttpFullResponse): boolean {
	const { body } = response;
	const filesFailure =
		!!body && typeof body === 'object' && (body as IDataObject).success === false;
	return response.statusCode >= 400 || filesFailure;
}

function hasIdempotencyKey(headers: IDataObject | undefined): boolean {
	return !!headers && typeof headers['Idempotency-Key'] === 'string';
}

function networkErrorCode(error: unknown): string {
	const candidates = [error as IDataObject, (error as { cause?: IDataObject })?.cause];
	for (const candidate of candidates) {
		const code = candidate?.code;
		if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
	}
	const message = String((error as Error)?.message ?? '');
	return /ECONN[A-Z]+|ETIMEDOUT|EPIPE|socket hang up/.exec(message)?.[0] ?? 'ENETWORK';
}

/** `Retry-After` as seconds or an HTTP date (RFC 9110), capped so a bad header cannot stall a run. */
function retryAfterMs(headers: IDataObject): number | undefined {
	const value = headers['retry-after'];
	if (value === undefined || value === null || value === '') return undefined;
	const seconds = Number(value);
	const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(String(value)) - Date.now();
	if (!Number.isFinite(ms)) return undefined;
	return Math.min(Math.max(ms, 0), RETRY_AFTER_MAX_MS);
}

/** Exponential backoff with jitter, so items that were refused together do not come back together. */
function backoffMs(attempt: number): number {
	const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
	return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** n8n's `sleep`, ended early by the execution's cancel signal (n8n's Stop). */
export async function pause(
	context: IAllExecuteFunctions,
	ms: number,
	itemIndex?: number,
	taskId?: string,
): Promise<void> {
	const signal = cancelSignal(context);
	if (signal?.aborted) throw cancelledError(context, itemIndex, taskId);
	try {
		await sleep(Math.max(0, ms), signal);
	} catch (error) {
		if (signal?.aborted) throw cancelledError(context, itemIndex, taskId);
		throw operationError(context.getNode(), (error as Error).message, { itemIndex });
	}
}

function cancelledError(context: IAllExecuteFunctions, itemIndex?: number, taskId?: string) {
	if (!taskId)
		return operationError(context.getNode(), 'The execution was cancelled', { itemIndex });
	return operationError(
		context.getNode(),
		`The execution was cancelled while waiting for task ${taskId}`,
		{
			itemIndex,
			description: `The task keeps running at EvoLink. Read it later with Task > Get and the task ID ${taskId}.`,
			context: { taskId },
		},
	);
}

function networkError(
	context: IAllExecuteFunctions,
	code: string,
	what: string,
	itemIndex?: number,
) {
	// Built from a plain object, never from the caught error: that one carries the request's headers.
	return newApiError(
		context.getNode(),
		{ code, message: `${what} failed: ${code}` },
		{
			message: `Could not reach EvoLink (${code})`,
			description: `${what} did not get an answer, also after retrying where that is safe. Check the credential's base URLs and the network.`,
			itemIndex,
			context: { networkCode: code },
		},
	);
}

const STATUS_HINTS: Record<number, string> = {
	400: 'The request was refused as invalid.',
	401: 'The API key was rejected: check the Seedream API credential.',
	402: 'The key has no usable balance or was disabled: check the EvoLink account.',
	403: 'This key may not use this model or this task.',
	404: 'Not found: check the task ID.',
	429: 'Rate limited by EvoLink, still after retrying: lower the concurrency or try again later.',
};

/** Turns a docs/evolink-api.md §5 error body (`code` string or integer) into an error users can act on. */
function apiError(
	context: IAllExecuteFunctions,
	response: IN8nHttpFullResponse,
	itemIndex?: number,
) {
	const { statusCode } = response;
	const headers = (response.headers ?? {}) as IDataObject;
	const body = (response.body ?? {}) as IDataObject;
	const detail = (body.error && typeof body.error === 'object' ? body.error : body) as IDataObject;
	const apiCode =
		detail.code ?? (typeof body.error === 'string' ? body.error : undefined) ?? statusCode;
	const apiMessage =
		(detail.message as string | undefined) ??
		(detail.msg as string | undefined) ??
		(typeof response.body === 'string' && response.body
			? response.body.slice(0, 500)
			: undefined) ??
		`HTTP ${statusCode}`;
	const requestId = headers['x-request-id'] as string | undefined;
	const param = detail.param as string | undefined;
	const hint =
		STATUS_HINTS[statusCode] ??
		(statusCode >= 500 ? 'EvoLink had a server error, still after retrying.' : '');
	const description = [
		hint,
		param ? `Field: ${param}.` : '',
		requestId ? `Request ID: ${requestId}.` : '',
	]
		.filter(Boolean)
		.join(' ');
	return newApiError(
		context.getNode(),
		{ code: apiCode, message: apiMessage, httpCode: String(statusCode) } as JsonObject,
		{
			message: `EvoLink error ${statusCode} (${apiCode}): ${apiMessage}`,
			description,
			httpCode: String(statusCode),
			itemIndex,
			context: { httpCode: statusCode, apiCode, requestId, param },
		},
	);
}
