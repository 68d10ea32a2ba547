import { NodeConnectionTypes, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';
import { byModel, fromTable } from '../helpers/byModel';
import { CALLBACK_URL_MAX_LENGTH } from '../helpers/limits';
import type { ModelRules } from '../models';
import {
	DEFAULT_BINARY_PROPERTY,
	DEFAULT_MAX_DOWNLOAD_MB,
	type OutputShape,
	type ResultOptions,
} from '../tasks/items';
import { Validator, type NumberRange } from '../helpers/validate';

/** Parameters the operations share: how a task is waited for, how results come out. */

export const DEFAULT_MAX_WAIT_SECONDS = 600;
export const DEFAULT_CONCURRENCY = 5;

/**
 * Node versions. n8n saves only the parameters that differ from their defaults, so a changed default would
 * silently change every saved workflow: defaults change only with a new version, and a node saved at an older
 * version keeps that version's defaults (as n8n's own nodes do).
 * - 1.1: Task > Get waits and outputs binary, like Generate; the trigger outputs binary, Generate's shape;
 *   Generate asks for several images in the prompt when Max Images > 1.
 */
export const NODE_VERSIONS = [1, 1.1];
export const CURRENT_NODE_VERSION = 1.1;

/** The same parameter twice: version 1's default, and the default of 1.1 on. */
export function withVersionedDefault<T extends INodeProperties['default']>(
	property: INodeProperties,
	defaults: { v1: T; current: T },
): INodeProperties[] {
	// '@version' first: n8n stops checking a copy's `show` rules at the first one whose value is an expression
	// (say Max Images `={{ ... }}`), and both copies would then show, the later one winning.
	const at = (version: INodeProperties['displayOptions']) => ({
		...(property.displayOptions ?? {}),
		show: { ...version?.show, ...(property.displayOptions?.show ?? {}) },
	});
	return [
		{ ...property, default: defaults.v1, displayOptions: at({ show: { '@version': [1] } }) },
		{
			...property,
			default: defaults.current,
			displayOptions: at({ show: { '@version': [{ _cnd: { gte: CURRENT_NODE_VERSION } }] } }),
		},
	];
}

/** The options' ranges, for the UI and for the run-time check (an expression can give any value). */
export const OPTION_RANGES = {
	maxWaitSeconds: { min: 1 },
	concurrency: { min: 1, max: 50, integer: true },
	maxDownloadMB: { min: 1 },
} satisfies Record<string, NumberRange>;

/** How results come out; `noun` says what a task makes: images, or (Decompose Layers) layers. */
export function outputProperty(
	defaultShape: OutputShape,
	noun: 'image' | 'layer' = 'image',
): INodeProperties {
	const [one, Ones] = noun === 'layer' ? ['layer', 'Layers'] : ['image', 'Images'];
	const layerFacts = noun === 'layer' ? ', z-index, name, description and bounding box' : '';
	return {
		displayName: 'Output',
		name: 'output',
		type: 'options',
		default: defaultShape,
		description: `How the finished ${one}s come out. Result URLs expire 24 hours after the task completes.`,
		options: [
			{
				name: `One Item per ${noun === 'layer' ? 'Layer' : 'Image'} (Binary)`,
				value: 'binaryPerImage',
				description: `Download each ${one} into its own item, with the task ID, URL and expiry${layerFacts} in the JSON`,
			},
			{
				name: `All ${Ones} on One Item (Binary)`,
				value: 'binaryPerTask',
				description: `Download all ${one}s of a task onto one item, in binary fields image_0, image_1 and so on`,
			},
			{
				name: 'URLs Only',
				value: 'urls',
				description: `One item per ${one} with its URL, nothing downloaded`,
			},
			{
				name: 'Compact Summary',
				value: 'compact',
				description: `One item per task: task ID, status, ${one} URLs and when they expire`,
			},
		],
	};
}

/** How an operation that creates a task waits for it. */
export const waitModeProperty: INodeProperties = {
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
};

/**
 * The end of an operation that creates a task: Wait Mode, Output (for `noun`s: images or layers) and Options
 * (callback URL, prompt priority by model, waiting and results).
 */
export function deliveryProperties(
	models: readonly ModelRules[],
	noun: 'image' | 'layer',
): INodeProperties[] {
	return [
		waitModeProperty,
		{
			...outputProperty('binaryPerImage', noun),
			displayOptions: { show: { waitMode: ['wait', 'callback'] } },
		},
		{
			displayName: 'Options',
			name: 'options',
			type: 'collection',
			placeholder: 'Add Option',
			default: {},
			options: [...createOptions(models), ...waitOptions, ...createResultOptions].sort((a, b) =>
				a.displayName.localeCompare(b.displayName),
			),
		},
	];
}

/** The options of an operation that creates a task: where to report back, and prompt priority by model. */
function createOptions(models: readonly ModelRules[]): INodeProperties[] {
	return [
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
			displayName: 'Reuse Identical Recent Task',
			name: 'reuseRecentTask',
			type: 'boolean',
			default: false,
			description:
				'Whether running this node again with the same request (same workflow, node, item and parameters) gets back the task an earlier execution already paid for instead of creating a new one, e.g. after n8n crashed mid-task. Results are kept 24 hours after a task ends: a later re-run may get expired images instead of new ones (change the request, or turn this off). Off: every execution makes new images.',
		},
		// Only where there is a choice: a model that takes `standard` alone gets it without asking. An operation
		// with one model has no model parameter to show it by.
		...(models.length === 1
			? [promptPriorityOption(models[0])].filter((option) => option !== undefined)
			: byModel(models, promptPriorityOption, '/model')),
		{
			displayName: 'Validate Only',
			name: 'validateOnly',
			type: 'boolean',
			default: false,
			description:
				'Whether to check everything and output the request body that would be sent and the credits it would reserve, uploading and sending nothing. Prices are figures the docs do not all confirm: the output says which are unverified.',
		},
	];
}

export const waitOptions: INodeProperties[] = [
	{
		displayName: 'Max Wait (Seconds)',
		name: 'maxWaitSeconds',
		type: 'number',
		typeOptions: { minValue: OPTION_RANGES.maxWaitSeconds.min },
		default: DEFAULT_MAX_WAIT_SECONDS,
		description:
			'How long to wait for the task before giving up with an error that carries the task ID. The task keeps running at EvoLink; read it later with Task > Get.',
	},
];

/** Outputs that download nothing: the download options do not apply to them. */
const NO_DOWNLOAD_OUTPUTS: OutputShape[] = ['urls', 'compact'];

export const resultOptions: INodeProperties[] = [
	{
		displayName: 'Binary Output When Used as a Tool',
		name: 'binaryWhenTool',
		type: 'boolean',
		default: false,
		description:
			'Whether to output images as binary data when an AI agent calls this node. By default an agent gets the compact summary (task ID, status, image URLs, expiry).',
	},
	{
		displayName: 'Concurrency',
		name: 'concurrency',
		type: 'number',
		typeOptions: {
			minValue: OPTION_RANGES.concurrency.min,
			maxValue: OPTION_RANGES.concurrency.max,
		},
		default: DEFAULT_CONCURRENCY,
		description:
			'How many input items are processed at once. EvoLink rate-limits per model; refused requests are retried after the delay it asks for.',
	},
	{
		displayName: 'Max Download Size (MB)',
		name: 'maxDownloadMB',
		type: 'number',
		typeOptions: { minValue: OPTION_RANGES.maxDownloadMB.min },
		default: DEFAULT_MAX_DOWNLOAD_MB,
		description: 'Refuse to download an image larger than this',
		displayOptions: { hide: { '/output': NO_DOWNLOAD_OUTPUTS } },
	},
	{
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: DEFAULT_BINARY_PROPERTY,
		description:
			'The binary field of each output item that holds its image (One Item per Image output). All Images on One Item uses image_0, image_1, ...',
		displayOptions: { hide: { '/output': NO_DOWNLOAD_OUTPUTS } },
	},
];

/** The options above that only matter when images are downloaded (hidden for the other outputs). */
export const DOWNLOAD_OPTION_NAMES = ['binaryPropertyName', 'maxDownloadMB'];

/** resultOptions of an operation that creates a task: a Don't Wait run downloads nothing either. */
export const createResultOptions: INodeProperties[] = resultOptions.map((option) =>
	DOWNLOAD_OPTION_NAMES.includes(option.name)
		? {
				...option,
				displayOptions: { hide: { ...option.displayOptions?.hide, '/waitMode': ['dontWait'] } },
			}
		: option,
);

/** Reads a node parameter with a fallback: `getNodeParameter` of an execute context (per item) or a webhook. */
export type ParameterReader = <T>(name: string, fallback: T) => T;

/** Where the images go and how big they may be: the options Generate, Task > Get and the trigger share. */
export function readDownloadOptions(
	read: ParameterReader,
	validator: Validator,
): Required<Pick<ResultOptions, 'binaryPropertyName' | 'maxDownloadBytes'>> {
	const maxDownloadMB = validator.numberOption(
		'Max Download Size (MB)',
		read<unknown>('options.maxDownloadMB', DEFAULT_MAX_DOWNLOAD_MB),
		OPTION_RANGES.maxDownloadMB,
	);
	return {
		binaryPropertyName: String(read('options.binaryPropertyName', DEFAULT_BINARY_PROPERTY)),
		maxDownloadBytes: maxDownloadMB * 1024 * 1024,
	};
}

export function readResultOptions(
	this: IExecuteFunctions,
	itemIndex: number,
	requested?: ResultOptions['requested'],
): ResultOptions {
	const read: ParameterReader = (name, fallback) =>
		this.getNodeParameter(name, itemIndex, fallback) as typeof fallback;
	const chosen = this.getNodeParameter('output', itemIndex) as OutputShape;
	const binaryWhenTool = read('options.binaryWhenTool', false);
	const downloads = chosen === 'binaryPerImage' || chosen === 'binaryPerTask';
	return {
		output: isToolCall(this) && downloads && !binaryWhenTool ? 'compact' : chosen,
		...readDownloadOptions(read, new Validator(this.getNode(), itemIndex)),
		requested,
	};
}

/**
 * Whether an AI agent called the node as a tool. Two ways in: n8n runs a tool through `supplyData`, where
 * `isToolExecution()` says so (older versions lack the method), or (the AI Agent since v3, n8n 2.x) as an
 * ordinary node the engine schedules for the agent's tool call, where `isToolExecution()` is false and the
 * engine marks the node by sending its output to the `ai_tool` connection, as n8n's own error handling checks.
 */
export function isToolCall(context: IExecuteFunctions): boolean {
	if (typeof context.isToolExecution === 'function' && context.isToolExecution()) return true;
	return context.getNode().rewireOutputLogTo === NodeConnectionTypes.AiTool;
}

export function readMaxWaitMs(this: IExecuteFunctions, itemIndex: number): number {
	const seconds = new Validator(this.getNode(), itemIndex).numberOption(
		'Max Wait (Seconds)',
		this.getNodeParameter('options.maxWaitSeconds', itemIndex, DEFAULT_MAX_WAIT_SECONDS),
		OPTION_RANGES.maxWaitSeconds,
	);
	return seconds * 1000;
}

/** Items at once: read for item 0, checked before any item is prepared. */
export function readConcurrency(this: IExecuteFunctions): number {
	return new Validator(this.getNode(), 0).numberOption(
		'Concurrency',
		this.getNodeParameter('options.concurrency', 0, DEFAULT_CONCURRENCY),
		OPTION_RANGES.concurrency,
	);
}

function promptPriorityOption(rules: ModelRules): INodeProperties | undefined {
	if (rules.promptPriorities.length < 2) return undefined;
	return {
		displayName: 'Prompt Priority',
		name: 'promptPriority',
		type: 'options',
		default: fromTable(rules.promptPriorities[0]),
		options: rules.promptPriorities.map((value) => ({
			name: value === 'fast' ? 'Fast' : 'Standard',
			value,
			description: value === 'fast' ? 'Faster' : 'Better results',
		})),
	};
}
