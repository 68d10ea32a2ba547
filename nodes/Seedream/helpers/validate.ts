/**
 * Every create rule of the spec, checked before any request against the chosen model's table (../models):
 * each failure names the field (as the UI shows it and as the API calls it) and the allowed range.
 */

import type { IDataObject, INode } from 'n8n-workflow';
import { operationError } from './errors';
import type { ImageInfo } from './imageInfo';
import { CALLBACK_URL_MAX_LENGTH, TASK_ID_PREFIX } from './limits';
import { isTaskId } from './taskShape';
import { modelsFor, UPLOAD_FORMATS, type FieldPlace, type ModelRules } from '../models';

export type SizeChoice =
	| { mode: 'preset'; preset: string }
	| { mode: 'custom'; width: number; height: number }
	| { mode: 'ratio'; ratio: string; quality: string };

/** What the user chose; fields the model's table does not list are left out (and never read). */
export interface CreateInput {
	prompt: string;
	n?: number;
	/** Models with `size` (generation). */
	size?: SizeChoice;
	/** Models without `size` (layerize): the tier alone. */
	quality?: string;
	promptPriority: string;
	callbackUrl: string;
	referenceCount: number;
	outputFormat?: string;
	webSearch?: boolean;
	watermark?: boolean;
	background?: string;
}

/** The request body the input maps to (`image_urls` is added when the references are uploaded). */
export interface CreateBody extends IDataObject {
	model: string;
	prompt?: string;
	n?: number;
	size?: string;
	quality?: string;
	prompt_priority: string;
	callback_url?: string;
}

export interface NumberRange {
	min: number;
	max?: number;
	integer?: boolean;
}

export class Validator {
	constructor(
		private readonly node: INode,
		private readonly itemIndex: number,
	) {}

	fail(field: string, message: string): never {
		throw operationError(this.node, `${field}: ${message}`, {
			itemIndex: this.itemIndex,
			description:
				'Nothing was sent to EvoLink: the request was checked against the API rules first.',
		});
	}

	/** The model's table, refusing a model the operation does not offer. */
	model(id: string, operation: ModelRules['operation']): ModelRules {
		const models = modelsFor(operation);
		const rules = models.find((model) => model.id === id);
		if (!rules) {
			this.fail(
				'Model (model)',
				`must be one of ${models.map((model) => model.id).join(', ')}; got "${id}"`,
			);
		}
		return rules;
	}

	/** The create body for this model: only the fields its table lists, each checked against its rules. */
	create(
		rules: ModelRules,
		input: CreateInput,
		options: { allowInternalCallback: boolean },
	): CreateBody {
		const body: CreateBody = { model: rules.id, prompt_priority: '' };
		const prompt = this.prompt(rules, input.prompt);
		if (prompt !== undefined) body.prompt = prompt;
		if (rules.n) body.n = this.n(rules, input.n);
		if (rules.size) {
			Object.assign(body, this.size(rules, input.size));
		} else {
			body.quality = this.quality(
				rules,
				input.quality ?? rules.quality.default,
				'Quality (quality)',
			);
		}
		body.prompt_priority = this.promptPriority(rules, input.promptPriority);
		this.referenceCount(rules, input.referenceCount, body.n);
		this.extras(rules, input, body);
		const callbackUrl = input.callbackUrl.trim();
		if (callbackUrl !== '') body.callback_url = this.callbackUrl(callbackUrl, options);
		return body;
	}

	prompt(rules: ModelRules, prompt: unknown): string | undefined {
		const max = rules.prompt.maxCharacters;
		const limit = max !== undefined ? `; at most ${grouped(max)} characters` : '';
		if (typeof prompt !== 'string' || prompt.trim() === '') {
			if (!rules.prompt.required && (prompt === undefined || typeof prompt === 'string')) {
				return undefined;
			}
			this.fail('Prompt (prompt)', `must not be empty${limit}`);
		}
		// Characters as code points (the schema's maxLength), so an emoji counts once.
		const length = [...prompt].length;
		if (max !== undefined && length > max) {
			this.fail(
				'Prompt (prompt)',
				`must be at most ${grouped(max)} characters; it has ${grouped(length)}`,
			);
		}
		return prompt;
	}

	/** The prompt the node would send after adding to it (Ask for Them in the Prompt): still within the limit. */
	promptSent(rules: ModelRules, prompt: string): string {
		const max = rules.prompt.maxCharacters;
		const length = [...prompt].length;
		if (max !== undefined && length > max) {
			this.fail(
				'Prompt (prompt)',
				`with the sentence the node adds to ask for the images it has ${grouped(length)} characters, more than ${grouped(max)}: shorten it by ${grouped(length - max)}, or choose How to Get Several Images > Exactly N or As the Prompt Says`,
			);
		}
		return prompt;
	}

	n(rules: ModelRules, n: unknown): number {
		const { min, max } = rules.n!;
		if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
			this.fail('Max Images (n)', `must be a whole number from ${min} to ${max}; got ${String(n)}`);
		}
		return n;
	}

	promptPriority(rules: ModelRules, priority: string): string {
		const allowed = rules.promptPriorities;
		if (!allowed.includes(priority)) {
			this.fail(
				'Prompt Priority (prompt_priority)',
				`must be ${allowed.join(' or ')} with ${rules.id}; got "${priority}"`,
			);
		}
		return priority;
	}

	quality(rules: ModelRules, quality: string, field: string): string {
		const allowed = rules.quality.values;
		if (!allowed.includes(quality)) {
			this.fail(field, `must be one of ${allowed.join(', ')} with ${rules.id}; got "${quality}"`);
		}
		return quality;
	}

	size(rules: ModelRules, size: SizeChoice | undefined): { size: string; quality?: string } {
		const sizes = rules.size!;
		if (size?.mode === 'preset') {
			if (!sizes.presets.includes(size.preset)) {
				const allowed = sizes.presets.length
					? `must be one of ${sizes.presets.join(', ')}`
					: `takes no preset with ${rules.id}: choose Aspect Ratio and Quality, or Custom Width and Height`;
				this.fail('Size (size)', `${allowed}; got "${size.preset}"`);
			}
			return { size: size.preset };
		}
		if (size?.mode === 'custom') {
			const { width, height } = size;
			const { min, max } = sizes.pixels;
			const range = `width x height from ${grouped(min)} (${pixelsExample(min)}) to ${grouped(max)} (${pixelsExample(max)}) pixels`;
			for (const [field, value] of [
				['Width', width],
				['Height', height],
			] as const) {
				const tooSmall = sizes.minSideExclusive !== undefined && value <= sizes.minSideExclusive;
				if (!Number.isInteger(value) || value <= 0 || tooSmall) {
					const side = sizes.minSideExclusive ? ` more than ${sizes.minSideExclusive}` : '';
					this.fail(
						`${field} (size)`,
						`must be a whole number of pixels${side}, with ${range}; got ${value}`,
					);
				}
			}
			const pixels = width * height;
			if (pixels < min || pixels > max) {
				this.fail(
					'Width x Height (size)',
					`must be ${range}; ${width}x${height} is ${grouped(pixels)}`,
				);
			}
			const aspect = width / height;
			if (aspect < sizes.aspect.min || aspect > sizes.aspect.max) {
				this.fail(
					'Width x Height (size)',
					`width / height must be from 1/${1 / sizes.aspect.min} to ${sizes.aspect.max}; ${width}x${height} is ${round(aspect)}`,
				);
			}
			return { size: `${width}x${height}` };
		}
		if (size?.mode === 'ratio') {
			if (!sizes.ratios.includes(size.ratio)) {
				this.fail(
					'Aspect Ratio (size)',
					`must be one of ${sizes.ratios.join(', ')}; got "${size.ratio}"`,
				);
			}
			return {
				size: size.ratio,
				quality: this.quality(rules, size.quality, 'Quality (quality)'),
			};
		}
		return this.fail(
			'Size (size)',
			sizes.presets.length
				? 'must be a preset, a custom width x height, or an aspect ratio with a quality'
				: 'must be a custom width x height, or an aspect ratio with a quality',
		);
	}

	/** docs/evolink-api.md §9: the service would clamp the output and still reserve credits for `n`, so refuse. */
	referenceCount(rules: ModelRules, count: number, n: number | undefined): void {
		const { min, max } = rules.references;
		if (min === max && count !== min) {
			this.fail('Input Image (image_urls)', `exactly ${min} needed with ${rules.id}; got ${count}`);
		}
		if (count > max) {
			this.fail(
				'Reference Images (image_urls)',
				`at most ${max} allowed with ${rules.id}; got ${count}`,
			);
		}
		const together = rules.n?.maxWithReferences;
		if (n !== undefined && together !== undefined && count + n > together) {
			this.fail(
				'Max Images (n) + Reference Images (image_urls)',
				`must be at most ${together} together; got ${n} + ${count}. Lower Max Images to ${together - count} or use fewer references`,
			);
		}
	}

	/** Output format, web search, watermark, background: each only where the table lists it, in its place. */
	private extras(rules: ModelRules, input: CreateInput, body: CreateBody): void {
		const { outputFormat, webSearch, watermark, background } = rules.extras;
		const backgroundValue = background ? (input.background ?? background.default) : undefined;
		if (background && backgroundValue !== undefined) {
			if (!background.values.includes(backgroundValue)) {
				this.fail(
					'Background (background)',
					`must be one of ${background.values.join(', ')} with ${rules.id}; got "${backgroundValue}"`,
				);
			}
		}
		const transparent = backgroundValue === 'transparent' ? background?.transparent : undefined;
		if (outputFormat) {
			// With a transparent background the UI hides Output Format: the result is PNG (docs/evolink-seedream-5.md §3).
			const format = input.outputFormat ?? transparent?.outputFormat ?? outputFormat.default;
			if (!outputFormat.values.includes(format)) {
				this.fail(
					'Output Format (output_format)',
					`must be one of ${outputFormat.values.join(', ')} with ${rules.id}; got "${format}"`,
				);
			}
			// docs/evolink-seedream-5.md §3 and §7: refused at submit, so refused here before anything is sent.
			if (transparent && format !== transparent.outputFormat) {
				this.fail(
					'Output Format (output_format)',
					`must be ${transparent.outputFormat} with Background Transparent; got "${format}"`,
				);
			}
			put(body, outputFormat.place, 'output_format', format);
		}
		if (webSearch && input.webSearch === true) {
			put(body, webSearch.place, 'tools', [{ type: 'web_search' }]);
		}
		if (watermark) put(body, watermark.place, 'watermark', input.watermark ?? watermark.default);
		if (background && backgroundValue !== undefined) {
			if (transparent && input.referenceCount !== transparent.references) {
				this.fail(
					'Background (background)',
					`Transparent needs exactly ${transparent.references} reference image, with an alpha channel (it keeps that image's transparency, it cuts nothing out); got ${input.referenceCount}`,
				);
			}
			put(body, background.place, 'background', backgroundValue);
		}
	}

	/** `field`: how the UI names this image, e.g. "Reference Image 2 URL (image_urls)". */
	referenceUrl(url: string, field: string): string {
		const parsed = parseUrl(url.trim());
		if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.hostname === '') {
			this.fail(field, `must be an http(s) URL the service can fetch; got "${url.slice(0, 200)}"`);
		}
		return parsed.toString();
	}

	/** A binary reference, before upload: format by magic bytes, size, and what the header tells of the pixels. */
	referenceImage(
		rules: ModelRules,
		label: string,
		bytes: number,
		info: ImageInfo | undefined,
	): ImageInfo {
		const field = label;
		const limits = rules.references;
		if (!info || !limits.formats.includes(info.format)) {
			const what = info ? `is ${info.format}, not` : 'is not an image';
			this.fail(field, `${what} in a format ${rules.id} reads (${limits.formats.join(', ')})`);
		}
		if (!(UPLOAD_FORMATS as readonly string[]).includes(info.format)) {
			this.fail(
				field,
				`is ${info.format}; binary images are uploaded to EvoLink Files, which takes ${UPLOAD_FORMATS.join(', ')} only (pass ${info.format} images by URL instead)`,
			);
		}
		this.referenceBytes(rules, label, bytes);
		const { width, height } = info;
		if (width !== undefined && height !== undefined) {
			const tooSmall =
				limits.minSideExclusive !== undefined && Math.min(width, height) <= limits.minSideExclusive;
			const tooBig = limits.maxSide !== undefined && Math.max(width, height) > limits.maxSide;
			if (tooSmall || tooBig) {
				const bounds = [
					limits.minSideExclusive !== undefined ? `more than ${limits.minSideExclusive}` : '',
					limits.maxSide !== undefined ? `at most ${limits.maxSide}` : '',
				]
					.filter(Boolean)
					.join(' and ');
				this.fail(field, `width and height must be ${bounds} pixels; it is ${width}x${height}`);
			}
			const pixels = width * height;
			const tooFew = limits.minPixels !== undefined && pixels < limits.minPixels;
			const tooMany = limits.maxPixels !== undefined && pixels > limits.maxPixels;
			if (tooFew || tooMany) {
				this.fail(
					field,
					`width x height must be from ${grouped(limits.minPixels ?? 1)} to ${limits.maxPixels !== undefined ? grouped(limits.maxPixels) : 'any number of'} pixels; ${width}x${height} is ${grouped(pixels)}`,
				);
			}
			const aspect = width / height;
			if (aspect < limits.aspect.min || aspect > limits.aspect.max) {
				this.fail(
					field,
					`width / height must be from 1/${1 / limits.aspect.min} to ${limits.aspect.max}; ${width}x${height} is ${round(aspect)}`,
				);
			}
		}
		return info;
	}

	referenceBytes(rules: ModelRules, label: string, bytes: number): void {
		const max = rules.references.maxBytes;
		if (bytes > max) {
			this.fail(
				label,
				`must be at most ${max / 1024 / 1024} MB with ${rules.id}; it has ${round(bytes / 1024 / 1024)} MB`,
			);
		}
	}

	callbackUrl(url: string, { allowInternalCallback }: { allowInternalCallback: boolean }): string {
		const field = 'Callback URL (callback_url)';
		if (url.length > CALLBACK_URL_MAX_LENGTH) {
			this.fail(
				field,
				`must be at most ${grouped(CALLBACK_URL_MAX_LENGTH)} characters; it has ${grouped(url.length)}`,
			);
		}
		const parsed = parseUrl(url);
		if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.hostname === '') {
			this.fail(field, 'must be a valid https:// URL');
		}
		// Relaxed only when the credential itself points at a non-https API: a local emulator.
		if (allowInternalCallback) return url;
		if (parsed.protocol !== 'https:') this.fail(field, 'must use https://');
		if (isInternalHost(parsed.hostname)) {
			this.fail(
				field,
				'must not point to an internal address (localhost, 127.x, 10.x, 172.16-31.x, 192.168.x); use a public https URL',
			);
		}
		return url;
	}

	/**
	 * A number option, which an expression can make anything: a finite number (or a numeric string) in range,
	 * checked before anything is sent, like the main parameters.
	 */
	numberOption(field: string, value: unknown, range: NumberRange): number {
		const number =
			typeof value === 'number'
				? value
				: typeof value === 'string' && value.trim() !== ''
					? Number(value)
					: Number.NaN;
		const { min, max, integer } = range;
		if (
			!Number.isFinite(number) ||
			number < min ||
			(max !== undefined && number > max) ||
			(integer && !Number.isInteger(number))
		) {
			const kind = integer ? 'a whole number' : 'a number';
			const bounds = max !== undefined ? `from ${min} to ${max}` : `of at least ${min}`;
			this.fail(field, `must be ${kind} ${bounds}; got "${String(value).slice(0, 100)}"`);
		}
		return number;
	}

	taskId(taskId: unknown): string {
		const id = typeof taskId === 'string' ? taskId.trim() : '';
		if (!isTaskId(id)) {
			this.fail(
				'Task ID',
				`must be an EvoLink task ID starting with "${TASK_ID_PREFIX}"; got "${String(taskId).slice(0, 100)}"`,
			);
		}
		return id;
	}
}

/** The URL, or undefined when the text is not one. */
export function parseUrl(url: string): URL | undefined {
	try {
		return new URL(url);
	} catch {
		return undefined;
	}
}

/**
 * The spec's internal ranges, plus loopback/unspecified/link-local forms no public service would call. Takes a
 * URL's `hostname`, where WHATWG URL has already turned integer and hex IPv4 forms into dotted ones and written
 * an IPv4-mapped IPv6 address (`[::ffff:127.0.0.1]`) in hex (`[::ffff:7f00:1]`).
 */
export function isInternalHost(hostname: string): boolean {
	// A trailing dot names the same host (`localhost.`).
	const host = hostname
		.replace(/^\[|\]$/g, '')
		.toLowerCase()
		.replace(/\.$/, '');
	if (host === 'localhost' || host.endsWith('.localhost')) return true;
	if (host.includes(':')) return isInternalIPv6(host);
	const octets = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host)?.slice(1).map(Number);
	return !!octets && isInternalIPv4(octets);
}

function isInternalIPv4([a, b]: number[]): boolean {
	return (
		a === 127 ||
		a === 10 ||
		a === 0 ||
		(a === 172 && b >= 16 && b <= 31) ||
		(a === 192 && b === 168) ||
		(a === 169 && b === 254)
	);
}

/** Sets a body field at its documented place: top level, or inside `model_params`. */
function put(body: IDataObject, place: FieldPlace, field: string, value: unknown): void {
	if (place === 'top') {
		body[field] = value as IDataObject[string];
		return;
	}
	const nested = (body.model_params ?? {}) as IDataObject;
	nested[field] = value as IDataObject[string];
	body.model_params = nested;
}

/** Numbers in messages as the descriptions write them: 921,600, not 921600. */
function grouped(value: number): string {
	return value.toLocaleString('en-US');
}

function pixelsExample(pixels: number): string {
	const height = Math.sqrt((pixels * 9) / 16);
	if (Number.isInteger(height) && Number.isInteger((height * 16) / 9))
		return `${(height * 16) / 9}x${height}`;
	const side = Math.sqrt(pixels);
	if (Number.isInteger(side)) return `${side}x${side}`;
	return `about ${Math.round(side)}x${Math.round(side)}`;
}

/** IPv6 literals only (a domain such as fdic.gov is not internal): ::, ::1, fc00::/7, fe80::/10, IPv4 inside. */
function isInternalIPv6(host: string): boolean {
	if (host === '::' || host === '::1') return true;
	if (/^f[cd][0-9a-f]{0,2}:|^fe[89ab][0-9a-f]:/.test(host)) return true;
	// IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) forms, dotted or in hex.
	const embedded = /^::(?:ffff:)?(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/.exec(
		host,
	);
	if (!embedded) return false;
	if (embedded[1]) return isInternalIPv4(embedded[1].split('.').map(Number));
	const high = parseInt(embedded[2], 16);
	return isInternalIPv4([high >> 8, high & 0xff]);
}

function round(value: number): number {
	return Math.round(value * 100) / 100;
}
