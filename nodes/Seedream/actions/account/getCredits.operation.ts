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
			'Returns the balance of the account and of the API key (GET /v1/credits), and remainingCredits: what this key can still spend, the smaller of the two. It costs nothing.',
		name: 'notice',
		type: 'notice',
		default: '',
	},
];

export const description = updateDisplayOptions(
	{ show: { resource: ['account'], operation: ['getCredits'] } },
	properties,
);

const balanceOf = (balance: unknown): number | undefined => {
	const value = (balance as IDataObject | undefined)?.remaining_credits;
	return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
};

/**
 * The one number to check before a batch: what this key can still spend. docs/evolink-api.md §6 gives two
 * balances, the key's own allowance (`token`, which may be `unlimited_credits`) and the account's (`user`),
 * which differ in its example (99416.44 and 1095.4). A task is paid from the account within the key's
 * allowance, so the smaller one bounds it; the spec does not say how they combine (unverified), and taking the
 * smaller never overstates what can be spent. An unlimited key leaves the account's balance.
 */
export function remainingCredits(data: IDataObject): number | undefined {
	const token = data.token as IDataObject | undefined;
	const limits = [
		balanceOf(data.user),
		token?.unlimited_credits === true ? undefined : balanceOf(token),
	];
	const known = limits.filter((limit): limit is number => limit !== undefined);
	return known.length ? Math.min(...known) : undefined;
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const response = await apiRequest.call(this, 'GET', '/v1/credits', {
		itemIndex,
		retry: 'read',
	});
	// Spec section 6: `{data: {token: {...}, user: {...}}, success}`; the balances are what a workflow reads.
	const data = (
		response.data && typeof response.data === 'object' ? response.data : response
	) as IDataObject;
	const remaining = remainingCredits(data);
	return [
		{
			json: remaining === undefined ? data : { remainingCredits: remaining, ...data },
			pairedItem: { item: itemIndex },
		},
	];
}
