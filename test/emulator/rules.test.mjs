// @ts-check
// The emulator's rule tables and pure readings, without HTTP: every model's pixel table is complete and inside its
// own size range; the prompt token estimate and the <bbox> reading of docs/evolink-seedream-5.md §4 and §7.
import { describe, expect, test } from '@jest/globals';
import { MODEL_RULES, RATIOS } from '../../emulator/models.mjs';
import { parseBoxes, promptTokenHundredths } from '../../emulator/validation.mjs';

describe('the model tables', () => {
	test.each(Object.keys(MODEL_RULES))(
		'%s: a cell for every listed ratio at every tier',
		(model) => {
			const { ratioTable, qualities } = MODEL_RULES[model];
			for (const ratio of RATIOS) {
				for (const quality of qualities.filter((q) => q !== 'auto')) {
					const cell = ratioTable[ratio]?.[quality];
					expect({
						ratio,
						quality,
						ok: Array.isArray(cell) && cell.every(Number.isInteger),
					}).toEqual({
						ratio,
						quality,
						ok: true,
					});
					const [w, h] = /** @type {[number, number]} */ (cell);
					const [rw, rh] = ratio.split(':').map(Number);
					// Each cell has its ratio's orientation and is within 5% of it.
					expect(Math.abs(w / h / (rw / rh) - 1)).toBeLessThan(0.05);
				}
			}
		},
	);
	test.each(
		Object.values(MODEL_RULES)
			.filter((rules) => rules.size)
			.map((rules) => [rules.id]),
	)('%s: every cell at the tiers it offers is inside its own pixel range', (model) => {
		const { ratioTable, qualities, size } = MODEL_RULES[model];
		const { areaMin, areaMax } = /** @type {NonNullable<typeof size>} */ (size);
		for (const ratio of RATIOS) {
			for (const quality of qualities) {
				const [w, h] = ratioTable[ratio][quality];
				expect({
					ratio,
					quality,
					area: w * h,
					inRange: w * h >= areaMin && w * h <= areaMax,
				}).toEqual({
					ratio,
					quality,
					area: w * h,
					inRange: true,
				});
			}
		}
	});
	test('Pro and layerize share the Pro table; Lite and 4.0 share the 2K and 4K columns (§2, §3, §7)', () => {
		const pro = MODEL_RULES['doubao-seedream-5.0-pro'].ratioTable;
		expect(MODEL_RULES['doubao-seedream-5.0-pro-layerize'].ratioTable).toBe(pro);
		const lite = MODEL_RULES['doubao-seedream-5.0-lite'].ratioTable;
		const v40 = MODEL_RULES['doubao-seedream-4.0'].ratioTable;
		for (const ratio of RATIOS) {
			expect([lite[ratio]['2K'], lite[ratio]['4K']]).toEqual([v40[ratio]['2K'], v40[ratio]['4K']]);
		}
		// §3: "Eight cells differ from the 4.0 table": 1K 9:16, 16:9, 21:9, 9:21; 2K 3:4, 4:3, 9:16, 16:9.
		const differing = RATIOS.flatMap((ratio) =>
			['1K', '2K']
				.filter((q) => String(pro[ratio][q]) !== String(v40[ratio][q]))
				.map((q) => `${q} ${ratio}`),
		);
		expect(differing.sort()).toEqual(
			['1K 9:16', '1K 16:9', '1K 21:9', '1K 9:21', '2K 3:4', '2K 4:3', '2K 9:16', '2K 16:9'].sort(),
		);
	});
});

describe('the prompt token estimate (§7: 1.54 × CJK characters + 0.8 × other words)', () => {
	test.each([
		['', 0],
		['a red kite', 240],
		['  spaced   out  ', 160],
		['山水', 308],
		['山水 in ink', 308 + 160],
		['ひらがな カタカナ 한국어', 154 * 11],
	])('%p → %p hundredths', (prompt, expected) =>
		expect(promptTokenHundredths(prompt)).toBe(expected),
	);
});

describe('<bbox> regions (§4)', () => {
	test('a label before each tag; commas or spaces between the numbers', () => {
		expect(
			parseBoxes(
				'title text<bbox>179 58 809 197</bbox>; the logo <bbox>0,500,250,1000</bbox> rest',
			),
		).toEqual([
			{ label: 'title text', box: [179, 58, 809, 197] },
			{ label: 'the logo', box: [0, 500, 250, 1000] },
		]);
	});
	test('a prompt without tags has no boxes', () =>
		expect(parseBoxes('split the person from the sky')).toEqual([]));
	test('at most 16 boxes (17 images with the base)', () =>
		expect(parseBoxes('x<bbox>0 0 10 10</bbox>'.repeat(20))).toHaveLength(16));
});
