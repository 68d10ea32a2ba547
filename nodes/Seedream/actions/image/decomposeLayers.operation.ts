import { updateDisplayOptions, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';
import { fromTable } from '../../helpers/byModel';
import { prepareReferences, type ReferenceEntry } from '../../helpers/references';
import type { CreatePlan } from '../../tasks/create';
import { Validator } from '../../helpers/validate';
import { LAYERS_MAX, modelsFor, UPLOAD_FORMATS } from '../../models';
import { createPlan, deliveryProperties, readCreateStart } from './create';

export { afterAll, execute } from './create';

/**
 * Image > Decompose Layers (doubao-seedream-5.0-pro-layerize, docs/evolink-seedream-5.md §4): one image in, a base
 * image (z-index 0) and transparent PNG layers out, each with its z-index, bounding box, name and description.
 */

const MODELS = modelsFor('decomposeLayers');
const [RULES] = MODELS;
const { references: LIMITS } = RULES;
const OUTPUT_FORMAT = RULES.extras.outputFormat;

const properties: INodeProperties[] = [
	{
		displayName: `Splits one image into a base image and its layers: 1 to ${LAYERS_MAX} images per task, each billed by its own pixels. All or nothing: if one layer fails, the whole task fails and nothing is charged. A task takes about 2 minutes.`,
		name: 'billingNotice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Input Image',
		name: 'imageSource',
		type: 'options',
		default: 'url',
		options: [
			{ name: 'URL', value: 'url' },
			{ name: 'Binary Field', value: 'binary' },
		],
		description: `The image to split: ${LIMITS.formats.join(' or ').toUpperCase()}, at most ${LIMITS.maxBytes / 1024 / 1024} MB, ${LIMITS.minPixels?.toLocaleString('en-US')} pixels or more, width / height 1/${LIMITS.aspect.max} to ${LIMITS.aspect.max}`,
	},
	{
		displayName: 'Image URL',
		name: 'imageUrl',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'https://example.com/poster.png',
		displayOptions: { show: { imageSource: ['url'] } },
	},
	{
		displayName: 'Input Binary Field',
		name: 'inputBinaryField',
		type: 'string',
		required: true,
		default: 'data',
		description: `Name of the binary field of the input item that holds the image (uploaded to EvoLink Files, which takes ${UPLOAD_FORMATS.join(', ')})`,
		displayOptions: { show: { imageSource: ['binary'] } },
	},
	{
		displayName: 'Prompt',
		name: 'prompt',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '',
		placeholder: 'e.g. title text<bbox>179 58 809 197</bbox>',
		description:
			'Optional: which elements to split out. Empty splits every major element. Natural language works, as does a label followed by &lt;bbox&gt;x1 y1 x2 y2&lt;/bbox&gt; in 0-1000 coordinates, one per region.',
	},
	{
		displayName: 'Quality',
		name: 'quality',
		type: 'options',
		default: fromTable(RULES.quality.default),
		options: RULES.quality.values.map((value) => ({
			name: value === 'auto' ? 'Auto' : value,
			value,
			description:
				value === 'auto'
					? 'Keep the input size when it is 921,600-4,624,220 pixels; a smaller one comes out at 1K, a larger one at 2K'
					: undefined,
		})),
		description:
			"Resolution of the base image; it keeps the input's aspect ratio and each layer its own",
	},
	...(OUTPUT_FORMAT
		? [
				{
					displayName: 'Base Image Format',
					name: 'outputFormat',
					type: 'options',
					default: fromTable(OUTPUT_FORMAT.default),
					options: OUTPUT_FORMAT.values.map((value) => ({ name: value.toUpperCase(), value })),
					description: 'File type of the base image; the layers are always PNG with transparency',
				} satisfies INodeProperties,
			]
		: []),
	...deliveryProperties(MODELS, 'layer'),
];

export const description = updateDisplayOptions(
	{ show: { resource: ['image'], operation: ['decomposeLayers'] } },
	properties,
);

/** Reads and checks everything for one item against the layerize table; nothing is sent. */
export async function prepare(this: IExecuteFunctions, itemIndex: number): Promise<CreatePlan> {
	const validator = new Validator(this.getNode(), itemIndex);
	const param = <T>(name: string, fallback?: T) =>
		this.getNodeParameter(name, itemIndex, fallback) as T;
	const entry: ReferenceEntry =
		param<string>('imageSource', 'url') === 'binary'
			? { source: 'binary', binaryPropertyName: param<string>('inputBinaryField', 'data') }
			: { source: 'url', url: param<string>('imageUrl', '') };
	const start = await readCreateStart.call(this, itemIndex);
	const body = validator.create(
		RULES,
		{
			prompt: param<string>('prompt', ''),
			quality: param<string>('quality', RULES.quality.default),
			promptPriority: param<string>('options.promptPriority', RULES.promptPriorities[0]),
			callbackUrl: start.callbackUrl,
			referenceCount: 1,
			outputFormat: param<string>('outputFormat', '') || undefined,
		},
		{ allowInternalCallback: start.localApi },
	);
	const references = await prepareReferences.call(
		this,
		itemIndex,
		[entry],
		validator,
		RULES,
		() => 'Input Image',
	);
	return createPlan.call(this, itemIndex, start, {
		body,
		references,
		requested: { quality: body.quality },
	});
}
