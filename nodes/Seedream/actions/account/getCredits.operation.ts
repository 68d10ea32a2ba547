import {
	updateDisplayOptions,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';
import { apiRequest } from '../../transport';

const properties: INodeProperties[] = [
	{
		displayName:
			'Returns the balance of the account and of the API key (GET /v1/credits). It costs nothing.',
		name: 'notice',
		type: 'notice',
		default: '',
	},
];

export const description = updateDisplayOptions(
	{ show: { resource: ['account'], operation: ['getCredits'] } },
	properties,
);

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const response = await apiRequest.call(this, 'GET', '/v1/credits', { itemIndex });
	// Spec section 6: `{data: {token: {...}, user: {...}}, success}`; the balances are what a workflow reads.
	const data = (
		response.data && typeof response.data === 'object' ? response.data : response
	) as IDataObject;
	return [{ json: data, pairedItem: { item: itemIndex } }];
}
