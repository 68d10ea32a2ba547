// @ts-check
// The images go where users send them, through n8n's own nodes: examples/generate-images.json with
// its Slack and Google Drive nodes enabled (a credential each), plus Send Email with the image
// attached and Read/Write Files from Disk. Slack and Google are local fakes behind the e2e
// instance's intercepting proxy, e-mail is a local SMTP sink (support/outside/); each records what
// it received, and the test checks that it is every image, whole, under its name. Runs last in
// n8n.test.mjs: its final test looks at the proxy over the whole run.
import { beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import http from 'node:http';
import tls from 'node:tls';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../scripts/lib/toolchain.mjs';
import { readPng } from '../../harness/png.mjs';
import {
	errorOf,
	example,
	outputOf,
	removeWorkflow,
	runExample,
	saveVariant,
} from '../support/run.mjs';

/** @typedef {import('../support/instance.mjs').E2eInstance} E2eInstance */
/** @typedef {{ id: string, name: string }} CredentialRef */
/** The credentials the example's nodes use. @typedef {{
 *   slackApi: CredentialRef, googleApi: CredentialRef, smtp: CredentialRef }} Credentials
 */

const RUN_TIMEOUT = 180_000;
const CHANNEL = 'C0SEEDREAM1';
const MAIL_FROM = 'seedream@n8n-nodes-seedream.test';
const MAIL_TO = 'team@n8n-nodes-seedream.test';
/** What the suite itself sends to hosts nobody fakes, to see them refused. */
const UNFAKED_HTTPS = 'https://example.com/';
const UNFAKED_HTTP = 'http://example.com/';

mkdirSync(join(repoRoot, 'test-results'), { recursive: true });

/** @param {Buffer} bytes */
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/**
 * @param {E2eInstance} instance @param {string} type @param {string} name
 * @param {Record<string, unknown>} data
 * @returns {Promise<{ id: string, name: string }>}
 */
async function createCredential(instance, type, name, data) {
	const created = await instance.client.rest('POST', '/rest/credentials', { name, type, data });
	return { id: String(created.id), name };
}

/**
 * The example with Slack and Drive enabled, and Send Email and Write/Read Files from Disk beside
 * them.
 * @param {E2eInstance} instance @param {string} name
 * @param {Credentials} credentials
 * @param {{ continueOnFail?: boolean, generate?: Record<string, unknown>, slackVersion?: number }}
 *   [options] generate: parameters to change on Generate Images; slackVersion: the Slack node's
 *   typeVersion (the example's otherwise)
 */
function saveDeliveryWorkflow(instance, name, credentials, options = {}) {
	return saveVariant(instance, 'generate-images.json', name, (workflow) => {
		/** @param {string} nodeName */
		const node = (nodeName) =>
			workflow.nodes.find((/** @type {{ name: string }} */ n) => n.name === nodeName);
		Object.assign(node('Generate Images').parameters, options.generate);
		const onError = options.continueOnFail ? { onError: 'continueRegularOutput' } : {};
		const slack = node('Post to Slack');
		delete slack.disabled;
		slack.parameters.options.channelId = CHANNEL;
		if (options.slackVersion) slack.typeVersion = options.slackVersion;
		Object.assign(slack, { credentials: { slackApi: credentials.slackApi }, ...onError });
		const drive = node('Upload to Google Drive');
		delete drive.disabled;
		drive.parameters.authentication = 'serviceAccount';
		Object.assign(drive, { credentials: { googleApi: credentials.googleApi }, ...onError });
		workflow.nodes.push(
			{
				id: 'e2e-delivery-email',
				name: 'Email the Image',
				type: 'n8n-nodes-base.emailSend',
				typeVersion: 2.1,
				position: [540, 300],
				parameters: {
					fromEmail: MAIL_FROM,
					toEmail: MAIL_TO,
					subject: '={{ "Seedream: " + $binary.data.fileName }}',
					emailFormat: 'text',
					text: 'The image is attached.',
					options: { fileAttachments: 'data', appendAttribution: false },
				},
				credentials: { smtp: credentials.smtp },
				...onError,
			},
			{
				id: 'e2e-delivery-write',
				name: 'Write the Image to Disk',
				type: 'n8n-nodes-base.readWriteFile',
				typeVersion: 1.1,
				position: [540, 500],
				parameters: {
					operation: 'write',
					fileName: `={{ ${JSON.stringify(instance.filesDir + '/')} + $binary.data.fileName }}`,
					dataPropertyName: 'data',
					options: {},
				},
			},
			{
				id: 'e2e-delivery-read',
				name: 'Read the Images from Disk',
				type: 'n8n-nodes-base.readWriteFile',
				typeVersion: 1.1,
				position: [800, 500],
				executeOnce: true,
				parameters: { operation: 'read', fileSelector: `${instance.filesDir}/*.png`, options: {} },
			},
		);
		workflow.connections['Generate Images'].main[0].push(
			{ node: 'Email the Image', type: 'main', index: 0 },
			{ node: 'Write the Image to Disk', type: 'main', index: 0 },
		);
		workflow.connections['Write the Image to Disk'] = {
			main: [[{ node: 'Read the Images from Disk', type: 'main', index: 0 }]],
		};
	});
}

/**
 * A TLS handshake through the proxy as n8n makes it (CONNECT, then TLS with SNI), trusting only
 * `ca`.
 * @param {string} proxyUrl @param {string} host @param {Buffer | undefined} ca
 * @returns {Promise<string>} "verified" or the TLS error code
 */
function handshake(proxyUrl, host, ca) {
	return new Promise((resolve, reject) => {
		const request = http.request(proxyUrl, { method: 'CONNECT', path: `${host}:443` });
		request.once('error', reject);
		request.once('connect', (response, socket) => {
			if (response.statusCode !== 200) return resolve(`CONNECT ${response.statusCode}`);
			const secure = tls.connect({ socket, servername: host, ca: ca ? [ca] : [] });
			secure.once('secureConnect', () => {
				secure.destroy();
				resolve('verified');
			});
			secure.once('error', (/** @type {NodeJS.ErrnoException} */ error) => {
				socket.destroy();
				resolve(String(error.code));
			});
		});
		request.end();
	});
}

/** @param {() => E2eInstance} get */
export function deliveryTests(get) {
	describe('examples/generate-images.json to Slack, Google Drive, e-mail and disk', () => {
		/** @type {Credentials} */
		let credentials;
		beforeAll(async () => {
			const instance = get();
			const data = instance.outside.credentials;
			credentials = {
				slackApi: await createCredential(instance, 'slackApi', 'Slack (e2e fake)', data.slackApi),
				googleApi: await createCredential(
					instance,
					'googleApi',
					'Google service account (e2e fake)',
					data.googleApi,
				),
				smtp: await createCredential(instance, 'smtp', 'SMTP (e2e sink)', data.smtp),
			};
		}, 60_000);

		test(
			'each image reaches Slack, Drive, an e-mail and a file on disk, whole, under its name',
			async () => {
				const instance = get();
				const { slack, google, smtp, proxy } = instance.outside;
				const before = {
					slack: slack.uploads.length,
					drive: google.files.length,
					mail: smtp.messages.length,
					refused: proxy.refused.length,
				};
				const workflowId = await saveDeliveryWorkflow(
					instance,
					'e2e: deliver the images',
					credentials,
				);
				try {
					const execution = await runExample(instance, 'generate-images.json', { workflowId });
					expect(errorOf(execution)).toBeUndefined();
					expect(execution.status).toBe('success');

					const generated = outputOf(execution, 'Generate Images');
					expect(generated).toHaveLength(2);
					const images = await Promise.all(
						generated.map(async (item) => {
							const binary = /** @type {NonNullable<typeof item.binary>} */ (item.binary).data;
							const bytes = await instance.client.binaryBytes(binary);
							expect(readPng(bytes)).toEqual(expect.objectContaining({ width: 1280, height: 720 }));
							return {
								name: /** @type {string} */ (binary.fileName),
								mimeType: binary.mimeType,
								size: bytes.length,
								sha: sha256(bytes),
							};
						}),
					);
					expect(images.map((i) => i.name)).toEqual([
						expect.stringMatching(/^task-unified-.+-0\.png$/),
						expect.stringMatching(/^task-unified-.+-1\.png$/),
					]);
					expect(images.map((i) => i.mimeType)).toEqual(['image/png', 'image/png']);
					const received = (
						/** @type {{ name: string, bytes: Buffer, mimeType: string }[]} */ list,
					) =>
						list.map((r) => {
							expect(readPng(r.bytes)).toEqual(
								expect.objectContaining({ width: 1280, height: 720 }),
							);
							return {
								name: r.name,
								mimeType: r.mimeType,
								size: r.bytes.length,
								sha: sha256(r.bytes),
							};
						});
					const prompt = example('generate-images.json').nodes.find(
						(/** @type {{ name: string }} */ n) => n.name === 'Generate Images',
					).parameters.prompt;

					// Slack: announced with the right length, uploaded, shared with the comment.
					const slackUploads = slack.uploads.slice(before.slack);
					expect(
						received(
							slackUploads.map((u) => ({
								name: u.filename,
								bytes: u.bytes,
								mimeType: u.contentType,
							})),
						),
					).toEqual(images);
					for (const upload of slackUploads) {
						expect(upload).toEqual(
							expect.objectContaining({
								channelId: CHANNEL,
								initialComment: `Seedream: ${prompt}`,
								title: upload.filename,
								partFilename: upload.filename,
								declaredLength: upload.bytes.length,
							}),
						);
					}
					expect(outputOf(execution, 'Post to Slack').map((i) => i.json.id)).toEqual(
						slackUploads.map((u) => u.fileId),
					);

					// Google Drive: in the root folder, with its MIME type.
					const driveFiles = google.files.slice(before.drive);
					expect(
						received(
							driveFiles.map((f) => ({ name: f.name, bytes: f.bytes, mimeType: f.mimeType })),
						),
					).toEqual(images);
					for (const file of driveFiles)
						expect(file).toEqual(expect.objectContaining({ parents: ['root'], patched: true }));
					expect(outputOf(execution, 'Upload to Google Drive').map((i) => i.json.id)).toEqual(
						driveFiles.map((f) => f.id),
					);

					// E-mail: one message per image, logged in, the image as its one attachment.
					const mails = smtp.messages.slice(before.mail);
					expect(
						mails.map((m) => ({
							user: m.user,
							from: m.from,
							to: m.to,
							subject: m.subject,
							attachments: m.attachments.length,
						})),
					).toEqual(
						images.map((i) => ({
							user: instance.outside.credentials.smtp.user,
							from: MAIL_FROM,
							to: [MAIL_TO],
							subject: `Seedream: ${i.name}`,
							attachments: 1,
						})),
					);
					expect(
						received(
							mails.map((m) => ({
								name: m.attachments[0].filename,
								bytes: m.attachments[0].bytes,
								mimeType: m.attachments[0].contentType,
							})),
						),
					).toEqual(images);

					// Disk: written under their names, and read back by the same node type.
					const onDisk = readdirSync(instance.filesDir).sort();
					expect(onDisk).toEqual(images.map((i) => i.name).sort());
					expect(
						received(
							onDisk.map((name) => ({
								name,
								bytes: readFileSync(join(instance.filesDir, name)),
								mimeType: 'image/png',
							})),
						),
					).toEqual([...images].sort((a, b) => a.name.localeCompare(b.name)));
					const readBack = outputOf(execution, 'Read the Images from Disk');
					const readImages = await Promise.all(
						readBack.map(async (item) => {
							const binary = /** @type {NonNullable<typeof item.binary>} */ (item.binary).data;
							return {
								name: /** @type {string} */ (binary.fileName),
								mimeType: binary.mimeType,
								bytes: await instance.client.binaryBytes(binary),
							};
						}),
					);
					expect(received(readImages).sort((a, b) => a.name.localeCompare(b.name))).toEqual(
						[...images].sort((a, b) => a.name.localeCompare(b.name)),
					);

					expect(proxy.refused.slice(before.refused)).toEqual([]);

					// What each receiver got, for the note.
					const figures = {
						images,
						slack: slackUploads.map((u) => ({
							name: u.filename,
							size: u.bytes.length,
							contentType: u.contentType,
							channel: u.channelId,
						})),
						drive: driveFiles.map((f) => ({
							name: f.name,
							size: f.bytes.length,
							mimeType: f.mimeType,
							uploadType: f.uploadType,
							chunks: f.chunks,
						})),
						mail: mails.map((m) => ({
							subject: m.subject,
							attachments: m.attachments.map((a) => ({
								name: a.filename,
								size: a.bytes.length,
								contentType: a.contentType,
							})),
						})),
						disk: onDisk.map((name) => ({
							name,
							size: readFileSync(join(instance.filesDir, name)).length,
						})),
					};
					writeFileSync(
						join(repoRoot, 'test-results', 'delivery-figures.json'),
						JSON.stringify(figures, null, 2),
					);
				} finally {
					await removeWorkflow(instance, workflowId);
				}
			},
			RUN_TIMEOUT,
		);

		test(
			"a 4K image (over Drive's 2 MiB chunk) reaches Drive in chunks and Slack whole",
			async () => {
				const instance = get();
				const { slack, google } = instance.outside;
				const before = { slack: slack.uploads.length, drive: google.files.length };
				const workflowId = await saveDeliveryWorkflow(
					instance,
					'e2e: deliver a 4K image',
					credentials,
					{
						generate: {
							n: 1,
							prompt: 'A detailed watercolor map of Lisbon',
							sizeMode: 'preset',
							size: '4K',
						},
					},
				);
				try {
					const execution = await runExample(instance, 'generate-images.json', { workflowId });
					expect(errorOf(execution)).toBeUndefined();
					const [image, ...more] = outputOf(execution, 'Generate Images');
					expect(more).toEqual([]);
					const bytes = await instance.client.binaryBytes(
						/** @type {NonNullable<typeof image.binary>} */ (image.binary).data,
					);
					expect(readPng(bytes)).toEqual(expect.objectContaining({ width: 4096, height: 4096 }));
					expect(bytes.length).toBeGreaterThan(2 * 1024 * 1024);

					const [file, ...otherFiles] = google.files.slice(before.drive);
					expect(otherFiles).toEqual([]);
					expect(file.uploadType).toBe('resumable');
					expect(file.chunks).toBe(Math.ceil(bytes.length / (2 * 1024 * 1024)));
					expect(sha256(file.bytes)).toBe(sha256(bytes));
					const [upload, ...otherUploads] = slack.uploads.slice(before.slack);
					expect(otherUploads).toEqual([]);
					expect(sha256(upload.bytes)).toBe(sha256(bytes));
					expect(upload.declaredLength).toBe(bytes.length);
					writeFileSync(
						join(repoRoot, 'test-results', 'delivery-figures-4k.json'),
						JSON.stringify(
							{
								name: file.name,
								size: bytes.length,
								driveChunks: file.chunks,
								slackSize: upload.bytes.length,
							},
							null,
							2,
						),
					);
				} finally {
					await removeWorkflow(instance, workflowId);
				}
			},
			RUN_TIMEOUT,
		);

		test(
			'the Slack node as the editor adds it today (typeVersion 2.7) uploads the image the same way',
			async () => {
				const instance = get();
				const { slack } = instance.outside;
				const before = slack.uploads.length;
				const workflowId = await saveDeliveryWorkflow(
					instance,
					'e2e: deliver with Slack 2.7',
					credentials,
					{ generate: { n: 1 }, slackVersion: 2.7 },
				);
				try {
					const execution = await runExample(instance, 'generate-images.json', { workflowId });
					expect(errorOf(execution)).toBeUndefined();
					const [image] = outputOf(execution, 'Generate Images');
					const binary = /** @type {NonNullable<typeof image.binary>} */ (image.binary).data;
					const bytes = await instance.client.binaryBytes(binary);
					const uploads = slack.uploads.slice(before);
					expect(
						uploads.map((u) => ({
							name: u.filename,
							channelId: u.channelId,
							sha: sha256(u.bytes),
						})),
					).toEqual([{ name: binary.fileName, channelId: CHANNEL, sha: sha256(bytes) }]);
					expect(outputOf(execution, 'Post to Slack').map((i) => i.json.id)).toEqual([
						uploads[0].fileId,
					]);
				} finally {
					await removeWorkflow(instance, workflowId);
				}
			},
			RUN_TIMEOUT,
		);

		test(
			'a wrong Slack token and a key Google does not know fail those nodes and store nothing',
			async () => {
				const instance = get();
				const { slack, google } = instance.outside;
				const wrong = {
					...credentials,
					slackApi: await createCredential(instance, 'slackApi', 'Slack (wrong token)', {
						accessToken: 'xoxb-test-not-the-token',
					}),
					googleApi: await createCredential(instance, 'googleApi', 'Google (unknown key)', {
						...instance.outside.credentials.googleApi,
						privateKey: instance.outside.strangerKey(),
					}),
				};
				const before = {
					slack: slack.uploads.length,
					calls: slack.calls.length,
					drive: google.files.length,
					tokens: google.tokenRequests.length,
				};
				const workflowId = await saveDeliveryWorkflow(
					instance,
					'e2e: deliver with wrong credentials',
					wrong,
					{ continueOnFail: true },
				);
				try {
					const execution = await runExample(instance, 'generate-images.json', { workflowId });
					expect(execution.status).toBe('success');
					const slackOut = outputOf(execution, 'Post to Slack');
					expect(slackOut).toHaveLength(2);
					for (const item of slackOut) expect(item.json.error).toMatch(/invalid_auth/);
					const driveOut = outputOf(execution, 'Upload to Google Drive');
					expect(driveOut).toHaveLength(2);
					for (const item of driveOut) expect(item.json.error).toEqual(expect.any(String));

					expect(slack.uploads.length).toBe(before.slack);
					expect(slack.calls.slice(before.calls).map((c) => c.authorized)).toEqual([false, false]);
					expect(google.files.length).toBe(before.drive);
					const tokens = google.tokenRequests.slice(before.tokens);
					expect(tokens.length).toBeGreaterThan(0);
					expect(tokens).toEqual(
						tokens.map(() => ({ granted: false, reason: 'Invalid JWT Signature.' })),
					);
				} finally {
					await removeWorkflow(instance, workflowId);
				}
			},
			RUN_TIMEOUT,
		);

		test('the proxy: certificates of the test CA only, no tunnel to unfaked hosts', async () => {
			const { outside } = get();
			const ca = readFileSync(outside.env.NODE_EXTRA_CA_CERTS);
			expect(await handshake(outside.proxy.url, 'slack.com', ca)).toBe('verified');
			expect(await handshake(outside.proxy.url, 'www.googleapis.com', ca)).toBe('verified');
			expect(await handshake(outside.proxy.url, 'slack.com', undefined)).toBe(
				'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
			);
			expect(await handshake(outside.proxy.url, 'api.slack.com', ca)).toBe('CONNECT 403');
		});

		test(
			'n8n reaching for a host nobody fakes is refused by the proxy, over https and http',
			async () => {
				const instance = get();
				const before = instance.outside.proxy.refused.length;
				const created = await instance.client.rest('POST', '/rest/workflows', {
					name: 'e2e: an unfaked host',
					nodes: [
						{
							id: 'e2e-unfaked-trigger',
							name: 'Start',
							type: 'n8n-nodes-base.manualTrigger',
							typeVersion: 1,
							position: [0, 0],
							parameters: {},
						},
						...[UNFAKED_HTTPS, UNFAKED_HTTP].map((url, i) => ({
							id: `e2e-unfaked-${i}`,
							name: `Fetch ${i}`,
							type: 'n8n-nodes-base.httpRequest',
							typeVersion: 4.2,
							position: [260 * (i + 1), 0],
							onError: 'continueRegularOutput',
							parameters: { url, options: {} },
						})),
					],
					connections: {
						Start: { main: [[{ node: 'Fetch 0', type: 'main', index: 0 }]] },
						'Fetch 0': { main: [[{ node: 'Fetch 1', type: 'main', index: 0 }]] },
					},
					settings: { executionOrder: 'v1' },
				});
				const workflowId = String(created.id);
				try {
					const execution = await instance.client.waitForExecution(
						await instance.client.runWorkflow(workflowId, 'Start'),
					);
					for (const name of ['Fetch 0', 'Fetch 1'])
						expect(outputOf(execution, name)[0].json.error).toEqual(expect.anything());
					expect(instance.outside.proxy.refused.slice(before)).toEqual([
						{ target: 'example.com:443', how: 'CONNECT' },
						{ target: UNFAKED_HTTP, how: 'HTTP' },
					]);
				} finally {
					await removeWorkflow(instance, workflowId);
				}
			},
			RUN_TIMEOUT,
		);

		test('over the run, every tunnel went to a faked host; no refusal was unintended', () => {
			const { proxy } = get().outside;
			expect(proxy.refused).toEqual([
				{ target: 'api.slack.com:443', how: 'CONNECT' },
				{ target: 'example.com:443', how: 'CONNECT' },
				{ target: UNFAKED_HTTP, how: 'HTTP' },
			]);
			expect(new Set(proxy.tunnels)).toEqual(
				new Set([
					'slack.com:443',
					'files.slack.com:443',
					'oauth2.googleapis.com:443',
					'www.googleapis.com:443',
				]),
			);
		});
	});
}
