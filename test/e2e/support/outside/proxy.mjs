// @ts-check
// The only way out for the n8n under test: an HTTPS-intercepting proxy on 127.0.0.1. n8n sends node traffic
// through HTTPS_PROXY as `CONNECT host:443` followed by TLS with SNI = host (docs/n8n-fake-slack-drive.md). For
// a faked host the proxy answers 200 and terminates the TLS itself, with a certificate for that host signed by
// the test CA, then hands the decrypted requests to that host's fake (a client that sends a faked host's https
// URL without tunnelling is served the same way). Every other CONNECT, and every other plain-HTTP proxy request,
// is refused with 403 and recorded: nothing reaches a public host, and a test can show that
// nothing tried to.
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';

/** @typedef {(req: http.IncomingMessage, res: http.ServerResponse) => unknown} Handler */

/**
 * @param {Record<string, { key: Buffer, cert: Buffer, handler: Handler }>} hosts faked host name -> its TLS identity and fake
 */
export async function startInterceptingProxy(hosts) {
	/** @type {{ target: string, how: 'CONNECT' | 'HTTP' }[]} */
	const refused = [];
	/** Every CONNECT let through, by target, in order. @type {string[]} */
	const tunnels = [];
	/** @type {Set<import('node:net').Socket>} */
	const sockets = new Set();
	const contexts = Object.fromEntries(
		Object.entries(hosts).map(([name, h]) => [
			name,
			tls.createSecureContext({ key: h.key, cert: h.cert }),
		]),
	);

	// Never listens: it only serves the sockets the proxy hands it after a CONNECT.
	const front = https.createServer(
		{
			SNICallback: (servername, callback) => {
				const context = contexts[servername];
				callback(context ? null : new Error(`no certificate for ${servername}`), context);
			},
		},
		(req, res) => {
			const host = (req.headers.host ?? '').replace(/:443$/, '');
			const servername = /** @type {import('node:tls').TLSSocket & { servername?: string }} */ (
				req.socket
			).servername;
			const fake = hosts[host];
			// A request for one host inside a tunnel opened for another is not something a real client does.
			if (!fake || host !== servername) {
				res
					.writeHead(421, { 'content-type': 'text/plain' })
					.end(`misdirected: Host ${host}, SNI ${servername}`);
				return;
			}
			Promise.resolve(fake.handler(req, res)).catch((error) => {
				if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
				res.end(`fake ${host} failed: ${error?.message ?? error}`);
			});
		},
	);

	const proxy = http.createServer((req, res) => {
		// A client that does not tunnel (axios, which n8n 1.x uses for some registry checks) sends the whole
		// https URL here; a forwarding proxy serves it from the host it names. Only a faked host's https URL is.
		const absolute = URL.canParse(req.url ?? '') ? new URL(req.url ?? '') : undefined;
		const fake =
			absolute?.protocol === 'https:' && absolute.port === ''
				? hosts[absolute.hostname]
				: undefined;
		if (absolute && fake) {
			tunnels.push(`${absolute.hostname}:443 (absolute URI)`);
			req.url = `${absolute.pathname}${absolute.search}`;
			Promise.resolve(fake.handler(req, res)).catch((error) => {
				if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
				res.end(`fake ${absolute.hostname} failed: ${error?.message ?? error}`);
			});
			return;
		}
		refused.push({ target: req.url ?? '', how: 'HTTP' });
		res
			.writeHead(403, { 'content-type': 'text/plain' })
			.end('refused by the test proxy: only the faked hosts are reachable');
	});
	proxy.on('connection', (socket) => {
		sockets.add(socket);
		socket.once('close', () => sockets.delete(socket));
	});
	proxy.on('connect', (req, socket, head) => {
		const target = req.url ?? '';
		const [host, port] = target.split(':');
		if (!hosts[host] || port !== '443') {
			refused.push({ target, how: 'CONNECT' });
			socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
			return;
		}
		tunnels.push(target);
		socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
		if (head.length) socket.unshift(head);
		front.emit('connection', socket);
	});

	await new Promise((resolve) => proxy.listen(0, '127.0.0.1', () => resolve(undefined)));
	const { port } = /** @type {import('node:net').AddressInfo} */ (proxy.address());
	return {
		url: `http://127.0.0.1:${port}`,
		refused,
		tunnels,
		async stop() {
			// Keep-alive tunnels would hold the server open for ever.
			for (const socket of sockets) socket.destroy();
			await new Promise((resolve) => proxy.close(() => resolve(undefined)));
			front.close();
		},
	};
}
