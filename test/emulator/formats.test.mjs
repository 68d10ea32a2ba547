// @ts-check
// docs/evolink-api.md §2/§7, docs/evolink-seedream-5.md §3: formats by magic bytes and dimensions from headers, for the variants the integration tests do not send.
import { describe, expect, test } from '@jest/globals';
import { imageDimensions, sniffFormat } from '../../emulator/formats.mjs';
import { headerImage, pngOf } from './helpers.mjs';

/** RIFF/WEBP with one chunk of the given type; `fill` writes its payload. */
function webp(/** @type {string} */ chunk, /** @type {(b: Buffer) => void} */ fill) {
	const b = Buffer.alloc(40);
	b.write('RIFF', 0, 'latin1');
	b.writeUInt32LE(32, 4);
	b.write('WEBP', 8, 'latin1');
	b.write(chunk, 12, 'latin1');
	b.writeUInt32LE(20, 16);
	fill(b);
	return b;
}

const cases = {
	'PNG (the emulator renderer)': [await pngOf(33, 17), 'png', 33, 17],
	'JPEG baseline after APP0': [headerImage('jpeg', 800, 600), 'jpeg', 800, 600],
	'JPEG progressive (SOF2) after a DQT segment': [
		Buffer.from(
			'ffd8' + 'ffdb00040000' + 'ffc2001108' + '0258' + '0320' + '03' + '00'.repeat(20),
			'hex',
		),
		'jpeg',
		800,
		600,
	],
	GIF: [headerImage('gif', 300, 200), 'gif', 300, 200],
	'WebP VP8X': [headerImage('webp', 1024, 768), 'webp', 1024, 768],
	'WebP VP8 (lossy)': [
		webp('VP8 ', (b) => {
			Buffer.from('9d012a', 'hex').copy(b, 23);
			b.writeUInt16LE(640, 26);
			b.writeUInt16LE(480, 28);
		}),
		'webp',
		640,
		480,
	],
	'WebP VP8L (lossless)': [
		webp('VP8L', (b) => {
			b[20] = 0x2f;
			b.writeUInt32LE((1000 - 1) | ((500 - 1) << 14), 21);
		}),
		'webp',
		1000,
		500,
	],
	'BMP (BITMAPINFOHEADER, top-down)': [headerImage('bmp', 640, 480), 'bmp', 640, 480],
	'BMP (BITMAPCOREHEADER)': [
		(() => {
			const b = Buffer.alloc(32);
			b.write('BM', 0, 'latin1');
			b.writeUInt32LE(12, 14);
			b.writeUInt16LE(320, 18);
			b.writeUInt16LE(240, 20);
			return b;
		})(),
		'bmp',
		320,
		240,
	],
	'TIFF big-endian': [headerImage('tiff', 500, 400), 'tiff', 500, 400],
	// docs/evolink-seedream-5.md §3: 5.0 Pro takes HEIC and HEIF references.
	'HEIC (ftyp heic, ispe)': [headerImage('heic', 4032, 3024), 'heic', 4032, 3024],
	'HEIF (ftyp mif1, ispe)': [headerImage('heif', 3000, 2000), 'heif', 3000, 2000],
	'TIFF little-endian': [
		(() => {
			const b = Buffer.alloc(40);
			Buffer.from('49492a0008000000', 'hex').copy(b, 0);
			b.writeUInt16LE(2, 8);
			b.writeUInt16LE(256, 10);
			b.writeUInt16LE(4, 12);
			b.writeUInt32LE(1, 14);
			b.writeUInt32LE(7000, 18);
			b.writeUInt16LE(257, 22);
			b.writeUInt16LE(3, 24);
			b.writeUInt32LE(1, 26);
			b.writeUInt16LE(90, 30);
			return b;
		})(),
		'tiff',
		7000,
		90,
	],
};

describe('sniffFormat and imageDimensions', () => {
	test.each(Object.entries(cases))('%s', (_, [bytes, format, width, height]) => {
		const sniffed = sniffFormat(/** @type {Buffer} */ (bytes));
		expect(sniffed?.format).toBe(format);
		expect(imageDimensions(/** @type {Buffer} */ (bytes), String(format))).toEqual({
			width,
			height,
		});
	});

	test('unknown bytes and short buffers are no format; a truncated header has no dimensions', () => {
		expect(sniffFormat(Buffer.from('hello, world, not an image'))).toBeUndefined();
		expect(sniffFormat(Buffer.from('ffd8ff', 'hex'))).toBeUndefined();
		expect(imageDimensions(Buffer.from('ffd8ffe0001000', 'hex'), 'jpeg')).toBeUndefined();
		expect(imageDimensions(Buffer.from('GIF89a', 'latin1'), 'gif')).toBeUndefined();
	});
});
