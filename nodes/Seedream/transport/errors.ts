/** Error mapping: an HTTP answer or a failed connection -> an error users can act on, never carrying the key. */

import type { IDataObject, IN8nHttpFullResponse, INode, JsonObject } from 'n8n-workflow';
import { apiError as newApiError, operationError } from '../helpers/errors';

const STATUS_HINTS: Record<number, string> = {
	400: 'The request was refused as invalid.',
	401: 'The API key was rejected: check the Seedream API credential.',
	402: 'The key has no usable balance or was disabled: check the EvoLink account.',
	403: 'This key may not use this model or this task.',
	404: 'Not found: check the task ID.',
	429: 'Rate limited by EvoLink, still after retrying: lower the concurrency or try again later.',
};

/** Turns a docs/evolink-api.md §5 error body (`code` string or integer) into an error users can act on. */
export function responseError(node: INode, response: IN8nHttpFullResponse, itemIndex?: number) {
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
		node,
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

export function networkError(node: INode, code: string, what: string, itemIndex?: number) {
	// Built from a plain object, never from the caught error: that one carries the request's headers.
	return newApiError(
		node,
		{ code, message: `${what} failed: ${code}` },
		{
			message: `Could not reach EvoLink (${code})`,
			description: `${what} did not get an answer, also after retrying where that is safe. Check the credential's base URLs and the network.`,
			itemIndex,
			context: { networkCode: code },
		},
	);
}

/** A redirect that was not followed: it names both origins, never the key. */
export function redirectError(
	node: INode,
	statusCode: number,
	url: string,
	next: URL,
	maxRedirects: number,
) {
	const origin = new URL(url).origin;
	return operationError(
		node,
		next.origin !== origin
			? `EvoLink's address ${origin} redirected to another origin, ${next.origin}: the request was not sent there, so the API key stays with ${origin}`
			: `EvoLink's address ${origin} redirected more than ${maxRedirects} times`,
		{
			description:
				"Set the Seedream API credential's base URLs to the address the service answers on.",
			context: { httpCode: statusCode },
		},
	);
}

export function cancelledError(node: INode, itemIndex?: number, taskId?: string) {
	if (!taskId) return operationError(node, 'The execution was cancelled', { itemIndex });
	return operationError(node, `The execution was cancelled while waiting for task ${taskId}`, {
		itemIndex,
		description: `The task keeps running at EvoLink. Read it later with Task > Get and the task ID ${taskId}.`,
		context: { taskId },
	});
}

export function malformedError(node: INode, body: unknown, message: string, itemIndex?: number) {
	return newApiError(
		node,
		{ body: JSON.stringify(body ?? null).slice(0, 500) },
		{ message, itemIndex },
	);
}

export function downloadError(
	node: INode,
	statusCode: number,
	url: string,
	what: string,
	itemIndex?: number,
) {
	const expired = [403, 404, 410].includes(statusCode);
	return newApiError(
		node,
		{ message: `HTTP ${statusCode}`, httpCode: String(statusCode) },
		{
			message: `Could not download ${what} (HTTP ${statusCode})`,
			description: expired
				? 'Result URLs expire 24 hours after the task completes. Run the generation again for new images.'
				: `The content host answered HTTP ${statusCode} for ${url}`,
			httpCode: String(statusCode),
			itemIndex,
			context: { httpCode: statusCode, url },
		},
	);
}

export function tooLargeError(
	node: INode,
	what: string,
	size: string,
	maxBytes: number,
	itemIndex?: number,
) {
	return operationError(
		node,
		`Stopped downloading ${what}: it is ${size}, over the maximum download size of ${mb(maxBytes)} MB`,
		{
			itemIndex,
			description:
				'Raise Options > Max Download Size (MB), or choose the URLs Only output to skip downloading.',
		},
	);
}

export function mb(bytes: number): number {
	return Math.round((bytes / 1024 / 1024) * 10) / 10;
}
