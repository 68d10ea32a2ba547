// @ts-check
/**
 * 5.0 Pro layerize (docs/evolink-seedream-5.md §4, §7): the input becomes a base image (z_index 0) at the
 * resolved size, and each layer is the crop of the base over its box, a PNG whose alpha is an ellipse that
 * touches all four sides of the box, so the box is exactly the bounding box of the layer's visible pixels.
 * One layer per <bbox> tag of the prompt, otherwise `layerizeLayers` of the emulator config (2 by default).
 */
import { createHash } from 'node:crypto';
import { encodeJpeg, encodePng, resample } from './raster.mjs';

/**
 * @typedef {import('./raster.mjs').Raster} Raster
 * @typedef {{ zIndex: number, name: string, description: string,
 *   absolute: [number, number, number, number], normalized: [number, number, number, number] }} Layer
 */

/**
 * The layers' boxes in base pixels: the prompt's <bbox> regions (0-1000 normalised), or `count` boxes placed
 * by a generator seeded with the task id.
 * @param {import('./validation.mjs').BoxRequest[]} requested
 * @param {number} count layers to make when the prompt has no <bbox>
 * @param {number} width @param {number} height of the base
 * @param {string} seed
 * @returns {Layer[]}
 */
export function planLayers(requested, count, width, height, seed) {
	/** @type {{ label: string, box: [number, number, number, number] }[]} */
	let boxes;
	if (requested.length) {
		boxes = requested.map(({ label, box: [x1, y1, x2, y2] }) => {
			const left = Math.min(width - 1, Math.round((x1 * width) / 1000));
			const top = Math.min(height - 1, Math.round((y1 * height) / 1000));
			return {
				label,
				box: [
					left,
					top,
					Math.max(left + 1, Math.round((x2 * width) / 1000)),
					Math.max(top + 1, Math.round((y2 * height) / 1000)),
				],
			};
		});
	} else {
		const hash = createHash('sha256').update(seed).digest();
		const fraction = (/** @type {number} */ i) => hash[i % hash.length] / 255;
		boxes = Array.from({ length: count }, (_, i) => {
			const w = Math.max(1, Math.round(width * (0.2 + 0.4 * fraction(i * 4))));
			const h = Math.max(1, Math.round(height * (0.2 + 0.4 * fraction(i * 4 + 1))));
			const left = Math.round((width - w) * fraction(i * 4 + 2));
			const top = Math.round((height - h) * fraction(i * 4 + 3));
			return { label: '', box: [left, top, left + w, top + h] };
		});
	}
	return boxes.map(({ label, box }, i) => ({
		zIndex: i + 1,
		name: label || `element ${i + 1}`,
		description: label
			? `the ${label} region of the image`
			: `a major element of the image (${i + 1})`,
		absolute: box,
		normalized: /** @type {[number, number, number, number]} */ ([
			Math.round((box[0] * 1000) / width),
			Math.round((box[1] * 1000) / height),
			Math.round((box[2] * 1000) / width),
			Math.round((box[3] * 1000) / height),
		]),
	}));
}

/**
 * The base: the input at the base size, its alpha flattened onto white (a JPEG has none).
 * @param {Raster} input RGBA @param {number} width @param {number} height
 * @returns {Raster} RGB
 */
export function baseImage(input, width, height) {
	const rgba = resample(input, 4, width, height);
	const rgb = Buffer.alloc(width * height * 3);
	const from = rgba.data;
	for (let i = 0, o = 0; i < from.length; i += 4, o += 3) {
		const a = from[i + 3];
		if (a === 255) {
			rgb[o] = from[i];
			rgb[o + 1] = from[i + 1];
			rgb[o + 2] = from[i + 2];
		} else {
			for (let c = 0; c < 3; c++)
				rgb[o + c] = Math.round((from[i + c] * a + 255 * (255 - a)) / 255);
		}
	}
	return { width, height, data: rgb };
}

/** @param {Raster} base RGB @param {'png' | 'jpeg'} format */
export const encodeBase = (base, format) =>
	format === 'jpeg' ? encodeJpeg(base) : encodePng(base, 3);

/**
 * A layer's PNG: the base's pixels inside the box, opaque inside the ellipse inscribed in it (and on its middle
 * row and column), transparent elsewhere.
 * @param {Raster} base RGB @param {Layer} layer
 */
export function encodeLayer(base, layer) {
	const [x1, y1, x2, y2] = layer.absolute;
	const width = x2 - x1;
	const height = y2 - y1;
	const data = Buffer.alloc(width * height * 4);
	// The middle row and column, kept opaque: a thin box's ellipse can miss its edge pixels otherwise.
	const midX = (width - 1) >> 1;
	const midY = (height - 1) >> 1;
	for (let y = 0; y < height; y++) {
		const dy = (y + 0.5 - height / 2) / (height / 2);
		for (let x = 0; x < width; x++) {
			const dx = (x + 0.5 - width / 2) / (width / 2);
			const from = ((y1 + y) * base.width + x1 + x) * 3;
			const to = (y * width + x) * 4;
			data[to] = base.data[from];
			data[to + 1] = base.data[from + 1];
			data[to + 2] = base.data[from + 2];
			const inside = dx * dx + dy * dy <= 1 || x === midX || y === midY;
			data[to + 3] = inside ? 255 : 0;
		}
	}
	return encodePng({ width, height, data }, 4);
}
