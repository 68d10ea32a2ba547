/** Binary references, checked in prepare (helpers/references.ts), uploaded to EvoLink Files when the task is created. */

import type { IExecuteFunctions } from 'n8n-workflow';
import type { PreparedReference } from '../helpers/references';
import { uploadFile } from '../transport';

/** Read size of a streamed upload: small enough that 14 references of 5 items stay a few MB in flight. */
const UPLOAD_CHUNK_BYTES = 256 * 1024;

/** The `image_urls` of a request: URLs as given, binary entries uploaded, all uploads of the item in parallel. */
export async function referenceUrls(
	this: IExecuteFunctions,
	itemIndex: number,
	references: PreparedReference[],
): Promise<string[]> {
	return await Promise.all(
		references.map(async (reference) => {
			if (reference.kind === 'url') return reference.url;
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
}
