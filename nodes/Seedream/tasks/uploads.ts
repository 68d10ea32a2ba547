/**
 * Binary references, checked in prepare (helpers/references.ts), uploaded to EvoLink Files once per item
 * (Exactly N's tasks share them), and deleted once every task that uses them has ended: the account's file
 * quota is small (100 files by default, docs/evolink-api.md §7) and a file otherwise lives 72 h.
 */

import type { IAllExecuteFunctions, IExecuteFunctions } from 'n8n-workflow';
import { mapWithConcurrency } from '../helpers/concurrency';
import type { PreparedReference } from '../helpers/references';
import { deleteFile, uploadFile } from '../transport';

/** Read size of a streamed upload: small enough that 14 references of 5 items stay a few MB in flight. */
const UPLOAD_CHUNK_BYTES = 256 * 1024;
/** Deletes of one item at once. */
const DELETE_CONCURRENCY = 4;

/** An item's references as sent: `image_urls`, and the IDs of the files uploaded for them. */
export interface ItemUploads {
	urls: string[];
	fileIds: string[];
}

/**
 * The `image_urls` of a request: URLs as given, binary entries uploaded, all uploads of the item in parallel.
 * When one upload fails, the others already made are deleted (unless kept) before the error goes on.
 */
export async function uploadReferences(
	this: IExecuteFunctions,
	itemIndex: number,
	references: PreparedReference[],
	keep: boolean,
): Promise<ItemUploads> {
	const settled = await Promise.allSettled(
		references.map(async (reference) => {
			if (reference.kind === 'url') return { url: reference.url };
			const { id } = this.helpers.assertBinaryData(itemIndex, reference.propertyName);
			return await uploadFile.call(
				this,
				{
					// From n8n's binary data store as a stream; inline (base64) data is in memory already.
					open: async () =>
						id
							? await this.helpers.getBinaryStream(id, UPLOAD_CHUNK_BYTES)
							: await this.helpers.getBinaryDataBuffer(itemIndex, reference.propertyName),
					size: reference.size,
					mimeType: reference.mimeType,
					fileName: reference.fileName,
				},
				itemIndex,
			);
		}),
	);
	const uploaded = settled.flatMap((result) =>
		result.status === 'fulfilled' && 'fileId' in result.value && result.value.fileId
			? [result.value.fileId]
			: [],
	);
	const failure = settled.find((result) => result.status === 'rejected');
	if (failure) {
		if (!keep) await deleteUploads.call(this, uploaded, itemIndex);
		throw failure.reason;
	}
	return {
		urls: settled.map((result) => (result as PromiseFulfilledResult<{ url: string }>).value.url),
		fileIds: uploaded,
	};
}

/** Deletes uploaded references, best effort: a failed delete is logged (transport deleteFile), never thrown. */
export async function deleteUploads(
	this: IAllExecuteFunctions,
	fileIds: readonly string[],
	itemIndex?: number,
): Promise<void> {
	await mapWithConcurrency(
		[...new Set(fileIds)],
		DELETE_CONCURRENCY,
		async (fileId) => await deleteFile.call(this, fileId, itemIndex),
	);
}
