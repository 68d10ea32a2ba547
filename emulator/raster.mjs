// @ts-check
/**
 * Pixels in memory, for what the 5.0 models do with a reference's content (docs/evolink-seedream-5.md §3, §4):
 * decoding PNG and JPEG references to RGBA (transparent keeps the reference's alpha; layerize splits the
 * input), resampling, and encoding the results as real PNG (RGB or RGBA) and JPEG files.
 */
import * as zlib from 'node:zlib';
import jpeg from 'jpeg-js';

/** @typedef {{ width: number, height: number, data: Buffer }} Raster 8-bit samples, `channels` per pixel */

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** @type {(data: Buffer) => number} */
const crc32 = /** @type {any} */ (zlib).crc32;
const CHANNELS = /** @type {Record<number, number>} */ ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 });
// A 6000×6000 reference decodes to 144 MB of RGBA; jpeg-js refuses more than its default 512 MB budget.
const JPEG_DECODE_LIMITS = { maxResolutionInMP: 37, maxMemoryUsageInMB: 512 };

/**
 * RGBA of a PNG (any colour type, bit depth 8 or 16, palette with tRNS; not interlaced) or a JPEG.
 * Throws when the bytes cannot be decoded.
 * @param {Buffer} bytes @param {string} format
 * @returns {Raster}
 */
export function decodeRgba(bytes, format) {
	if (format === 'png') return decodePng(bytes);
	if (format === 'jpeg') {
		const image = jpeg.decode(bytes, { formatAsRGBA: true, ...JPEG_DECODE_LIMITS });
		return { width: image.width, height: image.height, data: image.data };
	}
	throw new Error(`the emulator cannot decode ${format} pixels`);
}

/** @param {Buffer} bytes @returns {Raster} */
function decodePng(bytes) {
	if (!bytes.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('not a PNG');
	let offset = 8;
	/** @type {Buffer[]} */
	const idat = [];
	let header;
	/** @type {Buffer | undefined} */
	let palette;
	/** @type {Buffer | undefined} */
	let transparency;
	while (offset + 8 <= bytes.length) {
		const length = bytes.readUInt32BE(offset);
		const type = bytes.toString('latin1', offset + 4, offset + 8);
		const data = bytes.subarray(offset + 8, offset + 8 + length);
		if (type === 'IHDR') {
			header = {
				width: data.readUInt32BE(0),
				height: data.readUInt32BE(4),
				depth: data[8],
				colorType: data[9],
				interlace: data[12],
			};
		} else if (type === 'PLTE') palette = data;
		else if (type === 'tRNS') transparency = data;
		else if (type === 'IDAT') idat.push(data);
		else if (type === 'IEND') break;
		offset += 12 + length;
	}
	if (!header) throw new Error('no IHDR');
	const { width, height, depth, colorType, interlace } = header;
	const channels = CHANNELS[colorType];
	if (!channels || !(depth === 8 || depth === 16) || interlace !== 0) {
		throw new Error(
			`unsupported PNG (colour type ${colorType}, depth ${depth}, interlace ${interlace})`,
		);
	}
	const bytesPerPixel = (channels * depth) / 8;
	const stride = width * bytesPerPixel;
	const raw = zlib.inflateSync(Buffer.concat(idat));
	if (raw.length < (stride + 1) * height) throw new Error('truncated PNG data');
	const rgba = Buffer.alloc(width * height * 4);
	let previous = Buffer.alloc(stride);
	for (let y = 0; y < height; y++) {
		const filter = raw[y * (stride + 1)];
		const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
		unfilter(filter, line, previous, bytesPerPixel);
		expandRow(line, rgba, y * width * 4, width, colorType, depth / 8, palette, transparency);
		previous = line;
	}
	return { width, height, data: rgba };
}

/**
 * One unfiltered PNG row to RGBA (16-bit samples keep their high byte).
 * @param {Buffer} line @param {Buffer} rgba @param {number} out @param {number} width @param {number} colorType
 * @param {number} step bytes per sample @param {Buffer | undefined} palette @param {Buffer | undefined} transparency
 */
function expandRow(line, rgba, out, width, colorType, step, palette, transparency) {
	const channels = CHANNELS[colorType];
	for (let x = 0, i = 0, o = out; x < width; x++, i += channels * step, o += 4) {
		if (colorType === 6 || colorType === 2) {
			rgba[o] = line[i];
			rgba[o + 1] = line[i + step];
			rgba[o + 2] = line[i + 2 * step];
			rgba[o + 3] = colorType === 6 ? line[i + 3 * step] : 255;
		} else if (colorType === 3) {
			const index = line[i];
			if (palette) {
				rgba[o] = palette[index * 3];
				rgba[o + 1] = palette[index * 3 + 1];
				rgba[o + 2] = palette[index * 3 + 2];
			}
			rgba[o + 3] = transparency && index < transparency.length ? transparency[index] : 255;
		} else {
			rgba[o] = rgba[o + 1] = rgba[o + 2] = line[i];
			rgba[o + 3] = colorType === 4 ? line[i + step] : 255;
		}
	}
}

/** PNG filters 0-4, in place. @param {number} filter @param {Buffer} line @param {Buffer} above @param {number} bpp */
function unfilter(filter, line, above, bpp) {
	if (filter === 0) return;
	for (let i = 0; i < line.length; i++) {
		const left = i >= bpp ? line[i - bpp] : 0;
		const up = above[i];
		const upLeft = i >= bpp ? above[i - bpp] : 0;
		let predictor = 0;
		if (filter === 1) predictor = left;
		else if (filter === 2) predictor = up;
		else if (filter === 3) predictor = (left + up) >>> 1;
		else if (filter === 4) {
			const p = left + up - upLeft;
			const pa = Math.abs(p - left);
			const pb = Math.abs(p - up);
			const pc = Math.abs(p - upLeft);
			predictor = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
		} else if (filter !== 0) throw new Error(`bad PNG filter ${filter}`);
		line[i] = (line[i] + predictor) & 0xff;
	}
}

/**
 * Nearest-neighbour resampling of an image with `channels` samples per pixel.
 * @param {Raster} source @param {number} channels @param {number} width @param {number} height
 * @returns {Raster}
 */
export function resample(source, channels, width, height) {
	const data = Buffer.alloc(width * height * channels);
	const columns = Int32Array.from({ length: width }, (_, x) =>
		Math.min(source.width - 1, Math.floor(((x + 0.5) * source.width) / width)),
	);
	const from = source.data;
	for (let y = 0, to = 0; y < height; y++) {
		const sy = Math.min(source.height - 1, Math.floor(((y + 0.5) * source.height) / height));
		const row = sy * source.width;
		for (let x = 0; x < width; x++) {
			// Byte by byte: a subarray per pixel costs ten times more.
			for (let c = 0, i = (row + columns[x]) * channels; c < channels; c++)
				data[to++] = from[i + c];
		}
	}
	return { width, height, data };
}

/** Every pixel the same: nothing for layerize to split (docs/evolink-seedream-5.md §7). @param {Raster} rgba */
export function isUniform(rgba) {
	const first = rgba.data.readUInt32BE(0);
	for (let i = 4; i < rgba.data.length; i += 4)
		if (rgba.data.readUInt32BE(i) !== first) return false;
	return true;
}

/** @param {string} type @param {Buffer} data */
function chunk(type, data) {
	const out = Buffer.alloc(12 + data.length);
	out.writeUInt32BE(data.length, 0);
	out.write(type, 4, 'latin1');
	data.copy(out, 8);
	out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
	return out;
}

/**
 * A PNG of 8-bit RGB (3 channels) or RGBA (4), filter Up on every row.
 * @param {Raster} image @param {3 | 4} channels
 */
export async function encodePng(image, channels) {
	const { width, height, data } = image;
	const stride = width * channels;
	const raw = Buffer.alloc((stride + 1) * height);
	for (let y = 0; y < height; y++) {
		const out = y * (stride + 1);
		raw[out] = 2;
		const row = y * stride;
		for (let i = 0; i < stride; i++)
			raw[out + 1 + i] = data[row + i] - (y ? data[row - stride + i] : 0);
	}
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(width, 0);
	ihdr.writeUInt32BE(height, 4);
	ihdr[8] = 8;
	ihdr[9] = channels === 4 ? 6 : 2;
	const idat = await new Promise((resolve, reject) =>
		zlib.deflate(raw, { level: 1 }, (error, out) => (error ? reject(error) : resolve(out))),
	);
	return Buffer.concat([
		PNG_SIGNATURE,
		chunk('IHDR', ihdr),
		chunk('IDAT', idat),
		chunk('IEND', Buffer.alloc(0)),
	]);
}

/** A baseline JPEG (quality 90) of an RGB image. @param {Raster} rgb */
export function encodeJpeg(rgb) {
	const { width, height, data } = rgb;
	const rgba = Buffer.alloc(width * height * 4, 255);
	for (let i = 0, o = 0; i < data.length; i += 3, o += 4) {
		rgba[o] = data[i];
		rgba[o + 1] = data[i + 1];
		rgba[o + 2] = data[i + 2];
	}
	return jpeg.encode({ width, height, data: rgba }, 90).data;
}
