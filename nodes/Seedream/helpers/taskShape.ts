/**
 * What a task looks like on the wire, checked in one place: by the transport (is an answer a task at all), by a
 * received callback (could it be one) and by the Task ID parameter.
 */

import type { IDataObject } from 'n8n-workflow';
import { TASK_ID_PREFIX } from './limits';

/** A task as `POST /v1/images/generations` and `GET /v1/tasks/{id}` return it (docs/evolink-api.md §2 and §3). */
export interface SeedreamTask extends IDataObject {
	id: string;
	status: string;
	model?: string;
	progress?: number;
	created?: number;
	results?: Array<string | { url?: string }>;
	/** A layer task's images (docs/evolink-seedream-5.md §4): an array, or one object (unverified form). */
	result_data?: IDataObject | IDataObject[];
	task_info?: { can_cancel?: boolean; estimated_time?: number };
	usage?: IDataObject;
	error?: { code?: string | number; message?: string; type?: string; suggestion?: string };
}

/** A body with a task's two required fields: its ID and status. */
export function isTaskShaped(body: unknown): body is SeedreamTask {
	const task = body as Partial<SeedreamTask> | undefined;
	return (
		!!task &&
		typeof task === 'object' &&
		typeof task.id === 'string' &&
		typeof task.status === 'string'
	);
}

/** An ID of the API's form (`task-unified-...`), safe to put in a path. */
export function isTaskId(id: string): boolean {
	return id.startsWith(TASK_ID_PREFIX) && /^[A-Za-z0-9._-]+$/.test(id);
}
