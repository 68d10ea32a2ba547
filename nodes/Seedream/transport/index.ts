import type { IDataObject, IExecuteFunctions, IHttpRequestMethods } from 'n8n-workflow';

/** The only code that talks HTTP to EvoLink. */
export async function apiRequest(
	this: IExecuteFunctions,
	method: IHttpRequestMethods,
	endpoint: string,
	options: { body?: IDataObject; qs?: IDataObject } = {},
): Promise<IDataObject> {
	const credentials = await this.getCredentials<{ baseUrl: string }>('seedreamApi');
	return (await this.helpers.httpRequestWithAuthentication.call(this, 'seedreamApi', {
		method,
		url: `${credentials.baseUrl.replace(/\/+$/, '')}${endpoint}`,
		body: options.body,
		qs: options.qs,
		json: true,
	})) as IDataObject;
}
