/**
 * A callback (docs/evolink-api.md §4) -> at most one workflow start per task and status.
 *
 * Three gates stand before a start: the URL's token (n8n itself answers 404 to any other path), the body's
 * shape, and the confirmation policy of tasks/confirm.ts (the task as the API reports it, by default). The
 * answer goes out once the task is confirmed, before any slow work (downloads); repeats are dropped by task ID
 * and status once the first has started the workflow. A repeat that comes while the first is still being
 * confirmed is answered 503, like a callback that could not be confirmed: EvoLink sends it again, so if the
 * first then fails, a later repeat still starts the workflow (a 503 to the first would go to a request EvoLink
 * may already have given up on).
 */

import type {
	IDataObject,
	INode,
	INodeExecutionData,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import {
	CALLBACK_RETRY_STATUS,
	confirmCallback,
	confirmDeadline,
	isCallbackShaped,
	settledTask,
} from '../Seedream/tasks/confirm';
import { taskErrorItem, taskFailedError } from '../Seedream/tasks/errors';
import { operationError } from '../Seedream/helpers/errors';
import { OUTPUT_SHAPES, type OutputShape } from '../Seedream/helpers/results';
import { Validator } from '../Seedream/helpers/validate';
import { TERMINAL_STATUSES } from '../Seedream/helpers/limits';
import { taskToItems } from '../Seedream/tasks/items';
import { readDownloadOptions, type ParameterReader } from '../shared/parameters';

/** Task IDs and statuses remembered per trigger node, in its workflow static data (oldest dropped first). */
export const SEEN_CALLBACKS_MAX = 500;
const SEEN_FIELD = 'seenCallbacks';

/**
 * Callbacks under way in this n8n process: being confirmed, or started before n8n has saved the static data
 * that records them.
 */
const callbacksUnderWay = new Map<string, 'confirming' | 'started'>();
const CALLBACKS_UNDER_WAY_MAX = 1000;

export interface ReceiverOptions {
	statuses: string[];
	verify: boolean;
	output: OutputShape;
	binaryPropertyName?: string;
	maxDownloadBytes?: number;
	/**
	 * Options that cannot be used (an expression made them so after activation checked them): a confirmed
	 * callback still starts the workflow, with this error for its task, so it shows among the executions.
	 */
	invalid?: Error;
}

/**
 * The trigger's parameters, checked: on activation (webhookMethods, where n8n shows a trigger's error) and for
 * each callback. Throws a NodeOperationError naming the field.
 */
export function readReceiverOptions(
	node: INode,
	parameter: (name: string, fallback: unknown) => unknown,
): ReceiverOptions {
	const options = (parameter('options', {}) ?? {}) as IDataObject;
	const read: ParameterReader = (name, fallback) =>
		(options[name.replace(/^options\./, '')] ?? fallback) as typeof fallback;
	const statuses = parameter('statuses', [...TERMINAL_STATUSES]);
	if (
		!Array.isArray(statuses) ||
		!statuses.every((status) => (TERMINAL_STATUSES as readonly string[]).includes(status))
	) {
		throw operationError(node, `Start On: choose among ${TERMINAL_STATUSES.join(', ')}`);
	}
	const output = parameter('output', undefined) as OutputShape;
	if (!(OUTPUT_SHAPES as readonly string[]).includes(output)) {
		throw operationError(node, `Output: choose one of ${OUTPUT_SHAPES.join(', ')}`);
	}
	const verify = options.verify !== false;
	const downloads = output === 'binaryPerImage' || output === 'binaryPerTask';
	if (!verify && downloads) {
		// Where the bytes would come from is chosen by whoever calls the URL, and n8n's HTTP helper resolves names
		// and follows redirects out of the node's sight (nodes may not use Node's dns): a public-looking name or
		// redirect can lead to an internal address. So an unconfirmed callback is never fetched (README, Options).
		throw operationError(
			node,
			'Confirm With the API: turned off, the trigger downloads nothing, since the image URLs come from whoever calls it. Choose Output > URLs Only or Compact, or turn Confirm With the API on',
		);
	}
	return {
		statuses: statuses as string[],
		verify,
		output,
		...readDownloadOptions(read, new Validator(node, 0)),
	};
}

export async function receiveCallback(
	this: IWebhookFunctions,
	options: ReceiverOptions,
): Promise<IWebhookResponseData> {
	const deadline = confirmDeadline();
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
	const underWay = callbacksUnderWay.get(processKey);
	if (seen().includes(key) || underWay === 'started') {
		return answer(200, { received: true, started: false, reason: 'already received' });
	}
	if (underWay === 'confirming') {
		return answer(CALLBACK_RETRY_STATUS, {
			received: false,
			message: 'The first delivery of this callback is still being confirmed; try again',
		});
	}
	remember(processKey, 'confirming');

	const verdict = await confirmCallback.call(this, body, { verify: options.verify, deadline });
	if (!verdict.accepted) {
		// Not remembered: a real repeat (EvoLink retries any non-2xx) still starts the workflow.
		callbacksUnderWay.delete(processKey);
		return answer(verdict.status, { received: false, message: verdict.message });
	}
	remember(processKey, 'started');
	// Read again: other callbacks may have been recorded while this one was being confirmed.
	staticData[SEEN_FIELD] = [...seen(), key].slice(-SEEN_CALLBACKS_MAX);
	// Answer now: downloads below may not make the API wait (and retry).
	answer(200, { received: true });

	let items: INodeExecutionData[];
	let task = verdict.task;
	if (options.invalid)
		return { noWebhookResponse: true, workflowData: [[taskErrorItem(options.invalid, task, 0)]] };
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

function remember(processKey: string, state: 'confirming' | 'started'): void {
	callbacksUnderWay.delete(processKey);
	callbacksUnderWay.set(processKey, state);
	if (callbacksUnderWay.size > CALLBACKS_UNDER_WAY_MAX) {
		const oldest = callbacksUnderWay.keys().next().value;
		if (oldest !== undefined) callbacksUnderWay.delete(oldest);
	}
}
