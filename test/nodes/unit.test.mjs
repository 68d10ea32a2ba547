// @ts-check
// Pure logic of the node, on a virtual clock (times are passed in, randomness fixed): the retry schedule, the
// end predictor, internal hosts, option ranges, and the streamed multipart upload. Runs the built code (dist/).
import { jest } from '@jest/globals';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';

const require = createRequire(import.meta.url);
const dist = (/** @type {string} */ path) => require(`../../dist/nodes/Seedream/${path}`);
const { RetrySchedule, TRANSIENT_MAX_RETRIES, RATE_LIMIT_MAX_RETRIES } =
	dist('transport/retries.js');
const { EndPredictor, POLL_MIN_MS } = dist('tasks/predictor.js');
const { isInternalHost, Validator } = dist('helpers/validate.js');
const { uploadFile } = dist('transport/files.js');
const { getTask } = dist('transport/index.js');
const { waitForTask, EMPTY_RESULTS_GRACE_MS } = dist('tasks/wait.js');
const { REQUEST_TIMEOUT_MS } = dist('transport/requests.js');
const { CredentialCache, CREDENTIAL_CACHE_TTL_MS } = dist('transport/credentialCache.js');

const status = (/** @type {number} */ statusCode, headers = {}) => ({
	kind: 'status',
	statusCode,
	headers,
});

/**
 * The least of an n8n context the transport uses, with `send` standing for n8n's authenticated request.
 * @param {(options: any) => Promise<unknown>} send
 */
const contextSending = (send) => ({
	getNode: () => ({ name: 'Seedream', type: 'seedream', typeVersion: 1, parameters: {} }),
	getCredentials: async () => ({
		apiKey: 'sk-unit',
		baseUrl: 'https://api.example',
		filesBaseUrl: 'https://files.example',
	}),
	helpers: {
		httpRequestWithAuthentication: async (
			/** @type {string} */ _type,
			/** @type {any} */ options,
		) => await send(options),
	},
});

describe('retry schedule', () => {
	/** The waits of one request's schedule for these outcomes, with jitter at its lowest (random = 0). */
	const waits = (/** @type {string} */ policy, /** @type {any[]} */ outcomes, random = () => 0) => {
		const schedule = new RetrySchedule(policy, 0, random);
		return outcomes.map((outcome) => schedule.next(outcome, 0));
	};

	test('a read answered 5xx backs off 125, 250, 500, 1000 ms (floor of the jitter), then gives up', () => {
		expect(waits('read', Array(TRANSIENT_MAX_RETRIES + 1).fill(status(503)))).toEqual([
			125,
			250,
			500,
			1000,
			undefined,
		]);
	});

	test('jitter stays within [ceiling / 2, ceiling]', () => {
		expect(waits('read', [status(500), status(500)], () => 0.999)).toEqual([249.875, 499.75]);
	});

	test('Retry-After: 0 still waits the backoff (it was 31 attempts in 100 ms)', () => {
		expect(
			waits('read', [status(429, { 'retry-after': '0' }), status(429, { 'retry-after': '0' })]),
		).toEqual([125, 250]);
		expect(waits('read', [status(503, { 'retry-after': '0' })])).toEqual([125]);
	});

	test('Retry-After longer than the backoff is honoured, in seconds or as an HTTP date, capped at 60 s', () => {
		expect(waits('read', [status(429, { 'retry-after': '3' })])).toEqual([3000]);
		const schedule = new RetrySchedule('read', 0, () => 0);
		expect(
			schedule.next(status(429, { 'retry-after': new Date(10_000).toUTCString() }), 2000),
		).toBe(8000);
		expect(waits('read', [status(429, { 'retry-after': '3600' })])).toEqual([60_000]);
	});

	/** Refuses every attempt with 429 (and these headers); returns how many retries and the time spent. */
	const retriesOfRefusals = (headers = {}) => {
		const schedule = new RetrySchedule('read', 0, () => 0);
		let now = 0;
		let retries = 0;
		for (let wait; (wait = schedule.next(status(429, headers), now)) !== undefined; retries++) {
			now += wait;
		}
		return { retries, now };
	};

	test('429s get their own budget: 30 retries when they come quickly', () => {
		// Backoff at the floor of its jitter: 125, 250 ... 7500 ms, so 30 retries take 3 min 8 s.
		expect(retriesOfRefusals()).toEqual({ retries: 30, now: 187_875 });
		expect(RATE_LIMIT_MAX_RETRIES).toBe(30);
	});

	test('429s get their own budget: no retry starts after 10 minutes (Retry-After: 60 gives 10)', () => {
		expect(retriesOfRefusals({ 'retry-after': '60' })).toEqual({ retries: 10, now: 600_000 });
	});

	test('a create without a key is sent again only when nothing was sent (refused connection, 429)', () => {
		expect(waits('create', [{ kind: 'network', code: 'ECONNREFUSED' }])).toEqual([125]);
		expect(waits('create', [status(429)])).toEqual([125]);
		expect(waits('create', [{ kind: 'network', code: 'ECONNRESET' }])).toEqual([undefined]);
		expect(waits('create', [status(500)])).toEqual([undefined]);
		expect(waits('create', [{ kind: 'malformed' }])).toEqual([undefined]);
	});

	test('a read whose answer was cut short (malformed) is sent again like a lost one', () => {
		expect(waits('read', [{ kind: 'malformed' }, { kind: 'network', code: 'ECONNRESET' }])).toEqual(
			[125, 250],
		);
	});

	test('a budget stops retries that would start after it (a callback must be answered within 10 s)', () => {
		const schedule = new RetrySchedule('read', 0, () => 0, 6000);
		expect(schedule.next(status(503), 4000)).toBe(125);
		expect(schedule.next(status(503), 5800)).toBeUndefined();
		expect(
			new RetrySchedule('read', 0, () => 0, 6000).next(status(429, { 'retry-after': '10' }), 0),
		).toBeUndefined();
	});

	test('4xx other than 429, and 501, are final', () => {
		expect(waits('read', [status(400)])).toEqual([undefined]);
		expect(waits('read', [status(404)])).toEqual([undefined]);
		expect(waits('read', [status(501)])).toEqual([undefined]);
	});
});

describe('end predictor (virtual clock)', () => {
	const task = (/** @type {Record<string, unknown>} */ fields) => ({
		id: 'task-unified-1-abcdefgh',
		status: 'processing',
		...fields,
	});

	test('without estimate or progress: 500 ms, then x1.5 up to 3 s', () => {
		const predictor = new EndPredictor(undefined);
		predictor.observe(task({}), 0);
		const delays = Array.from({ length: 7 }, () => predictor.nextDelay(0));
		expect(delays).toEqual([500, 750, 1125, 1687.5, 2531.25, 3000, 3000]);
	});

	test('with estimated_time only: half of what remains first, then close watching at the end', () => {
		const predictor = new EndPredictor(0);
		predictor.observe(task({ task_info: { estimated_time: 10 } }), 0);
		expect(predictor.nextDelay(0)).toBe(5000);
		expect(predictor.nextDelay(9950)).toBe(POLL_MIN_MS);
	});

	test('two progress readings: extrapolates the end linearly and waits until its uncertainty window', () => {
		const predictor = new EndPredictor(0);
		predictor.observe(task({ progress: 10 }), 1000);
		predictor.observe(task({ progress: 50 }), 5000);
		// 100 ms per percent -> end at 10 000; uncertainty 5000/40 + 100 = 225 ms.
		expect(predictor.nextDelay(5000)).toBe(10_000 - 225 - 5000);
		expect(predictor.nextDelay(9900)).toBe(POLL_MIN_MS);
	});

	test('overdue: the interval grows back to 2 s', () => {
		const predictor = new EndPredictor(0);
		predictor.observe(task({ progress: 10 }), 1000);
		predictor.observe(task({ progress: 50 }), 5000);
		const late = Array.from({ length: 9 }, () => predictor.nextDelay(20_000));
		expect(late).toEqual([150, 225, 337.5, 506.25, 759.375, 1139.0625, 1708.59375, 2000, 2000]);
	});
});

describe('isInternalHost (hostnames as WHATWG URL gives them)', () => {
	const host = (/** @type {string} */ url) => new URL(url).hostname;
	test.each([
		'http://localhost/',
		'http://localhost./',
		'http://a.localhost/',
		'http://127.0.0.1/',
		'http://127.1/',
		'http://2130706433/',
		'http://10.0.0.1/',
		'http://172.16.0.1/',
		'http://172.31.255.255/',
		'http://192.168.0.1/',
		'http://169.254.169.254/',
		'http://0.0.0.0/',
		'http://[::1]/',
		'http://[::]/',
		'http://[::ffff:127.0.0.1]/',
		'http://[::ffff:10.1.2.3]/',
		'http://[fc00::1]/',
		'http://[fd12:3456::1]/',
		'http://[fe80::1]/',
	])('%s is internal', (url) => {
		expect(isInternalHost(host(url))).toBe(true);
	});
	test.each([
		'https://fdic.gov/',
		'https://fcbarcelona.com/',
		'https://fe80.example/',
		'https://api.evolink.ai/',
		'http://172.32.0.1/',
		'http://8.8.8.8/',
		'http://[::ffff:8.8.8.8]/',
		'http://[2001:db8::1]/',
	])('%s is not', (url) => {
		expect(isInternalHost(host(url))).toBe(false);
	});
});

describe('number options', () => {
	const check = (/** @type {unknown} */ value, range = { min: 1, max: 50, integer: true }) =>
		new Validator({ name: 'Seedream' }, 0).numberOption('Concurrency', value, range);
	test.each([
		[5, 5],
		['7', 7],
		[50, 50],
		[1, 1],
	])('%p is taken as %p', (value, expected) => {
		expect(check(value)).toBe(expected);
	});
	test.each([0, 51, 2.5, 'abc', '', null, undefined, Number.NaN, Number.POSITIVE_INFINITY, {}])(
		'%p is refused, naming the field and range',
		(value) => {
			expect(() => check(value)).toThrow(/^Concurrency: must be a whole number from 1 to 50; got /);
		},
	);
	test('without a maximum the message gives the minimum', () => {
		expect(() => check(-1, { min: 1 })).toThrow(
			/^Concurrency: must be a number of at least 1; got "-1"$/,
		);
	});
});

describe('upload', () => {
	/** An execute context that answers the upload like the Files API, reading the body as a server would. */
	function fakeContext() {
		/** @type {{ body: unknown, headers: Record<string, string>, produced: number }[]} */
		const sent = [];
		const context = contextSending(async (options) => {
			sent.push({ body: options.body, headers: options.headers, produced });
			const chunks = [];
			for await (const chunk of options.body) chunks.push(Buffer.from(chunk));
			sent[sent.length - 1].body = Buffer.concat(chunks);
			return {
				statusCode: 200,
				headers: {},
				body: { success: true, data: { file_url: 'https://files.example/f.png' } },
			};
		});
		let produced = 0;
		/** A 16 MB file as a stream of 64 KB chunks, made as they are read. */
		function* chunks() {
			for (let index = 0; index < 256; index++) {
				produced++;
				yield Buffer.alloc(64 * 1024, index);
			}
		}
		return {
			context,
			sent,
			open: async () => Readable.from(chunks(), { objectMode: false }),
			produced: () => produced,
		};
	}

	test('a reference from the binary store is streamed into the multipart body, with its length, not read whole first', async () => {
		const { context, sent, open, produced } = fakeContext();
		const size = 256 * 64 * 1024;
		const { url } = await uploadFile.call(
			context,
			{ open, size, mimeType: 'image/png', fileName: 'ref.png' },
			0,
		);
		expect(url).toBe('https://files.example/f.png');
		expect(sent).toHaveLength(1);
		// When the request went out, the file had hardly been read: its bytes flow as the body is sent.
		expect(sent[0].produced).toBeLessThan(4);
		expect(produced()).toBe(256);
		const body = /** @type {Buffer} */ (sent[0].body);
		expect(Number(sent[0].headers['Content-Length'])).toBe(body.length);
		const boundary = /boundary=(.+)$/.exec(sent[0].headers['Content-Type'])?.[1];
		const text = body.toString('latin1');
		expect(
			text.startsWith(
				`--${boundary}\r\nContent-Disposition: form-data; name="file_name"\r\n\r\nref-`,
			),
		).toBe(true);
		// A name of its own (a token before the extension), to find the upload again if its answer is lost.
		expect(text).toMatch(/name="file_name"\r\n\r\nref-[a-z0-9]{8}\.png\r\n/);
		expect(text.endsWith(`\r\n--${boundary}--\r\n`)).toBe(true);
		const start =
			text.indexOf('Content-Type: image/png\r\n\r\n') + 'Content-Type: image/png\r\n\r\n'.length;
		const file = body.subarray(start, body.length - `\r\n--${boundary}--\r\n`.length);
		expect(file.length).toBe(size);
		expect(file[0]).toBe(0);
		expect(file[size - 1]).toBe(255);
	});
});

describe('attempt timeout', () => {
	test("each read carries the node's own timeout (30 s), and a read that timed out is sent again", async () => {
		/** @type {any[]} */
		const sent = [];
		const context = contextSending(async (options) => {
			sent.push(options);
			// What n8n throws when axios gives up on an attempt after `timeout` ms.
			if (sent.length === 1)
				throw Object.assign(new Error('timeout of 30000ms exceeded'), { code: 'ECONNABORTED' });
			return {
				statusCode: 200,
				headers: {},
				body: { id: 'task-unified-1-abcdefgh', status: 'processing' },
			};
		});
		const task = await getTask.call(context, 'task-unified-1-abcdefgh', 0);
		expect(task.status).toBe('processing');
		expect(sent.map((options) => options.timeout)).toEqual([
			REQUEST_TIMEOUT_MS.read,
			REQUEST_TIMEOUT_MS.read,
		]);
		expect(REQUEST_TIMEOUT_MS.read).toBe(30_000);
	});
});

describe("waiting for a task (jest fake timers: n8n's sleep and Date.now on a virtual clock)", () => {
	const id = 'task-unified-1-abcdefgh';
	afterEach(() => jest.useRealTimers());

	/** Waits for a task the API always answers with `body`; resolves to the outcome and the read times. */
	async function waitAgainst(
		/** @type {Record<string, unknown>} */ body,
		/** @type {number} */ maxWaitMs,
	) {
		jest.useFakeTimers({ now: 0 });
		/** @type {number[]} */
		const reads = [];
		const context = contextSending(async () => {
			reads.push(Date.now());
			return { statusCode: 200, headers: {}, body: { id, ...body } };
		});
		const outcome = waitForTask
			.call(context, { id, status: 'pending' }, { maxWaitMs, itemIndex: 0 })
			.then(
				(/** @type {any} */ result) => result,
				(/** @type {Error} */ error) => error,
			);
		await jest.advanceTimersByTimeAsync(maxWaitMs + 60_000);
		return { outcome: await outcome, reads };
	}

	test('Max Wait passes: the reads follow the blind schedule, the last at the deadline, then an error naming the task', async () => {
		const { outcome, reads } = await waitAgainst({ status: 'processing' }, 10_000);
		expect(outcome).toBeInstanceOf(Error);
		expect(outcome.message).toBe(`Task ${id} did not finish within 10 s (status processing)`);
		expect(outcome.context.taskId).toBe(id);
		// 500 ms, then x1.5 up to 3 s, the last wait cut to the deadline.
		expect(reads).toEqual([500, 1250, 2375, 4062.5, 6593.75, 9593.75, 10_000].map(Math.floor));
	});

	test('completed with no results: read every 500 ms for the 15 s grace, then an error naming the task', async () => {
		const { outcome, reads } = await waitAgainst({ status: 'completed', results: [] }, 600_000);
		expect(outcome.message).toBe(`Task ${id} completed but returned no image URLs`);
		expect(outcome.context.taskId).toBe(id);
		// The first read finds it completed (at 500 ms); the grace runs from there.
		expect(reads[0]).toBe(500);
		expect(reads.at(-1) - reads[0]).toBe(EMPTY_RESULTS_GRACE_MS);
		expect(reads.slice(1).every((at, index) => at - reads[index] === 500)).toBe(true);
	});
});

describe('credential cache (virtual clock)', () => {
	/** A cache on a clock the test moves, and a loader that counts its calls and answers `values` in turn. */
	const setUp = (/** @type {unknown[]} */ values) => {
		const clock = { now: 0 };
		const cache = new CredentialCache(CREDENTIAL_CACHE_TTL_MS, () => clock.now);
		let loads = 0;
		const load = async () => {
			const value = values[Math.min(loads, values.length - 1)];
			loads++;
			if (value instanceof Error) throw value;
			return value;
		};
		return { clock, cache, load, loads: () => loads };
	};

	test('within the TTL the credential is loaded once; at the TTL it is loaded again', async () => {
		const { clock, cache, load, loads } = setUp([{ apiKey: 'a' }, { apiKey: 'b' }]);
		expect(await cache.read('c1', load)).toEqual({
			credentials: { apiKey: 'a' },
			cached: false,
			recheckedUnreachable: false,
		});
		clock.now = CREDENTIAL_CACHE_TTL_MS - 1;
		expect(await cache.read('c1', load)).toEqual({
			credentials: { apiKey: 'a' },
			cached: true,
			recheckedUnreachable: false,
		});
		expect(loads()).toBe(1);
		clock.now = CREDENTIAL_CACHE_TTL_MS;
		expect(await cache.read('c1', load)).toEqual({
			credentials: { apiKey: 'b' },
			cached: false,
			recheckedUnreachable: false,
		});
		expect(loads()).toBe(2);
	});

	test('a copy re-read because its host was unreachable says so while held, and not after the TTL', async () => {
		const { clock, cache, load } = setUp([{ apiKey: 'a' }, { apiKey: 'a' }, { apiKey: 'a' }]);
		await cache.read('c1', load);
		const reread = await cache.read('c1', load, { fresh: true, recheckedUnreachable: true });
		expect(reread).toMatchObject({ cached: false, recheckedUnreachable: true });
		clock.now = CREDENTIAL_CACHE_TTL_MS - 1;
		expect(await cache.read('c1', load)).toMatchObject({
			cached: true,
			recheckedUnreachable: true,
		});
		clock.now = CREDENTIAL_CACHE_TTL_MS;
		expect(await cache.read('c1', load)).toMatchObject({
			cached: false,
			recheckedUnreachable: false,
		});
	});

	test('fresh, or forget, loads it again; other IDs are held apart', async () => {
		const { cache, load, loads } = setUp([
			{ apiKey: 'a' },
			{ apiKey: 'b' },
			{ apiKey: 'c' },
			{ apiKey: 'd' },
		]);
		await cache.read('c1', load);
		expect((await cache.read('c1', load, { fresh: true })).credentials).toEqual({ apiKey: 'b' });
		cache.forget('c1');
		expect((await cache.read('c1', load)).credentials).toEqual({ apiKey: 'c' });
		expect((await cache.read('c2', load)).credentials).toEqual({ apiKey: 'd' });
		expect((await cache.read('c1', load)).credentials).toEqual({ apiKey: 'c' });
		expect(loads()).toBe(4);
	});

	test('reads at the same time share one load; a failed load is not kept', async () => {
		const { cache, load, loads } = setUp([new Error('database down'), { apiKey: 'a' }]);
		const failed = await Promise.allSettled([cache.read('c1', load), cache.read('c1', load)]);
		expect(failed.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
		expect(loads()).toBe(1);
		const together = await Promise.all([cache.read('c1', load), cache.read('c1', load)]);
		expect(together.map((read) => read.credentials)).toEqual([{ apiKey: 'a' }, { apiKey: 'a' }]);
		expect(loads()).toBe(2);
	});
});
