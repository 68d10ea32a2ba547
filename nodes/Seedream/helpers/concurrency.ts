/** Items at once, unless the node's Concurrency option says otherwise. */
export const DEFAULT_CONCURRENCY = 5;

/**
 * Runs `work` over `inputs` with at most `limit` running at once; results keep the inputs' order.
 * Once `shouldStop()` turns true no new work starts (the running ones finish), and the skipped
 * inputs' results stay undefined.
 */
export async function mapWithConcurrency<I, O>(
	inputs: readonly I[],
	limit: number,
	work: (input: I, index: number) => Promise<O>,
	shouldStop: () => boolean = () => false,
): Promise<Array<O | undefined>> {
	const results: Array<O | undefined> = new Array(inputs.length);
	let next = 0;
	const worker = async () => {
		while (next < inputs.length && !shouldStop()) {
			const index = next++;
			results[index] = await work(inputs[index], index);
		}
	};
	const workers = Math.max(1, Math.min(Math.floor(limit) || 1, inputs.length));
	await Promise.all(Array.from({ length: workers }, worker));
	return results;
}

/** Runs work with at most `limit` at once across every caller that shares it. */
export class Limiter {
	private running = 0;
	private readonly queue: Array<() => void> = [];

	constructor(private readonly limit: number) {}

	async run<T>(work: () => Promise<T>): Promise<T> {
		if (this.running >= Math.max(1, Math.floor(this.limit) || 1)) {
			await new Promise<void>((resolve) => this.queue.push(resolve));
		} else {
			this.running++;
		}
		try {
			return await work();
		} finally {
			const next = this.queue.shift();
			if (next) next();
			else this.running--;
		}
	}
}

const limiters = new WeakMap<object, Limiter>();

/** One Limiter per node run (keyed by its execute context, which every item of the run shares). */
export function limiterOf(run: object, limit: number): Limiter {
	let limiter = limiters.get(run);
	if (!limiter) {
		limiter = new Limiter(limit);
		limiters.set(run, limiter);
	}
	return limiter;
}
