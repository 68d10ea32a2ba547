/**
 * Generate's Validate Only: what a run would send and reserve, with nothing uploaded or sent. Every check of a
 * real run has passed by the time this is built (the router's prepare step), so the item also says the
 * request is valid as far as the node can tell before sending.
 */

import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { creditsToReserve, roundCredits } from '../models/prices';
import type { PreparedReference } from './references';

/** What stands in the body for what is only known once sent. */
export const UPLOAD_PLACEHOLDER = (field: string) =>
	`<binary field "${field}", would be uploaded to EvoLink Files>`;
export const RESUME_URL_PLACEHOLDER = "<this execution's resume URL, set when the task is sent>";

export function validateOnlyItem(
	request: { body: IDataObject & { model: string; n?: number }; references: PreparedReference[] },
	tasks: number,
	itemIndex: number,
	annotations: IDataObject = {},
): INodeExecutionData {
	const body: IDataObject = { ...request.body };
	if (request.references.length) {
		body.image_urls = request.references.map((reference) =>
			reference.kind === 'url' ? reference.url : UPLOAD_PLACEHOLDER(reference.propertyName),
		);
	}
	const uploads = request.references.flatMap((reference, index) =>
		reference.kind === 'binary'
			? [
					{
						referenceIndex: index,
						binaryField: reference.propertyName,
						fileName: reference.fileName,
						mimeType: reference.mimeType,
						bytes: reference.size,
						size: sizeText(reference.size),
						wouldBeUploaded: true,
					},
				]
			: [],
	);
	const estimate = creditsToReserve(request.body);
	const json: IDataObject = {
		validateOnly: true,
		valid: true,
		message: `Checked: nothing was uploaded or sent. A run would send ${tasks === 1 ? 'this request' : `this request ${tasks} times (one task per image)`}${uploads.length ? ` after uploading ${plural(uploads.length, 'binary reference')} once (${plural(uploads.length, 'file')} of the account's EvoLink Files quota until ${tasks === 1 ? 'the task ends' : 'the tasks end'})` : ''}.`,
		requestsToSend: tasks,
		requestBody: body,
		uploads,
		// Each upload is one file of the account's Files quota (docs/evolink-api.md §7), whatever the task count.
		filesQuotaUse: uploads.length,
	};
	if (estimate) {
		json.creditsToReserve = roundCredits(estimate.credits * tasks);
		json.creditsPerTask = estimate.credits;
		json.creditsPerImage = estimate.perImage;
		json.priceVerified = estimate.verified;
		json.priceNote = estimate.note;
	} else {
		json.creditsToReserve = null;
		json.priceNote = `No price is known for ${request.body.model}.`;
	}
	return { json: { ...json, ...annotations }, pairedItem: { item: itemIndex } };
}

function sizeText(bytes: number): string {
	return bytes >= 1024 * 1024
		? `${(bytes / 1024 / 1024).toFixed(1)} MB`
		: `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

function plural(count: number, noun: string): string {
	return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
