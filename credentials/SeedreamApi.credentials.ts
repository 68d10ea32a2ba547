import type {
	IAuthenticate,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

export class SeedreamApi implements ICredentialType {
	name = 'seedreamApi';

	displayName = 'Seedream API';

	icon: Icon = { light: 'file:../icons/seedream.svg', dark: 'file:../icons/seedream.dark.svg' };

	documentationUrl = 'https://docs.evolink.ai';

	properties: INodeProperties[] = [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			required: true,
			default: '',
			placeholder: 'sk-...',
			description: 'Your EvoLink API key, from the EvoLink dashboard',
		},
		{
			displayName: 'API Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://api.evolink.ai',
			description:
				'Where image tasks are created and read. Change it only to point at a local EvoLink emulator.',
		},
		{
			displayName: 'Files Base URL',
			name: 'filesBaseUrl',
			type: 'string',
			default: 'https://files-api.evolink.ai',
			description:
				'Where reference images from binary data are uploaded. Change it only to point at a local EvoLink emulator.',
		},
	];

	// A function rather than the generic `=Bearer {{$credentials.apiKey}}` header: n8n resolves the generic form as
	// an expression on every request, under its default (vm) expression engine a round trip into the isolate, on
	// the trigger's confirming read of every callback (bench/README.md, T1).
	authenticate: IAuthenticate = async (credentials, requestOptions) => ({
		...requestOptions,
		headers: { ...requestOptions.headers, Authorization: `Bearer ${String(credentials.apiKey)}` },
	});

	// GET /v1/models is free and is EvoLink's documented way to check a key (docs/evolink-api.md §6).
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}',
			url: '/v1/models',
			method: 'GET',
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message: 'The API key was rejected (401): check that it is correct and active',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 402,
					message: 'The API key has no usable balance or was disabled (402)',
				},
			},
		],
	};
}
