/**
 * Creating a task from a checked request: Validate Only, uploading binary images, creating the task once per
 * Idempotency-Key (Exactly N: one task per image), and the wait mode (wait, callback, don't wait).
 */

import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { limiterOf } from '../helpers/concurrency';
import { errorItem } from '../helpers/errors';
import { idempotencyKey } from '../helpers/idempotency';
import type { ImagesPlan } from '../helpers/imageCount';
import { referenceIdentity, type PreparedReference } from '../helpers/references';
import type { ResultOptions } from '../helpers/results';
import type { CreateBody } from '../helpers/validate';
import { RESUME_URL_PLACEHOLDER, validateOnlyItem } from '../helpers/validateOnly';
import { createTask, getTask } from '../transport';
import {
	callbackPlaceholder,
	carryUploads,
	isWaitingForCallback,
	pauseForCallbacks,
} from './callbackWait';
import { itemTasks, withItemTasks, withTaskCost } from './errors';
import { numberImageSets, taskToItems } from './items';
import { isRetryableTaskError, isTerminal, taskSummary, type SeedreamTask } from './task';
import { deleteUploads, uploadReferences } from './uploads';
import { waitForTask } from './wait';

/** How many earlier tasks of the same key that failed server-side a re-run steps over (see submit). */
const MAX_FAILED_REPLAYS = 5;

export interface CreatePlan {
	body: CreateBody;
	references: PreparedReference[];
	/** Wait for the Callback: `$execution.resumeUrl`, sent as `callback_url` (never logged: it is signed). */
	resumeUrl?: string;
	/** What was asked for, echoed on the output items. */
	requested: ResultOptions['requested'];
	/** How several images are asked for (Generate with Max Images > 1). */
	images?: ImagesPlan;
	/** How results come out; none with Don't Wait. */
	results?: ResultOptions;
	maxWaitMs: number;
	/** The node's Concurrency, as the router read and checked it: tasks of every item and mode at once. */
	concurrency: number;
}

/**
 * Runs a checked plan: Validate Only outputs what would be sent; otherwise the item's binary references are
 * uploaded once, then its task runs (Exactly N: its N one-image tasks, together), every task of every item
 * within the node's Concurrency (one pool for the whole run), and the uploads are deleted once the tasks end.
 */
export async function runCreate(
	this: IExecuteFunctions,
	itemIndex: number,
	plan: CreatePlan,
): Promise<INodeExecutionData[]> {
	const annotations = imagesAnnotations(plan);
	if (this.getNodeParameter('options.validateOnly', itemIndex, false) as boolean) {
		const body = plan.resumeUrl
			? { ...plan.body, callback_url: RESUME_URL_PLACEHOLDER }
			: plan.body;
		return [
			validateOnlyItem(
				{ body, references: plan.references },
				plan.images?.tasks ?? 1,
				itemIndex,
				annotations,
			),
		];
	}
	const keep = this.getNodeParameter('options.keepUploadedReferences', itemIndex, false) as boolean;
	const uploads = await uploadReferences.call(this, itemIndex, plan.references, keep);
	const limiter = limiterOf(this, plan.concurrency);
	const parts = plan.images?.mode === 'exactly' ? plan.images.tasks : undefined;
	const unended = { count: 0 };
	const settled = await Promise.allSettled(
		Array.from({ length: parts ?? 1 }, (_, part) =>
			limiter.run(
				async () =>
					await runTask.call(this, itemIndex, plan, {
						imageUrls: uploads.urls,
						annotations,
						unended,
						part: parts === undefined ? undefined : part,
					}),
			),
		),
	);
	const made = settled.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
	if (!keep) await releaseUploads.call(this, itemIndex, uploads.fileIds, made, unended.count);
	if (parts === undefined) {
		if (settled[0].status === 'rejected') throw settled[0].reason;
		return made;
	}
	return exactlyOutput(this, settled, itemIndex);
}

/**
 * The item's uploads are deleted once no task that uses them can still fetch them (the service fetches
 * references only when a task runs, docs/evolink-api.md §9). Tasks waiting for their callback carry the file IDs, and the
 * resume deletes them (tasks/callbackWait.ts). A task still running otherwise (Don't Wait, or Max Wait passed)
 * keeps them: deleting could fail the task, and they expire 72 h after upload.
 */
async function releaseUploads(
	this: IExecuteFunctions,
	itemIndex: number,
	fileIds: string[],
	made: INodeExecutionData[],
	unended: number,
): Promise<void> {
	if (fileIds.length === 0) return;
	const waiting = made.filter((item) => isWaitingForCallback([item]));
	if (unended === 0) await deleteUploads.call(this, fileIds, itemIndex);
	else if (unended === waiting.length) for (const item of waiting) carryUploads(item, fileIds);
}

/** The mode, the ceiling and (asking in the prompt) the prompt actually sent, on every item of the task. */
function imagesAnnotations(plan: CreatePlan): IDataObject {
	if (!plan.images) return {};
	const annotations: IDataObject = {
		imagesMode: plan.images.mode,
		maxImages: plan.images.maxImages,
	};
	if (plan.images.mode === 'askInPrompt') annotations.promptSent = plan.body.prompt;
	return annotations;
}

interface TaskRun {
	/** `image_urls`: the item's references, uploaded once for all its tasks. */
	imageUrls: string[];
	annotations: IDataObject;
	/** Counts the item's tasks that may still be running when runTask returns (their uploads stay). */
	unended: { count: number };
	/** Exactly N: which of the item's tasks. */
	part?: number;
}

/**
 * One task: create it (once per Idempotency-Key), then wait for it as the Wait Mode says. An error once the
 * task exists names it and what it cost.
 */
async function runTask(
	this: IExecuteFunctions,
	itemIndex: number,
	plan: CreatePlan,
	run: TaskRun,
): Promise<INodeExecutionData[]> {
	const { requested, maxWaitMs } = plan;
	const { annotations, unended } = run;
	const results: ResultOptions | undefined = plan.results && { ...plan.results, annotations };

	const submittedAt = Date.now();
	const { task, reused } = await submit.call(this, itemIndex, plan, run);
	if (!results) {
		if (!isTerminal(task)) unended.count++;
		return [
			{
				json: { ...taskSummary(task), ...requested, ...annotations },
				pairedItem: { item: itemIndex },
			},
		];
	}
	// A task reused from another execution calls back that execution, not this one: poll it instead.
	if (plan.resumeUrl && !isTerminal(task) && !reused) {
		unended.count++;
		// afterAllCreates pauses the execution once every item has its task (tasks/callbackWait.ts).
		return [callbackPlaceholder(task, results, itemIndex, new Date(submittedAt + maxWaitMs))];
	}
	let latest = task;
	try {
		latest = (await waitForTask.call(this, task, { maxWaitMs, itemIndex, submittedAt })).task;
	} catch (error) {
		// Max Wait passed, or the task could not be read: it may still be running.
		unended.count++;
		throw withTaskCost(error, latest);
	}
	try {
		return await taskToItems.call(this, latest, results, itemIndex);
	} catch (error) {
		throw withTaskCost(error, latest);
	}
}

/**
 * The items of N one-image tasks: the images numbered across the set, and a note when fewer than N came.
 * A task that failed fails the item, or under Continue On Fail becomes an error item beside the images; either
 * way its error names every task the item created and what each cost (the others are billed as they end).
 */
function exactlyOutput(
	context: IExecuteFunctions,
	settled: Array<PromiseSettledResult<INodeExecutionData[]>>,
	itemIndex: number,
): INodeExecutionData[] {
	const made = settled.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
	const failures = settled.flatMap((result) =>
		result.status === 'rejected' ? [result.reason as unknown] : [],
	);
	const tasks = itemTasks(made, failures);
	for (const failure of failures) withItemTasks(failure, tasks);
	if (failures.length && !context.continueOnFail()) throw failures[0];
	numberImageSets(made);
	// In the order of the tasks, as the callback resume outputs them.
	return settled.flatMap((result) =>
		result.status === 'fulfilled' ? result.value : [errorItem(result.reason, itemIndex)],
	);
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
	{ imageUrls, part }: Pick<TaskRun, 'imageUrls' | 'part'>,
): Promise<{ task: SeedreamTask; reused: boolean }> {
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
		// Exactly N: each of the item's tasks has a key of its own (absent otherwise: keys stay as they were).
		part,
	};
	// The key hashes what references ARE, not where they were uploaded (upload URLs differ each run).
	const intent = { ...plan.body, references: plan.references.map(referenceIdentity) };
	const acrossExecutions = this.getNodeParameter(
		'options.reuseRecentTask',
		itemIndex,
		false,
	) as boolean;

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
