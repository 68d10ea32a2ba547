// @ts-check
// The baseline: Seedream the way peers' nodes and hand-built workflows do it today (an HTTP Request to create,
// a Wait of 2 s and an IF looping back to read the task, an HTTP Request that downloads the file):
// - items one after another;
// - a fixed 2 s poll interval;
// - each image downloaded whole into a Buffer (`encoding: 'arraybuffer'`) and handed to prepareBinaryData;
// - binary references uploaded one after another (the same Files API base64 upload our node uses).
// It goes through the same n8n engine, credential and emulator as our node; it is registered in the harness's
// node types under BASELINE_TYPE.
import { SEEDREAM_CREDENTIAL_REFERENCE, triggeredNodeWorkflow, workflowLib } from './harness.mjs';

const { NodeConnectionTypes, sleep } = workflowLib;

export const BASELINE_TYPE = 'bench.seedreamBaseline';
export const BASELINE_POLL_MS = 2000;
const TERMINAL = ['completed', 'failed', 'cancelled'];

class SeedreamBaseline {
	description = {
		displayName: 'Seedream (baseline)',
		name: 'seedreamBaseline',
		group: ['transform'],
		version: 1,
		description: 'Fixed-interval polling, one item after another, whole-file buffering',
		defaults: { name: 'Seedream Baseline' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'seedreamApi', required: true }],
		properties: [
			{ displayName: 'Prompt', name: 'prompt', type: 'string', default: '' },
			{ displayName: 'N', name: 'n', type: 'number', default: 1 },
			{ displayName: 'Size', name: 'size', type: 'string', default: '2K' },
			{ displayName: 'Output', name: 'output', type: 'string', default: 'binary' },
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
		/** @type {import('n8n-workflow').INodeExecutionData[]} */
		const output = [];

		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			const parameter = (/** @type {string} */ name) => this.getNodeParameter(name, itemIndex);
			const imageUrls = [];
			for (const field of String(parameter('referenceFields'))
				.split(',')
				.map((f) => f.trim())
				.filter(Boolean)) {
				const binary = this.helpers.assertBinaryData(itemIndex, field);
				const data = await this.helpers.getBinaryDataBuffer(itemIndex, field);
				const uploaded = await api({
					method: 'POST',
					url: `${filesBaseUrl}/api/v1/files/upload/base64`,
					body: {
						base64_data: `data:${binary.mimeType};base64,${data.toString('base64')}`,
						file_name: binary.fileName,
					},
				});
				imageUrls.push(uploaded.data.file_url);
			}

			let task = await api({
				method: 'POST',
				url: `${baseUrl}/v1/images/generations`,
				body: {
					model: 'doubao-seedream-4.0',
					prompt: parameter('prompt'),
					n: parameter('n'),
					size: parameter('size'),
					...(imageUrls.length ? { image_urls: imageUrls } : {}),
				},
			});
			while (!TERMINAL.includes(task.status)) {
				await sleep(BASELINE_POLL_MS);
				task = await api({ method: 'GET', url: `${baseUrl}/v1/tasks/${task.id}` });
			}
			if (task.status !== 'completed') throw new Error(`Task ${task.id} ${task.status}`);

			for (const [imageIndex, url] of task.results.entries()) {
				if (parameter('output') === 'urls') {
					output.push({
						json: { taskId: task.id, imageIndex, url },
						pairedItem: { item: itemIndex },
					});
					continue;
				}
				const data = await this.helpers.httpRequest({
					method: 'GET',
					url,
					encoding: 'arraybuffer',
				});
				const binary = await this.helpers.prepareBinaryData(
					Buffer.from(data),
					`${task.id}-${imageIndex}.png`,
					'image/png',
				);
				output.push({
					json: { taskId: task.id, imageIndex, url },
					binary: { data: binary },
					pairedItem: { item: itemIndex },
				});
			}
		}
		return [output];
	}
}

/**
 * The credential's two base URLs, and a JSON request to EvoLink with the credential (n8n's authentication), as a
 * baseline node sends it.
 * @param {import('n8n-workflow').IExecuteFunctions} context
 */
export async function seedreamApi(context) {
	const credentials = await context.getCredentials('seedreamApi');
	return {
		baseUrl: String(credentials.baseUrl).replace(/\/+$/, ''),
		filesBaseUrl: String(credentials.filesBaseUrl || credentials.baseUrl).replace(/\/+$/, ''),
		/** @param {import('n8n-workflow').IHttpRequestOptions} options */
		api: (options) =>
			context.helpers.httpRequestWithAuthentication.call(context, 'seedreamApi', {
				json: true,
				...options,
			}),
	};
}

/**
 * Adds the baseline to a harness's node types.
 * @param {import('./harness.mjs').Harness} harness
 */
export function registerBaseline(harness) {
	harness.registerNodeType(BASELINE_TYPE, /** @type {any} */ (new SeedreamBaseline()));
}

/** Manual Trigger -> baseline node, with the same credential reference as our node's workflows. */
export function baselineWorkflow(/** @type {Record<string, unknown>} */ parameters) {
	return triggeredNodeWorkflow({
		type: BASELINE_TYPE,
		parameters,
		nodeName: 'Seedream Baseline',
		credentials: SEEDREAM_CREDENTIAL_REFERENCE,
	});
}
