// @ts-check
// A fake Slack Web API for the calls n8n's Slack node makes (typeVersion 2.2+, File > Upload; its credential
// test), answering as Slack does: HTTP 200 with `ok: false` and an error code for API errors, a Bearer token
// checked on every API call. The upload is Slack's external flow: files.getUploadURLExternal hands out an
// upload URL on files.slack.com, the bytes are POSTed there, files.completeUploadExternal shares them. Each
// completed upload is recorded with its bytes. Calls measured in docs/n8n-fake-slack-drive.md.
import { randomBytes } from 'node:crypto';
import { parseHeaderValue, parseMultipart, readBody } from './mime.mjs';

/** @typedef {{ fileId: string, filename: string, length: number, uploaded?: { bytes: Buffer, contentType: string, partFilename: string } }} Pending */
/** @typedef {{ fileId: string, filename: string, title: string, channelId: string, initialComment?: string, bytes: Buffer, contentType: string, partFilename: string, declaredLength: number }} SlackUpload */

/** @param {{ token: string }} options */
export function createFakeSlack({ token }) {
	/** @type {Map<string, Pending>} by upload URL token */
	const pending = new Map();
	/** @type {SlackUpload[]} */
	const uploads = [];
	/** API calls as received (method, path, whether the token was right), for tests of what was asked. */
	/** @type {{ method: string, path: string, authorized: boolean }[]} */
	const calls = [];

	/** @param {import('node:http').ServerResponse} res @param {Record<string, unknown>} body */
	const answer = (res, body) =>
		res
			.writeHead(200, { 'content-type': 'application/json; charset=utf-8' })
			.end(JSON.stringify(body));

	/** Arguments as Slack takes them: query string, form body or JSON body. @param {import('node:http').IncomingMessage} req @param {URL} url */
	async function args(req, url) {
		/** @type {Record<string, any>} */
		const out = Object.fromEntries(url.searchParams);
		const body = await readBody(req);
		const type = parseHeaderValue(req.headers['content-type']).value;
		if (type === 'application/json' && body.length)
			Object.assign(out, JSON.parse(body.toString('utf8')));
		if (type === 'application/x-www-form-urlencoded')
			Object.assign(out, Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
		return out;
	}

	/** slack.com: the Web API. @type {import('./proxy.mjs').Handler} */
	async function api(req, res) {
		const url = new URL(req.url ?? '/', 'https://slack.com');
		const auth = req.headers.authorization ?? '';
		const authorized = auth === `Bearer ${token}`;
		calls.push({ method: req.method ?? '', path: url.pathname, authorized });
		const input = await args(req, url);
		if (!auth) return answer(res, { ok: false, error: 'not_authed' });
		if (!authorized) return answer(res, { ok: false, error: 'invalid_auth' });
		switch (url.pathname) {
			case '/api/users.profile.get':
				return answer(res, {
					ok: true,
					profile: { real_name: 'Seedream Test Bot', display_name: 'seedream-test' },
				});
			case '/api/files.getUploadURLExternal': {
				const length = Number(input.length);
				if (!input.filename || !Number.isInteger(length) || length <= 0)
					return answer(res, { ok: false, error: 'invalid_arguments' });
				const uploadToken = randomBytes(12).toString('hex');
				const fileId = `F${randomBytes(5).toString('hex').toUpperCase()}`;
				pending.set(uploadToken, { fileId, filename: String(input.filename), length });
				return answer(res, {
					ok: true,
					upload_url: `https://files.slack.com/upload/v1/${uploadToken}`,
					file_id: fileId,
				});
			}
			case '/api/files.completeUploadExternal': {
				/** @type {{ id: string, title?: string }[]} */
				const files = typeof input.files === 'string' ? JSON.parse(input.files) : input.files;
				if (!Array.isArray(files) || files.length === 0)
					return answer(res, { ok: false, error: 'invalid_arguments' });
				const found = files.map((f) => [...pending.entries()].find(([, p]) => p.fileId === f.id));
				// Slack refuses to complete a file whose bytes never arrived.
				if (found.some((entry) => !entry?.[1].uploaded))
					return answer(res, { ok: false, error: 'file_not_found' });
				const created = Math.floor(Date.now() / 1000);
				const out = files.map((f, i) => {
					const [uploadToken, p] = /** @type {[string, Pending]} */ (found[i]);
					const uploaded = /** @type {NonNullable<Pending['uploaded']>} */ (p.uploaded);
					pending.delete(uploadToken);
					uploads.push({
						fileId: p.fileId,
						filename: p.filename,
						title: f.title ?? p.filename,
						channelId: String(input.channel_id ?? input.channels ?? ''),
						initialComment: input.initial_comment,
						declaredLength: p.length,
						...uploaded,
					});
					return {
						id: p.fileId,
						created,
						timestamp: created,
						name: p.filename,
						title: f.title ?? p.filename,
						mimetype: uploaded.contentType,
						filetype: p.filename.split('.').pop(),
						size: uploaded.bytes.length,
						is_public: false,
						url_private: `https://files.slack.com/files-pri/T0SEEDREAM-${p.fileId}/${encodeURIComponent(p.filename)}`,
					};
				});
				return answer(res, { ok: true, files: out });
			}
			default:
				return answer(res, { ok: false, error: 'unknown_method' });
		}
	}

	/** files.slack.com: the upload URLs (no token: the URL is the secret). @type {import('./proxy.mjs').Handler} */
	async function files(req, res) {
		const url = new URL(req.url ?? '/', 'https://files.slack.com');
		const uploadToken = /^\/upload\/v1\/([0-9a-f]+)$/.exec(url.pathname)?.[1];
		const p = uploadToken ? pending.get(uploadToken) : undefined;
		const body = await readBody(req);
		if (req.method !== 'POST' || !p) {
			res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
			return;
		}
		const type = req.headers['content-type'];
		if (parseHeaderValue(type).value === 'multipart/form-data') {
			const part = parseMultipart(body, type).find(
				(candidate) =>
					parseHeaderValue(candidate.headers['content-disposition']).params.name === 'file',
			);
			if (!part) {
				res.writeHead(400, { 'content-type': 'text/plain' }).end('no file part');
				return;
			}
			const disposition = parseHeaderValue(part.headers['content-disposition']);
			p.uploaded = {
				bytes: part.body,
				contentType: parseHeaderValue(part.headers['content-type']).value,
				partFilename: disposition.params.filename ?? '',
			};
		} else {
			p.uploaded = { bytes: body, contentType: parseHeaderValue(type).value, partFilename: '' };
		}
		res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${p.uploaded.bytes.length}`);
	}

	return { hosts: { 'slack.com': api, 'files.slack.com': files }, uploads, calls };
}
