import {
	randomString,
	type BinaryHelperFunctions,
	type IAllExecuteFunctions,
	type IDataObject,
	type IN8nHttpFullResponse,
	type JsonObject,
} from 'n8n-workflow';
import { apiError } from '../helpers/errors';
import { downloadError, mb, tooLargeError } from './errors';
import { apiRequest, cancelSignal, sendWithRetries } from './requests';

/** Files: references uploaded to EvoLink Files, results and files downloaded from their content host. */

/**
 * `POST {files host}/api/v1/files/upload/stream` (docs/evolink-api.md §7), multipart/form-data with the bytes as they
 * are. Not the base64 JSON form: for an 8 MB reference, JSON.stringify of its 11 MB base64 string alone took
 * 60-100 ms of n8n's only thread (bench P5), so ten references uploaded "in parallel" queued behind each other.
 * The multipart body is built by hand (community nodes may not import an encoder). An upload is retried like a
 * read: a duplicate file costs nothing and expires after 72 h.
 */
export async function uploadFile(
	this: IAllExecuteFunctions,
	file: { data: Buffer; mimeType: string; fileName: string },
	itemIndex?: number,
): Promise<string> {
	const boundary = `----SeedreamUpload${randomString(24)}`;
	const fileName = file.fileName.replace(/["\r\n\\]/g, '_');
	const part = (headers: string) => Buffer.from(`--${boundary}\r\n${headers}\r\n\r\n`, 'utf8');
	const body = Buffer.concat([
		part(`Content-Disposition: form-data; name="file_name"`),
		Buffer.from(`${fileName}\r\n`, 'utf8'),
		part(
			`Content-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: ${file.mimeType}`,
		),
		file.data,
		Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'),
	]);
	const response = await apiRequest.call(this, 'POST', '/api/v1/files/upload/stream', {
		host: 'files',
		body,
		headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
		retry: 'read',
		itemIndex,
	});
	const data = (response.data ?? {}) as IDataObject;
	const fileUrl = data.file_url ?? data.download_url;
	if (typeof fileUrl !== 'string' || fileUrl === '') {
		throw apiError(this.getNode(), response as JsonObject, {
			message: 'The Files API accepted the upload but returned no file URL',
			itemIndex,
		});
	}
	return fileUrl;
}

/** A readable stream, typed without importing Node's `stream` (n8n's lint allows no Node imports). */
export type ByteStream = Awaited<ReturnType<BinaryHelperFunctions['getBinaryStream']>>;

export interface Download {
	stream: ByteStream;
	mimeType?: string;
}

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
	return { stream: capped, mimeType: contentType?.split(';')[0].trim().toLowerCase() };
}

function discard(body: unknown): void {
	const stream = body as { destroy?: () => void } | undefined;
	if (stream && typeof stream.destroy === 'function') stream.destroy();
}
