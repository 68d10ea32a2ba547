/**
 * Errors whose message stays ours. n8n's error classes swap any message that merely contains a Node error
 * code (ECONNREFUSED, EPERM, ...) for a generic sentence, which would drop the task ID and the API's code
 * from, say, a task that failed because the service could not fetch a reference. `context` carries the
 * facts an error item keeps (task ID, codes, request ID): see the router.
 */

import {
	NodeApiError,
	NodeOperationError,
	type IDataObject,
	type INode,
	type INodeExecutionData,
	type JsonObject,
} from 'n8n-workflow';

interface ErrorOptions {
	itemIndex?: number;
	description?: string;
	context?: IDataObject;
}

export function operationError(
	node: INode,
	message: string,
	options: ErrorOptions = {},
): NodeOperationError {
	const error = new NodeOperationError(node, message, {
		itemIndex: options.itemIndex,
		description: options.description,
	});
	return keep(error, message, options.context);
}

export function apiError(
	node: INode,
	response: JsonObject,
	options: ErrorOptions & { message: string; httpCode?: string },
): NodeApiError {
	const error = new NodeApiError(node, response, {
		message: options.message,
		description: options.description,
		httpCode: options.httpCode,
		itemIndex: options.itemIndex,
	});
	return keep(error, options.message, options.context);
}

function keep<E extends NodeOperationError | NodeApiError>(
	error: E,
	message: string,
	context?: IDataObject,
): E {
	error.message = message;
	if (context) Object.assign(error.context, context);
	return error;
}

/** Facts an error item keeps so a workflow can act on it (resume with Task > Get, retry, report). */
const ERROR_ITEM_FIELDS = [
	'taskId',
	'status',
	'creditsReserved',
	'creditsUsed',
	'itemTasks',
	'errorCode',
	'retryable',
	'httpCode',
	'apiCode',
	'requestId',
	'param',
];

/** An error as an output item (continueOnFail): its message and advice, and the facts in its context. */
export function errorItem(error: unknown, itemIndex: number): INodeExecutionData {
	const { message, description, context } = error as {
		message?: string;
		description?: string | null;
		context?: IDataObject;
	};
	const json: IDataObject = { error: message ?? String(error) };
	if (description) json.description = description;
	for (const field of ERROR_ITEM_FIELDS) {
		if (context?.[field] !== undefined) json[field] = context[field];
	}
	return { json, pairedItem: { item: itemIndex } };
}

/** Any error as n8n's, naming the item it failed on (the router's last word on an item). */
export function asNodeError(
	node: INode,
	error: unknown,
	itemIndex: number,
): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) {
		error.context.itemIndex ??= itemIndex;
		return error;
	}
	return new NodeOperationError(node, error as Error, { itemIndex });
}
