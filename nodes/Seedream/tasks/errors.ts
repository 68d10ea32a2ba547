/** Errors of a task that exists: each names the task, so the user can pick it up with Task > Get. */

import type {
	IDataObject,
	INode,
	INodeExecutionData,
	NodeApiError,
	NodeOperationError,
} from 'n8n-workflow';
import { errorItem, operationError } from '../helpers/errors';
import { isRetryableTaskError, taskCredits, type SeedreamTask } from './task';

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
		context: {
			taskId: task.id,
			status: task.status,
			errorCode: code,
			retryable,
			...taskCredits(task),
		},
	});
}

export function timeoutError(
	node: INode,
	task: SeedreamTask,
	maxWaitMs: number,
	itemIndex?: number,
) {
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

/** A result whose first bytes are no image format: a host's error page, say, served as image/png. */
export function notAnImageError(
	node: INode,
	task: SeedreamTask,
	imageIndex: number,
	served: string | undefined,
	url: string,
	itemIndex?: number,
) {
	return operationError(
		node,
		`Image ${imageIndex} of task ${task.id} is not an image: its first bytes match no image format (served as ${served ?? 'no type'})`,
		{
			itemIndex,
			description: `The content host answered ${url} with something else. Read the task again later with Task > Get and the task ID ${task.id}.`,
			context: { taskId: task.id, status: task.status },
		},
	);
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

/**
 * The node's error when one item failed without Continue On Fail, with the tasks other items had already
 * created (and EvoLink billed): their IDs, to pick the results up with Task > Get instead of paying again.
 */
export function withCreatedTasks<E extends NodeApiError | NodeOperationError>(
	error: E,
	created: Array<{ itemIndex: number; taskId: string }>,
): E {
	if (created.length === 0) return error;
	const list = created.map(({ itemIndex, taskId }) => `item ${itemIndex}: ${taskId}`).join(', ');
	error.description = [
		error.description,
		`Other items had already created tasks, which EvoLink keeps and bills: ${list}. Pick up their results with Seedream > Task > Get and these task IDs (reading a task is free), or turn on Continue On Fail to keep them in the output.`,
	]
		.filter(Boolean)
		.join(' ');
	error.context.createdTaskIds = created.map(({ taskId }) => taskId);
	return error;
}

/**
 * An error met while a task exists (a read while waiting, a download), made to name the task: its ID in the
 * context (an error item's taskId) and in the description, with where to pick it up.
 */
export function namingTask(error: unknown, taskId: string): unknown {
	const failure = error as { context?: Record<string, unknown>; description?: string | null };
	if (!failure || typeof failure !== 'object') return error;
	if (failure.context) failure.context.taskId ??= taskId;
	if (!String(failure.description ?? '').includes(taskId)) {
		failure.description =
			`${failure.description ?? ''} The task ${taskId} may still be running or have results at EvoLink: read it later with Task > Get.`.trim();
	}
	return failure;
}

/** A task an item created, and what it cost as the node last saw it (docs/evolink-api.md §2, §3: `usage`). */
export interface CreatedTask extends IDataObject {
	taskId: string;
	status?: string;
	creditsReserved?: number;
	creditsUsed?: number;
}

type FailureShape = { context?: IDataObject; description?: string | null };

/** An error met once the task exists (waiting, downloading) also says what the task cost. */
export function withTaskCost(error: unknown, task: SeedreamTask): unknown {
	const named = namingTask(error, task.id) as FailureShape;
	if (named?.context && named.context.taskId === task.id) {
		named.context.status ??= task.status;
		for (const [field, value] of Object.entries(taskCredits(task))) named.context[field] ??= value;
	}
	return named;
}

/** Every task an item's parts created (Exactly N), from their output items and their errors, once each. */
export function itemTasks(made: INodeExecutionData[], failures: unknown[]): CreatedTask[] {
	const found = new Map<string, CreatedTask>();
	const sources = [
		...made.map((item) => item.json),
		...failures.map((error) => (error as FailureShape)?.context ?? {}),
	];
	for (const source of sources) {
		if (typeof source.taskId !== 'string' || found.has(source.taskId)) continue;
		const task: CreatedTask = { taskId: source.taskId };
		if (typeof source.status === 'string') task.status = source.status;
		if (typeof source.creditsReserved === 'number') task.creditsReserved = source.creditsReserved;
		if (typeof source.creditsUsed === 'number') task.creditsUsed = source.creditsUsed;
		found.set(source.taskId, task);
	}
	return [...found.values()];
}

/**
 * A failing part of an item's set (Exactly N) names all the item's tasks, in its description and its context
 * (`itemTasks`, kept on an error item): the others are billed as they end and their results can be read.
 */
export function withItemTasks(error: unknown, tasks: CreatedTask[]): unknown {
	const failure = error as FailureShape;
	if (!failure || typeof failure !== 'object' || tasks.length === 0) return error;
	if (failure.context) failure.context.itemTasks = tasks;
	failure.description = [failure.description, itemTasksSentence(tasks)].filter(Boolean).join(' ');
	return failure;
}

/**
 * The same for the error items of a set finished by the callback resume: each names every task of its item
 * (`itemIndexes`: the items that asked for Exactly N).
 */
export function errorItemsWithItemTasks(
	items: INodeExecutionData[],
	itemIndexes: ReadonlySet<number>,
): void {
	for (const itemIndex of itemIndexes) {
		const own = items.filter((item) => (item.pairedItem as { item?: number })?.item === itemIndex);
		const errors = own.filter((item) => item.json.error !== undefined);
		if (errors.length === 0) continue;
		const made = own.filter((item) => item.json.error === undefined);
		const tasks = itemTasks(
			made,
			errors.map((item) => ({ context: item.json })),
		);
		for (const item of errors) {
			item.json.itemTasks = tasks;
			if (!String(item.json.description ?? '').includes(itemTasksSentence(tasks))) {
				item.json.description = [item.json.description, itemTasksSentence(tasks)]
					.filter(Boolean)
					.join(' ');
			}
		}
	}
}

function itemTasksSentence(tasks: CreatedTask[]): string {
	const list = tasks.map(describeTask).join(', ');
	return `This item created ${tasks.length === 1 ? '1 task' : `${tasks.length} tasks`}, which EvoLink bills as they complete: ${list}. Read any of them with Seedream > Task > Get and its task ID (reading a task is free).`;
}

function describeTask(task: CreatedTask): string {
	const facts = [
		task.status,
		task.creditsUsed !== undefined ? `${task.creditsUsed} credits used` : undefined,
		task.creditsReserved !== undefined && task.creditsUsed === undefined
			? `${task.creditsReserved} credits reserved`
			: undefined,
	].filter(Boolean);
	return facts.length ? `${task.taskId} (${facts.join(', ')})` : task.taskId;
}
