/**
 * The parameters both nodes show: how results come out (Output, the download options), how long to wait, and
 * the ranges the run-time checks share with the UI.
 */

import type { INodeProperties } from 'n8n-workflow';
import { DEFAULT_CONCURRENCY } from '../Seedream/helpers/concurrency';
import {
	DEFAULT_BINARY_PROPERTY,
	DEFAULT_MAX_DOWNLOAD_MB,
	type OutputShape,
} from '../Seedream/helpers/results';
import type { NumberRange } from '../Seedream/helpers/validate';
import { withVersionedDefault } from './versions';

export const DEFAULT_MAX_WAIT_SECONDS = 600;

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

/** Output where version 1 gave URLs and 1.1 on downloads the images (Task > Get, the trigger). */
export function versionedOutputProperty(): INodeProperties[] {
	return withVersionedDefault(outputProperty('binaryPerImage'), {
		v1: 'urls',
		current: 'binaryPerImage',
	});
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
			"How many input items are processed at once, and how many tasks run at once across them (Exactly N's included). EvoLink rate-limits per model; refused requests are retried after the delay it asks for.",
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

/** The download options alone (where they are the only result options, as in the trigger). */
export const downloadOptions: INodeProperties[] = resultOptions.filter((option) =>
	DOWNLOAD_OPTION_NAMES.includes(option.name),
);

/** The Options collection of a node or operation, its options in alphabetical order (as n8n's lint wants). */
export function optionsCollection(options: INodeProperties[]): INodeProperties {
	return {
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [...options].sort((a, b) => a.displayName.localeCompare(b.displayName)),
	};
}
