// @ts-check
// docs/evolink-api.md §7: base64 and multipart uploads, formats by magic bytes, limits, quota, 72 h expiry, file URLs as references.
import { beforeAll, describe, expect, test } from '@jest/globals';
import { KEY, headerImage, pngOf, useEmulator } from './helpers.mjs';

const emu = useEmulator({ taskMs: 0 });
/** @type {Buffer} */
let png;
beforeAll(async () => {
	png = await pngOf(1600, 900);
});

const base64Upload = (/** @type {Record<string, unknown>} */ body, key = KEY) =>
	emu.request('POST', '/api/v1/files/upload/base64', { body, key });

/** A multipart upload through fetch's own FormData encoder. */
async function streamUpload(
	/** @type {Buffer | null} */ data,
	fields = {},
	fileName = 'photo.png',
	key = KEY,
) {
	const form = new FormData();
	if (data) form.append('file', new Blob([data], { type: 'application/octet-stream' }), fileName);
	for (const [name, value] of Object.entries(fields)) form.append(name, value);
	const response = await fetch(`${emu.url}/api/v1/files/upload/stream`, {
		method: 'POST',
		headers: key ? { authorization: `Bearer ${key}` } : {},
		body: form,
	});
	return { status: response.status, json: await response.json() };
}

describe('uploads', () => {
	test('base64 data URL: the documented response, a file URL that serves the bytes without a key', async () => {
		const { status, json } = await base64Upload({
			base64_data: `data:image/png;base64,${png.toString('base64')}`,
			file_name: 'scene.png',
			upload_path: 'photos',
		});
		expect(status).toBe(200);
		expect(json).toMatchObject({ success: true, code: 200, msg: 'File uploaded successfully' });
		const data = json.data;
		expect(data).toMatchObject({
			file_id: expect.stringMatching(/^file_[0-9a-f]+$/),
			file_name: 'scene.png',
			original_name: 'scene.png',
			file_size: png.length,
			mime_type: 'image/png',
			upload_path: 'photos',
			download_url: `${emu.url}/api/v1/files/download/${data.file_id}`,
		});
		expect(data.upload_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
		expect(Date.parse(data.expires_at) - Date.parse(data.upload_time)).toBe(72 * 3600 * 1000);
		for (const url of [data.file_url, data.download_url]) {
			const response = await fetch(url);
			expect(response.status).toBe(200);
			expect(response.headers.get('content-type')).toBe('image/png');
			expect(Buffer.from(await response.arrayBuffer()).equals(png)).toBe(true);
		}
	});

	test.each([
		['jpeg', headerImage('jpeg', 800, 600), 'image/jpeg', 'jpg'],
		['gif', headerImage('gif', 80, 60), 'image/gif', 'gif'],
		['webp', headerImage('webp', 80, 60), 'image/webp', 'webp'],
	])('plain base64 %s is recognised by its bytes', async (_, bytes, mimeType, extension) => {
		const { status, json } = await base64Upload({ base64_data: bytes.toString('base64') });
		expect(status).toBe(200);
		expect(json.data.mime_type).toBe(mimeType);
		expect(json.data.file_name).toBe(`${json.data.file_id}.${extension}`);
	});

	test('multipart: field file, optional file_name and upload_path', async () => {
		const { status, json } = await streamUpload(png, { upload_path: 'refs/today' }, 'holiday.png');
		expect(status).toBe(200);
		expect(json.data).toMatchObject({
			original_name: 'holiday.png',
			file_name: 'holiday.png',
			upload_path: 'refs/today',
			file_size: png.length,
		});
		const renamed = await streamUpload(png, { file_name: 'renamed.png' }, 'holiday.png');
		expect(renamed.json.data).toMatchObject({
			original_name: 'holiday.png',
			file_name: 'renamed.png',
		});
		const served = Buffer.from(await (await fetch(json.data.file_url)).arrayBuffer());
		expect(served.equals(png)).toBe(true);
	});

	test('the request log summarises uploads instead of keeping their bytes', async () => {
		await base64Upload({ base64_data: png.toString('base64'), file_name: 'a.png' });
		await streamUpload(png, {}, 'b.png');
		const log = await emu.control('GET', 'requests');
		expect(log.map((/** @type {any} */ r) => r.body)).toEqual([
			{ fileName: 'a.png', size: png.length, mimeType: 'image/png' },
			{ fileName: 'b.png', size: png.length, mimeType: 'image/png' },
		]);
	});
});

describe('upload errors answer {success:false, code, msg}', () => {
	test.each([
		['bmp (not accepted by Files)', headerImage('bmp', 80, 60)],
		['tiff', headerImage('tiff', 80, 60)],
		['text', Buffer.from('hello, this is plainly not an image')],
	])('%s → 400', async (_, bytes) => {
		for (const { status, json } of [
			await base64Upload({ base64_data: bytes.toString('base64') }),
			await streamUpload(bytes),
		]) {
			expect(status).toBe(400);
			expect(json).toEqual({
				success: false,
				code: 400,
				msg: expect.stringContaining('jpeg, png, gif, webp'),
			});
		}
	});
	test('larger than 10 MB → 413, exactly 10 MB passes', async () => {
		const exact = Buffer.concat([png, Buffer.alloc(10 * 1024 * 1024 - png.length)]);
		expect((await streamUpload(exact)).status).toBe(200);
		const over = await streamUpload(Buffer.concat([exact, Buffer.alloc(1)]));
		expect(over.status).toBe(413);
		expect(over.json).toMatchObject({ success: false, code: 413 });
		expect(
			(
				await base64Upload({
					base64_data: Buffer.concat([exact, Buffer.alloc(1)]).toString('base64'),
				})
			).status,
		).toBe(413);
	});
	test('missing data, missing file field, not multipart, empty file → 400', async () => {
		expect((await base64Upload({})).json).toMatchObject({ success: false, code: 400 });
		expect((await streamUpload(null, { file_name: 'x.png' })).status).toBe(400);
		const notMultipart = await emu.request('POST', '/api/v1/files/upload/stream', {
			body: { file: 'x' },
		});
		expect(notMultipart.json).toMatchObject({ success: false, code: 400 });
		expect((await streamUpload(Buffer.alloc(0))).status).toBe(400);
	});
	test('no key → 401 in the same shape', async () => {
		const { status, json } = await base64Upload(
			{ base64_data: png.toString('base64') },
			/** @type {any} */ (null),
		);
		expect(status).toBe(401);
		expect(json).toMatchObject({ success: false, code: 401 });
	});
});

describe('quota and expiry', () => {
	test('GET quota counts live files; the quota refuses beyond max_files; expired files free it', async () => {
		let quota = await emu.request('GET', '/api/v1/files/quota');
		expect(quota.json).toMatchObject({
			success: true,
			code: 200,
			data: { used_files: 0, max_files: 2000, remain_files: 2000 },
		});
		await emu.control('POST', 'config', { maxFiles: 2 });
		for (let i = 0; i < 2; i++) expect((await streamUpload(png)).status).toBe(200);
		quota = await emu.request('GET', '/api/v1/files/quota');
		expect(quota.json.data).toMatchObject({ used_files: 2, max_files: 2, remain_files: 0 });
		const refused = await streamUpload(png);
		expect(refused.status).toBe(403);
		expect(refused.json).toMatchObject({
			success: false,
			code: 403,
			msg: expect.stringContaining('quota'),
		});
		await emu.control('POST', 'clock', { advanceMs: 72 * 3600 * 1000 });
		expect((await emu.request('GET', '/api/v1/files/quota')).json.data.used_files).toBe(0);
		expect((await streamUpload(png)).status).toBe(200);
	});

	test('file URLs work until 72 h after upload, then 404', async () => {
		const { json } = await streamUpload(png);
		await emu.control('POST', 'clock', { advanceMs: 72 * 3600 * 1000 - 1000 });
		expect((await fetch(json.data.file_url)).status).toBe(200);
		await emu.control('POST', 'clock', { advanceMs: 1000 });
		expect((await fetch(json.data.file_url)).status).toBe(404);
		expect((await fetch(json.data.download_url)).status).toBe(404);
	});
});

describe('an uploaded file as a reference', () => {
	test('its file_url works as image_urls and drives auto size', async () => {
		const { json: upload } = await base64Upload({ base64_data: png.toString('base64') });
		const { json } = await emu.create({
			prompt: 'edit',
			size: 'auto',
			quality: '1K',
			image_urls: [upload.data.file_url],
		});
		const task = await emu.waitFor(json.id);
		expect(task.status).toBe('completed');
		const [internal] = await emu.control('GET', 'tasks');
		expect(`${internal.width}x${internal.height}`).toBe('1280x720');
	});
});
