// @ts-check
// Loopback ports for the services the scripts and tests start: free ones from the kernel, and a clear error when
// a chosen one is taken.
import { createServer } from 'node:net';

/** A port the kernel considers free right now, for tests that must not clash with a running `npm start`. */
export async function freePort() {
	return await new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = /** @type {import('node:net').AddressInfo} */ (server.address());
			server.close(() => resolve(address.port));
		});
	});
}

/**
 * `count` ports the kernel considers free right now, all different: the servers are open at the same time, so
 * the kernel cannot hand out one port twice.
 * @param {number} count @returns {Promise<number[]>}
 */
export async function freePorts(count) {
	/** @type {import('node:net').Server[]} */
	const servers = [];
	try {
		return await Promise.all(
			Array.from(
				{ length: count },
				() =>
					new Promise((resolve, reject) => {
						const server = createServer();
						servers.push(server);
						server.once('error', reject);
						server.listen(0, '127.0.0.1', () =>
							resolve(/** @type {import('node:net').AddressInfo} */ (server.address()).port),
						);
					}),
			),
		);
	} finally {
		await Promise.all(
			servers.map(
				(server) =>
					new Promise((resolve) =>
						server.listening ? server.close(() => resolve(undefined)) : resolve(undefined),
					),
			),
		);
	}
}

/**
 * Fails early with the variable to change, instead of n8n's stack trace minutes later.
 * @param {number} port @param {string} what @param {string} variable
 */
export async function assertPortFree(port, what, variable) {
	await new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', (/** @type {NodeJS.ErrnoException} */ error) =>
			reject(
				new Error(
					error.code === 'EADDRINUSE'
						? `Port ${port} (${what}) is in use on 127.0.0.1. Stop what uses it or set ${variable} to another port.`
						: `Port ${port} (${what}): ${error.message}`,
				),
			),
		);
		server.listen(port, '127.0.0.1', () => server.close(() => resolve(undefined)));
	});
}
