// @ts-check
/**
 * Shared helpers of the emulator's conformance tests: a started emulator with a small API client,
 * polling, a PNG reader that checks what a decoder checks, tiny test images, and a local receiver.
 */
import { afterAll, beforeAll, beforeEach, expect } from '@jest/globals';
import http from 'node:http';
import jpeg from 'jpeg-js';
import { startEmulator } from '../../emulator/server.mjs';
import { EmulatorClient } from '../../emulator/client.mjs';
import { renderPng } from '../../emulator/images.mjs';
import { encodePng } from '../../emulator/raster.mjs';
import { pngPixels, readPng as readPngStrict } from '../harness/png.mjs';

export const KEY = 'sk-emulator-demo';

/**
 * Starts an emulator and returns it with helpers bound to it.
 * @param {Parameters<typeof startEmulator>[0]} [options]
 */
export async function emulator(options = {}) {
	const server = await startEmulator({ port: 0, taskMs: 50, ...options });
	/**
	 * @param {string} method @param {string} path
	 * @param {{ body?: unknown, key?: string | null, headers?: Record<string, string> }} [init]
	 */
	const request = async (method, path, { body, key = KEY, headers = {} } = {}) => {
		const response = await fetch(server.url + path, {
			method,
			headers: {
				...(key ? { authorization: `Bearer ${key}` } : {}),
				...(body !== undefined ? { 'content-type': 'application/json' } : {}),
				...headers,
			},
			body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
		});
		const text = await response.text();
		let json;
		try {
			json = JSON.parse(text);
		} catch {
			json = undefined;
		}
		return { status: response.status, headers: response.headers, json, text };
	};
	const client = new EmulatorClient(server.url);
	/** A control request's JSON, whatever its status. @param {string} method @param {string} path @param {unknown} [body] */
	const control = async (method, path, body) => (await client.send(method, path, body)).json;
	return {
		...server,
		request,
		control,
		/** @param {Record<string, unknown>} body @param {{ key?: string, headers?: Record<string, string> }} [init] */
		create: (body, init = {}) =>
			request('POST', '/v1/images/generations', {
				body: { model: 'doubao-seedream-4.0', ...body },
				...init,
			}),
		/**
		 * Creates with this body and expects a §5 400 invalid_request naming `param`, with `fragment` in the message.
		 * @param {Record<string, unknown>} body @param {string} param
		 */
		async rejects(body, param, fragment = '') {
			const { status, json } = await this.create(body);
			expect({ status, param: json?.error?.param }).toEqual({ status: 400, param });
			expect(json.error).toMatchObject({ code: 'invalid_request', type: 'invalid_request_error' });
			expect(json.error.message).toContain(fragment);
		},
		/** Creates with this body and expects a 200 task; returns it. @param {Record<string, unknown>} body */
		async accepts(body) {
			const { status, json } = await this.create(body);
			expect({ status, error: json.error }).toEqual({ status: 200, error: undefined });
			return json;
		},
		/**
		 * Polls a task until it is completed, failed or cancelled. The limit only turns a hang into a message
		 * before Jest's 60 s: decoding a 6000x6000 reference took over 10 s on a loaded 2-core machine.
		 * @param {string} id
		 */
		async waitFor(id, key = KEY, timeoutMs = 50_000) {
			const deadline = Date.now() + timeoutMs;
			for (;;) {
				const { json } = await request('GET', `/v1/tasks/${id}`, { key });
				if (['completed', 'failed', 'cancelled'].includes(json.status)) return json;
				if (Date.now() > deadline) throw new Error(`task ${id} still ${json.status}`);
				await sleep(15);
			}
		},
	};
}

/**
 * One emulator for a test file: started before all tests, reset before each, closed after all.
 * The returned object is filled in by `beforeAll`, so use it inside tests only.
 * @param {Parameters<typeof startEmulator>[0]} [options]
 */
export function useEmulator(options = {}) {
	const emu = /** @type {Awaited<ReturnType<typeof emulator>>} */ ({});
	beforeAll(async () => {
		Object.assign(emu, await emulator(options));
	});
	afterAll(() => emu.close());
	beforeEach(() => emu.control('POST', 'reset'));
	return emu;
}

export const sleep = (/** @type {number} */ ms) =>
	new Promise((resolve) => setTimeout(resolve, ms));

/** The tests' one strict PNG reader (signature, CRCs, IHDR, IDAT length, filter bytes); see its file. */
export const readPng = readPngStrict;

/** A PNG's pixels (`at(x, y)`), unfiltered: see its file. */
export { pngPixels };

/**
 * Decodes a JPEG with jpeg-js, after checking it starts with SOI and ends with EOI: throws if it is not a
 * whole, valid baseline or progressive JPEG. @param {Buffer} bytes
 */
export function readJpeg(bytes) {
	if (bytes.readUInt16BE(0) !== 0xffd8) throw new Error('not a JPEG: no SOI marker');
	if (bytes.readUInt16BE(bytes.length - 2) !== 0xffd9)
		throw new Error('truncated JPEG: no EOI marker');
	const image = jpeg.decode(bytes, { formatAsRGBA: true, tolerantDecoding: false });
	return { width: image.width, height: image.height, data: image.data };
}

/**
 * A real RGBA PNG (the emulator's encoder) whose pixels come from `pixel(x, y)` → [r, g, b, a].
 * @param {number} width @param {number} height @param {(x: number, y: number) => number[]} pixel
 */
export function rgbaPng(width, height, pixel) {
	const data = Buffer.alloc(width * height * 4);
	for (let y = 0; y < height; y++)
		for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 4);
	return encodePng({ width, height, data }, 4);
}

/** A real baseline JPEG of a gradient. @param {number} width @param {number} height */
export function realJpeg(width, height) {
	const data = Buffer.alloc(width * height * 4, 255);
	for (let i = 0; i < width * height; i++) {
		data[i * 4] = i % width & 255;
		data[i * 4 + 1] = Math.floor(i / width) & 255;
	}
	return jpeg.encode({ width, height, data }, 80).data;
}

/** Bytes padded with zeros to `size` (limits on bytes, not pixels, read the header only). @param {Buffer} image @param {number} size */
export const padded = (image, size) => Buffer.concat([image, Buffer.alloc(size - image.length)]);

/** A real PNG of a given size (the emulator's renderer), e.g. for references. */
export const pngOf = (/** @type {number} */ width, /** @type {number} */ height) =>
	renderPng(width, height, `ref ${width}x${height}`);

/**
 * Minimal images whose headers carry the given dimensions (the emulator reads headers only).
 * @param {'jpeg' | 'gif' | 'webp' | 'bmp' | 'tiff' | 'heic' | 'heif'} format @param {number} width @param {number} height
 */
export function headerImage(format, width, height) {
	const b = Buffer.alloc(64);
	switch (format) {
		case 'heic':
		case 'heif':
			// ISO BMFF: an ftyp box with the major brand, then an ispe property (version/flags, width, height).
			b.writeUInt32BE(24, 0);
			b.write(`ftyp${format === 'heic' ? 'heic' : 'mif1'}`, 4, 'latin1');
			b.writeUInt32BE(20, 24);
			b.write('ispe', 28, 'latin1');
			b.writeUInt32BE(width, 36);
			b.writeUInt32BE(height, 40);
			return b;
		case 'jpeg':
			// SOI, an APP0 segment to skip, then SOF0 with height and width.
			Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex').copy(b, 0);
			Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08]).copy(b, 20);
			b.writeUInt16BE(height, 25);
			b.writeUInt16BE(width, 27);
			return b;
		case 'gif':
			b.write('GIF89a', 0, 'latin1');
			b.writeUInt16LE(width, 6);
			b.writeUInt16LE(height, 8);
			return b;
		case 'webp':
			b.write('RIFF', 0, 'latin1');
			b.writeUInt32LE(56, 4);
			b.write('WEBPVP8X', 8, 'latin1');
			b.writeUIntLE(width - 1, 24, 3);
			b.writeUIntLE(height - 1, 27, 3);
			return b;
		case 'bmp':
			b.write('BM', 0, 'latin1');
			b.writeUInt32LE(40, 14);
			b.writeInt32LE(width, 18);
			b.writeInt32LE(-height, 22);
			return b;
		case 'tiff':
			// Big-endian, first IFD at 8 with two entries: 256 (SHORT) and 257 (LONG).
			Buffer.from('4d4d002a00000008', 'hex').copy(b, 0);
			b.writeUInt16BE(2, 8);
			b.writeUInt16BE(256, 10);
			b.writeUInt16BE(3, 12);
			b.writeUInt32BE(1, 14);
			b.writeUInt16BE(width, 18);
			b.writeUInt16BE(257, 22);
			b.writeUInt16BE(4, 24);
			b.writeUInt32BE(1, 26);
			b.writeUInt32BE(height, 30);
			return b;
	}
}

/**
 * A local HTTP server on 127.0.0.1; `handler` answers each request, `hits` records them with times.
 * @param {(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void} handler
 */
export async function localServer(handler) {
	/** @type {{ path: string, body: Buffer, at: number }[]} */
	const hits = [];
	const server = http.createServer((req, res) => {
		/** @type {Buffer[]} */
		const chunks = [];
		req.on('data', (chunk) => chunks.push(chunk));
		req.on('end', () => {
			const body = Buffer.concat(chunks);
			hits.push({ path: req.url ?? '', body, at: Date.now() });
			handler(req, res, body);
		});
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
	const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
	return {
		url: `http://127.0.0.1:${port}`,
		hits,
		close: () =>
			new Promise((resolve) => {
				server.close(() => resolve(undefined));
				server.closeAllConnections();
			}),
	};
}

/** Serves fixed bodies by path (reference images). @param {Record<string, Buffer>} files */
export const imageServer = (files) =>
	localServer((req, res) => {
		const body = files[req.url ?? ''];
		if (!body) return void res.writeHead(404).end();
		res
			.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length })
			.end(body);
	});
