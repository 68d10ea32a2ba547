// @ts-check
// A throw-away certificate authority for the intercepting proxy, made at test time with the `openssl` CLI (Node
// cannot sign certificates) and never committed: a CA certificate that n8n trusts through NODE_EXTRA_CA_CERTS,
// and one key and certificate per faked host, signed by it, with the host as subjectAltName (what TLS clients
// check). Recipe measured in docs/n8n-fake-slack-drive.md.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** @param {string} cwd @param {string[]} args */
function openssl(cwd, args) {
	const run = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
	if (run.error)
		throw new Error(
			`openssl could not run (${run.error.message}); the delivery tests need the openssl CLI`,
		);
	if (run.status !== 0) throw new Error(`openssl ${args.join(' ')} failed:\n${run.stderr}`);
}

/**
 * @param {string} dir an empty temporary directory; the keys stay there and go with it
 * @param {string[]} hosts
 * @returns {{ caFile: string, hosts: Record<string, { key: Buffer, cert: Buffer }> }}
 */
export function makeTestCa(dir, hosts) {
	openssl(dir, [
		'req',
		'-x509',
		'-newkey',
		'rsa:2048',
		'-nodes',
		'-days',
		'2',
		'-subj',
		'/CN=n8n-nodes-seedream test CA',
		'-addext',
		'basicConstraints=critical,CA:TRUE',
		'-addext',
		'keyUsage=critical,keyCertSign,cRLSign',
		'-keyout',
		'ca.key',
		'-out',
		'ca.crt',
	]);
	/** @type {Record<string, { key: Buffer, cert: Buffer }>} */
	const made = {};
	for (const host of hosts) {
		openssl(dir, [
			'req',
			'-newkey',
			'rsa:2048',
			'-nodes',
			'-subj',
			`/CN=${host}`,
			'-keyout',
			`${host}.key`,
			'-out',
			`${host}.csr`,
		]);
		const extensions = join(dir, `${host}.ext`);
		writeFileSync(
			extensions,
			`subjectAltName=DNS:${host}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`,
		);
		openssl(dir, [
			'x509',
			'-req',
			'-in',
			`${host}.csr`,
			'-CA',
			'ca.crt',
			'-CAkey',
			'ca.key',
			'-CAcreateserial',
			'-days',
			'2',
			'-extfile',
			extensions,
			'-out',
			`${host}.crt`,
		]);
		made[host] = {
			key: readFileSync(join(dir, `${host}.key`)),
			cert: readFileSync(join(dir, `${host}.crt`)),
		};
	}
	return { caFile: join(dir, 'ca.crt'), hosts: made };
}
