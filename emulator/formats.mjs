// @ts-check
/**
 * Image formats by magic bytes, and their dimensions from the headers (references §2/§9, uploads §7;
 * HEIC/HEIF for 5.0 Pro, docs/evolink-seedream-5.md §3).
 */

/** @typedef {{ format: string, mimeType: string, extension: string }} Format */

const PNG_SIGNATURE = Buffer.from('89504e470d0a1a0a', 'hex');

/** @type {[string, string, string, (b: Buffer) => boolean][]} */
const SIGNATURES = [
	['png', 'image/png', 'png', (b) => b.subarray(0, 8).equals(PNG_SIGNATURE)],
	['jpeg', 'image/jpeg', 'jpg', (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff],
	['gif', 'image/gif', 'gif', (b) => /^GIF8[79]a/.test(b.subarray(0, 6).toString('latin1'))],
	[
		'webp',
		'image/webp',
		'webp',
		(b) =>
			b.subarray(0, 4).toString('latin1') === 'RIFF' &&
			b.subarray(8, 12).toString('latin1') === 'WEBP',
	],
	['bmp', 'image/bmp', 'bmp', (b) => b.subarray(0, 2).toString('latin1') === 'BM'],
	[
		'tiff',
		'image/tiff',
		'tiff',
		(b) => ['49492a00', '4d4d002a'].includes(b.subarray(0, 4).toString('hex')),
	],
	['heic', 'image/heic', 'heic', (b) => isoBrand(b, HEIC_BRANDS)],
	['heif', 'image/heif', 'heif', (b) => isoBrand(b, HEIF_BRANDS)],
];

// ISO BMFF `ftyp` major brands: HEVC-coded images (HEIC) and the generic HEIF image brands.
const HEIC_BRANDS = ['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'hevm', 'hevs'];
const HEIF_BRANDS = ['mif1', 'msf1', 'mif2'];
/** @param {Buffer} b @param {string[]} brands */
const isoBrand = (b, brands) =>
	b.subarray(4, 8).toString('latin1') === 'ftyp' &&
	brands.includes(b.subarray(8, 12).toString('latin1'));

/** @param {Buffer} buffer @returns {Format | undefined} */
export function sniffFormat(buffer) {
	if (buffer.length < 12) return undefined;
	for (const [format, mimeType, extension, test] of SIGNATURES) {
		if (test(buffer)) return { format, mimeType, extension };
	}
	return undefined;
}

/**
 * Width and height from the header, or undefined when it cannot be read.
 * @param {Buffer} b @param {string} format
 * @returns {{ width: number, height: number } | undefined}
 */
export function imageDimensions(b, format) {
	try {
		switch (format) {
			case 'png':
				return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
			case 'gif':
				return { width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
			case 'bmp': {
				// BITMAPCOREHEADER (size 12) has 16-bit sides; the others 32-bit, height negative when top-down.
				if (b.readUInt32LE(14) === 12)
					return { width: b.readUInt16LE(18), height: b.readUInt16LE(20) };
				return { width: Math.abs(b.readInt32LE(18)), height: Math.abs(b.readInt32LE(22)) };
			}
			case 'jpeg':
				return jpegDimensions(b);
			case 'webp':
				return webpDimensions(b);
			case 'tiff':
				return tiffDimensions(b);
			case 'heic':
			case 'heif':
				return heifDimensions(b);
		}
	} catch {
		return undefined;
	}
	return undefined;
}

/** The first SOFn segment (not DHT C4, JPG C8, DAC CC). @param {Buffer} b */
function jpegDimensions(b) {
	let offset = 2;
	while (offset + 9 < b.length) {
		if (b[offset] !== 0xff) return undefined;
		const marker = b[offset + 1];
		if (marker === 0xff) {
			offset += 1;
			continue;
		}
		if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
			offset += 2;
			continue;
		}
		if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
			return { height: b.readUInt16BE(offset + 5), width: b.readUInt16BE(offset + 7) };
		}
		offset += 2 + b.readUInt16BE(offset + 2);
	}
	return undefined;
}

/** VP8 (lossy), VP8L (lossless) and VP8X (extended) headers. @param {Buffer} b */
function webpDimensions(b) {
	const chunkType = b.subarray(12, 16).toString('latin1');
	if (chunkType === 'VP8 ') {
		return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
	}
	if (chunkType === 'VP8L') {
		const bits = b.readUInt32LE(21);
		return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
	}
	if (chunkType === 'VP8X') {
		return { width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 };
	}
	return undefined;
}

/** Tags 256 (ImageWidth) and 257 (ImageLength) of the first IFD. @param {Buffer} b */
function tiffDimensions(b) {
	const le = b[0] === 0x49;
	const u16 = (/** @type {number} */ o) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
	const u32 = (/** @type {number} */ o) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
	const ifd = u32(4);
	const count = u16(ifd);
	/** @type {Record<number, number>} */
	const tags = {};
	for (let i = 0; i < count; i++) {
		const entry = ifd + 2 + i * 12;
		const tag = u16(entry);
		if (tag !== 256 && tag !== 257) continue;
		// Type 3 is SHORT (value in the first two bytes), type 4 LONG.
		tags[tag] = u16(entry + 2) === 3 ? u16(entry + 8) : u32(entry + 8);
	}
	return tags[256] && tags[257] ? { width: tags[256], height: tags[257] } : undefined;
}

/**
 * The first `ispe` (image spatial extents) property of a HEIF file: version/flags, then width and height
 * (32-bit each). The primary image's comes first in the files encoders write.
 * @param {Buffer} b
 */
function heifDimensions(b) {
	const at = b.indexOf('ispe', 8, 'latin1');
	if (at < 4 || at + 16 > b.length) return undefined;
	return { width: b.readUInt32BE(at + 8), height: b.readUInt32BE(at + 12) };
}
