// @ts-check
/**
 * Result images: real PNGs (and, through raster.mjs, JPEGs) of the exact resolved size, each distinct (seeded by task, prompt and index),
 * with gradient, shapes and grain so their byte size is realistic (a 4K image weighs several MB).
 * Rendered lazily on first download and kept in a memory-bounded LRU.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { encodeJpeg, encodePng } from './raster.mjs';

const deflateRawAsync = promisify(zlib.deflateRaw);
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// zlib.crc32 exists from Node 20.15 and 22.2, the engines floor of package.json; the types may predate it.
/** @type {(data: Buffer) => number} */
const crc32 = /** @type {any} */ (zlib).crc32;

/** @param {string} type @param {Buffer} data */
function chunk(type, data) {
	const head = Buffer.alloc(8);
	head.writeUInt32BE(data.length, 0);
	head.write(type, 4, 'latin1');
	const crc = Buffer.alloc(4);
	crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
	return Buffer.concat([head, data, crc]);
}

/**
 * The seeded picture, row by row: `paintRow(y)` returns row y as RGB (a buffer reused by the next call).
 * Rows must be painted in order (the grain's generator runs on).
 * @param {number} width @param {number} height @param {string} seed
 */
function createRowPainter(width, height, seed) {
	const hash = createHash('sha256').update(seed).digest();
	const byte = (/** @type {number} */ i) => hash[i % hash.length];

	// A horizontal gradient between two seeded colours, computed once, and a vertical tint per row.
	const left = [byte(0), byte(1), byte(2)];
	const right = [byte(3), byte(4), byte(5)];
	const tint = [byte(6) - 128, byte(7) - 128, byte(8) - 128];
	const gradient = new Int16Array(width * 3);
	for (let x = 0; x < width; x++) {
		const t = x / Math.max(1, width - 1);
		for (let c = 0; c < 3; c++) gradient[x * 3 + c] = left[c] + (right[c] - left[c]) * t;
	}
	const minSide = Math.min(width, height);
	const circles = Array.from({ length: 3 + (byte(9) % 5) }, (_, i) => ({
		cx: (hash.readUInt16BE(10 + i * 2) / 65535) * width,
		cy: (hash.readUInt16BE(20 + (i % 6)) / 65535) * height,
		r: minSide * (0.05 + (byte(i + 26) / 255) * 0.3),
		color: [byte(i * 3 + 1), byte(i * 3 + 5), byte(i * 3 + 9)],
	}));
	let state = hash.readUInt32BE(28) | 1;

	// The gradient row with the current tint, rebuilt only when the integer tint changes.
	const base = Buffer.alloc(width * 3);
	const baseView = new Uint8ClampedArray(base.buffer, base.byteOffset, base.length);
	let baseKey = '';
	const row = Buffer.alloc(width * 3);

	return (/** @type {number} */ y) => {
		const v = y / Math.max(1, height - 1);
		const d = [Math.round(tint[0] * v), Math.round(tint[1] * v), Math.round(tint[2] * v)];
		const key = d.join();
		if (key !== baseKey) {
			baseKey = key;
			// Writes through the clamped view saturate at 0/255 instead of wrapping.
			for (let x = 0; x < width * 3; x += 3) {
				baseView[x] = gradient[x] + d[0];
				baseView[x + 1] = gradient[x + 1] + d[1];
				baseView[x + 2] = gradient[x + 2] + d[2];
			}
		}
		base.copy(row);
		// Grain (xorshift32; one bit of green per pixel, 32 pixels per draw) keeps deflate from shrinking
		// the picture to nothing: measured ~5 MB for 4096x4096, like a real 4K result.
		for (let x = 0; x < width; x += 32) {
			state ^= state << 13;
			state ^= state >>> 17;
			state ^= state << 5;
			const end = Math.min(width, x + 32);
			for (let i = x, bits = state; i < end; i++, bits >>>= 1) row[1 + i * 3] ^= bits & 1;
		}
		for (const { cx, cy, r, color } of circles) {
			const dy = y - cy;
			if (dy * dy >= r * r) continue;
			const half = Math.sqrt(r * r - dy * dy);
			const x0 = Math.max(0, Math.ceil(cx - half));
			const x1 = Math.min(width, Math.floor(cx + half));
			for (let x = x0; x < x1; x++) {
				const q = x * 3;
				row[q] = (row[q] + color[0]) >>> 1;
				row[q + 1] = (row[q + 1] + color[1]) >>> 1;
				row[q + 2] = (row[q + 2] + color[2]) >>> 1;
			}
		}
		return row;
	};
}

/**
 * A painter of the seeded picture as PNG scanlines: `paint(y0, y1)` returns those rows (RGB, filter Up).
 * Rows must be painted in order (the grain's generator and the Up filter run on).
 * @param {number} width @param {number} height @param {string} seed
 */
function createPainter(width, height, seed) {
	const paintRow = createRowPainter(width, height, seed);
	const rowBytes = 1 + width * 3;
	const previous = Buffer.alloc(width * 3);
	return (/** @type {number} */ y0, /** @type {number} */ y1) => {
		const raw = Buffer.allocUnsafe(rowBytes * (y1 - y0));
		for (let y = y0; y < y1; y++) {
			const rowStart = (y - y0) * rowBytes;
			raw[rowStart] = 2;
			const row = paintRow(y);
			// Filter Up (byte − byte above, mod 256): mostly zeros, which halved deflate's time on a 4K frame
			// (0.36 s against 0.72 s unfiltered, measured) and the bytes with it.
			for (let i = 0, q = rowStart + 1; i < row.length; i++, q++) raw[q] = row[i] - previous[i];
			row.copy(previous);
		}
		return raw;
	};
}

/**
 * The seeded picture as RGB pixels in memory (for JPEG results and alpha composites).
 * @param {number} width @param {number} height @param {string} seed
 * @returns {import('./raster.mjs').Raster}
 */
export function paintRgb(width, height, seed) {
	const paintRow = createRowPainter(width, height, seed);
	const data = Buffer.allocUnsafe(width * height * 3);
	for (let y = 0; y < height; y++) paintRow(y).copy(data, y * width * 3);
	return { width, height, data };
}

/** Adler-32 (the zlib stream's checksum), continued from `adler`. @param {Buffer} data @param {number} adler */
function adler32(data, adler = 1) {
	let a = adler & 0xffff;
	let b = adler >>> 16;
	for (let i = 0; i < data.length; ) {
		const end = Math.min(data.length, i + 5552);
		for (; i < end; i++) {
			a += data[i];
			b += a;
		}
		a %= 65521;
		b %= 65521;
	}
	return ((b << 16) | a) >>> 0;
}

const SEGMENT_BYTES = 4 * 1024 * 1024;

/**
 * A complete PNG (8-bit RGB, no interlace) of width × height.
 * The IDAT is one zlib stream built from raw deflate segments ended by sync flushes (as pigz does), so
 * the thread pool compresses segment k while JavaScript paints segment k+1 (4K: about 0.5 s in all on the
 * 2-core dev container, see README).
 * @param {number} width @param {number} height @param {string} seed
 */
export async function renderPng(width, height, seed) {
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(width, 0);
	ihdr.writeUInt32BE(height, 4);
	ihdr[8] = 8; // bit depth
	ihdr[9] = 2; // colour type RGB
	const paint = createPainter(width, height, seed);
	const rowsPerSegment = Math.max(1, Math.floor(SEGMENT_BYTES / (1 + width * 3)));
	/** @type {Promise<Buffer>[]} */
	const segments = [];
	let adler = 1;
	for (let y = 0; y < height; y += rowsPerSegment) {
		const raw = paint(y, Math.min(height, y + rowsPerSegment));
		adler = adler32(raw, adler);
		// Level 1: several times faster than the default on these images, for a similar size.
		segments.push(deflateRawAsync(raw, { level: 1, finishFlush: zlib.constants.Z_SYNC_FLUSH }));
	}
	const trailer = Buffer.alloc(4);
	trailer.writeUInt32BE(adler, 0);
	const idat = Buffer.concat([
		Buffer.from([0x78, 0x01]), // zlib header: deflate, 32 KiB window, fastest
		...(await Promise.all(segments)),
		Buffer.from([0x03, 0x00]), // a final, empty fixed-Huffman block
		trailer,
	]);
	return Buffer.concat([
		PNG_SIGNATURE,
		chunk('IHDR', ihdr),
		chunk('IDAT', idat),
		chunk('IEND', Buffer.alloc(0)),
	]);
}

/**
 * A generated result (not layerize) as the file its task asked for: PNG (4.x, and 5.0 with output_format png),
 * JPEG (the 5.0 default, docs/evolink-seedream-5.md §2, §3), or, for 5.0 Pro's transparent background, an RGBA
 * PNG whose alpha is the reference's (§3: "keeps the alpha channel the input already has"; `alpha` null when the
 * reference's format could not be decoded: opaque).
 * @param {{ width: number, height: number, seed: string, format: 'png' | 'jpeg',
 *   alpha?: import('./raster.mjs').Raster | null }} picture alpha: the reference as RGBA
 *   resampled to width × height, when transparent
 */
export async function renderPicture({ width, height, seed, format, alpha }) {
	if (alpha === undefined) {
		return format === 'jpeg'
			? encodeJpeg(paintRgb(width, height, seed))
			: renderPng(width, height, seed);
	}
	const rgb = paintRgb(width, height, seed).data;
	const mask = alpha?.data;
	const rgba = Buffer.alloc(width * height * 4);
	for (let i = 0, o = 0; i < rgb.length; i += 3, o += 4) {
		rgba[o] = rgb[i];
		rgba[o + 1] = rgb[i + 1];
		rgba[o + 2] = rgb[i + 2];
		rgba[o + 3] = mask ? mask[o + 3] : 255;
	}
	return encodePng({ width, height, data: rgba }, 4);
}

/** Rendered PNGs by key, evicting the least recently used beyond `maxBytes`; renders run once each. */
export class ImageCache {
	constructor(maxBytes = 256 * 1024 * 1024) {
		this.maxBytes = maxBytes;
		this.bytes = 0;
		/** @type {Map<string, Promise<Buffer>>} */
		this.entries = new Map();
		/** @type {Map<string, number>} */
		this.sizes = new Map();
	}

	/** @param {string} key @param {() => Promise<Buffer>} render */
	get(key, render) {
		let entry = this.entries.get(key);
		if (entry) {
			this.entries.delete(key);
			this.entries.set(key, entry);
			return entry;
		}
		entry = render();
		this.entries.set(key, entry);
		entry.then(
			(buffer) => {
				if (this.entries.get(key) !== entry) return;
				this.sizes.set(key, buffer.length);
				this.bytes += buffer.length;
				this.#evict(key);
			},
			() => this.entries.delete(key),
		);
		return entry;
	}

	clear() {
		this.entries.clear();
		this.sizes.clear();
		this.bytes = 0;
	}

	/** @param {string} keep */
	#evict(keep) {
		for (const key of this.entries.keys()) {
			if (this.bytes <= this.maxBytes) break;
			const size = this.sizes.get(key);
			if (key === keep || size === undefined) continue;
			this.entries.delete(key);
			this.sizes.delete(key);
			this.bytes -= size;
		}
	}
}
