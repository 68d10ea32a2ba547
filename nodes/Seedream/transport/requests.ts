import {
	sleep,
	type IAllExecuteFunctions,
	type IDataObject,
	type IHttpRequestMethods,
	type IN8nHttpFullResponse,
} from 'n8n-workflow';
import { operationError } from '../helpers/errors';
import { cancelledError, networkError, responseError } from './errors';
import { RetrySchedule, type RetryPolicy } from './retries';

/** Requests to EvoLink's API and Files hosts, with the credential, retried where that is safe. */

export const CREDENTIAL_TYPE = 'seedreamApi';

export interface SeedreamCredentials {
	apiKey: string;
	baseUrl: string;
	filesBaseUrl: string;
}

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
	if (isApiFailure(response)) throw responseError(this.getNode(), response, itemIndex);
	return {
		body: response.body as IDataObject,
		headers: (response.headers ?? {}) as IDataObject,
		statusCode: response.statusCode,
	};
}

export async function apiRequest(
	this: IAllExecuteFunctions,
	method: IHttpRequestMethods,
	endpoint: string,
	options: ApiRequestOptions = {},
): Promise<IDataObject> {
	return (await apiRequestFull.call(this, method, endpoint, options)).body;
}

/**
 * Sends a request until it succeeds, fails for good, or the retry budget is spent; returns the last response
 * (success or failure) for the caller to read. Network errors that outlive the budget become NodeApiErrors.
 */
export async function sendWithRetries(
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
	const { itemIndex, what } = options;
	const signal = cancelSignal(context);
	const schedule = new RetrySchedule(options.retry, Date.now());
	for (;;) {
		let response: IN8nHttpFullResponse;
		try {
			response = await send();
		} catch (error) {
			if (signal?.aborted) throw cancelledError(context.getNode(), itemIndex);
			const code = networkErrorCode(error);
			const waitMs = schedule.next({ kind: 'network', code }, Date.now());
			if (waitMs === undefined) throw networkError(context.getNode(), code, what, itemIndex);
			await pause(context, waitMs, itemIndex);
			continue;
		}
		if (!options.isFailure(response)) return response;
		const waitMs = schedule.next(
			{
				kind: 'status',
				statusCode: response.statusCode,
				headers: (response.headers ?? {}) as IDataObject,
			},
			Date.now(),
		);
		if (waitMs === undefined) return response;
		options.onDiscard?.(response);
		await pause(context, waitMs, itemIndex);
	}
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

/** n8n's `sleep`, ended early by the execution's cancel signal (n8n's Stop). */
export async function pause(
	context: IAllExecuteFunctions,
	ms: number,
	itemIndex?: number,
	taskId?: string,
): Promise<void> {
	const signal = cancelSignal(context);
	if (signal?.aborted) throw cancelledError(context.getNode(), itemIndex, taskId);
	try {
		await sleep(Math.max(0, ms), signal);
	} catch (error) {
		if (signal?.aborted) throw cancelledError(context.getNode(), itemIndex, taskId);
		throw operationError(context.getNode(), (error as Error).message, { itemIndex });
	}
}
