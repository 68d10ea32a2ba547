/**
 * Waiting that n8n's Stop ends: between a request's attempts (requests.ts) and between a task's reads
 * (tasks/wait.ts).
 */

import { sleep, type IAllExecuteFunctions } from 'n8n-workflow';
import { operationError } from '../helpers/errors';
import { cancelledError } from './errors';

/** The execution's cancel signal, where the context has one (webhook and trigger contexts do not). */
export function cancelSignal(context: IAllExecuteFunctions): AbortSignal | undefined {
	return 'getExecutionCancelSignal' in context ? context.getExecutionCancelSignal() : undefined;
}

/** n8n's `sleep`, ended early by the execution's cancel signal (n8n's Stop). */
export async function pause(
	context: IAllExecuteFunctions,
	ms: number,
	itemIndex?: number,
	taskId?: string,
): Promise<void> {
	const signal = cancelSignal(context);
	if (signal?.aborted) throw cancelledError(context.getNode(), itemIndex, taskId);
	try {
		await sleep(Math.max(0, ms), signal);
	} catch (error) {
		if (signal?.aborted) throw cancelledError(context.getNode(), itemIndex, taskId);
		throw operationError(context.getNode(), (error as Error).message, { itemIndex });
	}
}
