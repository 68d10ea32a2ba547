/** Files: references uploaded to EvoLink Files, results and files downloaded from their content host. */

import {
	NodeApiError,
	randomString,
	type INode,
	type IAllExecuteFunctions,
	type IDataObject,
	type IN8nHttpFullResponse,
	type JsonObject,
} from 'n8n-workflow';
import { apiError } from '../helpers/errors';
import { downloadError, mb, tooLargeError } from './errors';
import { cancelSignal } from './pause';
import { apiRequest, sendWithRetries, type ByteStream } from './requests';

/** The bytes of one upload. `open` is called once per attempt, since a retry needs a fresh stream. */
export interface UploadSource {
	/** A stream of exactly `size` bytes (from n8n's binary data store), or the bytes themselves. */
	open: () => Promise<ByteStream | Buffer>;
	size: number;
	mimeType: string;
	fileName: string;
}

/**
 * `POST {files host}/api/v1/files/upload/stream` (docs/evolink-api.md §7), multipart/form-data with the bytes as they
 * are. Not the base64 JSON form: for an 8 MB reference, JSON.stringify of its 11 MB base64 string alone took
 * 60-100 ms of n8n's only thread (bench P5), so ten references uploaded "in parallel" queued behind each other.
 * The multipart body is built by hand (community nodes may not import an encoder), and streamed: a reference
 * in n8n's binary data store goes from its stream to the socket, never whole in memory (measured: 5 items x 14
 * references x 9.9 MB read whole and copied into buffers raised n8n's memory by 1.47 GB). An upload is retried
 * like a read: a duplicate file costs nothing and expires after 72 h.
 */
export async function uploadFile(
	this: IAllExecuteFunctions,
	file: UploadSource,
	itemIndex?: number,
): Promise<UploadedFile> {
	const boundary = `----SeedreamUpload${randomString(24)}`;
	// A name of its own (a token before the extension), so an upload whose answer was lost can be found again.
	const fileName = uniqueName(file.fileName.replace(/["\r\n\\/]/g, '_'));
	let attempts = 0;
	const head = Buffer.from(
		[
			`--${boundary}`,
			'Content-Disposition: form-data; name="file_name"',
			'',
			fileName,
			`--${boundary}`,
			`Content-Disposition: form-data; name="file"; filename="${fileName}"`,
			`Content-Type: ${file.mimeType}`,
			'',
			'',
		].join('\r\n'),
		'utf8',
	);
	const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
	const upload = apiRequest.call(this, 'POST', '/api/v1/files/upload/stream', {
		host: 'files',
		body: async () => {
			attempts++;
			const data = await file.open();
			return Buffer.isBuffer(data)
				? Buffer.concat([head, data, tail])
				: await multipartStream(head, data, tail);
		},
		headers: {
			'Content-Type': `multipart/form-data; boundary=${boundary}`,
			// Known in advance, so the body streams with a length instead of chunked encoding.
			'Content-Length': String(head.length + file.size + tail.length),
		},
		retry: 'read',
		itemIndex,
	});
	const response = await upload.catch((error: unknown) => {
		throw isQuotaRefusal(error) ? quotaError(this.getNode(), error, itemIndex) : error;
	});
	const data = (response.data ?? {}) as IDataObject;
	const fileUrl = data.file_url ?? data.download_url;
	if (typeof fileUrl !== 'string' || fileUrl === '') {
		throw apiError(this.getNode(), response as JsonObject, {
			message: 'The Files API accepted the upload but returned no file URL',
			itemIndex,
		});
	}
	// Without an ID the file cannot be deleted (it expires after 72 h); the upload itself still counts.
	const fileId = typeof data.file_id === 'string' && data.file_id !== '' ? data.file_id : undefined;
	// Sent more than once: an earlier attempt may have stored the file and lost its answer, taking a slot of the
	// quota that nothing would free for 72 h.
	if (attempts > 1 && fileId) await deleteLostUploads.call(this, fileName, fileId, itemIndex);
	return { url: fileUrl, fileId };
}

const UNIQUE_TOKEN_LENGTH = 8;

function uniqueName(fileName: string): string {
	const dot = fileName.lastIndexOf('.');
	const token = randomString(UNIQUE_TOKEN_LENGTH).toLowerCase();
	return dot > 0
		? `${fileName.slice(0, dot)}-${token}${fileName.slice(dot)}`
		: `${fileName}-${token}`;
}

const LIST_PAGE_SIZE = 100;
const LIST_MAX_PAGES = 10;

/**
 * The copies of an upload whose answers were lost: the files of that (unique) name other than the one kept,
 * found with `GET /api/v1/files/list` (docs/evolink-api.md §7, update of 2026-12-04) and deleted. Best effort.
 */
async function deleteLostUploads(
	this: IAllExecuteFunctions,
	fileName: string,
	kept: string,
	itemIndex?: number,
): Promise<void> {
	try {
		for (let page = 1; page <= LIST_MAX_PAGES; page++) {
			const response = await apiRequest.call(
				this,
				'GET',
				`/api/v1/files/list?page=${page}&pageSize=${LIST_PAGE_SIZE}`,
				{ host: 'files', retry: 'read', itemIndex },
			);
			const files = ((response.data as IDataObject | undefined)?.files ?? []) as IDataObject[];
			if (!Array.isArray(files)) return;
			for (const listed of files) {
				if (
					listed.file_name === fileName &&
					typeof listed.file_id === 'string' &&
					listed.file_id !== kept
				)
					await deleteFile.call(this, listed.file_id, itemIndex);
			}
			if (files.length < LIST_PAGE_SIZE) return;
		}
	} catch (error) {
		this.logger.warn(
			`Seedream: could not look for copies of an upload whose answer was lost (they expire 72 hours after upload): ${(error as Error).message}`,
		);
	}
}

export interface UploadedFile {
	/** What the task's `image_urls` names. */
	url: string;
	/** What `DELETE /api/v1/files/{file_id}` takes; absent when the answer named none. */
	fileId?: string;
}

/**
 * docs/evolink-api.md §7 (update of 2026-12-04): a full quota answers with an unverified shape; the tolerant
 * reading is any 4xx whose message mentions the quota.
 */
function isQuotaRefusal(error: unknown): boolean {
	const failure = error as { httpCode?: string | null; message?: string };
	const status = Number(failure?.httpCode);
	return status >= 400 && status < 500 && /quota/i.test(String(failure?.message ?? ''));
}

function quotaError(node: INode, error: unknown, itemIndex?: number): NodeApiError {
	const failure = error as NodeApiError;
	return new NodeApiError(node, { message: failure.message } as JsonObject, {
		message: `EvoLink's file quota is full: ${failure.message.replace(/^EvoLink error \d+ \([^)]*\): /, '')}`,
		description:
			'Binary reference images are uploaded to EvoLink Files, and each account may keep only so many files at once (100 by default). Delete files at EvoLink, or wait: each file expires 72 hours after upload. Turn off Options > Keep Uploaded References so the node deletes its uploads once their tasks end, or pass the references as URLs instead of binary data. Nothing was created for this item.',
		httpCode: failure.httpCode ?? undefined,
		itemIndex,
	});
}

/**
 * `DELETE {files host}/api/v1/files/{file_id}` (docs/evolink-api.md §7, update of 2026-12-04). Idempotent, so
 * retried like a read. Best effort: a delete that fails is logged and never fails the item (the file expires
 * after 72 h anyway); it returns whether the file is gone (a 404: already deleted or expired, counts as gone).
 */
export async function deleteFile(
	this: IAllExecuteFunctions,
	fileId: string,
	itemIndex?: number,
): Promise<boolean> {
	try {
		await apiRequest.call(this, 'DELETE', `/api/v1/files/${encodeURIComponent(fileId)}`, {
			host: 'files',
			retry: 'read',
			itemIndex,
		});
		return true;
	} catch (error) {
		if (Number((error as { httpCode?: string }).httpCode) === 404) return true;
		this.logger.warn(
			`Seedream: could not delete uploaded reference ${fileId} (it expires 72 hours after upload): ${(error as Error).message}`,
		);
		return false;
	}
}

/**
 * head + the file's stream + tail, as one stream. Community nodes may not import Node's `stream`, so the
 * stream class comes from the file's own stream (Readable.from is inherited by every Readable subclass);
 * a stream without it is read whole, as before.
 */
async function multipartStream(
	head: Buffer,
	data: ByteStream,
	tail: Buffer,
): Promise<ByteStream | Buffer> {
	const streamClass = data.constructor as unknown as {
		from?: (source: AsyncIterable<Buffer>, options: { objectMode: boolean }) => ByteStream;
	};
	if (typeof streamClass.from !== 'function') {
		const chunks: Buffer[] = [head];
		for await (const chunk of data) chunks.push(chunk as Buffer);
		chunks.push(tail);
		return Buffer.concat(chunks);
	}
	async function* parts(): AsyncGenerator<Buffer> {
		yield head;
		for await (const chunk of data) yield chunk as Buffer;
		yield tail;
	}
	return streamClass.from(parts(), { objectMode: false });
}

export interface Download {
	stream: ByteStream;
	/** The type the host declared (unchecked). */
	mimeType?: string;
	/** The first bytes (up to HEAD_BYTES), still in `stream`: what the file really is. */
	head: Buffer;
}

/** Enough for every image signature and the PNG/GIF/BMP header sizes. */
const HEAD_BYTES = 32;

/**
 * Fetches a result or file URL. These are plain links on a content host (docs/evolink-api.md §9), so they are fetched
 * WITHOUT the credential: the API key never leaves for another host. The body streams (never a whole image in
 * memory); a declared size over `maxBytes` is refused at once, and an undeclared one is cut off when it passes.
 */
export async function downloadFile(
	this: IAllExecuteFunctions,
	url: string,
	options: { maxBytes: number; what: string; itemIndex?: number },
): Promise<Download> {
	const { maxBytes, what, itemIndex } = options;
	const node = this.getNode();
	const signal = cancelSignal(this);
	const response = await sendWithRetries(
		this,
		async () =>
			(await this.helpers.httpRequest({
				method: 'GET',
				url,
				encoding: 'stream',
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
				abortSignal: signal,
			})) as IN8nHttpFullResponse,
		{
			retry: 'read',
			itemIndex,
			what: `Download of ${what}`,
			isFailure: (res) => res.statusCode >= 400,
			onDiscard: (res) => discard(res.body),
		},
	);
	const headers = (response.headers ?? {}) as IDataObject;
	const stream = response.body as ByteStream;
	if (response.statusCode >= 400) {
		discard(stream);
		throw downloadError(node, response.statusCode, url, what, itemIndex);
	}
	const declared = Number(headers['content-length']);
	if (Number.isFinite(declared) && declared > maxBytes) {
		discard(stream);
		throw tooLargeError(node, what, `${mb(declared)} MB`, maxBytes, itemIndex);
	}
	let received = 0;
	const capped = stream.map((chunk: Buffer) => {
		received += chunk.length;
		if (received > maxBytes)
			throw tooLargeError(node, what, `more than ${mb(maxBytes)} MB`, maxBytes, itemIndex);
		return chunk;
	}) as ByteStream;
	const contentType =
		typeof headers['content-type'] === 'string' ? headers['content-type'] : undefined;
	const head = await peek(capped, HEAD_BYTES);
	return { stream: capped, mimeType: contentType?.split(';')[0].trim().toLowerCase(), head };
}

/** Reads the first `bytes` of a stream and puts them back (`unshift`), so the stream is still whole. */
async function peek(stream: ByteStream, bytes: number): Promise<Buffer> {
	const chunks: Buffer[] = [];
	let length = 0;
	while (length < bytes) {
		const chunk = stream.read() as Buffer | null;
		if (chunk !== null) {
			chunks.push(chunk);
			length += chunk.length;
			continue;
		}
		if (stream.readableEnded || stream.destroyed) break;
		await new Promise<void>((resolve, reject) => {
			const settle = (error?: Error) => {
				stream.off('readable', onReadable);
				stream.off('end', onEnd);
				stream.off('error', settle);
				if (error) reject(error);
				else resolve();
			};
			const onReadable = () => settle();
			const onEnd = () => settle();
			stream.on('readable', onReadable);
			stream.on('end', onEnd);
			stream.on('error', settle);
		});
	}
	const head = Buffer.concat(chunks);
	// A body shorter than `bytes` has ended: nothing is left to read, and no image is that small.
	if (head.length > 0 && !stream.readableEnded) stream.unshift(head);
	return head.subarray(0, bytes);
}

function discard(body: unknown): void {
	const stream = body as { destroy?: () => void } | undefined;
	if (stream && typeof stream.destroy === 'function') stream.destroy();
}
