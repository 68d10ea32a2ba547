import type { INodeProperties } from 'n8n-workflow';
import * as decomposeLayers from './decomposeLayers.operation';
import * as generate from './generate.operation';

export { decomposeLayers, generate };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['image'] } },
		options: [
			{
				name: 'Decompose Layers',
				value: 'decomposeLayers',
				action: 'Decompose an image into layers',
				description:
					'Split one image into a base image and transparent PNG layers (Seedream 5.0 Pro Layerize)',
			},
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
	...decomposeLayers.description,
];
