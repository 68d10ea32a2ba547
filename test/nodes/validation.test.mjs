// @ts-check
// Every create rule of the spec is checked before anything is sent: each case asserts the message names the
// field and the allowed range, and that the emulator received no request at all.
import { GENERATE, itemsWithFiles, startSuite } from './support.mjs';

/** @type {import('./support.mjs').Suite} */
let suite;
beforeAll(async () => {
	suite = await startSuite();
});
beforeEach(async () => await suite.reset());
afterAll(async () => await suite?.close());

/** A PNG signature and IHDR of this size, padded to `bytes`: enough for a header check, nothing more. */
function pngHeader(width, height, bytes = 64) {
	const buffer = Buffer.alloc(Math.max(bytes, 33));
	Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').copy(buffer, 0);
	buffer.writeUInt32BE(width, 16);
	buffer.writeUInt32BE(height, 20);
	return buffer;
}

function bmpHeader(width, height) {
	const buffer = Buffer.alloc(64);
	buffer.write('BM', 0, 'latin1');
	buffer.writeUInt32LE(40, 14);
	buffer.writeInt32LE(width, 18);
	buffer.writeInt32LE(height, 22);
	return buffer;
}

/** Runs, then expects an error with this message and no request at all. */
async function expectRefused(
	/** @type {Record<string, unknown>} */ parameters,
	/** @type {RegExp} */ message,
	options = {},
) {
	const result = await suite.run(parameters, options);
	expect(result.status).toBe('error');
	expect(result.error.message).toMatch(message);
	expect(await suite.requests()).toEqual([]);
	return result;
}

const binaryReference = { images: [{ source: 'binary', binaryPropertyName: 'data' }] };
const urlReferences = (/** @type {number} */ count) => ({
	images: Array.from({ length: count }, (_, i) => ({
		source: 'url',
		url: `https://example.com/${i}.png`,
	})),
});

describe('prompt', () => {
	// n8n itself refuses a literally empty required parameter; an expression can still produce one.
	test.each([
		['empty (from an expression)', '={{ "" }}'],
		['only spaces', '   '],
	])('%s', async (_, prompt) => {
		await expectRefused(
			{ ...GENERATE, prompt },
			/^Prompt \(prompt\): must not be empty; at most 2,000 characters/,
		);
	});

	test('2001 characters', async () => {
		await expectRefused(
			{ ...GENERATE, prompt: 'x'.repeat(2001) },
			/^Prompt \(prompt\): must be at most 2,000 characters; it has 2,001/,
		);
	});

	test('2000 characters, counted as characters (an emoji is one), is accepted', async () => {
		const result = await suite.run({
			...GENERATE,
			prompt: '🎨'.repeat(2000),
			waitMode: 'dontWait',
		});
		expect(result.status).toBe('success');
		expect(await suite.requests({ method: 'POST' })).toHaveLength(1);
	});
});

describe('n', () => {
	test.each([0, 16, 2.5])('%s', async (n) => {
		await expectRefused(
			{ ...GENERATE, n },
			/^Max Images \(n\): must be a whole number from 1 to 15/,
		);
	});
});

describe('size', () => {
	test('a preset that does not exist', async () => {
		await expectRefused(
			{ ...GENERATE, size: '={{ "3K" }}' },
			/^Size \(size\): must be one of 1K, 2K, 4K; got "3K"/,
		);
	});

	test.each([
		[
			'too few pixels',
			1000,
			900,
			/Width x Height \(size\): must be width x height from 921,600 \(1280x720\) to 16,777,216 \(4096x4096\) pixels; 1000x900 is 900,000/,
		],
		[
			'too many pixels',
			4097,
			4096,
			/Width x Height \(size\): must be width x height from 921,600 .* 4097x4096 is 16,781,312/,
		],
		[
			'too wide',
			4000,
			240,
			/Width x Height \(size\): width \/ height must be from 1\/16 to 16; 4000x240 is 16\.67/,
		],
		['too tall', 240, 4000, /width \/ height must be from 1\/16 to 16; 240x4000 is 0\.06/],
		['not a whole number', 1280.5, 720, /Width \(size\): must be a whole number of pixels/],
	])('custom: %s', async (_, width, height, message) => {
		await expectRefused({ ...GENERATE, sizeMode: 'custom', width, height }, message);
	});

	test('custom at both limits at once (3840x240: 921600 pixels, ratio 16) is accepted', async () => {
		const result = await suite.run({
			...GENERATE,
			sizeMode: 'custom',
			width: 3840,
			height: 240,
			waitMode: 'dontWait',
		});
		expect(result.status).toBe('success');
		expect((await suite.requests({ method: 'POST' }))[0].body.size).toBe('3840x240');
	});

	test('a ratio that is not listed', async () => {
		await expectRefused(
			{ ...GENERATE, sizeMode: 'ratio', aspectRatio: '={{ "7:5" }}', quality: '2K' },
			/^Aspect Ratio \(size\): must be one of auto, 1:1, 2:3, .*9:21; got "7:5"/,
		);
	});

	test('a quality that does not exist', async () => {
		await expectRefused(
			{ ...GENERATE, sizeMode: 'ratio', aspectRatio: '1:1', quality: '={{ "8K" }}' },
			/^Quality \(quality\): must be one of 1K, 2K, 4K with doubao-seedream-4.0; got "8K"/,
		);
	});
});

describe('model rules', () => {
	test('an unknown model', async () => {
		await expectRefused(
			{ ...GENERATE, model: '={{ "doubao-seedream-5.0" }}' },
			/^Model \(model\): must be one of doubao-seedream-4.0, doubao-seedream-4.5/,
		);
	});

	test('Seedream 4.5 takes quality 2K or 4K only', async () => {
		await expectRefused(
			{
				...GENERATE,
				model: 'doubao-seedream-4.5',
				sizeMode: 'ratio',
				aspectRatio: '16:9',
				quality: '1K',
			},
			/^Quality \(quality\): must be one of 2K, 4K with doubao-seedream-4.5; got "1K"/,
		);
	});

	test('Seedream 4.5 takes prompt priority standard only: the option is not offered, standard is sent', async () => {
		const result = await suite.run({
			...GENERATE,
			model: 'doubao-seedream-4.5',
			size: '2K',
			waitMode: 'dontWait',
			options: { promptPriority: 'fast' },
		});
		expect(result.status).toBe('success');
		const [create] = await suite.requests({ method: 'POST', path: '/v1/images/generations' });
		expect(create.body.prompt_priority).toBe('standard');
	});
});

describe('callback URL', () => {
	// Against a real (https) API the strict rules apply. Nothing can reach this address, so these cases show the
	// message; the zero-request cases against the emulator are below.
	const strict = () => ({
		seedreamApi: { ...suite.credentials.seedreamApi, baseUrl: 'https://api.example.invalid' },
	});

	test.each([
		['http', 'http://example.com/hook', /^Callback URL \(callback_url\): must use https:\/\//],
		[
			'localhost',
			'https://localhost/hook',
			/must not point to an internal address \(localhost, 127\.x, 10\.x, 172\.16-31\.x, 192\.168\.x\)/,
		],
		['127.x', 'https://127.0.0.2/hook', /must not point to an internal address/],
		['10.x', 'https://10.1.2.3/hook', /must not point to an internal address/],
		['172.16-31.x', 'https://172.20.0.1/hook', /must not point to an internal address/],
		['192.168.x', 'https://192.168.1.10/hook', /must not point to an internal address/],
		[
			'localhost. (trailing dot)',
			'https://localhost./hook',
			/must not point to an internal address/,
		],
		[
			'an IPv4-mapped IPv6 loopback',
			'https://[::ffff:127.0.0.1]/hook',
			/must not point to an internal address/,
		],
		[
			'an IPv6 unique local address',
			'https://[fd12:3456::1]/hook',
			/must not point to an internal address/,
		],
	])('%s is refused against an https API', async (_, callbackUrl, message) => {
		const result = await suite.run(
			{ ...GENERATE, options: { callbackUrl } },
			{ credentials: strict() },
		);
		expect(result.status).toBe('error');
		expect(result.error.message).toMatch(message);
	});

	test.each(['https://fdic.gov/hook', 'https://fcbarcelona.com/hook'])(
		'%s, a public domain starting with fc or fd, is not taken for an internal address',
		async (callbackUrl) => {
			const result = await suite.run(
				{ ...GENERATE, options: { callbackUrl } },
				{ credentials: strict() },
			);
			expect(result.status).toBe('error');
			// It passed validation and went for the (unreachable) API.
			expect(result.error.message).not.toMatch(/Callback URL/);
			expect(result.error.message).toMatch(/Could not reach EvoLink/);
		},
	);

	test('more than 2048 characters', async () => {
		const callbackUrl = `http://127.0.0.1/${'a'.repeat(2049 - 'http://127.0.0.1/'.length)}`;
		await expectRefused(
			{ ...GENERATE, options: { callbackUrl } },
			/^Callback URL \(callback_url\): must be at most 2,048 characters; it has 2,049/,
		);
	});

	test('not a URL', async () => {
		await expectRefused(
			{ ...GENERATE, options: { callbackUrl: 'ftp://example.com/hook' } },
			/^Callback URL \(callback_url\): must be a valid https:\/\/ URL/,
		);
	});
});

describe('reference images', () => {
	test('more than 14', async () => {
		await expectRefused(
			{ ...GENERATE, referenceImages: urlReferences(15) },
			/^Reference Images \(image_urls\): at most 14 allowed with doubao-seedream-4.0; got 15/,
		);
	});

	test('n + references over 15: refused, since credits would be reserved for images that cannot come', async () => {
		await expectRefused(
			{ ...GENERATE, n: 2, referenceImages: urlReferences(14) },
			/^Max Images \(n\) \+ Reference Images \(image_urls\): must be at most 15 together; got 2 \+ 14/,
		);
	});

	test('a URL that is not http(s)', async () => {
		await expectRefused(
			{
				...GENERATE,
				referenceImages: { images: [{ source: 'url', url: 'ftp://example.com/a.png' }] },
			},
			/^Reference Image 1 URL \(image_urls\): must be an http\(s\) URL/,
		);
	});

	test('a binary field the item does not have', async () => {
		const result = await suite.run(
			{
				...GENERATE,
				referenceImages: { images: [{ source: 'binary', binaryPropertyName: 'photo' }] },
			},
			{ items: await itemsWithFiles(suite, [pngHeader(64, 64)]) },
		);
		expect(result.status).toBe('error');
		expect(result.error.message).toMatch(/photo/);
		expect(await suite.requests()).toEqual([]);
	});

	test.each([
		[
			'not an image (declared PNG, magic bytes say otherwise)',
			() => Buffer.from('hello, this is text and not a picture'),
			/^Reference Image 1 \(binary field "data"\): is not an image in a format doubao-seedream-4.0 reads \(jpeg, png, webp, bmp, tiff, gif\)/,
		],
		[
			'BMP, which the Files API does not take',
			() => bmpHeader(64, 64),
			/is bmp; binary images are uploaded to EvoLink Files, which takes jpeg, png, gif, webp only/,
		],
		[
			'over 10 MB',
			() => pngHeader(64, 64, 10 * 1024 * 1024 + 1),
			/must be at most 10 MB with doubao-seedream-4.0; it has 10 MB/,
		],
		[
			'14 pixels wide',
			() => pngHeader(14, 64),
			/width and height must be more than 14 and at most 6000 pixels; it is 14x64/,
		],
		[
			'6001 pixels high',
			() => pngHeader(100, 6001),
			/width and height must be more than 14 and at most 6000 pixels; it is 100x6001/,
		],
		[
			'wider than 16:1',
			() => pngHeader(3400, 200),
			/width \/ height must be from 1\/16 to 16; 3400x200 is 17/,
		],
	])('binary: %s', async (_, bytes, message) => {
		await expectRefused({ ...GENERATE, referenceImages: binaryReference }, message, {
			items: await itemsWithFiles(suite, [bytes()]),
		});
	});
});

describe('Task > Get', () => {
	test('a task ID that is not an EvoLink one', async () => {
		await expectRefused(
			{ resource: 'task', operation: 'get', taskId: 'abc-123' },
			/^Task ID: must be an EvoLink task ID starting with "task-unified-"; got "abc-123"/,
		);
	});
});

describe('options, which an expression can make anything', () => {
	test.each([
		[
			'Max Wait "abc"',
			{ waitMode: 'wait', options: { maxWaitSeconds: '={{ "abc" }}' } },
			/^Max Wait \(Seconds\): must be a number of at least 1; got "abc"/,
		],
		[
			'Max Wait 0',
			{ waitMode: 'wait', options: { maxWaitSeconds: 0 } },
			/^Max Wait \(Seconds\): must be a number of at least 1; got "0"/,
		],
		[
			'Max Wait -1',
			{ waitMode: 'callback', options: { maxWaitSeconds: -1 } },
			/^Max Wait \(Seconds\): must be a number of at least 1; got "-1"/,
		],
		[
			'Max Download Size 0',
			{ waitMode: 'wait', options: { maxDownloadMB: 0 } },
			/^Max Download Size \(MB\): must be a number of at least 1; got "0"/,
		],
		[
			'Max Download Size -5',
			{ waitMode: 'wait', options: { maxDownloadMB: -5 } },
			/^Max Download Size \(MB\): must be a number of at least 1; got "-5"/,
		],
		[
			'Concurrency 0',
			{ options: { concurrency: 0 } },
			/^Concurrency: must be a whole number from 1 to 50; got "0"/,
		],
		[
			'Concurrency 2.5',
			{ options: { concurrency: 2.5 } },
			/^Concurrency: must be a whole number from 1 to 50; got "2.5"/,
		],
		[
			'Concurrency "many"',
			{ options: { concurrency: '={{ "many" }}' } },
			/^Concurrency: must be a whole number from 1 to 50; got "many"/,
		],
	])('Generate: %s is refused before anything is sent', async (_, parameters, message) => {
		await expectRefused({ ...GENERATE, ...parameters }, message);
	});

	test('Task > Get: Max Wait "abc" is refused before the task is read', async () => {
		await expectRefused(
			{
				resource: 'task',
				operation: 'get',
				taskId: 'task-unified-1757165031-abcdefgh',
				waitMode: 'wait',
				options: { maxWaitSeconds: '={{ "abc" }}' },
			},
			/^Max Wait \(Seconds\): must be a number of at least 1; got "abc"/,
		);
	});

	test('a numeric string from an expression is taken as its number', async () => {
		const result = await suite.run({
			...GENERATE,
			waitMode: 'wait',
			output: 'urls',
			options: { maxWaitSeconds: '={{ "60" }}' },
		});
		expect(result.status).toBe('success');
	});
});

describe('several items', () => {
	test('one invalid item stops the run before any item is sent', async () => {
		const result = await expectRefused(
			{ ...GENERATE, prompt: '={{ $json.prompt }}' },
			/^Prompt \(prompt\): must not be empty/,
			{
				items: [
					{ json: { prompt: 'a cat' } },
					{ json: { prompt: '' } },
					{ json: { prompt: 'a dog' } },
				],
			},
		);
		expect(result.error.context.itemIndex).toBe(1);
	});

	test('with continueOnFail the invalid item becomes an error item and the others run', async () => {
		const result = await suite.run(
			{ ...GENERATE, prompt: '={{ $json.prompt }}', output: 'urls' },
			{
				items: [
					{ json: { prompt: 'a cat' } },
					{ json: { prompt: '' } },
					{ json: { prompt: 'a dog' } },
				],
				nodeOptions: { onError: 'continueRegularOutput' },
			},
		);
		expect(result.status).toBe('success');
		const items = result.output('Seedream');
		expect(items.map((/** @type {any} */ i) => i.pairedItem)).toEqual([
			{ item: 0 },
			{ item: 1 },
			{ item: 2 },
		]);
		expect(items[1].json.error).toMatch(/^Prompt \(prompt\): must not be empty/);
		expect(items[0].json.status).toBe('completed');
		expect(items[2].json.status).toBe('completed');
		expect(await suite.requests({ method: 'POST' })).toHaveLength(2);
	});
});
