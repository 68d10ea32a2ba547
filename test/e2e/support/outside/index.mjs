// @ts-check
// The outside world for the end-to-end n8n, all on 127.0.0.1: fake Slack and Google behind an intercepting
// proxy (its test CA made now, in a temporary folder), an SMTP sink, and the environment that sends n8n's node
// traffic through that proxy and nowhere else. Secrets (Slack token, service-account key, SMTP password) are
// fresh per run. How and why: docs/n8n-fake-slack-drive.md.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeGoogle } from './google.mjs';
import { createRegistryForward } from './npm-registry.mjs';
import { startInterceptingProxy } from './proxy.mjs';
import { createFakeSlack } from './slack.mjs';
import { startSmtpSink } from './smtp.mjs';
import { makeTestCa } from './tls.mjs';

/** @typedef {Awaited<ReturnType<typeof startOutside>>} Outside */

/** A service-account key pair as Google hands one out (PKCS#8 private key) and the public half the fake checks with. */
function serviceAccountKey() {
	const { privateKey, publicKey } = generateKeyPairSync('rsa', {
		modulusLength: 2048,
		privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
		publicKeyEncoding: { type: 'spki', format: 'pem' },
	});
	return { privateKey, publicKey };
}

/**
 * @param {{ registryUrl?: string }} [options] registryUrl: a local registry server that stands for
 * https://registry.npmjs.org (support/registry.mjs); without it that host is refused like any other.
 */
export async function startOutside(options = {}) {
	const dir = mkdtempSync(join(tmpdir(), 'seedream-outside-'));
	/** @type {(() => Promise<void>)[]} */
	const stops = [];
	const stop = async () => {
		for (const s of stops.reverse()) await s();
		rmSync(dir, { recursive: true, force: true });
	};
	try {
		const slackToken = `xoxb-test-${randomBytes(16).toString('hex')}`;
		const key = serviceAccountKey();
		const serviceAccount = {
			email: 'seedream-e2e@seedream-test.iam.gserviceaccount.com',
			privateKey: key.privateKey,
		};
		const smtpAccount = { user: 'seedream-e2e', password: randomBytes(12).toString('hex') };

		const slack = createFakeSlack({ token: slackToken });
		const google = createFakeGoogle({ email: serviceAccount.email, publicKeyPem: key.publicKey });
		const registry = options.registryUrl ? createRegistryForward(options.registryUrl) : undefined;
		const handlers = { ...slack.hosts, ...google.hosts, ...registry?.hosts };
		const ca = makeTestCa(dir, Object.keys(handlers));
		const proxy = await startInterceptingProxy(
			Object.fromEntries(
				Object.entries(handlers).map(([host, handler]) => [host, { ...ca.hosts[host], handler }]),
			),
		);
		stops.push(() => proxy.stop());
		const smtp = await startSmtpSink(smtpAccount);
		stops.push(() => smtp.stop());

		// Both spellings: proxy-from-env reads the lowercase one first when it is set (docs/n8n-fake-slack-drive.md).
		// Loopback stays direct (emulator, task-runner broker, chat model). The machine's own NODE_EXTRA_CA_CERTS
		// is replaced: it takes one file, and the test CA is the only one these hosts need.
		const env = {
			HTTPS_PROXY: proxy.url,
			https_proxy: proxy.url,
			HTTP_PROXY: proxy.url,
			http_proxy: proxy.url,
			NO_PROXY: '127.0.0.1,localhost',
			no_proxy: '127.0.0.1,localhost',
			NODE_EXTRA_CA_CERTS: ca.caFile,
			// npm (which n8n runs to install community packages) takes its CAs from its own setting, not Node's.
			npm_config_cafile: ca.caFile,
		};
		return {
			env,
			proxy,
			slack,
			google,
			smtp,
			registry,
			/** Credential data for n8n's own credential types, as the editor would save them. */
			credentials: {
				slackApi: { accessToken: slackToken },
				googleApi: { email: serviceAccount.email, privateKey: serviceAccount.privateKey },
				smtp: {
					user: smtpAccount.user,
					password: smtpAccount.password,
					host: smtp.host,
					port: smtp.port,
					secure: false,
					disableStartTls: true,
				},
			},
			/** A key Google does not know, for the negative runs. */
			strangerKey: () => serviceAccountKey().privateKey,
			stop,
		};
	} catch (error) {
		await stop();
		throw error;
	}
}
