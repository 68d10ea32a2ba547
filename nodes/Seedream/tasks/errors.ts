import type { INode, INodeExecutionData, NodeOperationError } from 'n8n-workflow';
import { errorItem, operationError } from '../helpers/errors';
import { isRetryableTaskError, type SeedreamTask } from './task';

/** Errors of a task that exists: each names the task, so the user can pick it up with Task > Get. */

/** A failed or cancelled task as an error: the task ID, the API's code and message, and whether a new task may help. */
export function taskFailedError(
	node: INode,
	task: SeedreamTask,
	itemIndex?: number,
): NodeOperationError {
	const code =
		task.error?.code ?? (task.status === 'cancelled' ? 'request_cancelled' : 'unknown_error');
	const apiMessage = task.error?.message ?? `The task ended with status ${task.status}`;
	const retryable = isRetryableTaskError(code);
	const advice = retryable
		? 'A server-side failure: the same request may succeed as a new task later (nothing was charged for this one).'
		: 'The request itself was refused: running it again unchanged will fail again. Change the prompt or the references.';
	const suggestion = task.error?.suggestion ? ` ${task.error.suggestion}` : '';
	return operationError(node, `Seedream task ${task.id} ${task.status}: ${code}: ${apiMessage}`, {
		itemIndex,
		description: `${advice}${suggestion}`,
		context: { taskId: task.id, status: task.status, errorCode: code, retryable },
	});
}

export function timeoutError(node: INode, task: SeedreamTask, maxWaitMs: number, itemIndex?: number) {
	const progress = task.progress !== undefined ? `, ${task.progress}%` : '';
	return operationError(
		node,
		`Task ${task.id} did not finish within ${maxWaitMs / 1000} s (status ${task.status}${progress})`,
		{
			itemIndex,
			description: `The task keeps running at EvoLink and waiting longer costs nothing. Read it later with Seedream > Task > Get and the task ID ${task.id}, or raise Options > Max Wait.`,
			context: { taskId: task.id, status: task.status },
		},
	);
}

export function emptyResultsError(node: INode, task: SeedreamTask, itemIndex?: number) {
	return operationError(node, `Task ${task.id} completed but returned no image URLs`, {
		itemIndex,
		description: `Read it again later with Task > Get and the task ID ${task.id}.`,
		context: { taskId: task.id, status: task.status },
	});
}

/**
 * A task that failed, or whose results could not be fetched, as one output item, for the places where no node
 * error can be raised (the trigger, a node resumed by its callback): the Continue On Fail item, which always
 * names the task, even when the error itself (a download, a read) does not.
 */
export function taskErrorItem(
	error: unknown,
	task: { id: string; status?: string },
	itemIndex: number,
): INodeExecutionData {
	const item = errorItem(error, itemIndex);
	item.json.taskId ??= task.id;
	if (task.status !== undefined) item.json.status ??= task.status;
	return item;
}
