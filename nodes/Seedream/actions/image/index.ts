import type { INodeProperties } from 'n8n-workflow';
import * as generate from './generate.operation';

export { generate };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['image'] } },
		options: [
			{
				name: 'Generate',
				value: 'generate',
				action: 'Generate images',
				description:
					'Create images from a prompt, optionally editing or combining reference images',
			},
		],
		default: 'generate',
	},
	...generate.description,
];
