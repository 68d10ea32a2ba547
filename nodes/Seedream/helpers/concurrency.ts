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
