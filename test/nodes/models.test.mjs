// @ts-check
// The model tables (nodes/Seedream/models) against the numbers of docs/evolink-api.md §2 and
// docs/evolink-seedream-5.md §2-§5: pure data, read from the built package, no engine or emulator.
import { createRequire } from 'node:module';
import { packageDir } from '../harness/paths.mjs';

const require = createRequire(import.meta.url);
/** @type {any} */
const models = require(`${packageDir}dist/nodes/Seedream/models/index.js`);
const byId = (/** @type {string} */ id) => models.modelRules(id);
const RATIOS = ['1:1', '2:3', '3:2', '3:4', '4:3', '4:5', '5:4', '9:16', '16:9', '21:9', '9:21'];

test('the generation models, in the picker order, and layerize on its own operation', () => {
	expect(models.modelsFor('generate').map((/** @type {any} */ m) => m.id)).toEqual([
		'doubao-seedream-4.0',
		'doubao-seedream-4.5',
		'doubao-seedream-5.0-lite',
		'doubao-seedream-5.0-pro',
	]);
	expect(models.modelsFor('decomposeLayers').map((/** @type {any} */ m) => m.id)).toEqual([
		'doubao-seedream-5.0-pro-layerize',
	]);
	expect(models.DEFAULT_MODEL).toBe('doubao-seedream-4.0');
});

test.each([
	// id, prompt chars (undefined: not pre-checked), n, presets, quality tiers and default, pixel range, priorities
	[
		'doubao-seedream-4.0',
		2000,
		15,
		['1K', '2K', '4K'],
		['1K', '2K', '4K'],
		'2K',
		[921_600, 16_777_216],
		['standard', 'fast'],
	],
	[
		'doubao-seedream-4.5',
		2000,
		15,
		['2K', '4K'],
		['2K', '4K'],
		'2K',
		[3_686_400, 16_777_216],
		['standard'],
	],
	[
		'doubao-seedream-5.0-lite',
		2000,
		15,
		[],
		['2K', '3K', '4K'],
		'2K',
		[3_686_400, 16_777_216],
		['standard'],
	],
	[
		'doubao-seedream-5.0-pro',
		undefined,
		undefined,
		[],
		['1K', '1.5K', '2K'],
		'1K',
		[921_600, 4_624_220],
		['standard', 'fast'],
	],
])(
	'%s: prompt, n, sizes, tiers, pixel range and priorities',
	(id, prompt, nMax, presets, tiers, tier, pixels, priorities) => {
		const rules = byId(id);
		expect(rules.prompt.required).toBe(true);
		expect(rules.prompt.maxCharacters).toBe(prompt);
		expect(rules.n?.max).toBe(nMax);
		if (nMax !== undefined)
			expect(rules.n).toEqual({ min: 1, max: 15, default: 1, maxWithReferences: 15 });
		expect(rules.size.presets).toEqual(presets);
		expect(rules.size.ratios).toEqual(['auto', ...RATIOS]);
		expect(rules.size.aspect).toEqual({ min: 1 / 16, max: 16 });
		expect([rules.size.pixels.min, rules.size.pixels.max]).toEqual(pixels);
		expect(rules.quality.values).toEqual(tiers);
		expect(rules.quality.default).toBe(tier);
		expect(rules.promptPriorities).toEqual(priorities);
	},
);

test('layerize: optional prompt, no size and no n, tiers auto/1K/1.5K/2K, priorities standard and fast', () => {
	const rules = byId('doubao-seedream-5.0-pro-layerize');
	expect(rules.prompt.required).toBe(false);
	expect(rules.prompt.maxCharacters).toBeUndefined();
	expect(rules.size).toBeUndefined();
	expect(rules.n).toBeUndefined();
	expect(rules.quality).toEqual({ values: ['auto', '1K', '1.5K', '2K'], default: 'auto' });
	expect(rules.promptPriorities).toEqual(['standard', 'fast']);
	expect(rules.results).toBe('layers');
	expect(models.LAYERS_MAX).toBe(17);
});

test.each([
	['doubao-seedream-4.0', 0, 14, 10, ['jpeg', 'png', 'webp', 'bmp', 'tiff', 'gif']],
	['doubao-seedream-4.5', 0, 14, 10, ['jpeg', 'png', 'webp', 'bmp', 'tiff', 'gif']],
	['doubao-seedream-5.0-lite', 0, 14, 10, ['jpeg', 'png', 'webp', 'bmp', 'tiff', 'gif']],
	[
		'doubao-seedream-5.0-pro',
		0,
		10,
		30,
		['jpeg', 'png', 'webp', 'bmp', 'tiff', 'gif', 'heic', 'heif'],
	],
	['doubao-seedream-5.0-pro-layerize', 1, 1, 30, ['png', 'jpeg']],
])('%s references: %i to %i, %i MB, formats', (id, min, max, mb, formats) => {
	const references = byId(id).references;
	expect([references.min, references.max]).toEqual([min, max]);
	expect(references.maxBytes).toBe(mb * 1024 * 1024);
	expect(references.formats).toEqual(formats);
	expect(references.aspect).toEqual({ min: 1 / 16, max: 16 });
});

test('reference pixel rules: 4.x and Lite sides 15-6000, Pro sides over 14 and 196-36M pixels, layerize 262144-36M pixels', () => {
	for (const id of ['doubao-seedream-4.0', 'doubao-seedream-4.5', 'doubao-seedream-5.0-lite']) {
		expect(byId(id).references).toMatchObject({ minSideExclusive: 14, maxSide: 6000 });
	}
	expect(byId('doubao-seedream-5.0-pro').references).toMatchObject({
		minSideExclusive: 14,
		minPixels: 196,
		maxPixels: 36_000_000,
	});
	expect(byId('doubao-seedream-5.0-pro-layerize').references).toMatchObject({
		minPixels: 262_144,
		maxPixels: 36_000_000,
	});
});

test('extra fields, each on its own model only, in its documented place', () => {
	expect(byId('doubao-seedream-4.0').extras).toEqual({});
	expect(byId('doubao-seedream-4.5').extras).toEqual({});
	expect(byId('doubao-seedream-5.0-lite').extras).toEqual({
		outputFormat: { values: ['png', 'jpeg'], default: 'jpeg', place: 'model_params' },
		webSearch: { place: 'model_params' },
	});
	expect(byId('doubao-seedream-5.0-pro').extras).toEqual({
		outputFormat: { values: ['png', 'jpeg'], default: 'jpeg', place: 'top' },
		watermark: { default: false, place: 'top' },
		background: {
			values: ['opaque', 'transparent'],
			default: 'opaque',
			place: 'top',
			transparent: { references: 1, outputFormat: 'png' },
		},
	});
	expect(byId('doubao-seedream-5.0-pro-layerize').extras).toEqual({
		outputFormat: expect.objectContaining({
			values: ['jpeg', 'png'],
			default: 'jpeg',
			place: 'top',
		}),
	});
});

describe('ratio x quality tables', () => {
	const generation = [
		'doubao-seedream-4.0',
		'doubao-seedream-4.5',
		'doubao-seedream-5.0-lite',
		'doubao-seedream-5.0-pro',
	];

	test.each(generation)(
		'%s: every listed ratio at every tier, inside the pixel range, at its ratio',
		(id) => {
			const rules = byId(id);
			for (const ratio of RATIOS) {
				const [a, b] = ratio.split(':').map(Number);
				for (const tier of rules.quality.values) {
					const cell = rules.quality.pixels[ratio]?.[tier];
					expect(cell).toHaveLength(2);
					const [width, height] = cell;
					expect(width * height).toBeGreaterThanOrEqual(rules.size.pixels.min);
					expect(width * height).toBeLessThanOrEqual(rules.size.pixels.max);
					// Cells are rounded to multiples of 16 or so: within 2% of the ratio.
					expect(Math.abs(width / height / (a / b) - 1)).toBeLessThan(0.02);
				}
			}
		},
	);

	test('inverse ratios are transposes', () => {
		for (const id of generation) {
			const table = byId(id).quality.pixels;
			for (const [ratio, inverse] of [
				['16:9', '9:16'],
				['4:3', '3:4'],
				['3:2', '2:3'],
				['5:4', '4:5'],
				['21:9', '9:21'],
			]) {
				for (const tier of Object.keys(table[ratio])) {
					expect(table[inverse][tier]).toEqual([...table[ratio][tier]].reverse());
				}
			}
		}
	});

	test('the 4.0 table (docs/evolink-api.md §2)', () => {
		const table = byId('doubao-seedream-4.0').quality.pixels;
		expect(table['1:1']).toEqual({ '1K': [1024, 1024], '2K': [2048, 2048], '4K': [4096, 4096] });
		expect(table['16:9']).toEqual({ '1K': [1280, 720], '2K': [2848, 1600], '4K': [5504, 3040] });
		expect(table['4:3']).toEqual({ '1K': [1152, 864], '2K': [2304, 1728], '4K': [4704, 3520] });
		expect(table['3:2']).toEqual({ '1K': [1248, 832], '2K': [2496, 1664], '4K': [4992, 3328] });
		expect(table['4:5']).toEqual({ '1K': [896, 1120], '2K': [1792, 2240], '4K': [3584, 4480] });
		expect(table['21:9']).toEqual({ '1K': [1512, 648], '2K': [3136, 1344], '4K': [6240, 2656] });
	});

	test("Lite: 4.0's 2K and 4K cells, and its own 3K column (docs/evolink-seedream-5.md §2)", () => {
		const lite = byId('doubao-seedream-5.0-lite').quality.pixels;
		const base = byId('doubao-seedream-4.0').quality.pixels;
		for (const ratio of RATIOS) {
			expect(lite[ratio]['2K']).toEqual(base[ratio]['2K']);
			expect(lite[ratio]['4K']).toEqual(base[ratio]['4K']);
		}
		expect(lite['1:1']['3K']).toEqual([3072, 3072]);
		expect(lite['2:3']['3K']).toEqual([2496, 3744]);
		expect(lite['3:4']['3K']).toEqual([2592, 3456]);
		expect(lite['4:5']['3K']).toEqual([2688, 3360]);
		expect(lite['9:16']['3K']).toEqual([2304, 4096]);
		expect(lite['21:9']['3K']).toEqual([4704, 2016]);
	});

	test("Pro's own table: the listed cells, and exactly the eight 1K/2K cells the docs say differ from 4.0's", () => {
		const pro = byId('doubao-seedream-5.0-pro').quality.pixels;
		expect(pro['1:1']).toEqual({ '1K': [1024, 1024], '1.5K': [1536, 1536], '2K': [2048, 2048] });
		expect(pro['2:3']).toEqual({ '1K': [832, 1248], '1.5K': [1248, 1872], '2K': [1664, 2496] });
		expect(pro['3:4']).toEqual({ '1K': [864, 1152], '1.5K': [1344, 1792], '2K': [1776, 2368] });
		expect(pro['4:5']).toEqual({ '1K': [896, 1120], '1.5K': [1344, 1680], '2K': [1792, 2240] });
		expect(pro['9:16']).toEqual({ '1K': [800, 1424], '1.5K': [1152, 2048], '2K': [1584, 2816] });
		expect(pro['9:21']).toEqual({ '1K': [672, 1568], '1.5K': [1008, 2352], '2K': [1344, 3136] });
		const base = byId('doubao-seedream-4.0').quality.pixels;
		const differing = RATIOS.flatMap((ratio) =>
			['1K', '2K']
				.filter((tier) => JSON.stringify(pro[ratio][tier]) !== JSON.stringify(base[ratio][tier]))
				.map((tier) => `${tier} ${ratio}`),
		);
		expect(differing.sort()).toEqual(
			['1K 9:16', '1K 16:9', '1K 21:9', '1K 9:21', '2K 3:4', '2K 4:3', '2K 9:16', '2K 16:9'].sort(),
		);
	});
});
