// @ts-check
// A small, strict PNG reader for the tests: proves that bytes are a whole, valid PNG of a given size, not
// just something that starts with the signature. Checks every chunk's CRC, reads IHDR, inflates the IDAT
// stream and checks its length against the scanlines IHDR announces.
import * as zlib from 'node:zlib';

/** zlib.crc32 (Node >= 22; the tests run on Node 24). @type {(data: Buffer) => number} */
const crc32 = /** @type {any} */ (zlib).crc32;
const { inflateSync } = zlib;

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Samples per pixel by PNG colour type. */
const CHANNELS = /** @type {Record<number, number>} */ ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 });

/**
 * @param {Buffer} bytes
 * @returns {{ width: number, height: number, bitDepth: number, colorType: number, chunks: string[] }}
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
			header = {
				width: data.readUInt32BE(0),
				height: data.readUInt32BE(4),
				bitDepth: data[8],
				colorType: data[9],
				interlace: data[12],
			};
		} else if (type === 'IDAT') {
			idat.push(data);
		}
		offset = end + 4;
		if (type === 'IEND') break;
	}
	if (chunks[0] !== 'IHDR' || !header) throw new Error('first chunk is not IHDR');
	if (chunks.at(-1) !== 'IEND') throw new Error('no IEND chunk');
	if (!idat.length) throw new Error('no IDAT chunk');
	const channels = CHANNELS[header.colorType];
	if (!channels) throw new Error(`unknown colour type ${header.colorType}`);
	if (header.interlace === 0) {
		const raw = inflateSync(Buffer.concat(idat));
		const rowBytes = 1 + Math.ceil((header.width * channels * header.bitDepth) / 8);
		if (raw.length !== rowBytes * header.height) {
			throw new Error(`image data is ${raw.length} bytes, IHDR announces ${rowBytes * header.height}`);
		}
	}
	return { width: header.width, height: header.height, bitDepth: header.bitDepth, colorType: header.colorType, chunks };
}
