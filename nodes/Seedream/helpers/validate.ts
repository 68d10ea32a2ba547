import type { IDataObject, INode } from 'n8n-workflow';
import { operationError } from './errors';
import type { ImageInfo } from './imageInfo';
import {
	ASPECT_MAX,
	ASPECT_MIN,
	CALLBACK_URL_MAX_LENGTH,
	MODEL_RULES,
	MODELS,
	N_MAX,
	N_MIN,
	N_PLUS_REFERENCES_MAX,
	PIXELS_MAX,
	PIXELS_MIN,
	PRESET_SIZES,
	PROMPT_MAX_LENGTH,
	QUALITIES,
	RATIOS,
	REFERENCE_ASPECT_MAX,
	REFERENCE_ASPECT_MIN,
	REFERENCE_FORMATS,
	REFERENCE_MAX_BYTES,
	REFERENCE_MAX_SIDE,
	REFERENCE_MIN_SIDE_EXCLUSIVE,
	REFERENCES_MAX,
	TASK_ID_PREFIX,
	UPLOAD_FORMATS,
	type SeedreamModel,
} from './limits';

/**
 * Every create rule of the spec, checked before any request: each failure names the field (as the UI shows
 * it and as the API calls it) and the allowed range.
 */

export type SizeChoice =
	| { mode: 'preset'; preset: string }
	| { mode: 'custom'; width: number; height: number }
	| { mode: 'ratio'; ratio: string; quality: string };

export interface GenerateInput {
	model: string;
	prompt: string;
	n: number;
	size: SizeChoice;
	promptPriority: string;
	callbackUrl: string;
	referenceCount: number;
}

/** The request body fields the input maps to (`image_urls` and the rest are added by the caller). */
export interface GenerateBody extends IDataObject {
	model: SeedreamModel;
	prompt: string;
	n: number;
	size: string;
	quality?: string;
	prompt_priority: string;
	callback_url?: string;
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

	generate(input: GenerateInput, options: { allowInternalCallback: boolean }): GenerateBody {
		const model = this.model(input.model);
		const body: GenerateBody = {
			model,
			prompt: this.prompt(input.prompt),
			n: this.n(input.n),
			size: '',
			prompt_priority: this.promptPriority(model, input.promptPriority),
		};
		Object.assign(body, this.size(model, input.size));
		this.referenceCount(input.referenceCount, body.n);
		const callbackUrl = input.callbackUrl.trim();
		if (callbackUrl !== '') body.callback_url = this.callbackUrl(callbackUrl, options);
		return body;
	}

	model(model: string): SeedreamModel {
		if (!(MODELS as readonly string[]).includes(model)) {
			this.fail('Model (model)', `must be one of ${MODELS.join(', ')}; got "${model}"`);
		}
		return model as SeedreamModel;
	}

	prompt(prompt: unknown): string {
		if (typeof prompt !== 'string' || prompt.trim() === '') {
			this.fail('Prompt (prompt)', `must not be empty; at most ${PROMPT_MAX_LENGTH} characters`);
		}
		// Characters as code points (the schema's maxLength), so an emoji counts once.
		const length = [...prompt].length;
		if (length > PROMPT_MAX_LENGTH) {
			this.fail(
				'Prompt (prompt)',
				`must be at most ${PROMPT_MAX_LENGTH} characters; it has ${length}`,
			);
		}
		return prompt;
	}

	/** The prompt the node would send after adding to it (Ask for Them in the Prompt): still within the limit. */
	promptSent(prompt: string): string {
		const length = [...prompt].length;
		if (length > PROMPT_MAX_LENGTH) {
			this.fail(
				'Prompt (prompt)',
				`with the sentence the node adds to ask for the images it has ${length} characters, more than ${PROMPT_MAX_LENGTH}: shorten it by ${length - PROMPT_MAX_LENGTH}, or choose How to Get Several Images > Exactly N or As the Prompt Says`,
			);
		}
		return prompt;
	}

	n(n: unknown): number {
		if (typeof n !== 'number' || !Number.isInteger(n) || n < N_MIN || n > N_MAX) {
			this.fail(
				'Max Images (n)',
				`must be a whole number from ${N_MIN} to ${N_MAX}; got ${String(n)}`,
			);
		}
		return n;
	}

	promptPriority(model: SeedreamModel, priority: string): string {
		const allowed = MODEL_RULES[model].promptPriorities as readonly string[];
		if (!allowed.includes(priority)) {
			this.fail(
				'Prompt Priority (prompt_priority)',
				`must be ${allowed.join(' or ')} with ${model}; got "${priority}"`,
			);
		}
		return priority;
	}

	size(model: SeedreamModel, size: SizeChoice): { size: string; quality?: string } {
		if (size.mode === 'preset') {
			if (!(PRESET_SIZES as readonly string[]).includes(size.preset)) {
				this.fail('Size (size)', `must be one of ${PRESET_SIZES.join(', ')}; got "${size.preset}"`);
			}
			return { size: size.preset };
		}
		if (size.mode === 'custom') {
			const { width, height } = size;
			const range = `width x height from ${PIXELS_MIN} (1280x720) to ${PIXELS_MAX} (4096x4096) pixels`;
			for (const [field, value] of [
				['Width', width],
				['Height', height],
			] as const) {
				if (!Number.isInteger(value) || value <= 0) {
					this.fail(
						`${field} (size)`,
						`must be a whole number of pixels, with ${range}; got ${value}`,
					);
				}
			}
			const pixels = width * height;
			if (pixels < PIXELS_MIN || pixels > PIXELS_MAX) {
				this.fail('Width x Height (size)', `must be ${range}; ${width}x${height} is ${pixels}`);
			}
			const aspect = width / height;
			if (aspect < ASPECT_MIN || aspect > ASPECT_MAX) {
				this.fail(
					'Width x Height (size)',
					`width / height must be from 1/${1 / ASPECT_MIN} to ${ASPECT_MAX}; ${width}x${height} is ${round(aspect)}`,
				);
			}
			return { size: `${width}x${height}` };
		}
		if (size.mode === 'ratio') {
			if (!(RATIOS as readonly string[]).includes(size.ratio)) {
				this.fail(
					'Aspect Ratio (size)',
					`must be one of ${RATIOS.join(', ')}; got "${size.ratio}"`,
				);
			}
			const qualities = MODEL_RULES[model].qualities as readonly string[];
			if (!qualities.includes(size.quality)) {
				const all = (QUALITIES as readonly string[]).includes(size.quality);
				this.fail(
					'Quality (quality)',
					`must be one of ${qualities.join(', ')}${all ? ` with ${model}` : ''}; got "${size.quality}"`,
				);
			}
			return { size: size.ratio, quality: size.quality };
		}
		return this.fail(
			'Size (size)',
			'must be a preset, a custom width x height, or an aspect ratio with a quality',
		);
	}

	/** Spec section 9: the service would clamp the output and still reserve credits for `n`, so refuse. */
	referenceCount(count: number, n: number): void {
		if (count > REFERENCES_MAX) {
			this.fail('Reference Images (image_urls)', `at most ${REFERENCES_MAX} allowed; got ${count}`);
		}
		if (count + n > N_PLUS_REFERENCES_MAX) {
			this.fail(
				'Max Images (n) + Reference Images (image_urls)',
				`must be at most ${N_PLUS_REFERENCES_MAX} together; got ${n} + ${count}. Lower Max Images to ${N_PLUS_REFERENCES_MAX - count} or use fewer references`,
			);
		}
	}

	referenceUrl(url: string, index: number): string {
		const field = `Reference Image ${index + 1} URL (image_urls)`;
		let parsed: URL | undefined;
		try {
			parsed = new URL(url.trim());
		} catch {
			parsed = undefined;
		}
		if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.hostname === '') {
			this.fail(field, `must be an http(s) URL the service can fetch; got "${url.slice(0, 200)}"`);
		}
		return parsed.toString();
	}

	/** A binary reference, before upload: format by magic bytes, size, and what the header tells of the pixels. */
	referenceImage(label: string, bytes: number, info: ImageInfo | undefined): ImageInfo {
		const field = `Reference Image ${label}`;
		if (!info) {
			this.fail(
				field,
				`is not an image in a format the service reads (${REFERENCE_FORMATS.join(', ')})`,
			);
		}
		if (!(UPLOAD_FORMATS as readonly string[]).includes(info.format)) {
			this.fail(
				field,
				`is ${info.format}; binary references are uploaded to EvoLink Files, which takes ${UPLOAD_FORMATS.join(', ')} only (pass ${info.format} images by URL instead)`,
			);
		}
		this.referenceBytes(label, bytes);
		const { width, height } = info;
		if (width !== undefined && height !== undefined) {
			const sides = `width and height must be more than ${REFERENCE_MIN_SIDE_EXCLUSIVE} and at most ${REFERENCE_MAX_SIDE} pixels`;
			if (
				Math.min(width, height) <= REFERENCE_MIN_SIDE_EXCLUSIVE ||
				Math.max(width, height) > REFERENCE_MAX_SIDE
			) {
				this.fail(field, `${sides}; it is ${width}x${height}`);
			}
			const aspect = width / height;
			if (aspect < REFERENCE_ASPECT_MIN || aspect > REFERENCE_ASPECT_MAX) {
				this.fail(
					field,
					`width / height must be from 1/${1 / REFERENCE_ASPECT_MIN} to ${REFERENCE_ASPECT_MAX}; ${width}x${height} is ${round(aspect)}`,
				);
			}
		}
		return info;
	}

	referenceBytes(label: string, bytes: number): void {
		if (bytes > REFERENCE_MAX_BYTES) {
			this.fail(
				`Reference Image ${label}`,
				`must be at most ${REFERENCE_MAX_BYTES / 1024 / 1024} MB; it has ${round(bytes / 1024 / 1024)} MB`,
			);
		}
	}

	callbackUrl(url: string, { allowInternalCallback }: { allowInternalCallback: boolean }): string {
		const field = 'Callback URL (callback_url)';
		if (url.length > CALLBACK_URL_MAX_LENGTH) {
			this.fail(
				field,
				`must be at most ${CALLBACK_URL_MAX_LENGTH} characters; it has ${url.length}`,
			);
		}
		let parsed: URL | undefined;
		try {
			parsed = new URL(url);
		} catch {
			parsed = undefined;
		}
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

	taskId(taskId: unknown): string {
		const id = typeof taskId === 'string' ? taskId.trim() : '';
		if (!id.startsWith(TASK_ID_PREFIX) || !/^[A-Za-z0-9._-]+$/.test(id)) {
			this.fail(
				'Task ID',
				`must be an EvoLink task ID starting with "${TASK_ID_PREFIX}"; got "${String(taskId).slice(0, 100)}"`,
			);
		}
		return id;
	}
}

/** The spec's internal ranges, plus loopback/unspecified/link-local forms no public service would call. */
export function isInternalHost(hostname: string): boolean {
	const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
	if (host === 'localhost' || host.endsWith('.localhost') || host === '::1' || host === '::')
		return true;
	if (/^f[cd]|^fe80:/.test(host)) return true;
	const octets = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host)?.slice(1).map(Number);
	if (!octets) return false;
	const [a, b] = octets;
	return (
		a === 127 ||
		a === 10 ||
		a === 0 ||
		(a === 172 && b >= 16 && b <= 31) ||
		(a === 192 && b === 168) ||
		(a === 169 && b === 254)
	);
}

function round(value: number): number {
	return Math.round(value * 100) / 100;
}
