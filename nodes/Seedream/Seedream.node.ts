import { NodeConnectionTypes, type IExecuteFunctions, type INodeType, type INodeTypeDescription } from 'n8n-workflow';
import { router } from './actions/router';

export class Seedream implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Seedream',
		name: 'seedream',
		icon: { light: 'file:../../icons/seedream.svg', dark: 'file:../../icons/seedream.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Generate and edit images with ByteDance Seedream 4 through the EvoLink API',
		defaults: { name: 'Seedream' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'seedreamApi', required: true }],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [{ name: 'Account', value: 'account' }],
				default: 'account',
			},
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				displayOptions: { show: { resource: ['account'] } },
				options: [{ name: 'Get Credits', value: 'getCredits', action: 'Get credits' }],
				default: 'getCredits',
			},
		],
	};

	async execute(this: IExecuteFunctions) {
		return await router.call(this);
	}
}
