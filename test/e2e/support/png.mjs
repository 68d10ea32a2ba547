// @ts-check
// The tests' one PNG reader (the e2e suites, the emulator's conformance tests through test/emulator/helpers.mjs,
// and the node tests): proves that bytes are a whole, valid PNG of a given size, not just something that starts
// with the signature. Checks what a decoder checks: every chunk's CRC, IHDR first and IEND last with nothing
// after it, the IHDR fields, the inflated IDAT length against the scanlines IHDR announces, and each
// scanline's filter byte.
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
	if (bytes.length < 8 || !bytes.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG: bad signature');
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
		if (crc32(bytes.subarray(offset + 4, end)) !== crc) throw new Error(`chunk ${type} has a bad CRC`);
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
	if (header.interlace !== 0) throw new Error(`interlace method ${header.interlace}: expected a non-interlaced PNG`);
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

/**
 * How many pixels of an 8-bit RGBA PNG (colour type 6) are fully transparent and fully opaque: proves that a
 * layer or a transparent-background result has real transparency, not just an alpha channel set to 255.
 * Undoes each scanline's filter (PNG spec §9) to reach the alpha samples.
 * @param {ReturnType<typeof readPng>} png
 * @returns {{ transparent: number, opaque: number, pixels: number }}
 */
export function alphaCounts(png) {
	const { width, height, bitDepth, colorType, raw } = png;
	if (colorType !== 6 || bitDepth !== 8) throw new Error(`not 8-bit RGBA (colour type ${colorType}, depth ${bitDepth})`);
	const bpp = 4;
	const stride = width * bpp;
	let previous = Buffer.alloc(stride);
	let transparent = 0;
	let opaque = 0;
	for (let y = 0; y < height; y++) {
		const filter = raw[y * (stride + 1)];
		const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
		for (let i = 0; i < stride; i++) {
			const left = i >= bpp ? line[i - bpp] : 0;
			const up = previous[i];
			const upLeft = i >= bpp ? previous[i - bpp] : 0;
			let predictor = 0;
			if (filter === 1) predictor = left;
			else if (filter === 2) predictor = up;
			else if (filter === 3) predictor = (left + up) >> 1;
			else if (filter === 4) {
				const p = left + up - upLeft;
				const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
				predictor = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
			}
			line[i] = (line[i] + predictor) & 0xff;
		}
		for (let i = 3; i < stride; i += 4) {
			if (line[i] === 0) transparent++;
			else if (line[i] === 255) opaque++;
		}
		previous = line;
	}
	return { transparent, opaque, pixels: width * height };
}
