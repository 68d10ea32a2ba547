import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

/**
 * A task that failed, or whose results could not be fetched, as one output item: what Generate gives under
 * Continue On Fail (message, advice, task ID, status, error code, whether a new task may help). For the
 * places where no node error can be raised: the trigger, and a node resumed by its callback.
 */
export function taskErrorItem(
	error: unknown,
	task: { id: string; status?: string },
	itemIndex: number,
): INodeExecutionData {
	const { message, description, context } = error as {
		message?: string;
		description?: string | null;
		context?: IDataObject;
	};
	const json: IDataObject = { error: message ?? String(error), taskId: task.id };
	if (task.status !== undefined) json.status = task.status;
	if (description) json.description = description;
	for (const field of ['status', 'errorCode', 'retryable', 'httpCode']) {
		if (context?.[field] !== undefined) json[field] = context[field];
	}
	return { json, pairedItem: { item: itemIndex } };
}
