import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
} from 'n8n-workflow';
import * as account from './actions/account';
import * as image from './actions/image';
import { router } from './actions/router';
import { CURRENT_NODE_VERSION, NODE_VERSIONS } from '../shared/versions';
import { resumeFromCallback, resumeWebhooks } from './tasks/callbackWait';
import * as task from './actions/task';

export class Seedream implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Seedream',
		name: 'seedream',
		icon: { light: 'file:../../icons/seedream.svg', dark: 'file:../../icons/seedream.dark.svg' },
		group: ['transform'],
		version: NODE_VERSIONS,
		defaultVersion: CURRENT_NODE_VERSION,
		// Sentence case from the values, no table to keep in step: generate + image -> "Generate image",
		// getCredits -> "Get credits" (an operation of two words already names its object).
		subtitle:
			'={{ $parameter["operation"].charAt(0).toUpperCase() + $parameter["operation"].slice(1).replace(/([A-Z])/g, " $1").toLowerCase() + (/[A-Z]/.test($parameter["operation"]) ? "" : " " + $parameter["resource"]) }}',
		description:
			'Generate and edit images with ByteDance Seedream 4.0, 4.5, 5.0 Lite and 5.0 Pro through the EvoLink API, and split images into layers: text to image, editing and multi-reference generation, transparent backgrounds',
		defaults: { name: 'Seedream' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'seedreamApi', required: true }],
		// Generate's Wait for the Callback: the callback resumes the paused execution here.
		webhooks: resumeWebhooks,
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Image', value: 'image' },
					{ name: 'Task', value: 'task' },
					{ name: 'Account', value: 'account' },
				],
				default: 'image',
			},
			...image.description,
			...task.description,
			...account.description,
		],
	};

	async execute(this: IExecuteFunctions) {
		return await router.call(this);
	}

	async webhook(this: IWebhookFunctions) {
		return await resumeFromCallback.call(this);
	}
}
