// @ts-check
// https://registry.npmjs.org as n8n reaches it through the intercepting proxy: every request is handed, as it
// came, to the local registry server (support/registry.mjs), which answers with tarball URLs on the public
// host. Requests are recorded (method and path) so a test can show that n8n's npm traffic came this way.
import http from 'node:http';

/** @param {string} registryUrl the local registry, http://127.0.0.1:<port> */
export function createRegistryForward(registryUrl) {
	const target = new URL(registryUrl);
	/** @type {{ method: string, path: string, status: number, userAgent: string }[]} */
	const requests = [];
	/** @type {import('./proxy.mjs').Handler} */
	const handler = (req, res) =>
		new Promise((resolve, reject) => {
			const upstream = http.request(
				{
					hostname: target.hostname,
					port: target.port,
					method: req.method,
					path: req.url,
					headers: { ...req.headers, 'x-forwarded-proto': 'https' },
				},
				(answer) => {
					requests.push({
						method: req.method ?? '',
						path: req.url ?? '',
						status: answer.statusCode ?? 0,
						userAgent: String(req.headers['user-agent'] ?? ''),
					});
					res.writeHead(answer.statusCode ?? 502, answer.headers);
					answer.pipe(res);
					answer.once('end', () => resolve(undefined));
					answer.once('error', reject);
				},
			);
			upstream.once('error', reject);
			req.pipe(upstream);
		});
	return { hosts: { 'registry.npmjs.org': handler }, requests };
}
