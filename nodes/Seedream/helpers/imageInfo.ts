/**
 * What an image's first bytes tell: its format (by magic bytes, never by file name or declared MIME type)
 * and, where the header holds them, its pixel dimensions. Enough to refuse a bad reference before upload.
 */

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'bmp' | 'tiff' | 'gif' | 'heic' | 'heif';

export interface ImageInfo {
	format: ImageFormat;
	mimeType: string;
	width?: number;
	height?: number;
	/** Whether the image has an alpha channel, where the header tells (PNG, WebP; JPEG never has one). */
	alpha?: boolean;
}

const MIME_TYPES: Record<ImageFormat, string> = {
	jpeg: 'image/jpeg',
	png: 'image/png',
	webp: 'image/webp',
	bmp: 'image/bmp',
	tiff: 'image/tiff',
	gif: 'image/gif',
	heic: 'image/heic',
	heif: 'image/heif',
};

export const FILE_EXTENSIONS: Record<string, string> = {
	'image/jpeg': 'jpg',
	'image/png': 'png',
	'image/webp': 'webp',
	'image/bmp': 'bmp',
	'image/tiff': 'tiff',
	'image/gif': 'gif',
	'image/heic': 'heic',
	'image/heif': 'heif',
};

export function imageInfo(bytes: Buffer): ImageInfo | undefined {
	const format = detectFormat(bytes);
	if (!format) return undefined;
	const size = readDimensions(bytes, format);
	const alpha = hasAlpha(bytes, format);
	return {
		format,
		mimeType: MIME_TYPES[format],
		...size,
		...(alpha === undefined ? {} : { alpha }),
	};
}

function startsWith(bytes: Buffer, signature: number[], offset = 0): boolean {
	return signature.every((byte, i) => bytes[offset + i] === byte);
}

function ascii(bytes: Buffer, offset: number, length: number): string {
	return bytes.toString('latin1', offset, offset + length);
}

function detectFormat(bytes: Buffer): ImageFormat | undefined {
	if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
	if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
	if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') return 'gif';
	if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return 'webp';
	if (ascii(bytes, 0, 2) === 'BM' && bytes.length >= 26) return 'bmp';
	if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]))
		return 'tiff';
	// ISO-BMFF: an `ftyp` box whose major brand names HEIF with HEVC (heic) or another codec (heif).
	if (ascii(bytes, 4, 4) === 'ftyp') {
		const brand = ascii(bytes, 8, 4);
		if (['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx'].includes(brand)) return 'heic';
		if (['mif1', 'msf1', 'heif'].includes(brand)) return 'heif';
	}
	return undefined;
}

/**
 * PNG: colour type with alpha (4, 6) or a tRNS chunk before the image data; WebP: the VP8X alpha flag or the
 * VP8L alpha hint (lossy VP8 has none); JPEG: never. Other formats: unknown.
 */
function hasAlpha(bytes: Buffer, format: ImageFormat): boolean | undefined {
	try {
		if (format === 'jpeg') return false;
		if (format === 'png') {
			if (bytes.length < 26) return undefined;
			const colorType = bytes[25];
			if (colorType === 4 || colorType === 6) return true;
			for (let offset = 8; offset + 8 <= bytes.length; ) {
				const type = ascii(bytes, offset + 4, 4);
				if (type === 'tRNS') return true;
				if (type === 'IDAT' || type === 'IEND') return false;
				offset += 12 + bytes.readUInt32BE(offset);
			}
			return undefined;
		}
		if (format === 'webp') {
			const chunk = ascii(bytes, 12, 4);
			if (chunk === 'VP8X') return (bytes[20] & 0x10) !== 0;
			if (chunk === 'VP8L') return ((bytes.readUInt32LE(21) >>> 28) & 1) === 1;
			if (chunk === 'VP8 ') return false;
		}
	} catch {
		// A truncated header: unknown.
	}
	return undefined;
}

type Dimensions = { width?: number; height?: number };

function readDimensions(bytes: Buffer, format: ImageFormat): Dimensions {
	try {
		switch (format) {
			case 'png':
				// IHDR is always the first chunk.
				return bytes.length >= 24
					? { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) }
					: {};
			case 'gif':
				return bytes.length >= 10
					? { width: bytes.readUInt16LE(6), height: bytes.readUInt16LE(8) }
					: {};
			case 'bmp':
				return { width: Math.abs(bytes.readInt32LE(18)), height: Math.abs(bytes.readInt32LE(22)) };
			case 'webp':
				return webpDimensions(bytes);
			case 'jpeg':
				return jpegDimensions(bytes);
			case 'tiff':
				return tiffDimensions(bytes);
			case 'heic':
			case 'heif':
				// Deep in the item property boxes: left to the service (these reach it by URL only anyway).
				return {};
		}
	} catch {
		// A truncated header tells the format but not the size: the service checks the rest when it runs.
	}
	return {};
}

function webpDimensions(bytes: Buffer): Dimensions {
	const chunk = ascii(bytes, 12, 4);
	if (chunk === 'VP8 ') {
		return { width: bytes.readUInt16LE(26) & 0x3fff, height: bytes.readUInt16LE(28) & 0x3fff };
	}
	if (chunk === 'VP8L') {
		const bits = bytes.readUInt32LE(21);
		return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
	}
	if (chunk === 'VP8X') {
		return { width: bytes.readUIntLE(24, 3) + 1, height: bytes.readUIntLE(27, 3) + 1 };
	}
	return {};
}

/** Walks the JPEG markers to the first start-of-frame, which holds the size. */
function jpegDimensions(bytes: Buffer): Dimensions {
	let offset = 2;
	while (offset + 9 < bytes.length) {
		if (bytes[offset] !== 0xff) return {};
		const marker = bytes[offset + 1];
		if (marker === 0xff) {
			offset++;
			continue;
		}
		// Markers without a length: TEM and RST0-7.
		if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
			offset += 2;
			continue;
		}
		const isStartOfFrame = marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);
		if (isStartOfFrame) {
			return { height: bytes.readUInt16BE(offset + 5), width: bytes.readUInt16BE(offset + 7) };
		}
		offset += 2 + bytes.readUInt16BE(offset + 2);
	}
	return {};
}

/** Reads ImageWidth (256) and ImageLength (257) from the first IFD. */
function tiffDimensions(bytes: Buffer): Dimensions {
	const little = bytes[0] === 0x49;
	const u16 = (at: number) => (little ? bytes.readUInt16LE(at) : bytes.readUInt16BE(at));
	const u32 = (at: number) => (little ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
	const ifd = u32(4);
	const entries = u16(ifd);
	const size: Dimensions = {};
	for (let i = 0; i < entries; i++) {
		const entry = ifd + 2 + i * 12;
		const tag = u16(entry);
		if (tag !== 256 && tag !== 257) continue;
		const value = u16(entry + 2) === 3 ? u16(entry + 8) : u32(entry + 8);
		if (tag === 256) size.width = value;
		else size.height = value;
	}
	return size;
}
