import { createHash, randomUUID } from 'crypto';
import type { IDataObject } from 'n8n-workflow';

/**
 * The Idempotency-Key of a create (docs/evolink-api.md §2: 16-96 characters of [A-Za-z0-9._-]).
 *
 * It is derived from the execution, the node and its run, the item and what is asked for, so:
 * - n8n's Retry On Fail (same execution, node, run and item) sends the same key and gets the first task
 *   back instead of paying for a second one;
 * - a new execution, another pass of a loop through the node, another item or changed parameters make a
 *   new key, hence a new task.
 * `attempt` > 0 moves past an earlier task of the same key that failed server-side (see generate).
 *
 * `acrossExecutions` (Generate's "Reuse Identical Recent Task") leaves the execution out: a new execution of
 * the same workflow, node, run, item and request then gets the task an earlier one created, e.g. after a
 * worker died mid-task in queue mode (docs/n8n-queue-mode.md: without it, running again paid twice).
 */
export function idempotencyKey(
	scope: {
		executionId: string;
		workflowId: string;
		nodeId: string;
		runIndex: number;
		itemIndex: number;
		/** Which of an item's tasks (Exactly N), when it has several. */
		part?: number;
	},
	request: IDataObject,
	attempt = 0,
	acrossExecutions = false,
): string {
	// Without an execution ID (not seen in n8n 2.x, but typed optional) a key could replay another run's
	// task; a random one instead only gives up the replay on Retry On Fail.
	const execution = acrossExecutions
		? 'any-execution'
		: scope.executionId || `no-execution-${randomUUID()}`;
	const digest = createHash('sha256')
		.update(stableJson({ ...scope, executionId: execution, request }))
		.digest('hex')
		.slice(0, 48);
	return attempt > 0 ? `n8n-seedream-${digest}.${attempt}` : `n8n-seedream-${digest}`;
}

export function sha256(data: Buffer): string {
	return createHash('sha256').update(data).digest('hex');
}

/** JSON with sorted keys, so the same request always hashes the same. */
function stableJson(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
	if (value && typeof value === 'object') {
		const entries = Object.entries(value as IDataObject)
			.filter(([, v]) => v !== undefined)
			.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
		return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
	}
	return JSON.stringify(value) ?? 'null';
}
