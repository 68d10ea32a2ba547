// @ts-check
// helpers/imageInfo.ts (built, dist/): what the first bytes of an image tell, for the 5.0 rules that depend on it:
// whether a binary reference has an alpha channel (5.0 Pro's transparent background, docs/evolink-seedream-5.md §3)
// and HEIC/HEIF, which Pro reads by URL but the Files API does not take (§5).
import { createRequire } from 'node:module';
import jpeg from 'jpeg-js';
import { encodePng } from '../../emulator/raster.mjs';

const require = createRequire(import.meta.url);
const { imageInfo } = require('../../dist/nodes/Seedream/helpers/imageInfo.js');

/** A PNG of this colour type with an IHDR and, optionally, a chunk of this type before an empty IDAT. */
function pngWith(/** @type {number} */ colorType, /** @type {string | undefined} */ extraChunk) {
	const chunk = (/** @type {string} */ type, /** @type {Buffer} */ data) => {
		const length = Buffer.alloc(4);
		length.writeUInt32BE(data.length);
		return Buffer.concat([length, Buffer.from(type, 'latin1'), data, Buffer.alloc(4)]);
	};
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(20, 0);
	ihdr.writeUInt32BE(10, 4);
	ihdr[8] = 8;
	ihdr[9] = colorType;
	return Buffer.concat([
		Buffer.from('89504e470d0a1a0a', 'hex'),
		chunk('IHDR', ihdr),
		...(extraChunk ? [chunk(extraChunk, Buffer.alloc(6))] : []),
		chunk('IDAT', Buffer.alloc(0)),
	]);
}

/** A WebP header of this kind: VP8X with flags, VP8L with the alpha hint bit, or lossy VP8. */
function webp(/** @type {'VP8X' | 'VP8L' | 'VP8 '} */ kind, /** @type {boolean} */ alpha) {
	const bytes = Buffer.alloc(40);
	bytes.write('RIFF', 0, 'latin1');
	bytes.write('WEBP', 8, 'latin1');
	bytes.write(kind, 12, 'latin1');
	if (kind === 'VP8X') bytes[20] = alpha ? 0x10 : 0;
	if (kind === 'VP8L') bytes.writeUInt32LE((alpha ? 1 << 28 : 0) | (9 << 14) | 19, 21);
	return bytes;
}

test.each([
	[
		'an RGBA PNG',
		async () => await encodePng({ width: 4, height: 4, data: Buffer.alloc(64, 9) }, 4),
		true,
	],
	[
		'an RGB PNG',
		async () => await encodePng({ width: 4, height: 4, data: Buffer.alloc(48, 9) }, 3),
		false,
	],
	['a grey + alpha PNG (colour type 4)', async () => pngWith(4), true],
	['an RGB PNG with a tRNS chunk', async () => pngWith(2, 'tRNS'), true],
	['a palette PNG without tRNS', async () => pngWith(3, 'PLTE'), false],
	[
		'a JPEG',
		async () => jpeg.encode({ width: 4, height: 4, data: Buffer.alloc(64, 9) }, 80).data,
		false,
	],
	['a WebP VP8X with the alpha flag', async () => webp('VP8X', true), true],
	['a WebP VP8X without it', async () => webp('VP8X', false), false],
	['a lossless WebP with the alpha hint', async () => webp('VP8L', true), true],
	['a lossy WebP (VP8)', async () => webp('VP8 ', false), false],
	[
		'a GIF (not read: unknown)',
		async () => Buffer.from('GIF89a\x04\x00\x04\x00\x00\x00\x00', 'latin1'),
		undefined,
	],
])('alpha of %s', async (_, bytes, alpha) => {
	expect(imageInfo(await bytes())?.alpha).toBe(alpha);
});

test.each([
	['heic', 'heic', 'image/heic'],
	['heix', 'heic', 'image/heic'],
	['mif1', 'heif', 'image/heif'],
	['msf1', 'heif', 'image/heif'],
])('an ISO-BMFF file of brand %s is %s', (brand, format, mimeType) => {
	const bytes = Buffer.alloc(32);
	bytes.writeUInt32BE(24, 0);
	bytes.write(`ftyp${brand}`, 4, 'latin1');
	expect(imageInfo(bytes)).toMatchObject({ format, mimeType });
});

test('another ISO-BMFF brand (an MP4) is no image', () => {
	const bytes = Buffer.alloc(32);
	bytes.writeUInt32BE(24, 0);
	bytes.write('ftypisom', 4, 'latin1');
	expect(imageInfo(bytes)).toBeUndefined();
});
