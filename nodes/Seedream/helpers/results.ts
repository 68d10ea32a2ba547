/**
 * How a task's results come out: the output shapes and the options that shape them, read by the parameter
 * readers both nodes share (nodes/shared) and turned into items by tasks/items.ts.
 */

import type { IDataObject } from 'n8n-workflow';

export const OUTPUT_SHAPES = ['binaryPerImage', 'binaryPerTask', 'urls', 'compact'] as const;
export type OutputShape = (typeof OUTPUT_SHAPES)[number];

export const DEFAULT_BINARY_PROPERTY = 'data';
export const TASK_BINARY_PREFIX = 'image_';
export const DEFAULT_MAX_DOWNLOAD_MB = 50;
export interface ResultOptions {
	output: OutputShape;
	binaryPropertyName?: string;
	maxDownloadBytes?: number;
	/** What was asked for, echoed in the JSON when known (Generate knows; a task read back does not). */
	requested?: { size?: string; quality?: string; n?: number };
	/** Facts Generate adds to every item of the task (how its images were asked for: helpers/imageCount.ts). */
	annotations?: IDataObject;
}
