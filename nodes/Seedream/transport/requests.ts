/** Requests to EvoLink's API and Files hosts, with the credential, retried where that is safe. */

import {
	type BinaryHelperFunctions,
	type IAllExecuteFunctions,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type IHttpRequestMethods,
	type IN8nHttpFullResponse,
} from 'n8n-workflow';
import { cancelledError, networkError, redirectError, responseError } from './errors';
import { RetrySchedule, type RetryPolicy } from './retries';
import { cancelSignal, pause } from './pause';
import { credentialsOf } from './credentialCache';
import { beforeDeadline, deadlineError, deadlineSignal, timeLeft, type Deadline } from './deadline';

export const CREDENTIAL_TYPE = 'seedreamApi';

export interface SeedreamCredentials extends ICredentialDataDecryptedObject {
	apiKey: string;
	baseUrl: string;
	filesBaseUrl: string;
}

/** A readable stream, typed without importing Node's `stream` (n8n's lint allows no Node imports). */
export type ByteStream = Awaited<ReturnType<BinaryHelperFunctions['getBinaryStream']>>;

export interface ApiRequestOptions {
	host?: 'api' | 'files';
	/**
	 * JSON, or a ready-made body whose Content-Type is in `headers`: a Buffer, or a function that makes the
	 * body for each attempt (a stream can be sent only once).
	 */
	body?: IDataObject | Buffer | (() => Promise<Buffer | ByteStream>);
	headers?: IDataObject;
	/** Named by every caller: a create is never retried by default. */
	retry: RetryPolicy;
	itemIndex?: number;
	/** Whether a 2xx body is what the endpoint answers; one that is not (cut short) counts as a lost answer. */
	isComplete?: (body: unknown) => boolean;
	/**
	 * For a caller that must be done by a wall-clock time (deadline.ts): every attempt, redirect and credential
	 * read ends by it, each attempt takes at most `attemptMs`, and no retry starts that would end after it.
	 */
	deadline?: Deadline;
	/**
	 * Use this process's short-lived copy of the decrypted credential (credentialCache.ts), for a read made once
	 * per incoming callback; when an attempt with it is refused (401, 403), the credential is read anew, and the
	 * attempt sent again if it changed. A host that cannot be reached gets one such re-read per copy held (the
	 * base URL may have been edited), not one per callback: during an outage, reading again cannot help.
	 */
	cachedCredential?: boolean;
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
	return hostsOf(await this.getCredentials<SeedreamCredentials>(CREDENTIAL_TYPE));
}

function hostsOf(credentials: SeedreamCredentials) {
	return {
		baseUrl: trimSlashes(credentials.baseUrl || 'https://api.evolink.ai'),
		filesBaseUrl: trimSlashes(credentials.filesBaseUrl || 'https://files-api.evolink.ai'),
	};
}

function trimSlashes(url: string): string {
	return url.trim().replace(/\/+$/, '');
}

export async function apiRequestFull(
	this: IAllExecuteFunctions,
	method: IHttpRequestMethods,
	endpoint: string,
	options: ApiRequestOptions,
): Promise<ApiResponse> {
	const { host = 'api', body, headers, itemIndex, retry, deadline } = options;
	// Loaded (and decrypted) once per request, and handed to n8n's authentication: without it, n8n loads the
	// credential a second time (measured: the main per-callback cost of the trigger; bench/README.md, T1).
	const useCache = options.cachedCredential === true;
	const held = await beforeDeadline(
		credentialsOf<SeedreamCredentials>(this, CREDENTIAL_TYPE, { useCache }),
		deadline,
	);
	let credentials = held.credentials;
	let mayReload = held.cached;
	// A copy held in memory that fails may be one the user has edited since (another key, another base URL): it
	// is read again once, and the attempt sent again if it changed. Refused (401/403): always. Its host
	// unreachable: once per copy held (`recheckedUnreachable`), so an outage costs no read per callback.
	const reloaded = async (cause: 'refused' | 'unreachable'): Promise<boolean> => {
		if (!mayReload || (cause === 'unreachable' && held.recheckedUnreachable)) return false;
		mayReload = false;
		held.forget();
		const fresh = await beforeDeadline(
			credentialsOf<SeedreamCredentials>(this, CREDENTIAL_TYPE, {
				useCache,
				fresh: true,
				recheckedUnreachable: cause === 'unreachable',
			}),
			deadline,
		);
		const changed = !sameCredentials(fresh.credentials, credentials);
		credentials = fresh.credentials;
		return changed;
	};
	const urlNow = () => {
		const hosts = hostsOf(credentials);
		return `${host === 'files' ? hosts.filesBaseUrl : hosts.baseUrl}${endpoint}`;
	};
	const send = async (target: string) => {
		if (timeLeft(deadline) <= 0) throw deadlineError();
		// Cut by the deadline's signal: said as the deadline, not as an abort.
		return await sendOnce(target).catch(
			async (error: unknown) =>
				await Promise.reject(timeLeft(deadline) <= 0 ? deadlineError() : error),
		);
	};
	const sendOnce = async (target: string) =>
		(await this.helpers.httpRequestWithAuthentication.call(
			this,
			CREDENTIAL_TYPE,
			{
				method,
				url: target,
				// n8n passes a stream body on to axios as it is; IHttpRequestOptions does not type it.
				body: (typeof body === 'function' ? await body() : body) as IDataObject | Buffer,
				headers,
				json: true,
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
				// Redirects are followed below, and only within the origin: n8n versions before 2.x (and
				// axios) send the Authorization header on to whatever host a redirect names.
				disableFollowRedirect: true,
				timeout: Math.min(
					deadline?.attemptMs ?? Number.POSITIVE_INFINITY,
					Math.max(1, timeLeft(deadline)),
					method === 'GET' ? REQUEST_TIMEOUT_MS.read : REQUEST_TIMEOUT_MS.send,
				),
				// axios's timeout bounds silence on the socket; the signal bounds the whole exchange.
				abortSignal: deadlineSignal(deadline),
			},
			{ credentialsDecrypted: { id: '', name: '', type: CREDENTIAL_TYPE, data: credentials } },
		)) as IN8nHttpFullResponse;
	const attempt = async (): Promise<IN8nHttpFullResponse> => {
		const outcome = await sendSameOrigin(urlNow(), send).then(
			(response) => ({ response }),
			(error: unknown) => ({ error }),
		);
		if ('error' in outcome) {
			if (timeLeft(deadline) > 0 && (await reloaded('unreachable'))) return await attempt();
			return await Promise.reject(outcome.error);
		}
		if ([401, 403].includes(outcome.response.statusCode) && (await reloaded('refused'))) {
			return await attempt();
		}
		return outcome.response;
	};
	const response = await sendWithRetries(this, attempt, {
		// With an Idempotency-Key, sending a create again replays the first task instead of billing twice.
		// Unverified (docs/evolink-api.md §2: seen in EvoLink's own client, not documented): were the service to
		// ignore the key, only a create whose answer was lost after it was processed could bill twice.
		retry: retry === 'create' && hasIdempotencyKey(headers) ? 'read' : retry,
		itemIndex,
		what: `${method} ${endpoint}`,
		isFailure: isApiFailure,
		budgetMs: deadline ? timeLeft(deadline) : undefined,
		isMalformed: (response) =>
			response.statusCode < 300 && !(options.isComplete ?? isJsonObject)(response.body),
	});
	if (isApiFailure(response)) throw responseError(this.getNode(), response, itemIndex);
	const url = urlNow();
	const redirect = redirectTarget(response, url);
	if (redirect)
		throw redirectError(this.getNode(), response.statusCode, url, redirect, MAX_REDIRECTS);
	return {
		body: response.body as IDataObject,
		headers: (response.headers ?? {}) as IDataObject,
		statusCode: response.statusCode,
	};
}

/** Whether two readings of the credential send the same key to the same hosts. */
function sameCredentials(a: SeedreamCredentials, b: SeedreamCredentials): boolean {
	const ha = hostsOf(a);
	const hb = hostsOf(b);
	return a.apiKey === b.apiKey && ha.baseUrl === hb.baseUrl && ha.filesBaseUrl === hb.filesBaseUrl;
}

export async function apiRequest(
	this: IAllExecuteFunctions,
	method: IHttpRequestMethods,
	endpoint: string,
	options: ApiRequestOptions,
): Promise<IDataObject> {
	return (await apiRequestFull.call(this, method, endpoint, options)).body;
}

/**
 * A stalled answer ends an attempt (and is retried where safe) instead of holding the run for n8n's default of
 * 300 s per attempt. A read is a small JSON answer; a create or an upload (up to 10 MB) gets longer.
 */
export const REQUEST_TIMEOUT_MS = { read: 30_000, send: 120_000 };
const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = [301, 302, 303, 307, 308];

/**
 * Sends a request with the credential, following redirects only within the origin: the key never travels to
 * another host. A redirect elsewhere (or one too many) is returned as it is, for redirectError.
 */
async function sendSameOrigin(
	url: string,
	send: (url: string) => Promise<IN8nHttpFullResponse>,
): Promise<IN8nHttpFullResponse> {
	let target = url;
	for (let hop = 0; ; hop++) {
		const response = await send(target);
		const next = redirectTarget(response, target);
		if (!next || next.origin !== new URL(target).origin || hop >= MAX_REDIRECTS) return response;
		target = next.href;
	}
}

function redirectTarget(response: IN8nHttpFullResponse, from: string): URL | undefined {
	const location = (response.headers ?? {}).location;
	if (!REDIRECT_STATUSES.includes(response.statusCode) || typeof location !== 'string') {
		return undefined;
	}
	return new URL(location, from);
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
		budgetMs?: number;
		itemIndex?: number;
		what: string;
		isFailure: (response: IN8nHttpFullResponse) => boolean;
		isMalformed?: (response: IN8nHttpFullResponse) => boolean;
		onDiscard?: (response: IN8nHttpFullResponse) => void;
	},
): Promise<IN8nHttpFullResponse> {
	const { itemIndex, what } = options;
	const signal = cancelSignal(context);
	const schedule = new RetrySchedule(options.retry, Date.now(), Math.random, options.budgetMs);
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
		const malformed = options.isMalformed?.(response) ?? false;
		if (!malformed && !options.isFailure(response)) return response;
		const waitMs = schedule.next(
			malformed
				? { kind: 'malformed' }
				: {
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

function isJsonObject(body: unknown): boolean {
	return !!body && typeof body === 'object';
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
