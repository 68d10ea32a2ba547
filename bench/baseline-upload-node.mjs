// @ts-check
// P6's baseline: binary references uploaded the way the Seedream node did it before streaming (issue 10,
// finding 9; nodes/Seedream/helpers/references.ts `referenceUrls` and transport `uploadFile` as of that
// issue): each reference read whole into a Buffer (`getBinaryDataBuffer`), copied into one multipart/form-data
// Buffer with its part headers (`Buffer.concat`), sent with `httpRequestWithAuthentication` to
// `POST {files host}/api/v1/files/upload/stream`; all references of an item at once, DEFAULT_CONCURRENCY items
// at once; then the task is created with the file URLs, without waiting for it (Generate's "Don't Wait").
// Left out because they do not hold upload memory: the node's checks before sending (format, size and
// pixels, read one reference at a time), retries, and its Idempotency-Key.
// Registered in the harness's node types under UPLOAD_BASELINE_TYPE.
import { randomBytes } from 'node:crypto';
import { SEEDREAM_CREDENTIAL_REFERENCE, triggeredNodeWorkflow, workflowLib } from './harness.mjs';
import { seedreamApi } from './baseline-node.mjs';

const { NodeConnectionTypes } = workflowLib;

export const UPLOAD_BASELINE_TYPE = 'bench.seedreamUploadBaseline';
export const UPLOAD_BASELINE_NODE_NAME = 'Seedream Upload Baseline';
/** The Seedream node's default Concurrency (nodes/Seedream/actions/shared.ts DEFAULT_CONCURRENCY). */
const CONCURRENCY = 5;

class SeedreamUploadBaseline {
	description = {
		displayName: 'Seedream (upload baseline)',
		name: 'seedreamUploadBaseline',
		group: ['transform'],
		version: 1,
		description: 'Binary references read whole and copied into a multipart buffer, then uploaded',
		defaults: { name: UPLOAD_BASELINE_NODE_NAME },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'seedreamApi', required: true }],
		properties: [
			{ displayName: 'Prompt', name: 'prompt', type: 'string', default: '' },
			{
				displayName: 'Reference Binary Fields',
				name: 'referenceFields',
				type: 'string',
				default: '',
			},
		],
	};

	/** @this {import('n8n-workflow').IExecuteFunctions} */
	async execute() {
		const items = this.getInputData();
		const { baseUrl, filesBaseUrl, api } = await seedreamApi(this);

		/** @param {number} itemIndex @param {string} field */
		const upload = async (itemIndex, field) => {
			const binary = this.helpers.assertBinaryData(itemIndex, field);
			const data = await this.helpers.getBinaryDataBuffer(itemIndex, field);
			const boundary = `----SeedreamUpload${randomBytes(12).toString('hex')}`;
			const fileName = (binary.fileName ?? `${field}.png`).replace(/["\r\n\\]/g, '_');
			const part = (/** @type {string} */ headers) =>
				Buffer.from(`--${boundary}\r\n${headers}\r\n\r\n`, 'utf8');
			const body = Buffer.concat([
				part('Content-Disposition: form-data; name="file_name"'),
				Buffer.from(`${fileName}\r\n`, 'utf8'),
				part(
					`Content-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: ${binary.mimeType}`,
				),
				data,
				Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'),
			]);
			const answer = await api({
				method: 'POST',
				url: `${filesBaseUrl}/api/v1/files/upload/stream`,
				body,
				headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
			});
			return /** @type {string} */ (answer.data.file_url);
		};

		/** @type {import('n8n-workflow').INodeExecutionData[][]} */
		const outputs = items.map(() => []);
		let next = 0;
		const worker = async () => {
			while (next < items.length) {
				const itemIndex = next++;
				const fields = String(this.getNodeParameter('referenceFields', itemIndex))
					.split(',')
					.map((f) => f.trim())
					.filter(Boolean);
				const imageUrls = await Promise.all(fields.map((field) => upload(itemIndex, field)));
				const task = await api({
					method: 'POST',
					url: `${baseUrl}/v1/images/generations`,
					body: {
						model: 'doubao-seedream-4.0',
						prompt: this.getNodeParameter('prompt', itemIndex),
						n: 1,
						size: '1K',
						image_urls: imageUrls,
					},
				});
				outputs[itemIndex] = [
					{ json: { taskId: task.id, status: task.status }, pairedItem: { item: itemIndex } },
				];
			}
		};
		await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
		return [outputs.flat()];
	}
}

/**
 * Adds the upload baseline to a harness's node types.
 * @param {import('./harness.mjs').Harness} harness
 */
export function registerUploadBaseline(harness) {
	harness.registerNodeType(UPLOAD_BASELINE_TYPE, /** @type {any} */ (new SeedreamUploadBaseline()));
}

/** Manual Trigger -> upload baseline, with the same credential reference as our node's workflows. @param {{ prompt: string, references: string[] }} request */
export function uploadBaselineWorkflow({ prompt, references }) {
	return triggeredNodeWorkflow({
		type: UPLOAD_BASELINE_TYPE,
		parameters: { prompt, referenceFields: references.join(',') },
		nodeName: UPLOAD_BASELINE_NODE_NAME,
		credentials: SEEDREAM_CREDENTIAL_REFERENCE,
	});
}
