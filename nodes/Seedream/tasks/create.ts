/**
 * Creating a task from a checked request: Validate Only, uploading binary images, creating the task once per
 * Idempotency-Key (Exactly N: one task per image), and the wait mode (wait, callback, don't wait).
 */

import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { DEFAULT_CONCURRENCY, limiterOf } from '../helpers/concurrency';
import { errorItem } from '../helpers/errors';
import { idempotencyKey } from '../helpers/idempotency';
import { imagesMadeNote, type ImagesPlan } from '../helpers/imageCount';
import { referenceIdentity, type PreparedReference } from '../helpers/references';
import type { ResultOptions } from '../helpers/results';
import type { CreateBody } from '../helpers/validate';
import { RESUME_URL_PLACEHOLDER, validateOnlyItem } from '../helpers/validateOnly';
import { createTask, getTask } from '../transport';
import { callbackPlaceholder, isWaitingForCallback, pauseForCallbacks } from './callbackWait';
import { taskToItems } from './items';
import { isRetryableTaskError, isTerminal, taskSummary, type SeedreamTask } from './task';
import { referenceUrls } from './uploads';
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
}

/**
 * Runs a checked plan: Validate Only outputs what would be sent; Exactly N runs N one-image tasks together
 * within the node's Concurrency (one pool for the whole run); otherwise one task.
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
	if (plan.images?.mode !== 'exactly')
		return await runTask.call(this, itemIndex, plan, annotations);

	const limiter = limiterOf(
		this,
		this.getNodeParameter('options.concurrency', 0, DEFAULT_CONCURRENCY) as number,
	);
	const settled = await Promise.allSettled(
		Array.from({ length: plan.images.tasks }, (_, part) =>
			limiter.run(async () => await runTask.call(this, itemIndex, plan, annotations, part)),
		),
	);
	return exactlyOutput(this, settled, plan.images, itemIndex);
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

/** One task: create it (once per Idempotency-Key), then wait for it as the Wait Mode says. */
async function runTask(
	this: IExecuteFunctions,
	itemIndex: number,
	plan: CreatePlan,
	annotations: IDataObject,
	part?: number,
): Promise<INodeExecutionData[]> {
	const { requested, maxWaitMs } = plan;
	const results: ResultOptions | undefined = plan.results && { ...plan.results, annotations };

	const submittedAt = Date.now();
	const { task, reused } = await submit.call(this, itemIndex, plan, part);
	if (!results) {
		return [
			{
				json: { ...taskSummary(task), ...requested, ...annotations },
				pairedItem: { item: itemIndex },
			},
		];
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

/**
 * The items of N one-image tasks: the images numbered across the set, and a note when fewer than N came.
 * A task that failed fails the item (its error names the task; the others stay readable with Task > Get),
 * or under Continue On Fail becomes an error item beside the images.
 */
function exactlyOutput(
	context: IExecuteFunctions,
	settled: Array<PromiseSettledResult<INodeExecutionData[]>>,
	images: ImagesPlan,
	itemIndex: number,
): INodeExecutionData[] {
	const failures = settled.flatMap((result) =>
		result.status === 'rejected' ? [result.reason] : [],
	);
	if (failures.length && !context.continueOnFail()) throw failures[0];
	const made = settled.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
	// Per-image items (One Item per Image, URLs Only) are numbered across the set.
	const perImage = made.filter((item) => typeof item.json.url === 'string');
	perImage.forEach((item, imageIndex) => {
		item.json.imageIndex = imageIndex;
		item.json.imageCount = perImage.length;
	});
	// Only once every task has ended is the count known (not with Don't Wait or while awaiting callbacks).
	if (made.every((item) => item.json.status === 'completed')) {
		const count = made.reduce(
			(sum, item) =>
				sum +
				(Array.isArray(item.json.imageUrls) ? item.json.imageUrls.length : item.json.url ? 1 : 0),
			0,
		);
		const note = imagesMadeNote(count, images.maxImages, 'exactly');
		if (note) for (const item of made) item.json.imagesNote = note;
	}
	return [...made, ...failures.map((error) => errorItem(error, itemIndex))];
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
	part?: number,
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
