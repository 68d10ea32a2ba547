import type { INodeExecutionData } from 'n8n-workflow';
import { errorItem } from './errors';

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
