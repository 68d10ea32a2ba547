/**
 * What Generate and Decompose Layers share: the parameters after their own (Wait Mode, Output, Options), the
 * end of prepare (the wait mode and how results come out) and execute/afterAll (tasks/create.ts).
 */

import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { byModel, fromTable } from '../../helpers/byModel';
import { CALLBACK_URL_MAX_LENGTH } from '../../helpers/limits';
import type { ModelRules } from '../../models';
import { afterAllCreates, runCreate, type CreatePlan } from '../../tasks/create';
import { resumeUrlFor } from '../../tasks/callbackWait';
import { seedreamHosts } from '../../transport';
import {
	isToolCall,
	readConcurrency,
	readMaxWaitMs,
	readResultOptions,
} from '../../../shared/parameters';
import {
	DOWNLOAD_OPTION_NAMES,
	optionsCollection,
	resultOptions,
	waitModeProperty,
	waitOptions,
	outputProperty,
} from '../../../shared/properties';

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
		optionsCollection([...createOptions(models), ...waitOptions, ...createResultOptions]),
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
			displayName: 'Keep Uploaded References',
			name: 'keepUploadedReferences',
			type: 'boolean',
			default: false,
			description:
				"Whether to keep the binary reference images the node uploads to EvoLink Files. Off: each upload is deleted once the tasks that use it have ended, so they do not fill the account's file quota (100 files by default). With Don't Wait (or when Max Wait passes) the task may still need them, so they are kept either way and expire 72 hours after upload.",
		},
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

/** resultOptions of an operation that creates a task: a Don't Wait run downloads nothing either. */
const createResultOptions: INodeProperties[] = resultOptions.map((option) =>
	DOWNLOAD_OPTION_NAMES.includes(option.name)
		? {
				...option,
				displayOptions: { hide: { ...option.displayOptions?.hide, '/waitMode': ['dontWait'] } },
			}
		: option,
);

/** What prepare needs before it checks a request: the Wait Mode, and whether the API is a local one. */
export async function readCreateStart(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<CreateStart> {
	// Callback URL rules relax only when the API itself is not https: a local emulator on this machine.
	const localApi = !(await seedreamHosts.call(this)).baseUrl.toLowerCase().startsWith('https:');
	const waitMode = this.getNodeParameter('waitMode', itemIndex) as string;
	// In callback mode the callback URL is this execution's resume URL, set when the task is sent.
	const callbackUrl =
		waitMode === 'callback'
			? ''
			: (this.getNodeParameter('options.callbackUrl', itemIndex, '') as string);
	return { waitMode, localApi, callbackUrl };
}

export interface CreateStart {
	waitMode: string;
	localApi: boolean;
	/** Options > Callback URL as given ('' in callback mode). */
	callbackUrl: string;
}

/**
 * The end of prepare: the checked request, and how the task will be waited for and delivered, read and
 * checked like everything else before any item has paid for a task.
 */
export function createPlan(
	this: IExecuteFunctions,
	itemIndex: number,
	{ waitMode, localApi }: CreateStart,
	request: Pick<CreatePlan, 'body' | 'references' | 'requested' | 'images'>,
): CreatePlan {
	const results =
		waitMode === 'wait' || waitMode === 'callback'
			? readResultOptions.call(this, itemIndex, request.requested)
			: undefined;
	return {
		...request,
		// Wait for the Callback: this item's resume URL, checked to be callable (an agent's call polls).
		resumeUrl:
			waitMode === 'callback' && !isToolCall(this)
				? resumeUrlFor.call(this, itemIndex, { allowInternal: localApi })
				: undefined,
		results,
		maxWaitMs: results ? readMaxWaitMs.call(this, itemIndex) : 0,
		concurrency: readConcurrency.call(this),
	};
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	plan: CreatePlan,
): Promise<INodeExecutionData[]> {
	return await runCreate.call(this, itemIndex, plan);
}

export const afterAll = afterAllCreates;

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
