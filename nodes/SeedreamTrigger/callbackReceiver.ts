import type {
	IDataObject,
	INodeExecutionData,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { getTask } from '../Seedream/transport';
import { TASK_ID_PREFIX, TERMINAL_STATUSES } from '../Seedream/helpers/limits';
import { taskToItems, type OutputShape } from '../Seedream/tasks/items';
import type { SeedreamTask } from '../Seedream/tasks/task';
import { taskErrorItem, taskFailedError } from '../Seedream/tasks/errors';

/**
 * A callback (docs/evolink-api.md §4) -> at most one workflow start per task and status.
 *
 * Callbacks are not signed, so three gates stand before a start: the URL's token (n8n itself answers 404 to
 * any other path), the body's shape, and, by default, the task as the API reports it with the credential:
 * a forged body for an unknown or unfinished task starts nothing, and what the workflow gets is the API's
 * task, never the body's URLs. The API retries a callback that failed or took over 10 s, so the answer goes
 * out before any slow work, and repeats are dropped by task ID and status.
 */

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

	const body = this.getBodyData() as Partial<SeedreamTask>;
	if (!isTaskShaped(body)) {
		return answer(400, { message: 'Not a Seedream task callback (expected a task id and status)' });
	}
	if (!options.statuses.includes(body.status)) {
		return answer(200, { received: true, started: false, reason: 'status not selected' });
	}

	const key = `${body.id}:${body.status}`;
	const processKey = `${this.getWorkflow().id ?? ''}/${this.getNode().id ?? this.getNode().name}/${key}`;
	const staticData = this.getWorkflowStaticData('node');
	const seen = Array.isArray(staticData[SEEN_FIELD]) ? (staticData[SEEN_FIELD] as string[]) : [];
	if (seen.includes(key) || startsUnderWay.has(processKey)) {
		return answer(200, { received: true, started: false, reason: 'already received' });
	}
	remember(processKey);
	staticData[SEEN_FIELD] = [...seen, key].slice(-SEEN_CALLBACKS_MAX);
	const forget = () => {
		startsUnderWay.delete(processKey);
		const current = (staticData[SEEN_FIELD] as string[] | undefined) ?? [];
		staticData[SEEN_FIELD] = current.filter((entry) => entry !== key);
	};

	// Answer now: nothing below may make the API wait (and retry).
	answer(200, { received: true });

	let task: SeedreamTask = body;
	if (options.verify) {
		try {
			task = await getTask.call(this, body.id);
		} catch {
			// Unknown to the API (forged) or the API unreachable: start nothing, and let a real repeat through.
			forget();
			return { noWebhookResponse: true };
		}
		if (task.id !== body.id || task.status !== body.status) {
			forget();
			return { noWebhookResponse: true };
		}
	}

	let items: INodeExecutionData[];
	try {
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
		// A download failed: the workflow still starts, with the task and the reason, as Generate reports it.
		items = [taskErrorItem(error, task, 0)];
	}
	return { noWebhookResponse: true, workflowData: [items] };
}

function isTaskShaped(body: Partial<SeedreamTask> | undefined): body is SeedreamTask {
	return (
		!!body &&
		typeof body === 'object' &&
		typeof body.id === 'string' &&
		body.id.length <= 200 &&
		body.id.startsWith(TASK_ID_PREFIX) &&
		/^[A-Za-z0-9._-]+$/.test(body.id) &&
		typeof body.status === 'string' &&
		(TERMINAL_STATUSES as readonly string[]).includes(body.status)
	);
}

function remember(processKey: string): void {
	startsUnderWay.add(processKey);
	if (startsUnderWay.size > STARTS_UNDER_WAY_MAX) {
		const oldest = startsUnderWay.values().next().value;
		if (oldest !== undefined) startsUnderWay.delete(oldest);
	}
}
