import {
	NodeConnectionTypes,
	type IDataObject,
	type IHookFunctions,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';
import { operationError } from '../Seedream/helpers/errors';
import { TERMINAL_STATUSES } from '../Seedream/helpers/limits';
import { resultsMax } from '../Seedream/models';
import { downloadOptions, optionsCollection, versionedOutputProperty } from '../shared/properties';
import { CURRENT_NODE_VERSION, NODE_VERSIONS } from '../shared/versions';
import { readReceiverOptions, receiveCallback, type ReceiverOptions } from './callbackReceiver';

/**
 * The webhook's path: the URL token, or when it is empty n8n's generated webhook ID (with `isFullPath` n8n takes
 * the webhook ID for an empty path, on 1.x as on 2.x). The template comes with a native resolver, the form n8n
 * 2.41's own Webhook node declares its fields in, so n8n reads the path from the parameters instead of evaluating
 * an expression for every callback: under N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE that spares an expression isolate per
 * callback (bench T1). The key is n8n-workflow's WEBHOOK_RESOLVERS, taken with `Symbol.for` so the node still
 * loads on n8n versions without it, which evaluate the template to the same path.
 */
const TOKEN_PATH = '={{$parameter["token"]}}';
const tokenPathResolvers = {
	path: { template: TOKEN_PATH, resolve: (parameters: IDataObject) => parameters.token },
};

/** A URL token chosen by hand must be at least this long (the generated one is a random UUID). */
export const TOKEN_MIN_LENGTH = 16;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]+$/;

export class SeedreamTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Seedream Trigger',
		name: 'seedreamTrigger',
		icon: { light: 'file:../../icons/seedream.svg', dark: 'file:../../icons/seedream.dark.svg' },
		group: ['trigger'],
		version: NODE_VERSIONS,
		defaultVersion: CURRENT_NODE_VERSION,
		subtitle: '={{"On task " + ($parameter["statuses"] || []).join(", ")}}',
		description:
			'Starts the workflow when EvoLink reports a Seedream task finished (the callback URL of Seedream > Generate)',
		defaults: { name: 'Seedream Trigger' },
		// What the editor says while it listens for a test event and when the workflow is activated, as n8n's
		// own webhook triggers do.
		eventTriggerDescription:
			'Waiting for EvoLink to call the Test URL: run a Seedream > Generate with it as Callback URL',
		activationMessage:
			'EvoLink callbacks to the Production URL now start this workflow. Put that URL in Seedream > Generate > Options > Callback URL.',
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'seedreamApi', required: true }],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				// The token is the whole path: any other path is answered 404 by n8n before this node runs.
				path: TOKEN_PATH,
				isFullPath: true,
				[Symbol.for('n8n.webhookDescriptionResolvers')]: tokenPathResolvers,
			},
		],
		properties: [
			{
				displayName:
					"Copy this node's Production URL (above) into Seedream > Generate > Options > Callback URL, and activate this workflow. While testing, use the Test URL and click Listen for Test Event.",
				name: 'setupNotice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'URL Token',
				name: 'token',
				type: 'string',
				typeOptions: { password: true },
				default: '',
				description: `The secret part of this trigger's URL. Leave empty to use the random ID n8n generated for this node; set your own (at least ${TOKEN_MIN_LENGTH} random letters, digits, - or _) to change the URL, e.g. after it leaked. Callbacks are not signed: anyone with the URL can call it, though only tasks the API confirms start the workflow.`,
			},
			{
				displayName: 'Start On',
				name: 'statuses',
				type: 'multiOptions',
				default: [...TERMINAL_STATUSES],
				options: [
					{ name: 'Completed', value: 'completed' },
					{ name: 'Failed', value: 'failed' },
					{ name: 'Cancelled', value: 'cancelled' },
				],
				description:
					'Which task endings start the workflow. A failed or cancelled task comes out as Generate reports one under Continue On Fail: error, taskId, status, errorCode.',
			},
			// Version 1 output URLs; from 1.1 Generate's shape, binary by default (nodes/shared/versions.ts).
			...versionedOutputProperty(),
			optionsCollection([
				{
					displayName: 'Confirm With the API',
					name: 'verify',
					type: 'boolean',
					default: true,
					description: `Whether to read the task from EvoLink with the credential before starting, and use what the API says. Callbacks carry no signature. Turned off, the body is trusted: anyone with this trigger's URL can start the workflow with a made-up task and public image URLs of their choice (internal addresses and more than ${resultsMax(undefined)} results are still refused), a completed task whose results are not listed yet is left to EvoLink's retries instead of being read again, and nothing checks the task is yours. Turned off, the trigger also downloads nothing, so Output must be URLs Only or Compact: a URL's name or a redirect could lead n8n to an internal address, which the node cannot check before connecting.`,
				},
				// Shared with Generate, so the two output the same way.
				...downloadOptions,
			]),
		],
	};

	/**
	 * Nothing is registered at EvoLink (a callback URL is given per task, in Generate), so these only check
	 * the URL token and the parameters when the workflow is activated or listens for a test event: n8n shows
	 * the error there, where a callback could only answer it to EvoLink.
	 */
	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				const token = String(this.getNodeParameter('token', '') ?? '');
				const generated = this.getNode().webhookId;
				if (
					token === '' ? !generated : token.length < TOKEN_MIN_LENGTH || !TOKEN_PATTERN.test(token)
				) {
					throw operationError(
						this.getNode(),
						`URL Token: set at least ${TOKEN_MIN_LENGTH} random letters, digits, - or _ (or leave it empty to use the node's generated ID)`,
					);
				}
				readReceiverOptions(this.getNode(), (name, fallback) =>
					this.getNodeParameter(name, fallback),
				);
				return true;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		// Per callback, as few parameter reads as can be: each one resolves the node's parameters, and n8n 2.x's
		// expression engine makes that dear at 20 callbacks a second. The options are read once, as a whole.
		const parameter = (name: string, fallback: unknown) => this.getNodeParameter(name, fallback);
		let options: ReceiverOptions;
		try {
			options = readReceiverOptions(this.getNode(), parameter);
		} catch (error) {
			// Checked on activation; made invalid since (by an expression): the callback is still confirmed and
			// starts the workflow with the error, never a 500 to EvoLink.
			const raw = (parameter('options', {}) ?? {}) as IDataObject;
			const statuses = parameter('statuses', [...TERMINAL_STATUSES]);
			options = {
				statuses: Array.isArray(statuses) ? (statuses as string[]) : [...TERMINAL_STATUSES],
				verify: raw.verify !== false,
				output: 'urls',
				invalid: error as Error,
			};
		}
		return await receiveCallback.call(this, options);
	}
}
