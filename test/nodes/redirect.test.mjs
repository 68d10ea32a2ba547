// @ts-check
// The API key never travels to another origin: a base URL that redirects elsewhere gets an error, and the host
// it pointed to never sees the Authorization header (n8n's HTTP Request node stopped forwarding it in v4.4).
import { createServer } from 'node:http';
import { GENERATE, startSuite } from './support.mjs';

/** @type {import('./support.mjs').Suite} */
let suite;
/** @type {{ url: string, seen: { path: string, authorization?: string }[], close: () => Promise<void> }} */
let elsewhere;
/** @type {{ url: string, close: () => Promise<void> }} */
let redirector;

/** @param {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void} handle */
async function serve(handle) {
	const server = createServer(handle);
	await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
	const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
	return {
		url: `http://127.0.0.1:${port}`,
		close: () =>
			new Promise((resolve) => server.close(() => resolve(undefined))).then(() => undefined),
	};
}

beforeAll(async () => {
	suite = await startSuite();
	/** @type {{ path: string, authorization?: string }[]} */
	const seen = [];
	// Another origin that answers like the API would, recording what it was sent.
	elsewhere = {
		seen,
		...(await serve((req, res) => {
			seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
			res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
		})),
	};
	// The credential's base URL: answers every request with 307 to the other origin, same path.
	redirector = await serve((req, res) => {
		req.resume();
		res.writeHead(307, { location: `${elsewhere.url}${req.url}` }).end();
	});
});
beforeEach(async () => {
	elsewhere.seen.length = 0;
	await suite.reset();
});
afterAll(async () => {
	await redirector?.close();
	await elsewhere?.close();
	await suite?.close();
});

describe('a base URL that redirects to another origin', () => {
	test.each([
		['Account > Get Credits', { resource: 'account', operation: 'getCredits' }],
		[
			'Task > Get',
			{ resource: 'task', operation: 'get', taskId: 'task-unified-1757165031-abcdefgh' },
		],
		['Image > Generate', { ...GENERATE, waitMode: 'dontWait' }],
	])(
		'%s: fails naming both origins; the other origin never receives the Authorization header',
		async (_, parameters) => {
			const credentials = {
				seedreamApi: { ...suite.credentials.seedreamApi, baseUrl: redirector.url },
			};
			const result = await suite.run(parameters, { credentials });
			expect(result.status).toBe('error');
			expect(result.error?.message).toContain(`redirected to another origin, ${elsewhere.url}`);
			expect(elsewhere.seen.filter((request) => request.authorization !== undefined)).toEqual([]);
			expect(JSON.stringify(result.run)).not.toContain(suite.emulator.key);
		},
	);
});
