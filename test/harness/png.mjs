// @ts-check
// The tests' one PNG reader (the e2e suites, the emulator's conformance tests through test/emulator/helpers.mjs,
// and the node tests): proves that bytes are a whole, valid PNG of a given size, not just something that starts
// with the signature. Checks what a decoder checks: every chunk's CRC, IHDR first and IEND last with nothing
// after it, the IHDR fields, the inflated IDAT length against the scanlines IHDR announces, and each
// scanline's filter byte. pngPixels undoes the filters, for tests that look at colours and alpha.
import * as zlib from 'node:zlib';

/** zlib.crc32 (Node >= 22; the tests run on Node 24). @type {(data: Buffer) => number} */
const crc32 = /** @type {any} */ (zlib).crc32;
const { inflateSync } = zlib;

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Samples per pixel by PNG colour type. */
const CHANNELS = /** @type {Record<number, number>} */ ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 });
/** Bit depths PNG allows per colour type. */
const BIT_DEPTHS = /** @type {Record<number, number[]>} */ ({
	0: [1, 2, 4, 8, 16],
	2: [8, 16],
	3: [1, 2, 4, 8],
	4: [8, 16],
	6: [8, 16],
});

/**
 * @param {Buffer} bytes
 * @returns {{ width: number, height: number, bitDepth: number, colorType: number, chunks: string[], raw: Buffer }}
 *   chunks: the chunk types in order; raw: the inflated image data (each scanline with its filter byte)
 */
export function readPng(bytes) {
	if (bytes.length < 8 || !bytes.subarray(0, 8).equals(SIGNATURE))
		throw new Error('not a PNG: bad signature');
	/** @type {string[]} */
	const chunks = [];
	/** @type {Buffer[]} */
	const idat = [];
	let offset = 8;
	let header;
	while (offset < bytes.length) {
		if (chunks.at(-1) === 'IEND') throw new Error(`${bytes.length - offset} bytes after IEND`);
		if (offset + 12 > bytes.length) throw new Error(`truncated chunk at byte ${offset}`);
		const length = bytes.readUInt32BE(offset);
		const type = bytes.toString('latin1', offset + 4, offset + 8);
		const end = offset + 8 + length;
		if (end + 4 > bytes.length) throw new Error(`chunk ${type} runs past the end of the file`);
		const crc = bytes.readUInt32BE(end);
		if (crc32(bytes.subarray(offset + 4, end)) !== crc)
			throw new Error(`chunk ${type} has a bad CRC`);
		const data = bytes.subarray(offset + 8, end);
		chunks.push(type);
		if (type === 'IHDR') {
			if (chunks.length !== 1) throw new Error('IHDR is not the first chunk');
			if (length !== 13) throw new Error(`IHDR is ${length} bytes, not 13`);
			header = {
				width: data.readUInt32BE(0),
				height: data.readUInt32BE(4),
				bitDepth: data[8],
				colorType: data[9],
				compression: data[10],
				filter: data[11],
				interlace: data[12],
			};
		} else if (type === 'IDAT') {
			idat.push(data);
		}
		offset = end + 4;
	}
	if (chunks[0] !== 'IHDR' || !header) throw new Error('first chunk is not IHDR');
	if (chunks.at(-1) !== 'IEND') throw new Error('no IEND chunk');
	if (!idat.length) throw new Error('no IDAT chunk');
	const { width, height, bitDepth, colorType } = header;
	if (!width || !height) throw new Error(`IHDR announces an empty image (${width}x${height})`);
	const channels = CHANNELS[colorType];
	if (!channels) throw new Error(`unknown colour type ${colorType}`);
	if (!BIT_DEPTHS[colorType].includes(bitDepth))
		throw new Error(`bit depth ${bitDepth} is not allowed for colour type ${colorType}`);
	if (header.compression !== 0 || header.filter !== 0)
		throw new Error(`unknown compression ${header.compression} or filter method ${header.filter}`);
	// The tests' PNGs come from the emulator's renderer, which does not interlace: one that does is not its output.
	if (header.interlace !== 0)
		throw new Error(`interlace method ${header.interlace}: expected a non-interlaced PNG`);
	const raw = inflateSync(Buffer.concat(idat));
	const rowBytes = 1 + Math.ceil((width * channels * bitDepth) / 8);
	if (raw.length !== rowBytes * height) {
		throw new Error(`image data is ${raw.length} bytes, IHDR announces ${rowBytes * height}`);
	}
	for (let y = 0; y < height; y++) {
		if (raw[y * rowBytes] > 4) throw new Error(`bad filter byte ${raw[y * rowBytes]} on row ${y}`);
	}
	return { width, height, bitDepth, colorType, chunks, raw };
}

/** Samples per pixel of the colour types pngPixels reads (8-bit, not palette). */
const PIXEL_CHANNELS = /** @type {Record<number, number>} */ ({ 0: 1, 2: 3, 4: 2, 6: 4 });

/**
 * A PNG's pixels, read by the strict reader and unfiltered here (8-bit, not palette), so a test can look at
 * colours and alpha: `at(x, y)` is the pixel's samples ([r, g, b] or [r, g, b, a]).
 * @param {Buffer} bytes
 */
export function pngPixels(bytes) {
	const png = readPng(bytes);
	const channels = PIXEL_CHANNELS[png.colorType];
	if (!channels || png.bitDepth !== 8)
		throw new Error(`unexpected PNG colour type ${png.colorType}, depth ${png.bitDepth}`);
	const stride = png.width * channels;
	const data = Buffer.alloc(stride * png.height);
	for (let y = 0; y < png.height; y++) {
		const filter = png.raw[y * (stride + 1)];
		for (let i = 0; i < stride; i++) {
			const raw = png.raw[y * (stride + 1) + 1 + i];
			const a = i >= channels ? data[y * stride + i - channels] : 0;
			const b = y ? data[(y - 1) * stride + i] : 0;
			const c = y && i >= channels ? data[(y - 1) * stride + i - channels] : 0;
			let predictor = 0;
			if (filter === 1) predictor = a;
			else if (filter === 2) predictor = b;
			else if (filter === 3) predictor = (a + b) >> 1;
			else if (filter === 4) {
				const p = a + b - c;
				const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
				predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
			}
			data[y * stride + i] = (raw + predictor) & 0xff;
		}
	}
	return {
		...png,
		channels,
		data,
		at: (/** @type {number} */ x, /** @type {number} */ y) => [
			...data.subarray((y * png.width + x) * channels, (y * png.width + x + 1) * channels),
		],
	};
}

/**
 * How many pixels of an RGBA PNG are fully transparent and fully opaque: proves that a layer or a
 * transparent-background result has real transparency, not just an alpha channel set to 255.
 * @param {ReturnType<typeof pngPixels>} png
 * @returns {{ transparent: number, opaque: number, pixels: number }}
 */
export function alphaCounts(png) {
	if (png.channels !== 4) throw new Error(`no alpha channel (colour type ${png.colorType})`);
	let transparent = 0;
	let opaque = 0;
	for (let i = 3; i < png.data.length; i += 4) {
		if (png.data[i] === 0) transparent++;
		else if (png.data[i] === 255) opaque++;
	}
	return { transparent, opaque, pixels: png.width * png.height };
}
