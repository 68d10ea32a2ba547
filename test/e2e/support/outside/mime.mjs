// @ts-check
// Just enough MIME for the fakes to take uploads apart as the real services do: request bodies, header
// parameters (RFC 2231 continuations included: mail clients split long file names), multipart bodies
// (form-data for Slack, related for Drive, mixed for e-mail) and the transfer encodings mail uses.

/** @param {import('node:http').IncomingMessage | import('node:stream').Readable} stream @returns {Promise<Buffer>} */
export async function readBody(stream) {
	const chunks = [];
	for await (const chunk of stream) chunks.push(/** @type {Buffer} */ (chunk));
	return Buffer.concat(chunks);
}

/**
 * A header value's main part and its parameters: `form-data; name="file"; filename="a.png"`.
 * @param {string | undefined} value
 * @returns {{ value: string, params: Record<string, string> }}
 */
export function parseHeaderValue(value) {
	const [main, ...rest] = splitParams(value ?? '');
	/** @type {Record<string, string>} */
	const params = {};
	/** @type {Record<string, { index: number, text: string, encoded: boolean }[]>} */
	const continued = {};
	for (const param of rest) {
		const eq = param.indexOf('=');
		if (eq === -1) continue;
		const key = param.slice(0, eq).trim().toLowerCase();
		let text = param.slice(eq + 1).trim();
		if (text.startsWith('"') && text.endsWith('"'))
			text = text.slice(1, -1).replace(/\\(.)/g, '$1');
		// RFC 2231: name*0*=utf-8''a%20b; name*1=c  (a `*` at the end means percent-encoded with a charset).
		const split = /^([^*]+)\*(\d+)?(\*)?$/.exec(key);
		if (split) {
			(continued[split[1]] ??= []).push({
				index: Number(split[2] ?? 0),
				text,
				encoded: Boolean(split[3]) || split[2] === undefined,
			});
		} else {
			params[key] = text;
		}
	}
	for (const [key, pieces] of Object.entries(continued)) {
		pieces.sort((a, b) => a.index - b.index);
		const joined = pieces
			.map((piece, i) =>
				piece.encoded && i === 0 ? piece.text.replace(/^[^']*'[^']*'/, '') : piece.text,
			)
			.join('');
		params[key] = pieces.some((p) => p.encoded) ? decodeURIComponent(joined) : joined;
	}
	return { value: main.trim().toLowerCase(), params };
}

/** Splits on `;` outside quotes. @param {string} value */
function splitParams(value) {
	const out = [''];
	let quoted = false;
	for (let i = 0; i < value.length; i++) {
		const c = value[i];
		if (c === '"' && value[i - 1] !== '\\') quoted = !quoted;
		if (c === ';' && !quoted) out.push('');
		else out[out.length - 1] += c;
	}
	return out;
}

/**
 * Header block -> lower-cased names; folded lines (RFC 5322 §2.2.3) are unfolded.
 * @param {string} block @returns {Record<string, string>}
 */
export function parseHeaders(block) {
	/** @type {Record<string, string>} */
	const headers = {};
	for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
		const colon = line.indexOf(':');
		if (colon > 0)
			headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
	}
	return headers;
}

/**
 * Headers and body of an entity (a mail message or a MIME part).
 * @param {Buffer} bytes @returns {{ headers: Record<string, string>, body: Buffer }}
 */
export function splitEntity(bytes) {
	let end = bytes.indexOf('\r\n\r\n');
	let gap = 4;
	if (end === -1) {
		end = bytes.indexOf('\n\n');
		gap = 2;
	}
	if (end === -1) return { headers: parseHeaders(bytes.toString('latin1')), body: Buffer.alloc(0) };
	return {
		headers: parseHeaders(bytes.subarray(0, end).toString('latin1')),
		body: bytes.subarray(end + gap),
	};
}

/**
 * The parts of a multipart body, bytes untouched. Throws when the boundary or the closing delimiter is missing:
 * a truncated upload must not pass for a whole one.
 * @param {Buffer} body @param {string | undefined} contentType
 * @returns {{ headers: Record<string, string>, body: Buffer }[]}
 */
export function parseMultipart(body, contentType) {
	const boundary = parseHeaderValue(contentType).params.boundary;
	if (!boundary) throw new Error(`not a multipart body: ${contentType}`);
	const delimiter = Buffer.from(`--${boundary}`);
	const parts = [];
	let at = body.indexOf(delimiter);
	if (at === -1) throw new Error('multipart body without its boundary');
	for (;;) {
		const afterDelimiter = at + delimiter.length;
		if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === '--') return parts;
		const start = body.indexOf('\n', afterDelimiter) + 1;
		const next = body.indexOf(delimiter, start);
		if (start === 0 || next === -1)
			throw new Error('multipart body ends without its closing delimiter');
		// The CRLF before a delimiter belongs to the delimiter (RFC 2046 §5.1.1).
		let end = next;
		if (body[end - 1] === 0x0a) end--;
		if (body[end - 1] === 0x0d) end--;
		parts.push(splitEntity(body.subarray(start, end)));
		at = next;
	}
}

/**
 * A part's bytes after its Content-Transfer-Encoding (base64, quoted-printable, or none).
 * @param {{ headers: Record<string, string>, body: Buffer }} part
 */
export function decodeTransfer(part) {
	const encoding = (part.headers['content-transfer-encoding'] ?? '').toLowerCase();
	if (encoding === 'base64')
		return Buffer.from(part.body.toString('latin1').replace(/\s+/g, ''), 'base64');
	if (encoding === 'quoted-printable') {
		const text = part.body.toString('latin1').replace(/=\r?\n/g, '');
		return Buffer.from(
			text.replace(/=([0-9A-Fa-f]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16))),
			'latin1',
		);
	}
	return part.body;
}
