// @ts-check
// A small SMTP sink on 127.0.0.1 for n8n's Send Email node (nodemailer underneath): ESMTP with AUTH PLAIN and
// LOGIN (RFC 4954), the one user and password it was started with, MAIL/RCPT/DATA with dot-unstuffing
// (RFC 5321 §4.5.2). No STARTTLS is offered: the credential says so. Every accepted message is kept, taken apart
// into its attachments (MIME, decoded), so a test can check what the recipient would get.
import { createServer } from 'node:net';
import { decodeTransfer, parseHeaderValue, parseMultipart, splitEntity } from './mime.mjs';

/** @typedef {{ filename: string, contentType: string, disposition: string, bytes: Buffer }} Attachment */
/** @typedef {{ user: string, from: string, to: string[], subject: string, text: string, attachments: Attachment[], raw: Buffer }} Mail */

/**
 * Leaves of a MIME tree: the text and the attachments.
 * @param {{ headers: Record<string, string>, body: Buffer }} entity @param {{ text: string, attachments: Attachment[] }} into
 */
function collect(entity, into) {
	const type = parseHeaderValue(entity.headers['content-type'] ?? 'text/plain');
	if (type.value.startsWith('multipart/')) {
		for (const part of parseMultipart(entity.body, entity.headers['content-type']))
			collect(part, into);
		return;
	}
	const disposition = parseHeaderValue(entity.headers['content-disposition']);
	const filename = disposition.params.filename ?? type.params.name;
	if (filename || disposition.value === 'attachment') {
		into.attachments.push({
			filename: filename ?? '',
			contentType: type.value,
			disposition: disposition.value,
			bytes: decodeTransfer(entity),
		});
	} else if (type.value === 'text/plain') {
		into.text += decodeTransfer(entity).toString('utf8');
	}
}

/** @param {{ user: string, password: string }} account */
export async function startSmtpSink(account) {
	/** @type {Mail[]} */
	const messages = [];
	/** Failed logins (user names only). @type {string[]} */
	const rejectedLogins = [];
	/** @type {Set<import('node:net').Socket>} */
	const sockets = new Set();

	const server = createServer((socket) => {
		sockets.add(socket);
		socket.once('close', () => sockets.delete(socket));
		const reply = (/** @type {string} */ line) => socket.write(`${line}\r\n`);
		/** @type {{ user?: string, from?: string, to: string[], data?: Buffer[], auth?: { step: 'plain' } | { step: 'login-user' } | { step: 'login-password', user: string } }} */
		let state = { to: [] };
		let buffer = Buffer.alloc(0);

		/** @param {string} user @param {string} password */
		const login = (user, password) => {
			if (user === account.user && password === account.password) {
				state.user = user;
				reply('235 2.7.0 Authentication successful');
			} else {
				rejectedLogins.push(user);
				reply('535 5.7.8 Authentication credentials invalid');
			}
		};
		/** @param {string} base64 */
		const plain = (base64) => {
			const [, user = '', password = ''] = Buffer.from(base64, 'base64')
				.toString('utf8')
				.split('\0');
			login(user, password);
		};

		/** @param {string} line */
		const command = (line) => {
			if (state.auth) {
				const auth = state.auth;
				state.auth = undefined;
				if (line === '*') return reply('501 5.7.0 Authentication cancelled');
				if (auth.step === 'plain') return plain(line);
				if (auth.step === 'login-user') {
					state.auth = {
						step: 'login-password',
						user: Buffer.from(line, 'base64').toString('utf8'),
					};
					return reply(`334 ${Buffer.from('Password:').toString('base64')}`);
				}
				return login(auth.user, Buffer.from(line, 'base64').toString('utf8'));
			}
			const [verb, ...rest] = line.split(' ');
			const argument = rest.join(' ');
			switch (verb.toUpperCase()) {
				case 'EHLO':
					return socket.write(
						'250-localhost greets you\r\n250-8BITMIME\r\n250-SIZE 52428800\r\n250 AUTH PLAIN LOGIN\r\n',
					);
				case 'HELO':
					return reply('250 localhost');
				case 'AUTH': {
					const [mechanism, initial] = argument.split(' ');
					if (mechanism?.toUpperCase() === 'PLAIN') {
						if (initial) return plain(initial);
						state.auth = { step: 'plain' };
						return reply('334 ');
					}
					if (mechanism?.toUpperCase() === 'LOGIN') {
						if (initial) {
							state.auth = {
								step: 'login-password',
								user: Buffer.from(initial, 'base64').toString('utf8'),
							};
							return reply(`334 ${Buffer.from('Password:').toString('base64')}`);
						}
						state.auth = { step: 'login-user' };
						return reply(`334 ${Buffer.from('Username:').toString('base64')}`);
					}
					return reply('504 5.5.4 Unrecognized authentication type');
				}
				case 'MAIL':
					if (!state.user) return reply('530 5.7.0 Authentication required');
					state.from = /<([^>]*)>/.exec(argument)?.[1] ?? '';
					state.to = [];
					return reply('250 2.1.0 OK');
				case 'RCPT':
					if (state.from === undefined) return reply('503 5.5.1 MAIL first');
					state.to.push(/<([^>]*)>/.exec(argument)?.[1] ?? '');
					return reply('250 2.1.5 OK');
				case 'DATA':
					if (!state.to.length) return reply('503 5.5.1 RCPT first');
					state.data = [];
					return reply('354 End data with <CR><LF>.<CR><LF>');
				case 'RSET':
					state = { user: state.user, to: [] };
					return reply('250 2.0.0 OK');
				case 'NOOP':
					return reply('250 2.0.0 OK');
				case 'QUIT':
					reply('221 2.0.0 Bye');
					return socket.end();
				default:
					return reply('502 5.5.2 Command not recognized');
			}
		};

		/** @param {Buffer[]} lines */
		const deliver = (lines) => {
			const raw = Buffer.concat(lines);
			const entity = splitEntity(raw);
			const parsed = { text: '', attachments: /** @type {Attachment[]} */ ([]) };
			collect(entity, parsed);
			messages.push({
				user: /** @type {string} */ (state.user),
				from: /** @type {string} */ (state.from),
				to: state.to,
				subject: entity.headers.subject ?? '',
				...parsed,
				raw,
			});
			state = { user: state.user, to: [] };
			reply(`250 2.0.0 Ok: queued as ${messages.length}`);
		};

		socket.on('data', (chunk) => {
			buffer = Buffer.concat([buffer, chunk]);
			for (let end = buffer.indexOf('\r\n'); end !== -1; end = buffer.indexOf('\r\n')) {
				const line = buffer.subarray(0, end);
				buffer = buffer.subarray(end + 2);
				if (state.data) {
					if (line.length === 1 && line[0] === 0x2e) {
						const lines = state.data;
						state.data = undefined;
						deliver(lines);
					} else {
						// A leading dot was doubled by the sender (transparency).
						state.data.push(line[0] === 0x2e ? line.subarray(1) : line, Buffer.from('\r\n'));
					}
				} else {
					command(line.toString('utf8'));
				}
			}
		});
		socket.on('error', () => socket.destroy());
		reply('220 localhost ESMTP seedream-test-sink');
	});

	await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
	const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
	return {
		host: '127.0.0.1',
		port,
		messages,
		rejectedLogins,
		async stop() {
			for (const socket of sockets) socket.destroy();
			await new Promise((resolve) => server.close(() => resolve(undefined)));
		},
	};
}
