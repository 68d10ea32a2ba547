/**
 * The only code that talks HTTP to EvoLink, usable from any n8n context (execute, webhook, trigger...):
 * requests.ts (the API with the credential, retries), files.ts (uploads, downloads), errors.ts (answers ->
 * errors), retries.ts (when to send again), and here the task endpoints.
 */

import type { IAllExecuteFunctions, IDataObject } from 'n8n-workflow';
import { isTaskShaped, type SeedreamTask } from '../helpers/taskShape';
import { malformedError } from './errors';
import { apiRequest, apiRequestFull, type ApiRequestOptions } from './requests';

export * from './requests';
export * from './files';
export * from './pause';
export type { Deadline } from './deadline';
export type { RetryPolicy } from './retries';

/** `GET /v1/tasks/{id}` (docs/evolink-api.md §3). */
export async function getTask(
	this: IAllExecuteFunctions,
	taskId: string,
	itemIndex?: number,
	options: Pick<ApiRequestOptions, 'deadline' | 'cachedCredential'> = {},
): Promise<SeedreamTask> {
	const task = await apiRequest.call(this, 'GET', `/v1/tasks/${encodeURIComponent(taskId)}`, {
		...options,
		itemIndex,
		retry: 'read',
		isComplete: isTaskShaped,
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
		// An answer cut short after the task was made is sent again with the same key: the service replays
		// the task instead of making a second one, and the task ID is not lost.
		isComplete: isTaskShaped,
	});
	return {
		task: asTask(this, response.body, itemIndex),
		replayed: String(response.headers['idempotency-replayed']).toLowerCase() === 'true',
	};
}

function asTask(context: IAllExecuteFunctions, body: unknown, itemIndex?: number): SeedreamTask {
	const task = body as SeedreamTask;
	if (!isTaskShaped(task)) {
		throw malformedError(
			context.getNode(),
			body,
			'EvoLink answered with something that is not a task (no id or status)',
			itemIndex,
		);
	}
	return task;
}
