import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { createTask, getTask, seedreamHosts } from '../transport';
import { isToolCall, readMaxWaitMs, readResultOptions } from '../actions/shared';
import {
	callbackPlaceholder,
	isWaitingForCallback,
	pauseForCallbacks,
	resumeUrlFor,
} from '../tasks/callbackWait';
import { taskToItems, type ResultOptions } from '../tasks/items';
import { isRetryableTaskError, isTerminal, taskSummary, type SeedreamTask } from '../tasks/task';
import { waitForTask } from '../tasks/wait';
import { idempotencyKey } from './idempotency';
import { referenceIdentity, referenceUrls, type PreparedReference } from './references';
import type { CreateBody } from './validate';

/**
 * What Generate and Decompose Layers share once a request is checked: uploading binary images, creating the
 * task once per Idempotency-Key, and the wait mode (wait, callback, don't wait).
 */

/** How many earlier tasks of the same key that failed server-side a re-run steps over (see submit). */
const MAX_FAILED_REPLAYS = 5;

export interface CreatePlan {
	body: CreateBody;
	references: PreparedReference[];
	/** Wait for the Callback: `$execution.resumeUrl`, sent as `callback_url` (never logged: it is signed). */
	resumeUrl?: string;
	/** What was asked for, echoed on the output items. */
	requested: ResultOptions['requested'];
	/** How results come out; none with Don't Wait. */
	results?: ResultOptions;
	maxWaitMs: number;
}

/**
 * How the task will be waited for and delivered, read and checked in prepare like everything else, before any
 * item has paid for a task.
 */
export function readDelivery(
	this: IExecuteFunctions,
	itemIndex: number,
	waitMode: string,
	requested: ResultOptions['requested'],
): Pick<CreatePlan, 'results' | 'maxWaitMs'> {
	const results =
		waitMode === 'wait' || waitMode === 'callback'
			? readResultOptions.call(this, itemIndex, requested)
			: undefined;
	return { results, maxWaitMs: results ? readMaxWaitMs.call(this, itemIndex) : 0 };
}

/** Whether the credential's API is a local one (not https), where internal callback addresses are allowed. */
export async function isLocalApi(this: IExecuteFunctions): Promise<boolean> {
	return !(await seedreamHosts.call(this)).baseUrl.toLowerCase().startsWith('https:');
}

/** Wait for the Callback: this item's resume URL, checked to be callable; undefined in other modes. */
export function resumeUrlIfWaiting(
	this: IExecuteFunctions,
	itemIndex: number,
	waitMode: string,
	localApi: boolean,
): string | undefined {
	return waitMode === 'callback' && !isToolCall(this)
		? resumeUrlFor.call(this, itemIndex, { allowInternal: localApi })
		: undefined;
}

export async function runCreate(
	this: IExecuteFunctions,
	itemIndex: number,
	plan: CreatePlan,
): Promise<INodeExecutionData[]> {
	const { requested, results, maxWaitMs } = plan;
	const submittedAt = Date.now();
	const { task, reused } = await submit.call(this, itemIndex, plan);
	if (!results) {
		return [{ json: { ...taskSummary(task), ...requested }, pairedItem: { item: itemIndex } }];
	}
	// A task reused from another execution calls back that execution, not this one: poll it instead.
	if (plan.resumeUrl && !isTerminal(task) && !reused) {
		// afterAllCreates pauses the execution once every item has its task (tasks/callbackWait.ts).
		return [callbackPlaceholder(task, results, itemIndex, new Date(submittedAt + maxWaitMs))];
	}
	const { task: finished } = await waitForTask.call(this, task, {
		maxWaitMs,
		itemIndex,
		submittedAt,
	});
	return await taskToItems.call(this, finished, results, itemIndex);
}

/** Wait for the Callback: one pause for the whole execution, once every item has its task. */
export async function afterAllCreates(
	this: IExecuteFunctions,
	output: INodeExecutionData[],
): Promise<void> {
	if (isWaitingForCallback(output)) await pauseForCallbacks.call(this, output);
}

/**
 * Uploads binary images, then creates the task once per Idempotency-Key. `reused`: the task came from another
 * execution (Reuse Identical Recent Task).
 */
async function submit(
	this: IExecuteFunctions,
	itemIndex: number,
	plan: CreatePlan,
): Promise<{ task: SeedreamTask; reused: boolean }> {
	const imageUrls = await referenceUrls.call(this, itemIndex, plan.references);
	const body: IDataObject = { ...plan.body };
	if (imageUrls.length) body.image_urls = imageUrls;
	if (plan.resumeUrl) body.callback_url = plan.resumeUrl;
	const scope = {
		executionId: this.getExecutionId() ?? '',
		workflowId: String(this.getWorkflow().id ?? ''),
		nodeId: this.getNode().id ?? this.getNode().name,
		// A retry re-runs the same run; a loop through the node makes a new one.
		runIndex: Number(this.getWorkflowDataProxy(itemIndex).$thisRunIndex) || 0,
		itemIndex,
	};
	// The key hashes what references ARE, not where they were uploaded (upload URLs differ each run).
	const intent = { ...plan.body, references: plan.references.map(referenceIdentity) };
	const acrossExecutions = this.getNodeParameter('options.reuseRecentTask', itemIndex, false) as boolean;

	let task: SeedreamTask | undefined;
	for (let attempt = 0; attempt <= MAX_FAILED_REPLAYS; attempt++) {
		const created = await createTask.call(
			this,
			body,
			idempotencyKey(scope, intent, attempt, acrossExecutions),
			itemIndex,
		);
		task = created.task;
		if (!created.replayed) return { task, reused: false };
		// A replay means this item already has a task from an earlier try of this execution (n8n's Retry On
		// Fail). Use it, unless it failed for a reason a new task can fix: then step to the next key.
		if (!isTerminal(task)) task = await getTask.call(this, task.id, itemIndex);
		if (!(task.status === 'failed' && isRetryableTaskError(task.error?.code))) {
			return { task, reused: acrossExecutions };
		}
	}
	return { task: task as SeedreamTask, reused: acrossExecutions };
}
