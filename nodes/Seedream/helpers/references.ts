/**
 * Reference images: each entry is a URL the service fetches, or the name of a binary field of the input item,
 * which is checked here (and uploaded to EvoLink Files by tasks/uploads.ts) so its file URL can go in `image_urls`.
 */

import type { IExecuteFunctions } from 'n8n-workflow';
import { sha256 } from './idempotency';
import { FILE_EXTENSIONS, imageInfo } from './imageInfo';
import type { ModelRules } from '../models';
import type { Validator } from './validate';

export interface ReferenceEntry {
	source?: 'url' | 'binary';
	url?: string;
	binaryPropertyName?: string;
}

export type PreparedReference =
	| { kind: 'url'; url: string }
	| {
			kind: 'binary';
			propertyName: string;
			mimeType: string;
			fileName: string;
			digest: string;
			size: number;
			/** Whether the image has an alpha channel, where its header tells. */
			alpha?: boolean;
			/** How errors name it, e.g. `Reference Image 1 (binary field "data")`. */
			label: string;
	  };

/**
 * Checks every entry against the model's reference rules without sending anything: URL syntax; binary format
 * by magic bytes, size and pixels. `noun(index)` is how the UI names an entry ("Reference Image 2").
 */
export async function prepareReferences(
	this: IExecuteFunctions,
	itemIndex: number,
	entries: ReferenceEntry[],
	validator: Validator,
	rules: ModelRules,
	noun: (index: number) => string = (index) => `Reference Image ${index + 1}`,
): Promise<PreparedReference[]> {
	const prepared: PreparedReference[] = [];
	// One at a time: a reference may weigh 30 MB and only its digest and header facts are kept.
	for (const [index, entry] of entries.entries()) {
		if ((entry.source ?? 'url') === 'url') {
			const field = `${noun(index)} URL (image_urls)`;
			prepared.push({ kind: 'url', url: validator.referenceUrl(entry.url ?? '', field) });
			continue;
		}
		const propertyName = (entry.binaryPropertyName ?? '').trim();
		const label = `${noun(index)} (binary field "${propertyName}")`;
		if (propertyName === '') validator.fail(noun(index), 'needs the name of an input binary field');
		const binary = this.helpers.assertBinaryData(itemIndex, propertyName);
		// The size is known before reading when the data lives in a binary data store.
		const storedSize = binary.id
			? (await this.helpers.getBinaryMetadata(binary.id)).fileSize
			: undefined;
		if (storedSize !== undefined) validator.referenceBytes(rules, label, storedSize);
		const data = await this.helpers.getBinaryDataBuffer(itemIndex, propertyName);
		const info = validator.referenceImage(rules, label, data.length, imageInfo(data));
		const extension = FILE_EXTENSIONS[info.mimeType];
		const baseName = (binary.fileName ?? `reference-${index + 1}`).replace(/\.[^.]*$/, '');
		prepared.push({
			kind: 'binary',
			propertyName,
			mimeType: info.mimeType,
			fileName: `${baseName}.${extension}`,
			digest: sha256(data),
			size: data.length,
			alpha: info.alpha,
			label,
		});
	}
	return prepared;
}

/** What a reference contributes to the Idempotency-Key: its URL, or its content (upload URLs change per run). */
export function referenceIdentity(reference: PreparedReference): string {
	return reference.kind === 'url' ? reference.url : `sha256:${reference.digest}`;
}
