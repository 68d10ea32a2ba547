import {
	updateDisplayOptions,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';
import { createTask, getTask, seedreamHosts } from '../../transport';
import { errorItem } from '../../helpers/errors';
import { idempotencyKey } from '../../helpers/idempotency';
import { limiterOf } from '../../helpers/concurrency';
import {
	countInstruction,
	imagesMadeNote,
	promptAskingFor,
	type ImagesMode,
} from '../../helpers/imageCount';
import { RESUME_URL_PLACEHOLDER, validateOnlyItem } from '../../helpers/validateOnly';
import {
	ASPECT_MAX,
	CALLBACK_URL_MAX_LENGTH,
	DEFAULT_MODEL,
	DEFAULT_QUALITY,
	N_MAX,
	N_MIN,
	PIXELS_MAX,
	PIXELS_MIN,
	PRESET_SIZES,
	PROMPT_MAX_LENGTH,
	QUALITIES,
	RATIOS,
	REFERENCES_MAX,
} from '../../helpers/limits';
import {
	prepareReferences,
	referenceIdentity,
	referenceUrls,
	type PreparedReference,
	type ReferenceEntry,
} from '../../helpers/references';
import { taskToItems, type ResultOptions } from '../../tasks/items';
import {
	isRetryableTaskError,
	isTerminal,
	taskSummary,
	type SeedreamTask,
} from '../../tasks/task';
import { Validator, type GenerateBody, type SizeChoice } from '../../helpers/validate';
import { waitForTask } from '../../tasks/wait';
import {
	callbackPlaceholder,
	isWaitingForCallback,
	pauseForCallbacks,
	resumeUrlFor,
} from '../../tasks/callbackWait';
import {
	DEFAULT_CONCURRENCY,
	DOWNLOAD_OPTION_NAMES,
	isToolCall,
	outputProperty,
	readMaxWaitMs,
	readResultOptions,
	resultOptions,
	waitOptions,
	withVersionedDefault,
} from '../shared';

/** How many earlier tasks of the same key that failed server-side a re-run steps over (see createOnce). */
const MAX_FAILED_REPLAYS = 5;

const properties: INodeProperties[] = [
	{
		displayName: 'Model',
		name: 'model',
		type: 'options',
		default: DEFAULT_MODEL,
		options: [
			{
				name: 'Seedream 4.0',
				value: 'doubao-seedream-4.0',
				description: 'All sizes and qualities; prompt priority standard or fast',
			},
			{
				name: 'Seedream 4.5',
				value: 'doubao-seedream-4.5',
				description: 'Quality 2K or 4K only; prompt priority standard only',
			},
		],
	},
	{
		displayName: 'Prompt',
		name: 'prompt',
		type: 'string',
		typeOptions: { rows: 4 },
		required: true,
		default: '',
		placeholder: 'e.g. A set of 4 watercolor postcards of Lisbon trams at sunset',
		description: `What to draw, or how to edit the reference images. At most ${PROMPT_MAX_LENGTH} characters.`,
	},
	{
		displayName: 'Max Images',
		name: 'n',
		type: 'number',
		typeOptions: { minValue: N_MIN, maxValue: N_MAX },
		default: 1,
		description: `Upper bound on the images made (${N_MIN}-${N_MAX}); credits are reserved for this many and settled on the images actually made`,
		hint: 'An upper bound only: the service makes as many images as the prompt asks for. With reference images, Max Images + references may be at most 15.',
	},
	// Version 1 sent the prompt as written; from 1.1 the node asks for the images in the prompt (shared.ts).
	...withVersionedDefault(
		{
			displayName: 'How to Get Several Images',
			name: 'imagesMode',
			type: 'options',
			default: 'askInPrompt',
			description:
				'Max Images is only a ceiling: EvoLink makes as many images as the prompt asks for, one if it names no number',
			options: [
				{
					name: 'Ask for Them in the Prompt',
					value: 'askInPrompt',
					description: `One task; unless the prompt already asks for a number of images, the node adds "${countInstruction(4).replace('4', 'N')}" to it (the output shows the prompt sent)`,
				},
				{
					name: 'Exactly N (One Task per Image)',
					value: 'exactly',
					description:
						'Max Images tasks of one image each, sent together within Options > Concurrency; each is paid as one image',
				},
				{
					name: 'As the Prompt Says (Up to N)',
					value: 'asWritten',
					description: 'One task with the prompt as written: as many images as it asks for, at most Max Images',
				},
			],
			displayOptions: { show: { n: [{ _cnd: { gt: 1 } }] } },
		},
		{ v1: 'asWritten', current: 'askInPrompt' },
	),
	{
		displayName: 'Size',
		name: 'sizeMode',
		type: 'options',
		default: 'preset',
		options: [
			{ name: 'Preset', value: 'preset', description: '1K, 2K or 4K square' },
			{ name: 'Custom Width and Height', value: 'custom', description: 'Exact pixels' },
			{
				name: 'Aspect Ratio and Quality',
				value: 'ratio',
				description: 'A ratio such as 16:9, at 1K, 2K or 4K',
			},
		],
	},
	{
		displayName: 'Preset Size',
		name: 'size',
		type: 'options',
		default: '2K',
		options: PRESET_SIZES.map((size) => ({ name: size, value: size })),
		displayOptions: { show: { sizeMode: ['preset'] } },
	},
	{
		displayName: 'Width',
		name: 'width',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 16384 },
		default: 2048,
		description: `Width x height must be ${PIXELS_MIN.toLocaleString('en-US')}-${PIXELS_MAX.toLocaleString('en-US')} pixels (1280x720 to 4096x4096), width / height 1/${ASPECT_MAX} to ${ASPECT_MAX}`,
		displayOptions: { show: { sizeMode: ['custom'] } },
	},
	{
		displayName: 'Height',
		name: 'height',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 16384 },
		default: 2048,
		displayOptions: { show: { sizeMode: ['custom'] } },
	},
	{
		displayName: 'Aspect Ratio',
		name: 'aspectRatio',
		type: 'options',
		default: '1:1',
		options: RATIOS.map((ratio) => ({
			name: ratio === 'auto' ? 'Auto (Like the First Reference)' : ratio,
			value: ratio,
		})),
		displayOptions: { show: { sizeMode: ['ratio'] } },
	},
	{
		displayName: 'Quality',
		name: 'quality',
		type: 'options',
		default: DEFAULT_QUALITY,
		options: QUALITIES.map((quality) => ({ name: quality, value: quality })),
		description: 'Resolution class of the ratio; Seedream 4.5 takes 2K or 4K',
		displayOptions: { show: { sizeMode: ['ratio'] } },
	},
	{
		displayName: 'Reference Images',
		name: 'referenceImages',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		default: {},
		placeholder: 'Add Reference Image',
		description: `Images to edit or to take style and subjects from: URLs or binary fields of the input item, at most ${REFERENCES_MAX}. Binary images (JPEG, PNG, GIF, WebP, at most 10 MB) are uploaded to EvoLink Files.`,
		options: [
			{
				displayName: 'Image',
				name: 'images',
				values: [
					{
						displayName: 'Source',
						name: 'source',
						type: 'options',
						default: 'url',
						options: [
							{ name: 'URL', value: 'url' },
							{ name: 'Binary Field', value: 'binary' },
						],
					},
					{
						displayName: 'Image URL',
						name: 'url',
						type: 'string',
						default: '',
						placeholder: 'https://example.com/photo.png',
						displayOptions: { show: { source: ['url'] } },
					},
					{
						displayName: 'Input Binary Field',
						name: 'binaryPropertyName',
						type: 'string',
						default: 'data',
						description: 'Name of the binary field of the input item that holds the image',
						displayOptions: { show: { source: ['binary'] } },
					},
				],
			},
		],
	},
	{
		displayName: 'Wait Mode',
		name: 'waitMode',
		type: 'options',
		default: 'wait',
		options: [
			{
				name: 'Wait for the Result',
				value: 'wait',
				description: 'Poll the task until it ends, then output the images',
			},
			{
				name: 'Wait for the Callback',
				value: 'callback',
				description:
					"Pause the execution until EvoLink reports the task finished (no polling), then output what Wait for the Result outputs; a failed task comes out as an item with its error. Needs n8n reachable at its public https URL (WEBHOOK_URL). An AI agent's call polls instead.",
			},
			{
				name: "Don't Wait",
				value: 'dontWait',
				description: 'Output the task ID and status at once; read it later with Task > Get',
			},
		],
	},
	{
		...outputProperty('binaryPerImage'),
		displayOptions: { show: { waitMode: ['wait', 'callback'] } },
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			...([
				{
					displayName: 'Callback URL',
					name: 'callbackUrl',
					type: 'string',
					default: '',
					placeholder: 'https://example.com/webhooks/seedream',
					description: `An HTTPS URL that EvoLink POSTs the finished task to (at most ${CALLBACK_URL_MAX_LENGTH} characters, no internal addresses)`,
					hint: "To start another workflow when the task ends, paste its Seedream Trigger's Production URL here (its Test URL while listening for a test event), e.g. https://n8n.example.com/webhook/TOKEN, or keep it in a variable and use the expression {{ $vars.seedreamCallbackUrl }}",
					displayOptions: { hide: { '/waitMode': ['callback'] } },
				},
				{
					displayName: 'Prompt Priority',
					name: 'promptPriority',
					type: 'options',
					default: 'standard',
					options: [
						{ name: 'Standard', value: 'standard', description: 'Better results' },
						{ name: 'Fast', value: 'fast', description: 'Faster; Seedream 4.0 only' },
					],
				},
				{
					displayName: 'Validate Only',
					name: 'validateOnly',
					type: 'boolean',
					default: false,
					description:
						'Whether to check everything and output the request body that would be sent and the credits it would reserve, uploading and sending nothing. Prices are EvoLink figures the docs do not all confirm: the output says which are unverified.',
				},
			] satisfies INodeProperties[]),
			...waitOptions,
			// A Don't Wait run downloads nothing, so the download options do not apply to it either.
			...resultOptions.map((option) =>
				DOWNLOAD_OPTION_NAMES.includes(option.name)
					? {
							...option,
							displayOptions: {
								hide: { ...option.displayOptions?.hide, '/waitMode': ['dontWait'] },
							},
						}
					: option,
			),
		].sort((a, b) => a.displayName.localeCompare(b.displayName)),
	},
];

export const description = updateDisplayOptions(
	{ show: { resource: ['image'], operation: ['generate'] } },
	properties,
);

/** How the item's images are asked for (helpers/imageCount.ts); absent when Max Images is 1. */
export interface ImagesPlan {
	mode: ImagesMode;
	maxImages: number;
	/** Tasks to create: Max Images in `exactly`, else 1. */
	tasks: number;
}

export interface GeneratePlan {
	body: GenerateBody;
	references: PreparedReference[];
	images?: ImagesPlan;
	/** Wait for the Callback: `$execution.resumeUrl`, sent as `callback_url` (never logged: it is signed). */
	resumeUrl?: string;
}

/** Reads and checks everything for one item; nothing is sent. */
export async function prepare(this: IExecuteFunctions, itemIndex: number): Promise<GeneratePlan> {
	const validator = new Validator(this.getNode(), itemIndex);
	const param = <T>(name: string, fallback?: T) =>
		this.getNodeParameter(name, itemIndex, fallback) as T;
	const entries = param<ReferenceEntry[]>('referenceImages.images', []);
	// Callback URL rules relax only when the API itself is not https: a local emulator on this machine.
	const localApi = !(await seedreamHosts.call(this)).baseUrl.toLowerCase().startsWith('https:');
	const waitMode = param<string>('waitMode');
	const maxImages = validator.n(param<number>('n'));
	const mode = maxImages > 1 ? param<ImagesMode>('imagesMode', 'asWritten') : undefined;
	const body = validator.generate(
		{
			model: param<string>('model'),
			prompt: param<string>('prompt'),
			// Exactly N: each task asks for one image.
			n: mode === 'exactly' ? 1 : maxImages,
			size: readSize(param),
			promptPriority: param<string>('options.promptPriority', 'standard'),
			// In callback mode the callback URL is this execution's resume URL, set when the task is sent.
			callbackUrl: waitMode === 'callback' ? '' : param<string>('options.callbackUrl', ''),
			referenceCount: entries.length,
		},
		{ allowInternalCallback: localApi },
	);
	const images = mode ? { mode, maxImages, tasks: mode === 'exactly' ? maxImages : 1 } : undefined;
	if (mode === 'askInPrompt') body.prompt = validator.promptSent(promptAskingFor(body.prompt, maxImages));
	const references = await prepareReferences.call(this, itemIndex, entries, validator);
	const resumeUrl =
		waitMode === 'callback' && !isToolCall(this)
			? resumeUrlFor.call(this, itemIndex, {
					allowInternal: localApi,
				})
			: undefined;
	return { body, references, resumeUrl, images };
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	plan: GeneratePlan,
): Promise<INodeExecutionData[]> {
	const annotations = imagesAnnotations(plan);
	if (this.getNodeParameter('options.validateOnly', itemIndex, false) as boolean) {
		const body = plan.resumeUrl ? { ...plan.body, callback_url: RESUME_URL_PLACEHOLDER } : plan.body;
		return [
			validateOnlyItem(
				{ body, references: plan.references },
				plan.images?.tasks ?? 1,
				itemIndex,
				annotations,
			),
		];
	}
	if (plan.images?.mode !== 'exactly') {
		return await runTask.call(this, itemIndex, plan, annotations);
	}

	// Exactly N: N tasks of one image, together within the node's concurrency (one pool for the whole run).
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
function imagesAnnotations(plan: GeneratePlan): IDataObject {
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
	plan: GeneratePlan,
	annotations: IDataObject,
	part?: number,
): Promise<INodeExecutionData[]> {
	const waitMode = this.getNodeParameter('waitMode', itemIndex) as string;
	const requested = { size: plan.body.size, quality: plan.body.quality, n: plan.body.n };
	const results: ResultOptions | undefined =
		waitMode === 'wait' || waitMode === 'callback'
			? { ...readResultOptions.call(this, itemIndex, requested), annotations }
			: undefined;
	const maxWaitMs = readMaxWaitMs.call(this, itemIndex);

	const submittedAt = Date.now();
	const task = await submit.call(this, itemIndex, plan, part);
	if (!results) {
		return [
			{ json: { ...taskSummary(task), ...requested, ...annotations }, pairedItem: { item: itemIndex } },
		];
	}
	if (plan.resumeUrl && !isTerminal(task)) {
		// afterAll pauses the execution once every item has its task (tasks/callbackWait.ts).
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
 * A task that failed fails the item (its error names the task, and the others' IDs stay readable with
 * Task > Get), or under Continue On Fail becomes an error item beside the images.
 */
function exactlyOutput(
	context: IExecuteFunctions,
	settled: Array<PromiseSettledResult<INodeExecutionData[]>>,
	images: ImagesPlan,
	itemIndex: number,
): INodeExecutionData[] {
	const failures = settled.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
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
				sum + (Array.isArray(item.json.imageUrls) ? item.json.imageUrls.length : item.json.url ? 1 : 0),
			0,
		);
		const note = imagesMadeNote(count, images.maxImages, 'exactly');
		if (note) for (const item of made) item.json.imagesNote = note;
	}
	return [...made, ...failures.map((error) => errorItem(error, itemIndex))];
}

/** Wait for the Callback: one pause for the whole execution, once every item has its task. */
export async function afterAll(
	this: IExecuteFunctions,
	output: INodeExecutionData[],
): Promise<void> {
	if (isWaitingForCallback(output)) await pauseForCallbacks.call(this, output);
}

/** Uploads binary references, then creates the task once per Idempotency-Key. */
async function submit(
	this: IExecuteFunctions,
	itemIndex: number,
	plan: GeneratePlan,
	part?: number,
): Promise<SeedreamTask> {
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

	let task: SeedreamTask | undefined;
	for (let attempt = 0; attempt <= MAX_FAILED_REPLAYS; attempt++) {
		const created = await createTask.call(
			this,
			body,
			idempotencyKey(scope, intent, attempt),
			itemIndex,
		);
		task = created.task;
		if (!created.replayed) return task;
		// A replay means this item already has a task from an earlier try of this execution (n8n's Retry On
		// Fail). Use it, unless it failed for a reason a new task can fix: then step to the next key.
		if (!isTerminal(task)) task = await getTask.call(this, task.id, itemIndex);
		if (!(task.status === 'failed' && isRetryableTaskError(task.error?.code))) return task;
	}
	return task as SeedreamTask;
}

function readSize(param: <T>(name: string, fallback?: T) => T): SizeChoice {
	const mode = param<string>('sizeMode', 'preset');
	if (mode === 'custom')
		return { mode, width: param<number>('width'), height: param<number>('height') };
	if (mode === 'ratio')
		return { mode, ratio: param<string>('aspectRatio'), quality: param<string>('quality') };
	return { mode: 'preset', preset: param<string>('size') };
}
