// @ts-check
// Issue 17, finding 10: the node's model tables and the emulator's agree on every boundary of
// docs/evolink-api.md §2 and docs/evolink-seedream-5.md §2-§5. Each side is probed on its own: the node through
// its validation (dist/nodes/Seedream/helpers/validate.js, error or none), the emulator over real HTTP (400 or
// 200 at submit; for binary references, its Files upload and then the task's reference check). The boundaries:
// prompt length, n, references per task, prompt_priority, every ratio x tier, size presets, pixel range and
// aspect, output_format and background where a model has them, and each reference's bytes, sides, pixels,
// aspect and format. Each answer is also checked against the docs' answer written below, so a rule both sides
// got wrong fails as well.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createRequire } from 'node:module';
import { packageDir } from '../harness/paths.mjs';
import { emulator, headerImage, padded } from '../emulator/helpers.mjs';

const require = createRequire(import.meta.url);
// The node modules this test reads (the paths least likely to move): the model tables and the validator.
/** @type {any} */
const models = require(`${packageDir}dist/nodes/Seedream/models/index.js`);
/** @type {any} */
const { Validator } = require(`${packageDir}dist/nodes/Seedream/helpers/validate.js`);
/** @type {any} */
const { imageInfo } = require(`${packageDir}dist/nodes/Seedream/helpers/imageInfo.js`);

const NODE = {
	id: 'agreement',
	name: 'Seedream',
	type: 'n8n-nodes-seedream.seedream',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};
const MB = 1024 * 1024;
const RATIOS = [
	'auto',
	'1:1',
	'2:3',
	'3:2',
	'3:4',
	'4:3',
	'4:5',
	'5:4',
	'9:16',
	'16:9',
	'21:9',
	'9:21',
];
const ALL_TIERS = ['auto', '1K', '1.5K', '2K', '3K', '4K'];

const V40 = 'doubao-seedream-4.0';
const V45 = 'doubao-seedream-4.5';
const LITE = 'doubao-seedream-5.0-lite';
const PRO = 'doubao-seedream-5.0-pro';
const LAYERIZE = 'doubao-seedream-5.0-pro-layerize';

/**
 * A create in the API's terms, which each side reads in its own way.
 * @typedef {{ prompt?: string, n?: number, size?: string, quality?: string, prompt_priority?: string,
 *   references?: number, output_format?: string, background?: string }} Probe
 */

/** A valid create for each model, which each boundary changes in one field. @type {Record<string, Probe>} */
const VALID = {
	[V40]: { prompt: 'a lighthouse', n: 1, size: '1:1', quality: '2K', prompt_priority: 'standard' },
	[V45]: { prompt: 'a lighthouse', n: 1, size: '1:1', quality: '2K', prompt_priority: 'standard' },
	[LITE]: { prompt: 'a lighthouse', n: 1, size: '1:1', quality: '2K', prompt_priority: 'standard' },
	[PRO]: { prompt: 'a lighthouse', size: '1:1', quality: '1K', prompt_priority: 'standard' },
	[LAYERIZE]: { quality: 'auto', prompt_priority: 'standard', references: 1 },
};

/** The node's answer: its validator builds the create body, or refuses. @param {string} model @param {Probe} probe */
function nodeAnswer(model, probe) {
	const rules = models.modelRules(model);
	const size = probe.size;
	const sizeChoice =
		size === undefined
			? undefined
			: /^\d+x\d+$/.test(size)
				? { mode: 'custom', width: Number(size.split('x')[0]), height: Number(size.split('x')[1]) }
				: RATIOS.includes(size)
					? { mode: 'ratio', ratio: size, quality: probe.quality }
					: { mode: 'preset', preset: size };
	try {
		new Validator(NODE, 0).create(
			rules,
			{
				prompt: probe.prompt ?? '',
				n: probe.n,
				size: sizeChoice,
				quality: rules.size ? undefined : probe.quality,
				promptPriority: probe.prompt_priority ?? 'standard',
				callbackUrl: '',
				referenceCount: probe.references ?? 0,
				outputFormat: probe.output_format,
				background: probe.background,
			},
			{ allowInternalCallback: true },
		);
		return 'accepted';
	} catch (error) {
		if (/** @type {Error} */ (error).name !== 'NodeOperationError') throw error;
		return 'refused';
	}
}

/** @type {Awaited<ReturnType<typeof emulator>>} */
let emu;
beforeAll(async () => {
	// Tasks run at once; reference URLs on a public-looking host are never fetched (the emulator reaches loopback only).
	emu = await emulator({ taskMs: 0, credits: 10_000_000 });
});
afterAll(() => emu.close());

/** The emulator's answer at submit. @param {string} model @param {Probe} probe */
async function emulatorAnswer(model, probe) {
	const { references, output_format, ...fields } = probe;
	const body = {
		model,
		...fields,
		// Each model's documented place (docs/evolink-seedream-5.md §2-§4): Lite's model_params, the others' top level.
		...(output_format === undefined
			? {}
			: model === LITE
				? { model_params: { output_format } }
				: { output_format }),
		...(references !== undefined
			? {
					image_urls: Array.from({ length: references }, (_, i) => `https://refs.example/${i}.png`),
				}
			: {}),
	};
	const { status, json } = await emu.request('POST', '/v1/images/generations', { body });
	if (status === 200) return 'accepted';
	if (status === 400) return 'refused';
	throw new Error(`unexpected ${status} ${JSON.stringify(json)}`);
}

/**
 * Boundaries of one model: [label, the change to its valid create, the docs' answer].
 * @param {string} model @returns {[string, Probe, 'accepted' | 'refused'][]}
 */
function boundaries(model) {
	/** @type {[string, Probe, 'accepted' | 'refused'][]} */
	const rows = [];
	const ok = (/** @type {string} */ label, /** @type {Probe} */ change, yes = true) =>
		rows.push([label, change, yes ? 'accepted' : 'refused']);
	const rules = {
		[V40]: {
			chars: 2000,
			n: true,
			priorities: ['standard', 'fast'],
			refs: 14,
			tiers: ['1K', '2K', '4K'],
			presets: ['1K', '2K', '4K'],
			area: [921_600, 16_777_216],
		},
		[V45]: {
			chars: 2000,
			n: true,
			priorities: ['standard'],
			refs: 14,
			tiers: ['2K', '4K'],
			presets: ['2K', '4K'],
			area: [3_686_400, 16_777_216],
		},
		[LITE]: {
			chars: 2000,
			n: true,
			priorities: ['standard'],
			refs: 14,
			tiers: ['2K', '3K', '4K'],
			presets: [],
			area: [3_686_400, 16_777_216],
		},
		// Pro's prompt is 4000 tokens: the node does not pre-check it (docs/evolink-seedream-5.md §7), so no boundary here.
		[PRO]: {
			chars: undefined,
			n: false,
			priorities: ['standard', 'fast'],
			refs: 10,
			tiers: ['1K', '1.5K', '2K'],
			presets: [],
			area: [921_600, 4_624_220],
		},
		[LAYERIZE]: {
			chars: undefined,
			n: false,
			priorities: ['standard', 'fast'],
			refs: 1,
			tiers: ['auto', '1K', '1.5K', '2K'],
			presets: [],
			area: undefined,
		},
	}[model];

	if (model === LAYERIZE) {
		ok('prompt omitted (optional)', { prompt: undefined });
		ok('no reference (exactly 1)', { references: 0 }, false);
		ok('2 references (exactly 1)', { references: 2 }, false);
	} else {
		ok('empty prompt', { prompt: '' }, false);
		ok(`${rules.refs} references`, { references: rules.refs });
		ok(`${rules.refs + 1} references`, { references: rules.refs + 1 }, false);
	}
	if (rules.chars) {
		ok(`prompt of ${rules.chars} characters`, { prompt: 'a'.repeat(rules.chars) });
		ok(`prompt of ${rules.chars + 1} characters`, { prompt: 'a'.repeat(rules.chars + 1) }, false);
	}
	if (rules.n) {
		for (const n of [1, 15]) ok(`n ${n}`, { n });
		for (const n of [0, 16, 2.5]) ok(`n ${n}`, { n }, false);
	}
	if ([LITE, PRO, LAYERIZE].includes(model)) {
		for (const format of ['png', 'jpeg', 'webp'])
			ok(`output_format ${format}`, { output_format: format }, format !== 'webp');
	}
	if (model === PRO) {
		// docs/evolink-seedream-5.md §3, §7: transparent needs exactly one reference and refuses jpeg output.
		ok('background opaque', { background: 'opaque' });
		ok('background white', { background: 'white' }, false);
		ok('background transparent, 1 reference, png', {
			background: 'transparent',
			references: 1,
			output_format: 'png',
		});
		ok(
			'background transparent, no reference',
			{ background: 'transparent', references: 0, output_format: 'png' },
			false,
		);
		ok(
			'background transparent, 2 references',
			{ background: 'transparent', references: 2, output_format: 'png' },
			false,
		);
		ok(
			'background transparent, jpeg',
			{ background: 'transparent', references: 1, output_format: 'jpeg' },
			false,
		);
	}
	for (const priority of ['standard', 'fast', 'slow'])
		ok(
			`prompt_priority ${priority}`,
			{ prompt_priority: priority },
			rules.priorities.includes(priority),
		);
	if (model === LAYERIZE) {
		for (const tier of ALL_TIERS)
			ok(`quality ${tier}`, { quality: tier }, rules.tiers.includes(tier));
		return rows;
	}
	for (const ratio of RATIOS) {
		for (const tier of ALL_TIERS)
			ok(
				`size ${ratio} quality ${tier}`,
				{ size: ratio, quality: tier },
				rules.tiers.includes(tier),
			);
	}
	ok('size 7:3 (not a listed ratio)', { size: '7:3', quality: rules.tiers[0] }, false);
	for (const preset of ['1K', '2K', '3K', '4K']) {
		ok(
			`size ${preset} (a preset)`,
			{ size: preset, quality: undefined },
			rules.presets.includes(preset),
		);
	}
	const [min, max] = /** @type {[number, number]} */ (rules.area);
	/** Sizes at the area and aspect limits: [W, H] exactly at a limit, and one pixel past it. */
	const atMin = { 921_600: [1280, 720], 3_686_400: [2560, 1440] }[min];
	const atMax = { 16_777_216: [4096, 4096], 4_624_220: [2830, 1634] }[max];
	const sized = (/** @type {number} */ w, /** @type {number} */ h, yes = true) =>
		ok(`size ${w}x${h}`, { size: `${w}x${h}`, quality: undefined }, yes);
	sized(atMin[0], atMin[1]);
	sized(atMin[0] - 1, atMin[1], false);
	sized(atMax[0], atMax[1]);
	sized(atMax[0] + 1, atMax[1], false);
	sized(1024, 1024, min <= 1024 * 1024);
	// W/H 16 at the smallest area, and one pixel wider (or taller).
	const side = Math.sqrt(min / 16);
	sized(16 * side, side);
	sized(16 * side + 1, side, false);
	sized(side, 16 * side);
	sized(side, 16 * side + 1, false);
	return rows;
}

describe.each([V40, V45, LITE, PRO, LAYERIZE])('%s', (model) => {
	test('its valid create is accepted by both', async () => {
		expect(nodeAnswer(model, VALID[model])).toBe('accepted');
		expect(await emulatorAnswer(model, VALID[model])).toBe('accepted');
	});

	test('every boundary: the node and the emulator each give the docs\u2019 answer', async () => {
		const disagreements = [];
		for (const [label, change, docs] of boundaries(model)) {
			const probe = { ...VALID[model], ...change };
			const node = nodeAnswer(model, probe);
			const emulated = await emulatorAnswer(model, probe);
			if (node !== docs || emulated !== docs)
				disagreements.push({ label, docs, node, emulator: emulated });
		}
		expect(disagreements).toEqual([]);
	});
});

test('models without n (Pro, layerize): the node never sends it, the emulator refuses n 2', async () => {
	for (const model of [PRO, LAYERIZE]) {
		const rules = models.modelRules(model);
		expect(rules.n).toBeUndefined();
		expect(await emulatorAnswer(model, { ...VALID[model], n: 2 })).toBe('refused');
	}
});

test('layerize: the node has no size for it, the emulator refuses one', async () => {
	expect(models.modelRules(LAYERIZE).size).toBeUndefined();
	expect(await emulatorAnswer(LAYERIZE, { ...VALID[LAYERIZE], size: '1:1' })).toBe('refused');
});

test('references + n over 15: the documented difference (docs/evolink-api.md §9): the node refuses, the emulator clamps', async () => {
	for (const model of [V40, V45, LITE]) {
		const probe = { ...VALID[model], n: 2, references: 14 };
		expect(nodeAnswer(model, probe)).toBe('refused');
		expect(await emulatorAnswer(model, probe)).toBe('accepted');
	}
});

describe('binary references: the node checks the bytes before upload; the emulator uploads them and checks them when the task runs', () => {
	/** The node's answer for one reference's bytes. @param {string} model @param {Buffer} bytes */
	function nodeReference(model, bytes) {
		try {
			new Validator(NODE, 0).referenceImage(
				models.modelRules(model),
				'Reference Image 1',
				bytes.length,
				imageInfo(bytes),
			);
			return 'accepted';
		} catch (error) {
			if (/** @type {Error} */ (error).name !== 'NodeOperationError') throw error;
			return 'refused';
		}
	}

	/**
	 * The emulator's answer: the Files upload refuses (4xx), the create refuses (400), or the task fails with
	 * invalid_parameters (a broken limit, §9); anything else is not a refusal by a limit (a header-only image the
	 * layerize model cannot decode fails with image_processing_error, which is past the limits).
	 * @param {string} model @param {Buffer} bytes
	 */
	async function emulatorReference(model, bytes) {
		const form = new FormData();
		form.append('file', new Blob([bytes]), 'reference');
		const uploaded = await fetch(`${emu.url}/api/v1/files/upload/stream`, {
			method: 'POST',
			headers: { authorization: 'Bearer sk-emulator-demo' },
			body: form,
		});
		const upload = await uploaded.json();
		if (uploaded.status >= 400 && uploaded.status < 500) return 'refused';
		const { references, ...fields } = VALID[model];
		const { status, json } = await emu.request('POST', '/v1/images/generations', {
			body: { model, ...fields, image_urls: [upload.data.file_url] },
		});
		if (status === 400) return 'refused';
		const task = await emu.waitFor(json.id);
		return task.error?.code === 'invalid_parameters' ? 'refused' : 'accepted';
	}

	/** @type {[string, () => Buffer, string[]][]} label, bytes, the models that accept it (docs) */
	const cases = [
		[
			'a 64x64 JPEG of exactly 10 MB',
			() => padded(headerImage('jpeg', 64, 64), 10 * MB),
			[V40, V45, LITE, PRO],
		],
		[
			'a 64x64 JPEG of 10 MB + 1 byte',
			() => padded(headerImage('jpeg', 64, 64), 10 * MB + 1),
			[PRO],
		],
		[
			'a 512x512 JPEG of exactly 30 MB',
			() => padded(headerImage('jpeg', 512, 512), 30 * MB),
			[PRO, LAYERIZE],
		],
		[
			'a 512x512 JPEG of 30 MB + 1 byte',
			() => padded(headerImage('jpeg', 512, 512), 30 * MB + 1),
			[],
		],
		['15x15', () => headerImage('jpeg', 15, 15), [V40, V45, LITE, PRO]],
		['14x20 (a side of 14)', () => headerImage('jpeg', 14, 20), []],
		[
			'512x512 (262 144 pixels)',
			() => headerImage('jpeg', 512, 512),
			[V40, V45, LITE, PRO, LAYERIZE],
		],
		['511x512', () => headerImage('jpeg', 511, 512), [V40, V45, LITE, PRO]],
		['6000x6000', () => headerImage('jpeg', 6000, 6000), [V40, V45, LITE, PRO, LAYERIZE]],
		['6001x6000', () => headerImage('jpeg', 6001, 6000), []],
		['480x30 (W/H 16)', () => headerImage('jpeg', 480, 30), [V40, V45, LITE, PRO]],
		['481x30', () => headerImage('jpeg', 481, 30), []],
		['30x481', () => headerImage('jpeg', 30, 481), []],
		['a GIF', () => headerImage('gif', 640, 480), [V40, V45, LITE, PRO]],
		['a WebP', () => headerImage('webp', 640, 480), [V40, V45, LITE, PRO]],
		['a BMP (not taken by the Files API)', () => headerImage('bmp', 640, 480), []],
		['a HEIC (not taken by the Files API)', () => headerImage('heic', 640, 480), []],
	];

	test.each([V40, V45, LITE, PRO, LAYERIZE])(
		'%s: each side gives the docs\u2019 answer',
		async (model) => {
			const disagreements = [];
			for (const [label, bytes, acceptedBy] of cases) {
				const docs = acceptedBy.includes(model) ? 'accepted' : 'refused';
				const data = bytes();
				const node = nodeReference(model, data);
				const emulated = await emulatorReference(model, data);
				if (node !== docs || emulated !== docs)
					disagreements.push({ label, docs, node, emulator: emulated });
			}
			expect(disagreements).toEqual([]);
		},
	);
});
