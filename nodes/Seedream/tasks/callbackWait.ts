/**
 * Generate's "Wait for the Callback" mode: the task's `callback_url` is this execution's resume URL, the
 * execution pauses (no polling, no worker held), and the callback resumes it.
 *
 * How n8n resumes (packages/cli WaitingWebhooks, core WorkflowExecute.handleWaitingState):
 * - the node's restart webhook `webhook()` runs with the callback; what it returns is the node's output;
 * - if the wait date passes first, the node is NOT called: the input it had on the execution stack passes
 *   through as its output.
 * So before pausing, the node puts on its own stack entry the items it would output if no callback came:
 * the finished items as they are, and for each task still running a placeholder that says plainly that the
 * task did not report back and carries its ID. On resume, `webhook()` reads that same list (it is the
 * waiting node's input), re-reads the tasks from the API and swaps each placeholder for the task's items.
 *
 * An execution resumes once, and `webhook()` runs where n8n receives webhooks (in queue mode a webhook
 * processor, not a worker), so it never waits there for a task: a callback reads the execution's other tasks
 * once each, and only when every one has ended does it resume the execution with all their items. While one
 * still runs, the callback is answered and the execution keeps waiting (webhook() returns no data, which n8n
 * takes as "not resumed"); that task's own callback, later, resumes it. If that callback never comes, the wait
 * date passes and every task comes out as its placeholder (docs/evolink-api.md §4: EvoLink retries a callback
 * three times).
 */

import {
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type IWebhookDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';
import { getTask } from '../transport';
import { DEFAULT_CONCURRENCY, mapWithConcurrency } from '../helpers/concurrency';
import { operationError } from '../helpers/errors';
import type { ResultOptions } from '../helpers/results';
import { numberImageSets, taskToItems } from './items';
import { deleteUploads } from './uploads';
import { errorItemsWithItemTasks, taskErrorItem } from './errors';
import {
	CALLBACK_RETRY_STATUS,
	confirmCallback,
	confirmDeadline,
	isCallbackShaped,
	settledTask,
} from './confirm';
import { isTerminal, type SeedreamTask } from './task';
import { CALLBACK_URL_MAX_LENGTH } from '../helpers/limits';
import { isInternalHost, parseUrl } from '../helpers/validate';

/** The field that marks a placeholder and keeps what the resume needs to output its task. */
export const CALLBACK_WAIT_FIELD = 'callbackWait';

/** The webhook that resumes a paused execution: `$execution.resumeUrl` with POST (what EvoLink sends). */
export const resumeWebhooks: IWebhookDescription[] = [
	{
		name: 'default',
		httpMethod: 'POST',
		responseMode: 'onReceived',
		responseData: 'noData',
		path: '',
		restartWebhook: true,
	},
];

interface CallbackWait {
	itemIndex: number;
	/** When the node stops waiting (ISO date): then n8n outputs the placeholders. */
	waitUntil: string;
	output: ResultOptions['output'];
	binaryPropertyName?: string;
	maxDownloadBytes?: number;
	requested?: ResultOptions['requested'];
	annotations?: ResultOptions['annotations'];
	/** The item's uploaded references (tasks/uploads.ts), deleted once the item's tasks have ended. */
	uploadedFileIds?: string[];
}

/**
 * Executions whose callback is being handled in this n8n process: a second callback must not resume twice, and
 * one that comes while the first is being confirmed is answered 503 so that EvoLink sends it again.
 */
const RESUMES_REMEMBERED = 1000;
const resumesUnderWay = new Map<string, 'confirming' | 'resumed'>();

/** `$execution.resumeUrl`, checked to be callable by the API (fails before anything is sent). */
export function resumeUrlFor(
	this: IExecuteFunctions,
	itemIndex: number,
	options: { allowInternal: boolean },
): string {
	const url = String(this.evaluateExpression('{{ $execution.resumeUrl }}', itemIndex) ?? '');
	const parsed = parseUrl(url);
	// Only the origin may appear in a message: the query carries the execution's resume signature.
	const where = parsed ? parsed.origin : 'not a URL';
	const unreachable =
		!parsed ||
		url.length > CALLBACK_URL_MAX_LENGTH ||
		(!options.allowInternal && (parsed.protocol !== 'https:' || isInternalHost(parsed.hostname)));
	if (unreachable) {
		throw operationError(
			this.getNode(),
			`EvoLink cannot reach this n8n to report back: its resume URL starts with ${where}, not a public https address`,
			{
				itemIndex,
				description:
					"Set n8n's public webhook URL (the WEBHOOK_URL environment variable, e.g. https://n8n.example.com/) so EvoLink can call it, or choose Wait Mode > Wait for the Result to poll instead. Nothing was sent.",
			},
		);
	}
	return url;
}

/** The item a task waiting for its callback stands as, until the callback comes (or instead of it). */
export function callbackPlaceholder(
	task: SeedreamTask,
	results: ResultOptions,
	itemIndex: number,
	waitUntil: Date,
): INodeExecutionData {
	const wait: CallbackWait = {
		itemIndex,
		waitUntil: waitUntil.toISOString(),
		output: results.output,
		binaryPropertyName: results.binaryPropertyName,
		maxDownloadBytes: results.maxDownloadBytes,
		requested: results.requested,
		annotations: results.annotations,
	};
	return {
		json: {
			taskId: task.id,
			status: task.status,
			error: `No callback from EvoLink for task ${task.id} before ${wait.waitUntil} (Options > Max Wait)`,
			description: `The task may still be running, or may have finished without its callback reaching n8n, or before another task of this execution (the execution resumes once all have ended). Read it with Seedream > Task > Get and the task ID ${task.id}; if callbacks never arrive, check that n8n's WEBHOOK_URL is its public https address.`,
			[CALLBACK_WAIT_FIELD]: wait as unknown as IDataObject,
		},
		pairedItem: { item: itemIndex },
	};
}

/** A placeholder carries its item's uploads, for the resume to delete once its tasks end. */
export function carryUploads(item: INodeExecutionData, fileIds: string[]): void {
	const wait = callbackWaitOf(item);
	if (wait) wait.uploadedFileIds = fileIds;
}

function callbackWaitOf(item: INodeExecutionData | undefined): CallbackWait | undefined {
	const wait = item?.json?.[CALLBACK_WAIT_FIELD] as CallbackWait | undefined;
	return wait && typeof wait === 'object' && typeof item?.json.taskId === 'string'
		? wait
		: undefined;
}

export function isWaitingForCallback(items: INodeExecutionData[]): boolean {
	return items.some((item) => callbackWaitOf(item) !== undefined);
}

/**
 * Pauses the execution until a callback resumes it or the latest wait date passes. The items become the
 * node's input on the stack: what n8n passes through if no callback comes, and what the resume reads.
 */
export async function pauseForCallbacks(
	this: IExecuteFunctions,
	items: INodeExecutionData[],
): Promise<void> {
	const until = Math.max(
		...items.map((item) => Date.parse(callbackWaitOf(item)?.waitUntil ?? '') || 0),
	);
	this.getExecuteData().data = { main: [items] };
	await this.putExecutionToWait(new Date(until));
}

/** The waiting node's restart webhook: called with a callback on `$execution.resumeUrl`. */
export async function resumeFromCallback(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const deadline = confirmDeadline();
	const response = this.getResponseObject();
	const answer = (status: number, body?: IDataObject): IWebhookResponseData => {
		if (body) response.status(status).json(body);
		else response.status(status).end();
		return { noWebhookResponse: true };
	};

	const items = waitingItems(this);
	const reported = this.getBodyData();
	if (
		!isCallbackShaped(reported) ||
		!items.some((item) => item.json.taskId === reported.id && callbackWaitOf(item))
	) {
		return answer(400, { message: 'Not a callback for a task this execution waits for' });
	}

	const resumeKey = `${this.getWorkflow().id}/${this.getExecutionId()}`;
	const underWay = resumesUnderWay.get(resumeKey);
	if (underWay === 'resumed') return answer(200);
	if (underWay === 'confirming') {
		return answer(CALLBACK_RETRY_STATUS, {
			message: 'Another callback of this execution is being confirmed; try again',
		});
	}
	rememberResume(resumeKey, 'confirming');

	const verdict = await confirmCallback.call(this, reported, { verify: true, deadline });
	if (!verdict.accepted) {
		// Not confirmed: the execution keeps waiting, and EvoLink sends its callback again.
		resumesUnderWay.delete(resumeKey);
		return answer(verdict.status, { message: verdict.message });
	}

	// Answer at once (the API waits 10 s at most), then read the other tasks, each once.
	response.status(200).end();
	const tasks = await endedTasks(this, items, verdict.task);
	if (!tasks) {
		// One still runs: its own callback resumes the execution (webhook() returning no data keeps it waiting).
		resumesUnderWay.delete(resumeKey);
		return { noWebhookResponse: true };
	}
	rememberResume(resumeKey, 'resumed');
	const uploads = new UploadsInUse();
	const sets = new Set<number>();
	const output = await mapWithConcurrency(items, DEFAULT_CONCURRENCY, async (item) => {
		const wait = callbackWaitOf(item);
		if (!wait) return [item];
		const taskId = item.json.taskId as string;
		if (wait.annotations?.imagesMode === 'exactly') sets.add(wait.itemIndex);
		let ended: SeedreamTask | undefined;
		try {
			// Ended, so only a completed task's results listed late (docs/evolink-api.md §3) are waited for.
			const task = await settledTask.call(this, tasks.get(taskId) as SeedreamTask, {
				verify: true,
				itemIndex: wait.itemIndex,
			});
			ended = task;
			return await taskToItems.call(
				this,
				task,
				{
					output: wait.output,
					binaryPropertyName: wait.binaryPropertyName,
					maxDownloadBytes: wait.maxDownloadBytes,
					requested: wait.requested,
					annotations: wait.annotations,
				},
				wait.itemIndex,
			);
		} catch (error) {
			// A resumed node cannot fail the execution the way a running one does (n8n would drop the run's
			// earlier data), so a task that failed reports as under Continue On Fail.
			// Once the task has ended, its error item says so (its uploads are deleted: nothing can use them).
			return [taskErrorItem(error, ended ?? { id: taskId }, wait.itemIndex)];
		} finally {
			uploads.track(wait.uploadedFileIds ?? [], ended !== undefined);
		}
	});
	const resumed = output.flat() as INodeExecutionData[];
	// Exactly N: the set numbered as Wait for the Result numbers it (tasks/items.ts).
	numberImageSets(resumed);
	errorItemsWithItemTasks(resumed, sets);
	await deleteUploads.call(this, uploads.deletable());
	return { noWebhookResponse: true, workflowData: [resumed] };
}

/**
 * Every task the execution waits for, by ID, when each has ended: the reported one as confirmed, the others
 * read once each, a few at a time, stopping at the first batch that finds one still running (undefined then;
 * a read that fails counts as running: the task's own callback settles it).
 */
async function endedTasks(
	context: IWebhookFunctions,
	items: INodeExecutionData[],
	reported: SeedreamTask,
): Promise<Map<string, SeedreamTask> | undefined> {
	const ended = new Map<string, SeedreamTask>([[reported.id, reported]]);
	const others = [
		...new Set(
			items
				.filter((item) => callbackWaitOf(item))
				.map((item) => item.json.taskId as string)
				.filter((taskId) => taskId !== reported.id),
		),
	];
	for (let start = 0; start < others.length; start += DEFAULT_CONCURRENCY) {
		const batch = await Promise.all(
			others.slice(start, start + DEFAULT_CONCURRENCY).map(async (taskId) => {
				try {
					return await getTask.call(context, taskId);
				} catch (error) {
					context.logger.warn(
						`Seedream: could not read task ${taskId} on a callback (${(error as Error).message}); the execution waits for its own callback`,
					);
					return undefined;
				}
			}),
		);
		for (const task of batch) {
			if (!task || !isTerminal(task)) return undefined;
			ended.set(task.id, task);
		}
	}
	return ended;
}

/** The waiting node's input on the stack (what pauseForCallbacks put there), as n8n hands it to webhook(). */
function waitingItems(context: IWebhookFunctions): INodeExecutionData[] {
	try {
		const text = context.evaluateExpression('{{ JSON.stringify($input.all()) }}', 0);
		const items = JSON.parse(String(text)) as INodeExecutionData[];
		return Array.isArray(items) ? items : [];
	} catch {
		return [];
	}
}

function rememberResume(key: string, state: 'confirming' | 'resumed'): void {
	resumesUnderWay.delete(key);
	resumesUnderWay.set(key, state);
	if (resumesUnderWay.size > RESUMES_REMEMBERED) {
		const oldest = resumesUnderWay.values().next().value;
		if (oldest !== undefined) resumesUnderWay.delete(oldest);
	}
}

/**
 * The uploads of the tasks a resume finished: a file may go once every task that uses it has ended (Exactly N's
 * tasks share their item's); one used by a task still running (Max Wait passed) stays, and expires in 72 h.
 */
class UploadsInUse {
	private readonly ended = new Set<string>();
	private readonly running = new Set<string>();

	track(fileIds: string[], taskEnded: boolean): void {
		for (const id of fileIds) (taskEnded ? this.ended : this.running).add(id);
	}

	deletable(): string[] {
		return [...this.ended].filter((id) => !this.running.has(id));
	}
}
