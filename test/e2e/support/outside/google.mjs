// @ts-check
// A fake Google for n8n's Google Drive node (typeVersion 3, File > Upload) with a service-account credential:
// - oauth2.googleapis.com/token takes the node's RS256 JWT assertion (grant type jwt-bearer), verifies its
//   signature with the service account's public key and its claims, and issues an access token;
// - www.googleapis.com/upload/drive/v3/files takes resumable uploads (a session URL, then chunks answered 308
//   with `Range` until the last) and multipart/related uploads; /drive/v3/files/<id> takes the PATCH that
//   follows. API calls need an issued token (401 as Google answers otherwise).
// Each stored file is recorded with its bytes. Calls measured in docs/n8n-fake-slack-drive.md.
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { decodeTransfer, parseHeaderValue, parseMultipart, readBody } from './mime.mjs';

const TOKEN_URL = 'https://oauth2.googleapis.com/token';

/** @typedef {{ id: string, name: string, mimeType: string, parents: string[], bytes: Buffer, uploadType: string, chunks: number, patched: boolean }} DriveFile */

/** @param {{ email: string, publicKeyPem: string }} serviceAccount */
export function createFakeGoogle(serviceAccount) {
	const publicKey = createPublicKey(serviceAccount.publicKeyPem);
	/** @type {Set<string>} */
	const accessTokens = new Set();
	/** @type {Map<string, { metadata: Record<string, any>, mimeType: string, received: Buffer[], chunks: number }>} */
	const sessions = new Map();
	/** @type {DriveFile[]} */
	const files = [];
	/** Token requests: whether each was granted (a refused assertion stores nothing). @type {{ granted: boolean, reason?: string }[]} */
	const tokenRequests = [];

	/** @param {import('node:http').ServerResponse} res @param {number} status @param {unknown} body @param {Record<string, string>} [headers] */
	const json = (res, status, body, headers = {}) =>
		res
			.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers })
			.end(JSON.stringify(body));

	/** Why an assertion is refused, or undefined when it is good. @param {string} assertion */
	function checkAssertion(assertion) {
		const [header64, payload64, signature64] = assertion.split('.');
		if (!signature64) return 'not a JWT';
		const header = JSON.parse(Buffer.from(header64, 'base64url').toString('utf8'));
		if (header.alg !== 'RS256') return `alg ${header.alg}`;
		const signed = verify(
			'RSA-SHA256',
			Buffer.from(`${header64}.${payload64}`),
			publicKey,
			Buffer.from(signature64, 'base64url'),
		);
		if (!signed) return 'Invalid JWT Signature.';
		const claims = JSON.parse(Buffer.from(payload64, 'base64url').toString('utf8'));
		const now = Math.floor(Date.now() / 1000);
		if (claims.iss !== serviceAccount.email) return `iss ${claims.iss}`;
		if (claims.aud !== TOKEN_URL) return `aud ${claims.aud}`;
		if (!(claims.exp > now) || !(claims.iat <= now + 60) || claims.exp - claims.iat > 3600)
			return 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.';
		if (
			!String(claims.scope ?? '')
				.split(' ')
				.includes('https://www.googleapis.com/auth/drive')
		)
			return `scope ${claims.scope}`;
		return undefined;
	}

	/** oauth2.googleapis.com @type {import('./proxy.mjs').Handler} */
	async function oauth(req, res) {
		const body = new URLSearchParams((await readBody(req)).toString('utf8'));
		if (req.method !== 'POST' || new URL(req.url ?? '/', TOKEN_URL).pathname !== '/token')
			return json(res, 404, { error: 'not_found' });
		if (body.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
			tokenRequests.push({ granted: false, reason: 'grant_type' });
			return json(res, 400, {
				error: 'unsupported_grant_type',
				error_description: 'Invalid grant_type: ' + body.get('grant_type'),
			});
		}
		let reason;
		try {
			reason = checkAssertion(body.get('assertion') ?? '');
		} catch {
			reason = 'Invalid JWT';
		}
		tokenRequests.push({ granted: !reason, reason });
		if (reason) return json(res, 400, { error: 'invalid_grant', error_description: reason });
		const accessToken = `ya29.fake-${randomBytes(24).toString('base64url')}`;
		accessTokens.add(accessToken);
		return json(res, 200, { access_token: accessToken, expires_in: 3599, token_type: 'Bearer' });
	}

	/** @param {DriveFile} file */
	const resource = (file) => ({
		kind: 'drive#file',
		id: file.id,
		name: file.name,
		mimeType: file.mimeType,
		parents: file.parents,
		size: String(file.bytes.length),
		originalFilename: file.name,
		webViewLink: `https://drive.google.com/file/d/${file.id}/view?usp=drivesdk`,
	});

	/** @param {Record<string, any>} metadata @param {string} mimeType @param {Buffer} bytes @param {string} uploadType @param {number} chunks */
	function store(metadata, mimeType, bytes, uploadType, chunks) {
		/** @type {DriveFile} */
		const file = {
			id: randomBytes(16).toString('base64url'),
			name: String(metadata.name ?? 'Untitled'),
			mimeType: metadata.mimeType ?? mimeType ?? 'application/octet-stream',
			parents: Array.isArray(metadata.parents) ? metadata.parents : ['root'],
			bytes,
			uploadType,
			chunks,
			patched: false,
		};
		files.push(file);
		return file;
	}

	const unauthenticated = {
		error: {
			code: 401,
			message:
				'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
			status: 'UNAUTHENTICATED',
		},
	};

	/** www.googleapis.com @type {import('./proxy.mjs').Handler} */
	async function drive(req, res) {
		const url = new URL(req.url ?? '/', 'https://www.googleapis.com');
		const body = await readBody(req);
		const method = req.method ?? '';

		// A resumable session URL is its own credential: Google takes the chunks without Authorization.
		if (
			method === 'PUT' &&
			url.pathname === '/upload/drive/v3/files' &&
			url.searchParams.has('upload_id')
		) {
			const session = sessions.get(url.searchParams.get('upload_id') ?? '');
			if (!session)
				return json(res, 404, {
					error: { code: 404, message: 'Upload session not found', status: 'NOT_FOUND' },
				});
			const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(req.headers['content-range'] ?? ''));
			const already = session.received.reduce((sum, b) => sum + b.length, 0);
			if (
				!range ||
				Number(range[1]) !== already ||
				Number(range[2]) - Number(range[1]) + 1 !== body.length
			) {
				return json(res, 400, {
					error: {
						code: 400,
						message: `Bad Content-Range ${req.headers['content-range']} after ${already} bytes`,
						status: 'INVALID_ARGUMENT',
					},
				});
			}
			session.received.push(body);
			session.chunks++;
			const total = Number(range[3]);
			const have = already + body.length;
			if (have < total) {
				res.writeHead(308, { range: `bytes=0-${have - 1}`, 'content-length': '0' }).end();
				return;
			}
			sessions.delete(url.searchParams.get('upload_id') ?? '');
			return json(
				res,
				200,
				resource(
					store(
						session.metadata,
						session.mimeType,
						Buffer.concat(session.received),
						'resumable',
						session.chunks,
					),
				),
			);
		}

		const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
		if (!token || !accessTokens.has(token))
			return json(res, 401, unauthenticated, {
				'www-authenticate': 'Bearer realm="https://accounts.google.com/"',
			});

		if (method === 'POST' && url.pathname === '/upload/drive/v3/files') {
			const uploadType = url.searchParams.get('uploadType');
			if (uploadType === 'resumable') {
				const id = randomBytes(24).toString('base64url');
				sessions.set(id, {
					metadata: body.length ? JSON.parse(body.toString('utf8')) : {},
					mimeType: String(req.headers['x-upload-content-type'] ?? 'application/octet-stream'),
					received: [],
					chunks: 0,
				});
				res
					.writeHead(200, {
						location: `https://www.googleapis.com/upload/drive/v3/files?uploadType=resumable&upload_id=${id}`,
						'content-length': '0',
					})
					.end();
				return;
			}
			if (uploadType === 'multipart') {
				const [meta, media] = parseMultipart(body, req.headers['content-type']);
				if (!meta || !media)
					return json(res, 400, {
						error: {
							code: 400,
							message: 'Multipart upload needs metadata and media',
							status: 'INVALID_ARGUMENT',
						},
					});
				const metadata = JSON.parse(decodeTransfer(meta).toString('utf8'));
				return json(
					res,
					200,
					resource(
						store(
							metadata,
							parseHeaderValue(media.headers['content-type']).value,
							decodeTransfer(media),
							'multipart',
							1,
						),
					),
				);
			}
			if (uploadType === 'media')
				return json(
					res,
					200,
					resource(
						store({}, parseHeaderValue(req.headers['content-type']).value, body, 'media', 1),
					),
				);
			return json(res, 400, {
				error: {
					code: 400,
					message: `Invalid uploadType ${uploadType}`,
					status: 'INVALID_ARGUMENT',
				},
			});
		}

		const fileId = /^\/drive\/v3\/files\/([^/]+)$/.exec(url.pathname)?.[1];
		const file = files.find((f) => f.id === fileId);
		if (fileId && !file)
			return json(res, 404, {
				error: { code: 404, message: `File not found: ${fileId}.`, status: 'NOT_FOUND' },
			});
		if (file && method === 'PATCH') {
			const changes = body.length ? JSON.parse(body.toString('utf8')) : {};
			if (changes.name) file.name = changes.name;
			if (changes.mimeType) file.mimeType = changes.mimeType;
			const add = url.searchParams.get('addParents');
			if (add) file.parents = [...new Set([...file.parents, ...add.split(',')])];
			file.patched = true;
			return json(res, 200, resource(file));
		}
		if (file && method === 'GET') return json(res, 200, resource(file));
		return json(res, 404, { error: { code: 404, message: 'Not Found', status: 'NOT_FOUND' } });
	}

	return {
		hosts: { 'oauth2.googleapis.com': oauth, 'www.googleapis.com': drive },
		files,
		tokenRequests,
	};
}
