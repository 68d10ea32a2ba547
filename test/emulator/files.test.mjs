// @ts-check
// docs/evolink-api.md §7 (and its update of 2026-12-04): base64 and multipart uploads, formats by magic bytes, limits,
// delete, list, quota, 72 h expiry, file URLs as references, and the read-back of uploads and deletes per key.
import { beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { KEY, emulator, headerImage, imageServer, pngOf, useEmulator } from './helpers.mjs';

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
	test('larger than 100 MB → 413, exactly 100 MB passes (docs/evolink-api.md §7 update: "Max 100MB")', async () => {
		const exact = Buffer.concat([png, Buffer.alloc(100 * 1024 * 1024 - png.length)]);
		expect((await streamUpload(exact)).status).toBe(200);
		const over = await streamUpload(Buffer.concat([exact, Buffer.alloc(1)]));
		expect(over.status).toBe(413);
		expect(over.json).toMatchObject({
			success: false,
			code: 413,
			msg: expect.stringContaining('100 MB'),
		});
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
			data: { user_group: 'default', used_files: 0, max_files: 100, remain_files: 100 },
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

const OTHER_KEY = 'sk-emulator-other-key';
const MASKED = 'sk-e…demo';
const HOUR = 3600 * 1000;

/** Uploads `count` distinct PNGs (one byte of padding apart), in order; returns their upload data. */
async function uploadMany(count, key = KEY) {
	const files = [];
	for (let i = 0; i < count; i++) {
		const { status, json } = await base64Upload(
			{
				base64_data: Buffer.concat([png, Buffer.alloc(i)]).toString('base64'),
				file_name: `f${i}.png`,
			},
			key,
		);
		expect(status).toBe(200);
		files.push(json.data);
	}
	return files;
}

const deleteFile = (/** @type {string} */ id, key = KEY) =>
	emu.request('DELETE', `/api/v1/files/${id}`, { key });
const quotaOf = async (key = KEY) =>
	(await emu.request('GET', '/api/v1/files/quota', { key })).json;

describe('DELETE /api/v1/files/{file_id}', () => {
	test('answers the envelope, frees the slot, and the file URLs stop serving', async () => {
		const [file] = await uploadMany(1);
		expect((await quotaOf()).data.used_files).toBe(1);
		const { status, json } = await deleteFile(file.file_id);
		expect(status).toBe(200);
		expect(json).toEqual({ success: true, code: 200, msg: expect.any(String) });
		expect((await quotaOf()).data).toMatchObject({ used_files: 0, remain_files: 100 });
		expect((await fetch(file.file_url)).status).toBe(404);
		expect((await fetch(file.download_url)).status).toBe(404);
	});

	test('an unknown or already deleted id: 404 in the envelope', async () => {
		const unknown = await deleteFile('file_000000000000');
		expect(unknown.status).toBe(404);
		expect(unknown.json).toEqual({
			success: false,
			code: 404,
			msg: expect.stringContaining('file_000000000000'),
		});
		const [file] = await uploadMany(1);
		expect((await deleteFile(file.file_id)).status).toBe(200);
		const again = await deleteFile(file.file_id);
		expect(again.status).toBe(404);
		expect(again.json).toMatchObject({ success: false, code: 404 });
	});

	test('another key cannot delete it (403 in the envelope); the owner still can', async () => {
		await emu.control('POST', 'keys', { key: OTHER_KEY });
		const [file] = await uploadMany(1);
		const refused = await deleteFile(file.file_id, OTHER_KEY);
		expect(refused.status).toBe(403);
		expect(refused.json).toEqual({
			success: false,
			code: 403,
			msg: expect.stringContaining('another key'),
		});
		expect((await fetch(file.file_url)).status).toBe(200);
		expect((await quotaOf()).data.used_files).toBe(1);
		expect((await deleteFile(file.file_id)).status).toBe(200);
	});

	test('without a key: 401 in the envelope, nothing deleted', async () => {
		const [file] = await uploadMany(1);
		const { status, json } = await deleteFile(file.file_id, /** @type {any} */ (null));
		expect(status).toBe(401);
		expect(json).toMatchObject({ success: false, code: 401 });
		expect((await fetch(file.file_url)).status).toBe(200);
	});

	test('an expired file is gone: 404', async () => {
		const [file] = await uploadMany(1);
		await emu.control('POST', 'clock', { advanceMs: 72 * HOUR });
		expect((await deleteFile(file.file_id)).status).toBe(404);
	});
});

describe('GET /api/v1/files/list', () => {
	test("pages the key's live files, newest first, with the documented fields only", async () => {
		const files = await uploadMany(5);
		const newestFirst = files.map((f) => f.file_id).reverse();
		const page = async (/** @type {string} */ query) =>
			(await emu.request('GET', `/api/v1/files/list${query}`)).json;
		const first = await page('?page=1&pageSize=2');
		expect(first).toMatchObject({ success: true, code: 200 });
		expect(first.data.total).toBe(5);
		expect(first.data.files).toEqual(
			newestFirst.slice(0, 2).map((id) => ({
				file_id: id,
				file_name: expect.stringMatching(/^f\d\.png$/),
				file_size: expect.any(Number),
				upload_time: expect.stringMatching(/\+08:00$/),
			})),
		);
		expect(
			(await page('?page=2&pageSize=2')).data.files.map((/** @type {any} */ f) => f.file_id),
		).toEqual(newestFirst.slice(2, 4));
		expect(
			(await page('?page=3&pageSize=2')).data.files.map((/** @type {any} */ f) => f.file_id),
		).toEqual(newestFirst.slice(4));
		expect(await page('?page=4&pageSize=2')).toMatchObject({ data: { total: 5, files: [] } });
		// Defaults: page 1, 20 a page.
		expect((await page('')).data.files).toHaveLength(5);
	});

	test('deleted and expired files leave it; another key sees only its own', async () => {
		await emu.control('POST', 'keys', { key: OTHER_KEY });
		const [early] = await uploadMany(1);
		await emu.control('POST', 'clock', { advanceMs: 71 * HOUR });
		const [kept, deleted] = await uploadMany(2);
		await uploadMany(1, OTHER_KEY);
		await deleteFile(deleted.file_id);
		const ids = async (key = KEY) =>
			(await emu.request('GET', '/api/v1/files/list', { key })).json.data.files.map(
				(/** @type {any} */ f) => f.file_id,
			);
		expect(await ids()).toEqual([kept.file_id, early.file_id]);
		await emu.control('POST', 'clock', { advanceMs: HOUR });
		expect(await ids()).toEqual([kept.file_id]);
		expect(await ids(OTHER_KEY)).toHaveLength(1);
	});

	test.each(['page=0', 'pageSize=0', 'pageSize=101', 'page=x', 'pageSize=2.5'])(
		'%s: 400 in the envelope',
		async (query) => {
			const { status, json } = await emu.request('GET', `/api/v1/files/list?${query}`);
			expect(status).toBe(400);
			expect(json).toEqual({ success: false, code: 400, msg: expect.stringMatching(/page/) });
		},
	);
});

describe('the quota', () => {
	test('numbers: user_group, used, max and remaining files, per key', async () => {
		await emu.control('POST', 'keys', { key: OTHER_KEY });
		await uploadMany(3);
		expect(await quotaOf()).toEqual({
			success: true,
			code: 200,
			msg: expect.any(String),
			data: { user_group: 'default', used_files: 3, max_files: 100, remain_files: 97 },
		});
		expect((await quotaOf(OTHER_KEY)).data).toMatchObject({ used_files: 0, remain_files: 100 });
	});

	test("a key of its own quota (a VIP's 500) through POST /__emulator/keys", async () => {
		await emu.control('POST', 'keys', { key: OTHER_KEY, maxFiles: 500 });
		expect((await quotaOf(OTHER_KEY)).data).toMatchObject({ max_files: 500, remain_files: 500 });
		expect((await quotaOf()).data.max_files).toBe(100);
		expect(
			(
				await emu.request('POST', '/__emulator/keys', {
					body: { key: 'sk-x', maxFiles: -1 },
					key: null,
				})
			).status,
		).toBe(400);
	});

	test('full: the 101st upload is refused, a 4xx envelope whose msg names the quota; a delete frees a slot', async () => {
		const files = await uploadMany(100);
		expect((await quotaOf()).data).toMatchObject({ used_files: 100, remain_files: 0 });
		for (const refused of [
			await base64Upload({ base64_data: png.toString('base64') }),
			await streamUpload(png),
		]) {
			expect(refused.status).toBeGreaterThanOrEqual(400);
			expect(refused.status).toBeLessThan(500);
			expect(refused.json).toEqual({
				success: false,
				code: refused.status,
				msg: expect.stringMatching(/quota.*100 files/),
			});
		}
		await deleteFile(files[0].file_id);
		expect((await streamUpload(png)).status).toBe(200);
		expect((await streamUpload(png)).status).toBe(403);
	});

	test('expiry frees a slot: at 72 h on the emulator clock, not a second before', async () => {
		await emu.control('POST', 'config', { maxFiles: 1 });
		await uploadMany(1);
		await emu.control('POST', 'clock', { advanceMs: 72 * HOUR - 1000 });
		expect((await streamUpload(png)).status).toBe(403);
		await emu.control('POST', 'clock', { advanceMs: 1000 });
		expect((await quotaOf()).data).toMatchObject({ used_files: 0, remain_files: 1 });
		expect((await streamUpload(png)).status).toBe(200);
	});

	test('the constructor option maxFiles sets the default quota, and a reset keeps it', async () => {
		const own = await emulator({ maxFiles: 2 });
		try {
			const quota = async () => (await own.request('GET', '/api/v1/files/quota')).json.data;
			expect(await quota()).toMatchObject({ max_files: 2 });
			await own.control('POST', 'config', { maxFiles: 7 });
			await own.control('POST', 'reset');
			expect(await quota()).toMatchObject({ max_files: 2 });
		} finally {
			await own.close();
		}
	});

	test('the command-line flag --max-files sets it', async () => {
		const cli = fileURLToPath(new URL('../../emulator/cli.mjs', import.meta.url));
		const child = spawn(process.execPath, [cli, '--port', '0', '--max-files', '3'], {
			stdio: ['ignore', 'pipe', 'inherit'],
		});
		try {
			const url = await new Promise((resolve, reject) => {
				let out = '';
				child.stdout.on('data', (chunk) => {
					out += chunk;
					const match = /listening on (\S+)/.exec(out);
					if (match) resolve(match[1]);
				});
				child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
			});
			const response = await fetch(`${url}/api/v1/files/quota`, {
				headers: { authorization: `Bearer ${KEY}` },
			});
			expect((await response.json()).data).toMatchObject({ max_files: 3, remain_files: 3 });
		} finally {
			child.kill('SIGTERM');
		}
	});
});

describe('read-back for tests: uploads and deletes per key', () => {
	test('/__emulator/files/counts counts uploaded, deleted, expired and live files per masked key', async () => {
		await emu.control('POST', 'keys', { key: OTHER_KEY });
		const files = await uploadMany(3);
		await uploadMany(1, OTHER_KEY);
		await deleteFile(files[0].file_id);
		await deleteFile(files[1].file_id, OTHER_KEY);
		expect(await emu.control('GET', 'files/counts')).toEqual({
			[MASKED]: { uploaded: 3, deleted: 1, expired: 0, live: 2 },
			'sk-e…-key': { uploaded: 1, deleted: 0, expired: 0, live: 1 },
		});
		await emu.control('POST', 'clock', { advanceMs: 72 * HOUR });
		expect((await emu.control('GET', 'files/counts'))[MASKED]).toEqual({
			uploaded: 3,
			deleted: 1,
			expired: 2,
			live: 0,
		});
	});

	test('/__emulator/files lists every upload with its content hash (uploads per reference), deleted ones too, no key', async () => {
		await uploadMany(1);
		const [again] = await uploadMany(1);
		await deleteFile(again.file_id);
		const listed = await emu.control('GET', 'files');
		const sha = createHash('sha256').update(png).digest('hex');
		expect(listed).toEqual([
			expect.objectContaining({
				id: expect.any(String),
				key: MASKED,
				sha256: sha,
				deletedAt: null,
				expired: false,
			}),
			expect.objectContaining({
				id: again.file_id,
				key: MASKED,
				sha256: sha,
				deletedAt: expect.any(Number),
			}),
		]);
		expect(JSON.stringify(listed)).not.toContain(KEY);
	});
});

describe('POST /api/v1/files/upload/url', () => {
	test('fetches the image and stores it like any upload; errors in the envelope', async () => {
		const server = await imageServer({
			'/photos/holiday.png': png,
			'/notes.txt': Buffer.from('plain text'),
		});
		try {
			const upload = (/** @type {Record<string, unknown>} */ body) =>
				emu.request('POST', '/api/v1/files/upload/url', { body });
			const { status, json } = await upload({
				file_url: `${server.url}/photos/holiday.png`,
				upload_path: 'refs',
			});
			expect(status).toBe(200);
			expect(json).toMatchObject({
				success: true,
				code: 200,
				data: {
					original_name: 'holiday.png',
					file_name: 'holiday.png',
					upload_path: 'refs',
					file_size: png.length,
				},
			});
			expect(Buffer.from(await (await fetch(json.data.file_url)).arrayBuffer()).equals(png)).toBe(
				true,
			);
			expect((await quotaOf()).data.used_files).toBe(1);
			for (const [body, fragment] of [
				[{}, 'file_url'],
				[{ file_url: `${server.url}/missing.png` }, 'HTTP 404'],
				[{ file_url: `${server.url}/notes.txt` }, 'jpeg, png, gif, webp'],
				[{ file_url: 'https://files.example/photo.png' }, 'loopback'],
			]) {
				const refused = await upload(body);
				expect(refused.status).toBe(400);
				expect(refused.json).toEqual({
					success: false,
					code: 400,
					msg: expect.stringContaining(fragment),
				});
			}
		} finally {
			await server.close();
		}
	});
});
