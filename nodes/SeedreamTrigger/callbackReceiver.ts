/**
 * A callback (docs/evolink-api.md §4) -> at most one workflow start per task and status.
 *
 * Three gates stand before a start: the URL's token (n8n itself answers 404 to any other path), the body's
 * shape, and the confirmation policy of tasks/confirm.ts (the task as the API reports it, by default). The
 * answer goes out once the task is confirmed, before any slow work (downloads); repeats are dropped by task ID
 * and status. A callback that could not be confirmed is answered so that EvoLink sends it again.
 */

import type {
	IDataObject,
	INodeExecutionData,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { confirmCallback, isCallbackShaped, settledTask } from '../Seedream/tasks/confirm';
import { taskErrorItem, taskFailedError } from '../Seedream/tasks/errors';
import type { OutputShape } from '../Seedream/helpers/results';
import { taskToItems } from '../Seedream/tasks/items';

/** Task IDs and statuses remembered per trigger node, in its workflow static data (oldest dropped first). */
export const SEEN_CALLBACKS_MAX = 500;
const SEEN_FIELD = 'seenCallbacks';

/** Starts under way in this n8n process, before n8n has saved the static data that records them. */
const startsUnderWay = new Set<string>();
const STARTS_UNDER_WAY_MAX = 1000;

export interface ReceiverOptions {
	statuses: string[];
	verify: boolean;
	output: OutputShape;
	binaryPropertyName?: string;
	maxDownloadBytes?: number;
}

export async function receiveCallback(
	this: IWebhookFunctions,
	options: ReceiverOptions,
): Promise<IWebhookResponseData> {
	const response = this.getResponseObject();
	const answer = (status: number, body: IDataObject): IWebhookResponseData => {
		response.status(status).json(body);
		return { noWebhookResponse: true };
	};

	const body = this.getBodyData();
	if (!isCallbackShaped(body)) {
		return answer(400, { message: 'Not a Seedream task callback (expected a task id and status)' });
	}
	if (!options.statuses.includes(body.status)) {
		return answer(200, { received: true, started: false, reason: 'status not selected' });
	}

	const key = `${body.id}:${body.status}`;
	const processKey = `${this.getWorkflow().id ?? ''}/${this.getNode().id ?? this.getNode().name}/${key}`;
	const staticData = this.getWorkflowStaticData('node');
	const seen = () =>
		Array.isArray(staticData[SEEN_FIELD]) ? (staticData[SEEN_FIELD] as string[]) : [];
	if (seen().includes(key) || startsUnderWay.has(processKey)) {
		return answer(200, { received: true, started: false, reason: 'already received' });
	}
	remember(processKey);

	const verdict = await confirmCallback.call(this, body, { verify: options.verify });
	if (!verdict.accepted) {
		// Not remembered: a real repeat (EvoLink retries any non-2xx) still starts the workflow.
		startsUnderWay.delete(processKey);
		return answer(verdict.status, { received: false, message: verdict.message });
	}
	// Read again: other callbacks may have been recorded while this one was being confirmed.
	staticData[SEEN_FIELD] = [...seen(), key].slice(-SEEN_CALLBACKS_MAX);
	// Answer now: downloads below may not make the API wait (and retry).
	answer(200, { received: true });

	let items: INodeExecutionData[];
	let task = verdict.task;
	try {
		task = await settledTask.call(this, task, { verify: options.verify, itemIndex: 0 });
		items =
			task.status === 'completed'
				? await taskToItems.call(
						this,
						task,
						{
							output: options.output,
							binaryPropertyName: options.binaryPropertyName,
							maxDownloadBytes: options.maxDownloadBytes,
						},
						0,
					)
				: [taskErrorItem(taskFailedError(this.getNode(), task), task, 0)];
	} catch (error) {
		// Results that never came, or a failed download: the workflow still starts, with the task and the
		// reason, as Generate reports it.
		items = [taskErrorItem(error, task, 0)];
	}
	return { noWebhookResponse: true, workflowData: [items] };
}

function remember(processKey: string): void {
	startsUnderWay.add(processKey);
	if (startsUnderWay.size > STARTS_UNDER_WAY_MAX) {
		const oldest = startsUnderWay.values().next().value;
		if (oldest !== undefined) startsUnderWay.delete(oldest);
	}
}
