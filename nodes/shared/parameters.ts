/** Reading and checking the parameters both nodes share (an expression can give any value). */

import { NodeConnectionTypes, type IExecuteFunctions } from 'n8n-workflow';
import { DEFAULT_CONCURRENCY } from '../Seedream/helpers/concurrency';
import {
	DEFAULT_BINARY_PROPERTY,
	DEFAULT_MAX_DOWNLOAD_MB,
	type OutputShape,
	type ResultOptions,
} from '../Seedream/helpers/results';
import { Validator } from '../Seedream/helpers/validate';
import { DEFAULT_MAX_WAIT_SECONDS, OPTION_RANGES } from './properties';

/** Reads a node parameter with a fallback: `getNodeParameter` of an execute context (per item) or a webhook. */
export type ParameterReader = <T>(name: string, fallback: T) => T;

/** Where the images go and how big they may be: the options Generate, Task > Get and the trigger share. */
export function readDownloadOptions(
	read: ParameterReader,
	validator: Validator,
): Required<Pick<ResultOptions, 'binaryPropertyName' | 'maxDownloadBytes'>> {
	const maxDownloadMB = validator.numberOption(
		'Max Download Size (MB)',
		read<unknown>('options.maxDownloadMB', DEFAULT_MAX_DOWNLOAD_MB),
		OPTION_RANGES.maxDownloadMB,
	);
	return {
		binaryPropertyName: String(read('options.binaryPropertyName', DEFAULT_BINARY_PROPERTY)),
		maxDownloadBytes: maxDownloadMB * 1024 * 1024,
	};
}

export function readResultOptions(
	this: IExecuteFunctions,
	itemIndex: number,
	requested?: ResultOptions['requested'],
): ResultOptions {
	const read: ParameterReader = (name, fallback) =>
		this.getNodeParameter(name, itemIndex, fallback) as typeof fallback;
	const chosen = this.getNodeParameter('output', itemIndex) as OutputShape;
	const binaryWhenTool = read('options.binaryWhenTool', false);
	const downloads = chosen === 'binaryPerImage' || chosen === 'binaryPerTask';
	return {
		output: isToolCall(this) && downloads && !binaryWhenTool ? 'compact' : chosen,
		...readDownloadOptions(read, new Validator(this.getNode(), itemIndex)),
		requested,
	};
}

/**
 * Whether an AI agent called the node as a tool. Two ways in: n8n runs a tool through `supplyData`, where
 * `isToolExecution()` says so (older versions lack the method), or (the AI Agent since v3, n8n 2.x) as an
 * ordinary node the engine schedules for the agent's tool call, where `isToolExecution()` is false and the
 * engine marks the node by sending its output to the `ai_tool` connection, as n8n's own error handling checks.
 */
export function isToolCall(context: IExecuteFunctions): boolean {
	if (typeof context.isToolExecution === 'function' && context.isToolExecution()) return true;
	return context.getNode().rewireOutputLogTo === NodeConnectionTypes.AiTool;
}

export function readMaxWaitMs(this: IExecuteFunctions, itemIndex: number): number {
	const seconds = new Validator(this.getNode(), itemIndex).numberOption(
		'Max Wait (Seconds)',
		this.getNodeParameter('options.maxWaitSeconds', itemIndex, DEFAULT_MAX_WAIT_SECONDS),
		OPTION_RANGES.maxWaitSeconds,
	);
	return seconds * 1000;
}

/** Items at once: read for item 0, checked before any item is prepared. */
export function readConcurrency(this: IExecuteFunctions): number {
	return new Validator(this.getNode(), 0).numberOption(
		'Concurrency',
		this.getNodeParameter('options.concurrency', 0, DEFAULT_CONCURRENCY),
		OPTION_RANGES.concurrency,
	);
}
