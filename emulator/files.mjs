// @ts-check
/**
 * The Files API (docs/evolink-api.md §7 and its update of 2026-12-04): base64 and multipart uploads of one
 * jpeg/png/gif/webp image (by magic bytes), delete, list, a per-key quota (100 files unless configured), 72 h
 * expiry. `file_url` is served by the emulator as a plain link, so it works as an `image_urls` entry. Every
 * answer is the envelope `{success, code, msg, data?}`; errors `{success:false, code, msg}`.
 * Tests read back what each key uploaded and deleted (`GET /__emulator/files`, `/__emulator/files/counts`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { ApiError, TooLarge, json, maskKey, parseJsonObject, readBody } from './http.mjs';
import { FILE_FORMATS, FILE_MAX_BYTES, FILE_TTL_MS } from './limits.mjs';
import { sniffFormat } from './formats.mjs';
import { isoBeijing } from './clock.mjs';
import { fetchLimited } from './references.mjs';

// Base64 is 4/3 of the bytes; a data URL prefix and JSON add a little.
const BASE64_BODY_LIMIT = Math.ceil((FILE_MAX_BYTES * 4) / 3) + 64 * 1024;
const MULTIPART_BODY_LIMIT = FILE_MAX_BYTES + 64 * 1024;

// §7 update: list pages; the page size's bounds are not documented (the emulator's reading: 1-100, default 20).
const PAGE_SIZE_DEFAULT = 20;
const PAGE_SIZE_MAX = 100;

/**
 * A file stays here after it is deleted (its bytes dropped, `deletedAt` set), so tests can read back what
 * each key uploaded and deleted; only live files count against the quota and are served.
 * @typedef {{ id: string, key: string, fileName: string, originalName: string, size: number, mimeType: string,
 *   uploadPath: string, data: Buffer, sha256: string, uploadedAt: number, expiresAt: number,
 *   deletedAt: number | null }} StoredFile
 * @typedef {{ req: import('node:http').IncomingMessage, account: import('./ledger.mjs').Account, entry: Record<string, any> }} UploadContext
 */

export class Files {
	/** @param {{ now: () => number, baseUrl: () => string, config: { maxFiles: number } }} deps */
	constructor(deps) {
		this.deps = deps;
		/** @type {Map<string, StoredFile>} */
		this.byId = new Map();
		/** A key's own quota (`POST /__emulator/keys` with `maxFiles`, e.g. a VIP's 500), else config.maxFiles. */
		/** @type {Map<string, number>} */
		this.maxFilesByKey = new Map();
	}

	reset() {
		this.byId.clear();
		this.maxFilesByKey.clear();
	}

	/** @param {string} key @param {number} maxFiles */
	setKeyQuota(key, maxFiles) {
		this.maxFilesByKey.set(key, maxFiles);
	}

	/** @param {string} key */
	#maxFiles(key) {
		return this.maxFilesByKey.get(key) ?? this.deps.config.maxFiles;
	}

	/** @param {UploadContext} ctx */
	async uploadBase64({ req, account, entry }) {
		const body = parseJsonObject(await readBody(req, BASE64_BODY_LIMIT).catch(rethrowTooLarge));
		const input = body.base64_data;
		if (typeof input !== 'string' || !input) {
			throw new ApiError(
				400,
				'invalid_request',
				'base64_data is required (a data URL or plain base64)',
			);
		}
		const match = /^data:([^;,]*)(;base64)?,/.exec(input);
		const encoded = match ? input.slice(match[0].length) : input;
		if (!/^[A-Za-z0-9+/=\s_-]*$/.test(encoded))
			throw new ApiError(400, 'invalid_request', 'base64_data is not valid base64');
		const data = Buffer.from(encoded, 'base64');
		return this.#store(account, entry, data, {
			fileName: optionalString(body.file_name),
			originalName: optionalString(body.file_name),
			uploadPath: optionalString(body.upload_path),
		});
	}

	/**
	 * §7 update: `POST /api/v1/files/upload/url` with `{file_url, upload_path?, file_name?}`. The emulator fetches
	 * loopback URLs only (it must not reach out to the internet); an unreachable URL is a 400 (unverified).
	 * @param {UploadContext} ctx @param {AbortSignal} signal aborted when the emulator closes
	 */
	async uploadUrl({ req, account, entry }, signal) {
		const body = parseJsonObject(await readBody(req, 64 * 1024));
		const url = body.file_url;
		let parsed;
		try {
			parsed = typeof url === 'string' ? new URL(url) : undefined;
		} catch {
			parsed = undefined;
		}
		if (!parsed || !['http:', 'https:'].includes(parsed.protocol)) {
			throw new ApiError(400, 'invalid_request', 'file_url is required: an http(s) URL');
		}
		const fetched = await fetchLimited(parsed.href, FILE_MAX_BYTES, signal);
		if ('error' in fetched) {
			entry.body = { fileUrl: parsed.href };
			if (fetched.code === 'invalid_parameters') tooLarge();
			throw new ApiError(400, 'invalid_request', `file_url could not be fetched: ${fetched.error}`);
		}
		const fromUrl = decodeURIComponent(parsed.pathname.split('/').pop() ?? '');
		return this.#store(account, entry, fetched.body, {
			fileName: optionalString(body.file_name),
			originalName: optionalString(fromUrl),
			uploadPath: optionalString(body.upload_path),
		});
	}

	/** @param {UploadContext} ctx */
	async uploadStream({ req, account, entry }) {
		const contentType = req.headers['content-type'] ?? '';
		const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
		if (!/^multipart\/form-data/i.test(contentType) || !boundary) {
			throw new ApiError(400, 'invalid_request', 'Expected multipart/form-data with a file field');
		}
		const parts = parseMultipart(
			await readBody(req, MULTIPART_BODY_LIMIT).catch(rethrowTooLarge),
			boundary[1] ?? boundary[2],
		);
		const file =
			parts.find((part) => part.name === 'file' && part.filename !== undefined) ??
			parts.find((p) => p.name === 'file');
		if (!file) throw new ApiError(400, 'invalid_request', 'The multipart field "file" is required');
		const field = (/** @type {string} */ name) =>
			parts.find((part) => part.name === name)?.data.toString('utf8');
		return this.#store(account, entry, file.data, {
			fileName: optionalString(field('file_name')),
			originalName: optionalString(file.filename),
			uploadPath: optionalString(field('upload_path')),
		});
	}

	/** §7 update: `GET /api/v1/files/quota`. @param {import('./ledger.mjs').Account} account */
	quota(account) {
		const used = this.#live(account.key).length;
		const max = this.#maxFiles(account.key);
		return json(200, {
			success: true,
			code: 200,
			msg: 'ok',
			data: {
				// docs/evolink-api.md §2's usage example names the group "default"; the emulator has no other.
				user_group: 'default',
				used_files: used,
				max_files: max,
				remain_files: Math.max(0, max - used),
			},
		});
	}

	/**
	 * §7 update: `GET /api/v1/files/list?page=&pageSize=`, the key's live files, newest first (the order is not
	 * documented), with the four documented fields.
	 * @param {import('./ledger.mjs').Account} account @param {URLSearchParams} query
	 */
	listPage(account, query) {
		const page = pageNumber(query, 'page', 1, Infinity);
		const pageSize = pageNumber(query, 'pageSize', PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX);
		const live = this.#live(account.key).sort((a, b) => b.uploadedAt - a.uploadedAt);
		return json(200, {
			success: true,
			code: 200,
			msg: 'ok',
			data: {
				total: live.length,
				files: live.slice((page - 1) * pageSize, page * pageSize).map((file) => ({
					file_id: file.id,
					file_name: file.fileName,
					file_size: file.size,
					upload_time: isoBeijing(file.uploadedAt),
				})),
			},
		});
	}

	/**
	 * §7 update: `DELETE /api/v1/files/{file_id}`. Unknown, deleted or expired: 404. Another key's file: 403, as
	 * §3 answers another key's task (the Files API documents no such case: unverified). Its URLs stop serving.
	 * @param {import('./ledger.mjs').Account} account @param {string} id
	 */
	delete(account, id) {
		const file = this.byId.get(id);
		if (!file || file.deletedAt !== null || this.deps.now() >= file.expiresAt)
			throw new ApiError(404, 'file_not_found', `No file ${id}`);
		if (file.key !== account.key)
			throw new ApiError(403, 'permission_denied', `File ${id} belongs to another key`);
		file.deletedAt = this.deps.now();
		file.data = Buffer.alloc(0);
		return json(200, { success: true, code: 200, msg: 'File deleted successfully' });
	}

	/** A file by id for download, or undefined when unknown or deleted; `expired` after 72 h. @param {string} id */
	find(id) {
		const file = this.byId.get(id);
		if (!file || file.deletedAt !== null) return undefined;
		return { file, expired: this.deps.now() >= file.expiresAt };
	}

	/** `GET /__emulator/files`: every file since the last reset, deleted ones too (no bytes, the key masked). */
	list() {
		const now = this.deps.now();
		return [...this.byId.values()].map(({ data, key, ...meta }) => ({
			...meta,
			key: maskKey(key),
			expired: now >= meta.expiresAt,
		}));
	}

	/**
	 * `GET /__emulator/files/counts`: per masked key, files uploaded, deleted, expired before being deleted, and
	 * live, so a test can assert "files deleted = files uploaded".
	 */
	counts() {
		const now = this.deps.now();
		/** @type {Record<string, { uploaded: number, deleted: number, expired: number, live: number }>} */
		const counts = {};
		for (const file of this.byId.values()) {
			const count = (counts[maskKey(file.key)] ??= {
				uploaded: 0,
				deleted: 0,
				expired: 0,
				live: 0,
			});
			count.uploaded++;
			if (file.deletedAt !== null) count.deleted++;
			else if (now >= file.expiresAt) count.expired++;
			else count.live++;
		}
		return counts;
	}

	/** Files that count against the key's quota: neither deleted nor expired (72 h). @param {string} key */
	#live(key) {
		const now = this.deps.now();
		return [...this.byId.values()].filter(
			(file) => file.key === key && file.deletedAt === null && now < file.expiresAt,
		);
	}

	/**
	 * @param {import('./ledger.mjs').Account} account @param {Record<string, any>} entry @param {Buffer} data
	 * @param {{ fileName?: string, originalName?: string, uploadPath?: string }} names
	 */
	#store(account, entry, data, names) {
		const format = sniffFormat(data);
		entry.body = {
			fileName: names.fileName ?? names.originalName ?? null,
			size: data.length,
			mimeType: format?.mimeType ?? null,
		};
		if (data.length === 0) throw new ApiError(400, 'invalid_request', 'The file is empty');
		if (data.length > FILE_MAX_BYTES) tooLarge();
		if (!format || !FILE_FORMATS.includes(format.format)) {
			throw new ApiError(
				400,
				'invalid_request',
				`Unsupported file format: only ${FILE_FORMATS.join(', ')} images are accepted`,
			);
		}
		const maxFiles = this.#maxFiles(account.key);
		if (this.#live(account.key).length >= maxFiles) {
			// docs/evolink-api.md §7: a full quota's answer is unverified; the tolerant reading is a 4xx envelope
			// {success:false, code, msg} whose msg names the quota (and how to free it).
			throw new ApiError(
				403,
				'quota_exceeded',
				`File quota exceeded (${maxFiles} files): delete files or wait for them to expire (72 hours)`,
			);
		}
		const id = `file_${randomBytes(6).toString('hex')}`;
		const fileName = safeName(names.fileName ?? names.originalName) ?? `${id}.${format.extension}`;
		const uploadedAt = this.deps.now();
		/** @type {StoredFile} */
		const file = {
			id,
			key: account.key,
			fileName,
			originalName: names.originalName ?? fileName,
			size: data.length,
			mimeType: format.mimeType,
			uploadPath: safePath(names.uploadPath) ?? '',
			data,
			sha256: createHash('sha256').update(data).digest('hex'),
			uploadedAt,
			expiresAt: uploadedAt + FILE_TTL_MS,
			deletedAt: null,
		};
		this.byId.set(id, file);
		const base = this.deps.baseUrl();
		return json(200, {
			success: true,
			code: 200,
			msg: 'File uploaded successfully',
			data: {
				file_id: id,
				file_name: file.fileName,
				original_name: file.originalName,
				file_size: file.size,
				mime_type: file.mimeType,
				upload_path: file.uploadPath,
				file_url: `${base}/content/files/${id}/${encodeURIComponent(file.fileName)}`,
				download_url: `${base}/api/v1/files/download/${id}`,
				upload_time: isoBeijing(uploadedAt),
				expires_at: isoBeijing(file.expiresAt),
			},
		});
	}
}

/** @param {unknown} error @returns {never} */
function rethrowTooLarge(error) {
	if (error instanceof TooLarge) tooLarge();
	throw error;
}

/** @returns {never} */
function tooLarge() {
	throw new ApiError(
		413,
		'file_too_large',
		`The file is larger than ${FILE_MAX_BYTES / 1024 / 1024} MB`,
	);
}

/**
 * A positive whole page number or size from the query, its default when absent; else a 400 naming it.
 * @param {URLSearchParams} query @param {string} name @param {number} fallback @param {number} max
 */
function pageNumber(query, name, fallback, max) {
	const raw = query.get(name);
	if (raw === null || raw === '') return fallback;
	const value = Number(raw);
	if (!/^\d+$/.test(raw) || value < 1 || value > max) {
		throw new ApiError(
			400,
			'invalid_request',
			`${name} must be a whole number from 1${max === Infinity ? '' : ` to ${max}`}`,
		);
	}
	return value;
}

const optionalString = (/** @type {unknown} */ v) =>
	typeof v === 'string' && v.trim() ? v.trim() : undefined;

/** A file name without directories or control characters. @param {string | undefined} name */
function safeName(name) {
	const base = name
		?.split(/[\\/]/)
		.pop()
		?.replace(/[\x00-\x1f]/g, '')
		.trim();
	return base ? base.slice(0, 200) : undefined;
}

/** @param {string | undefined} path */
function safePath(path) {
	const clean = path
		?.split('/')
		.filter((part) => part && part !== '.' && part !== '..')
		.join('/');
	return clean || undefined;
}

/**
 * A small multipart/form-data parser (RFC 7578): the parts' names, file names, types and bytes.
 * @param {Buffer} body @param {string} boundary
 * @returns {{ name?: string, filename?: string, contentType?: string, data: Buffer }[]}
 */
function parseMultipart(body, boundary) {
	const delimiter = Buffer.from(`--${boundary}`);
	// A part's data ends at CRLF + delimiter.
	const partEnd = Buffer.concat([Buffer.from('\r\n'), delimiter]);
	/** @type {{ name?: string, filename?: string, contentType?: string, data: Buffer }[]} */
	const parts = [];
	let start = body.indexOf(delimiter);
	while (start !== -1) {
		const afterDelimiter = start + delimiter.length;
		if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === '--') break;
		const headerStart = afterDelimiter + 2; // CRLF
		const headerEnd = body.indexOf('\r\n\r\n', headerStart);
		if (headerEnd === -1) break;
		const next = body.indexOf(partEnd, headerEnd + 4);
		if (next === -1) break;
		const headers = body.subarray(headerStart, headerEnd).toString('utf8');
		const disposition = /content-disposition:([^\r\n]*)/i.exec(headers)?.[1] ?? '';
		parts.push({
			name: /\bname="([^"]*)"/i.exec(disposition)?.[1],
			filename: /\bfilename="([^"]*)"/i.exec(disposition)?.[1],
			contentType: /content-type:\s*([^\r\n]*)/i.exec(headers)?.[1]?.trim(),
			data: body.subarray(headerEnd + 4, next),
		});
		start = next + 2;
	}
	if (!parts.length) throw new ApiError(400, 'invalid_request', 'The multipart body has no parts');
	return parts;
}
