/**
 * The item loop and the error policy, in one place.
 *
 * Two phases: first every item is read and checked (nothing sent), so a bad item stops the run before any
 * other item has paid for a task; then the items run with bounded concurrency. Output order is input order,
 * every item carries `pairedItem`, and with continueOnFail a failed item becomes an error item (with the
 * task ID when there is one) while the others keep their results.
 */

import { type IDataObject, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';
import { mapWithConcurrency } from '../helpers/concurrency';
import { asNodeError, errorItem, operationError } from '../helpers/errors';
import { withCreatedTasks } from '../tasks/errors';
import * as account from './account';
import * as image from './image';
import { readConcurrency } from '../../shared/parameters';
import * as task from './task';

interface Operation {
	prepare?: (this: IExecuteFunctions, itemIndex: number) => Promise<unknown>;
	execute: (
		this: IExecuteFunctions,
		itemIndex: number,
		plan: never,
	) => Promise<INodeExecutionData[]>;
	/** Runs once every item has its output (Generate pauses here for its callbacks). */
	afterAll?: (this: IExecuteFunctions, output: INodeExecutionData[]) => Promise<void>;
}

const operations: Record<string, Record<string, Operation>> = {
	image: { generate: image.generate, decomposeLayers: image.decomposeLayers },
	task: { get: task.get },
	account: { getCredits: account.getCredits },
};

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const resource = this.getNodeParameter('resource', 0) as string;
	const operationName = this.getNodeParameter('operation', 0) as string;
	const operation = operations[resource]?.[operationName];
	if (!operation) {
		throw operationError(
			this.getNode(),
			`The operation "${operationName}" of "${resource}" is not supported`,
		);
	}
	const concurrency = readConcurrency.call(this);

	const outputs: INodeExecutionData[][] = items.map(() => []);
	const done = new Set<number>();
	let fatal: { itemIndex: number; error: unknown } | undefined;
	const errors: unknown[] = [];
	const fail = (itemIndex: number, error: unknown) => {
		done.add(itemIndex);
		errors[itemIndex] = error;
		if (this.continueOnFail()) {
			outputs[itemIndex] = [errorItem(error, itemIndex)];
		} else if (!fatal || itemIndex < fatal.itemIndex) {
			fatal = { itemIndex, error };
		}
	};

	const plans: unknown[] = [];
	for (let itemIndex = 0; itemIndex < items.length && !fatal; itemIndex++) {
		try {
			plans[itemIndex] = await operation.prepare?.call(this, itemIndex);
		} catch (error) {
			fail(itemIndex, error);
		}
	}

	if (!fatal) {
		const pending = items
			.map((_, itemIndex) => itemIndex)
			.filter((itemIndex) => !done.has(itemIndex));
		await mapWithConcurrency(
			pending,
			concurrency,
			async (itemIndex) => {
				try {
					outputs[itemIndex] = await operation.execute.call(
						this,
						itemIndex,
						plans[itemIndex] as never,
					);
				} catch (error) {
					fail(itemIndex, error);
				}
			},
			() => fatal !== undefined,
		);
	}

	if (fatal) {
		const nodeError = asNodeError(this.getNode(), fatal.error, fatal.itemIndex);
		// Tasks other items created are paid for: the error lists them, so none is lost.
		throw withCreatedTasks(nodeError, createdTasks(outputs, errors, fatal.itemIndex));
	}
	const output = outputs.flat();
	await operation.afterAll?.call(this, output);
	return [output];
}

/**
 * The tasks items other than `except` created, from their output items and their errors (a failed Exactly N
 * item's error lists all its tasks: tasks/errors.ts withItemTasks). The failing item's own tasks are in its error.
 */
function createdTasks(
	outputs: INodeExecutionData[][],
	errors: unknown[],
	except: number,
): Array<{ itemIndex: number; taskId: string }> {
	const created: Array<{ itemIndex: number; taskId: string }> = [];
	outputs.forEach((items, itemIndex) => {
		if (itemIndex === except) return;
		const ids = items.map((item) => item.json.taskId);
		const context = (errors[itemIndex] as { context?: IDataObject } | undefined)?.context;
		ids.push(context?.taskId);
		if (Array.isArray(context?.itemTasks)) {
			for (const task of context.itemTasks as IDataObject[]) ids.push(task.taskId);
		}
		for (const taskId of new Set(ids)) {
			if (typeof taskId === 'string') created.push({ itemIndex, taskId });
		}
	});
	return created;
}
