import {
	updateDisplayOptions,
	type IDataObject,
	type IExecuteFunctions,
	type INodeProperties,
} from 'n8n-workflow';
import { byModel, fromTable } from '../../helpers/byModel';
import { countInstruction, promptAskingFor, type ImagesMode } from '../../helpers/imageCount';
import { prepareReferences, type ReferenceEntry } from '../../helpers/references';
import type { CreatePlan } from '../../tasks/create';
import { Validator, type CreateInput, type SizeChoice } from '../../helpers/validate';
import { DEFAULT_MODEL, modelsFor, UPLOAD_FORMATS, type ModelRules } from '../../models';
import { withVersionedDefault } from '../../../shared/versions';
import { createPlan, deliveryProperties, readCreateStart } from './create';

export { afterAll, execute } from './create';

/**
 * Image > Generate: every generation model, each field shown and sent only for the models whose table
 * (../../models) lists it. Today's parameter names and 4.0's defaults stay, so existing workflows run unchanged.
 */

const MODELS = modelsFor('generate');

const megabytes = (bytes: number) => bytes / 1024 / 1024;
const ratioName = (ratio: string, rules: ModelRules) =>
	ratio === 'auto'
		? rules.size?.defaultMode === 'ratio'
			? 'Auto (the Model Picks; Like the First Reference)'
			: 'Auto (Like the First Reference)'
		: ratio;

/** "2048x2048 at 1:1", from the model's ratio x quality table. */
function squarePixels(rules: ModelRules, quality: string): string | undefined {
	const cell = rules.quality.pixels?.['1:1']?.[quality];
	return cell ? `${cell[0]}x${cell[1]} at 1:1` : undefined;
}

/** The reference rules of each model, for the Reference Images description. */
function referenceLimits(): string {
	const lines = new Map<string, string[]>();
	for (const rules of MODELS) {
		const limits = rules.references;
		const urlOnly = limits.formats.filter(
			(format) => !(UPLOAD_FORMATS as readonly string[]).includes(format),
		);
		const line = `at most ${limits.max}, ${megabytes(limits.maxBytes)} MB each${urlOnly.length ? ` (${urlOnly.join(', ')} by URL only)` : ''}`;
		lines.set(line, [...(lines.get(line) ?? []), rules.name]);
	}
	return [...lines.entries()].map(([line, names]) => `${names.join(', ')}: ${line}`).join('; ');
}

/**
 * The Width and Height the editor can enforce: each side alone can be no smaller or larger than some
 * W x H within the model's pixel range and aspect bounds allows (4.0: 240 with 3840, 16384 with 1024).
 * The product and the ratio are checked before sending (helpers/validate.ts).
 */
export function sideBounds(size: NonNullable<ModelRules['size']>): {
	minValue: number;
	maxValue: number;
} {
	const { pixels, aspect } = size;
	const tallest = (side: number) => Math.floor(side / aspect.min);
	const flattest = (side: number) => Math.ceil(side / aspect.max);
	let minValue = Math.max(1, (size.minSideExclusive ?? 0) + 1);
	while (minValue * tallest(minValue) < pixels.min) minValue++;
	let maxValue = Math.floor(Math.sqrt(pixels.max * aspect.max));
	while (maxValue * flattest(maxValue) > pixels.max) maxValue--;
	return { minValue, maxValue };
}

const imagesModeProperty: INodeProperties = {
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
			description: `One task; unless the prompt already asks for a number of images, the node adds "${countInstruction('N')}" to it (the output shows the prompt sent)`,
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
			description:
				'One task with the prompt as written: as many images as it asks for, at most Max Images',
		},
	],
	displayOptions: { show: { n: [{ _cnd: { gt: 1 } }] } },
};

const properties: INodeProperties[] = [
	{
		displayName: 'Model',
		name: 'model',
		type: 'options',
		default: DEFAULT_MODEL,
		options: MODELS.map((rules) => ({
			name: rules.name,
			value: rules.id,
			description: rules.summary,
		})),
	},
	...byModel(MODELS, (rules) => ({
		displayName: 'Prompt',
		name: 'prompt',
		type: 'string',
		typeOptions: { rows: 4 },
		required: true,
		default: '',
		placeholder: rules.n
			? 'e.g. A set of 4 watercolor postcards of Lisbon trams at sunset'
			: 'e.g. A watercolor postcard of a Lisbon tram at sunset',
		description: `What to draw, or how to edit the reference images. At most ${rules.prompt.limit}.`,
	})),
	...byModel(MODELS, ({ n }) =>
		n
			? {
					displayName: 'Max Images',
					name: 'n',
					type: 'number',
					typeOptions: { minValue: n.min, maxValue: n.max },
					default: fromTable(n.default),
					description: `Upper bound on the images made (${n.min}-${n.max}); credits are reserved for this many and settled on the images actually made`,
					hint: `An upper bound only: the service makes as many images as the prompt asks for (see How to Get Several Images). With reference images, Max Images + references may be at most ${n.maxWithReferences}.`,
				}
			: undefined,
	),
	// Models with `n` only, once Max Images > 1. Version 1 sent the prompt as written; from 1.1 the node asks
	// for the images in the prompt (actions/shared.ts: versions).
	...byModel(MODELS, ({ n }) => (n ? imagesModeProperty : undefined)).flatMap((property) =>
		withVersionedDefault(property, { v1: 'asWritten', current: 'askInPrompt' }),
	),
	...byModel(MODELS, ({ size, quality }) =>
		size
			? {
					displayName: 'Size',
					name: 'sizeMode',
					type: 'options',
					default: fromTable(size.defaultMode),
					options: [
						...(size.presets.length
							? [
									{
										name: 'Preset',
										value: 'preset',
										description: `${size.presets.join(', ')} square`,
									},
								]
							: []),
						{ name: 'Custom Width and Height', value: 'custom', description: 'Exact pixels' },
						{
							name: 'Aspect Ratio and Quality',
							value: 'ratio',
							description: `A ratio such as 16:9, at ${quality.values.join(', ')}`,
						},
					],
				}
			: undefined,
	),
	...byModel(MODELS, ({ size }) =>
		size?.presets.length
			? {
					displayName: 'Preset Size',
					name: 'size',
					type: 'options',
					default: '2K',
					options: size.presets.map((preset) => ({ name: preset, value: preset })),
					displayOptions: { show: { sizeMode: ['preset'] } },
				}
			: undefined,
	),
	...byModel(MODELS, ({ size }) =>
		size
			? {
					displayName: 'Width',
					name: 'width',
					type: 'number',
					typeOptions: sideBounds(size),
					default: 2048,
					description: `Width x height must be ${size.pixels.min.toLocaleString('en-US')}-${size.pixels.max.toLocaleString('en-US')} pixels, width / height 1/${size.aspect.max} to ${size.aspect.max}`,
					displayOptions: { show: { sizeMode: ['custom'] } },
				}
			: undefined,
	),
	...byModel(MODELS, ({ size }) =>
		size
			? {
					displayName: 'Height',
					name: 'height',
					type: 'number',
					typeOptions: sideBounds(size),
					default: 2048,
					displayOptions: { show: { sizeMode: ['custom'] } },
				}
			: undefined,
	),
	...byModel(MODELS, (rules) =>
		rules.size
			? {
					displayName: 'Aspect Ratio',
					name: 'aspectRatio',
					type: 'options',
					default: fromTable(rules.size.defaultRatio),
					options: rules.size.ratios.map((ratio) => ({
						name: ratioName(ratio, rules),
						value: ratio,
					})),
					displayOptions: { show: { sizeMode: ['ratio'] } },
				}
			: undefined,
	),
	...byModel(MODELS, (rules) => ({
		displayName: 'Quality',
		name: 'quality',
		type: 'options',
		default: fromTable(rules.quality.default),
		options: rules.quality.values.map((value) => ({
			name: value,
			value,
			description: squarePixels(rules, value),
		})),
		description: `Resolution class of the ratio (${rules.name}: ${rules.quality.values.join(', ')})`,
		displayOptions: { show: { sizeMode: ['ratio'] } },
	})),
	{
		displayName: 'Reference Images',
		name: 'referenceImages',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		default: {},
		placeholder: 'Add Reference Image',
		description: `Images to edit or to take style and subjects from: URLs or binary fields of the input item (${referenceLimits()}). Binary images (${UPLOAD_FORMATS.join(', ')}) are uploaded to EvoLink Files.`,
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
	...byModel(MODELS, ({ extras }) =>
		extras.background
			? {
					displayName: 'Background',
					name: 'background',
					type: 'options',
					default: fromTable(extras.background.default),
					options: extras.background.values.map((value) => ({
						name: value === 'transparent' ? 'Transparent' : 'Opaque',
						value,
					})),
					hint: `Transparent keeps the transparency of exactly ${extras.background.transparent.references} reference image that has an alpha channel (it cuts nothing out); the result is always ${extras.background.transparent.outputFormat.toUpperCase()}`,
				}
			: undefined,
	),
	...byModel(MODELS, ({ extras }) =>
		extras.outputFormat
			? {
					displayName: 'Output Format',
					name: 'outputFormat',
					type: 'options',
					default: fromTable(extras.outputFormat.default),
					options: extras.outputFormat.values.map((value) => ({
						name: value.toUpperCase(),
						value,
					})),
					description: 'File type of the generated images',
					// A transparent background always comes out as PNG (docs/evolink-seedream-5.md §3).
					displayOptions: { hide: { background: ['transparent'] } },
				}
			: undefined,
	),
	...byModel(MODELS, ({ extras }) =>
		extras.watermark
			? {
					displayName: 'Watermark',
					name: 'watermark',
					type: 'boolean',
					// n8n's lint wants a boolean literal here; the table's default is false too (docs/evolink-seedream-5.md §3).
					default: false,
					description: 'Whether to add a watermark to the images',
				}
			: undefined,
	),
	...byModel(MODELS, ({ extras }) =>
		extras.webSearch
			? {
					displayName: 'Web Search',
					name: 'webSearch',
					type: 'boolean',
					default: false,
					description:
						'Whether the model may search the web for what the prompt asks (it decides whether to; each search is billed on top)',
				}
			: undefined,
	),
	...deliveryProperties(MODELS, 'image'),
];

export const description = updateDisplayOptions(
	{ show: { resource: ['image'], operation: ['generate'] } },
	properties,
);

/** Reads and checks everything for one item against the model's table; nothing is sent. */
export async function prepare(this: IExecuteFunctions, itemIndex: number): Promise<CreatePlan> {
	const validator = new Validator(this.getNode(), itemIndex);
	const param = <T>(name: string, fallback?: T) =>
		this.getNodeParameter(name, itemIndex, fallback) as T;
	const rules = validator.model(param<string>('model', DEFAULT_MODEL), 'generate');
	const entries = param<ReferenceEntry[]>('referenceImages.images', []);
	const start = await readCreateStart.call(this, itemIndex);
	const { extras } = rules;
	const maxImages = rules.n ? validator.n(rules, param<number>('n', rules.n.default)) : 1;
	const mode = maxImages > 1 ? param<ImagesMode>('imagesMode', 'asWritten') : undefined;
	const input: CreateInput = {
		prompt: param<string>('prompt'),
		// Exactly N: each of the N tasks asks for one image.
		n: rules.n ? (mode === 'exactly' ? 1 : maxImages) : undefined,
		size: rules.size ? readSize(param, rules) : undefined,
		promptPriority: param<string>('options.promptPriority', rules.promptPriorities[0]),
		callbackUrl: start.callbackUrl,
		referenceCount: entries.length,
		// Only the fields this model's table lists are read; hidden ones fall back to its defaults.
		outputFormat: extras.outputFormat ? param<string>('outputFormat', '') || undefined : undefined,
		webSearch: extras.webSearch ? param<boolean>('webSearch', false) : undefined,
		watermark: extras.watermark ? param<boolean>('watermark', extras.watermark.default) : undefined,
		background: extras.background
			? param<string>('background', extras.background.default)
			: undefined,
	};
	const body = validator.create(rules, input, { allowInternalCallback: start.localApi });
	if (mode === 'askInPrompt' && body.prompt !== undefined) {
		body.prompt = validator.promptSent(rules, promptAskingFor(body.prompt, maxImages));
	}
	const references = await prepareReferences.call(this, itemIndex, entries, validator, rules);
	if (body.background === 'transparent') {
		// Checkable only for binary images; a URL's image is the API's to judge (docs/evolink-seedream-5.md §7).
		for (const reference of references) {
			if (reference.kind === 'binary' && reference.alpha === false) {
				validator.fail(
					reference.label,
					'has no alpha channel: Background Transparent keeps the transparency the image already has (use a PNG or WebP with transparency)',
				);
			}
		}
	}
	const requested: IDataObject = {};
	for (const field of ['size', 'quality', 'n'] as const) {
		if (body[field] !== undefined) requested[field] = body[field];
	}
	return createPlan.call(this, itemIndex, start, {
		body,
		references,
		requested,
		images: mode ? { mode, maxImages, tasks: mode === 'exactly' ? maxImages : 1 } : undefined,
	});
}

function readSize(param: <T>(name: string, fallback?: T) => T, rules: ModelRules): SizeChoice {
	const mode = param<string>('sizeMode', rules.size?.defaultMode);
	if (mode === 'custom')
		return { mode, width: param<number>('width'), height: param<number>('height') };
	if (mode === 'ratio')
		return {
			mode,
			ratio: param<string>('aspectRatio', rules.size?.defaultRatio),
			quality: param<string>('quality', rules.quality.default),
		};
	return { mode: 'preset', preset: param<string>('size', '2K') };
}
