/**
 * A task -> output items, the same for every node that ends with a task (Generate, Task > Get, the trigger).
 *
 * Shapes (`output`):
 * - `binaryPerImage`: one item per image, the image in binary field `binaryPropertyName` (default `data`).
 * - `binaryPerTask`: one item per task, images in binary fields `image_0`, `image_1`, ...
 * - `urls`: one item per image, JSON only (no download).
 * - `compact`: one item per task: task ID, status, image URLs, expiry (what an AI agent needs).
 * A task that has not ended gives one item with its summary (task ID, status, progress, estimated time).
 * A layer task (Decompose Layers) gives its layers, base first, each with `zIndex`, `name`, `description` and
 * `boundingBox`: per image the same shapes, one item per layer or all layers on one item.
 */

import type {
	IBinaryData,
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	IWebhookFunctions,
} from 'n8n-workflow';
import { downloadFile } from '../transport';
import { mapWithConcurrency } from '../helpers/concurrency';
import { imagesMadeNote, type ImagesMode } from '../helpers/imageCount';
import { FILE_EXTENSIONS, imageInfo } from '../helpers/imageInfo';
import {
	DEFAULT_BINARY_PROPERTY,
	DEFAULT_MAX_DOWNLOAD_MB,
	TASK_BINARY_PREFIX,
	type ResultOptions,
} from '../helpers/results';
import {
	isTerminal,
	resultsExpireAt,
	taskCredits,
	taskImages,
	taskSummary,
	type SeedreamTask,
	type TaskLayer,
} from './task';
import { namingTask, notAnImageError, taskFailedError } from './errors';

/** Downloads of one task at once: enough to overlap latency; each streams, so memory stays flat. */
const DOWNLOAD_CONCURRENCY = 4;

export type ResultContext = IExecuteFunctions | IWebhookFunctions;

export async function taskToItems(
	this: ResultContext,
	task: SeedreamTask,
	options: ResultOptions,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const pairedItem = { item: itemIndex };
	if (isTerminal(task) && task.status !== 'completed')
		throw taskFailedError(this.getNode(), task, itemIndex);
	const images = taskImages(task);
	const urls = images.map((image) => image.url);
	const layerOf = (imageIndex: number): IDataObject => layerFields(images[imageIndex].layer);
	if (task.status !== 'completed' || urls.length === 0) {
		return [
			{ json: { ...taskSummary(task), imageUrls: urls, ...options.annotations }, pairedItem },
		];
	}

	const common: IDataObject = {
		taskId: task.id,
		status: task.status,
		model: task.model,
		imageCount: urls.length,
		expiresAt: resultsExpireAt(task),
		usage: task.usage,
		...taskCredits(task),
		...requestedFields(options.requested),
		...options.annotations,
		...shortfall(options.annotations, urls.length),
	};

	if (options.output === 'compact') {
		return [
			{
				json: {
					taskId: task.id,
					status: task.status,
					imageUrls: urls,
					expiresAt: common.expiresAt,
					...taskCredits(task),
					...options.annotations,
					...shortfall(options.annotations, urls.length),
					...(images.some((image) => image.layer)
						? { layers: images.map((image, i) => ({ url: image.url, ...layerOf(i) })) }
						: {}),
				},
				pairedItem,
			},
		];
	}
	if (options.output === 'urls') {
		return urls.map((url, imageIndex) => ({
			json: { ...common, imageIndex, url, ...layerOf(imageIndex) },
			pairedItem,
		}));
	}

	const maxBytes = options.maxDownloadBytes ?? DEFAULT_MAX_DOWNLOAD_MB * 1024 * 1024;
	const files = (await mapWithConcurrency(urls, DOWNLOAD_CONCURRENCY, async (url, imageIndex) =>
		downloadImage.call(this, task, url, imageIndex, maxBytes, itemIndex),
	)) as IBinaryData[];

	if (options.output === 'binaryPerTask') {
		const binary: Record<string, IBinaryData> = {};
		const images = files.map((file, imageIndex) => {
			const binaryProperty = `${TASK_BINARY_PREFIX}${imageIndex}`;
			binary[binaryProperty] = file;
			return {
				imageIndex,
				url: urls[imageIndex],
				binaryProperty,
				fileName: file.fileName,
				mimeType: file.mimeType,
				...layerOf(imageIndex),
			};
		});
		return [{ json: { ...common, imageUrls: urls, images }, binary, pairedItem }];
	}

	const binaryProperty = options.binaryPropertyName?.trim() || DEFAULT_BINARY_PROPERTY;
	return files.map((file, imageIndex) => ({
		json: {
			...common,
			imageIndex,
			url: urls[imageIndex],
			fileName: file.fileName,
			mimeType: file.mimeType,
			...layerOf(imageIndex),
		},
		binary: { [binaryProperty]: file },
		pairedItem,
	}));
}

async function downloadImage(
	this: ResultContext,
	task: SeedreamTask,
	url: string,
	imageIndex: number,
	maxBytes: number,
	itemIndex: number,
): Promise<IBinaryData> {
	let download;
	try {
		download = await downloadFile.call(this, url, {
			maxBytes,
			what: `image ${imageIndex} of task ${task.id}`,
			itemIndex,
		});
	} catch (error) {
		throw namingTask(error, task.id);
	}
	// By the bytes, never by the declared type or the URL: a host's error page served as image/png is no image.
	const mimeType = imageInfo(download.head)?.mimeType;
	if (!mimeType) {
		download.stream.destroy();
		throw notAnImageError(this.getNode(), task, imageIndex, download.mimeType, url, itemIndex);
	}
	const fileName = `${task.id}-${imageIndex}.${FILE_EXTENSIONS[mimeType] ?? 'png'}`;
	// A stream, never a buffer: in filesystem mode n8n writes it to disk as it arrives.
	return await this.helpers.prepareBinaryData(download.stream, fileName, mimeType);
}

function layerFields(layer: TaskLayer | undefined): IDataObject {
	if (!layer) return {};
	return {
		zIndex: layer.zIndex,
		name: layer.name,
		description: layer.description,
		boundingBox: layer.boundingBox as IDataObject | null,
	};
}

/** One task that asked for several images: say so when fewer came (Exactly N counts across its tasks). */
function shortfall(annotations: IDataObject | undefined, made: number): IDataObject {
	const mode = annotations?.imagesMode as ImagesMode | undefined;
	if (!mode || mode === 'exactly' || typeof annotations?.maxImages !== 'number') return {};
	const note = imagesMadeNote(made, annotations.maxImages, mode);
	return note ? { imagesNote: note } : {};
}

function requestedFields(requested: ResultOptions['requested']): IDataObject {
	const fields: IDataObject = {};
	if (requested?.size !== undefined) fields.size = requested.size;
	if (requested?.quality !== undefined) fields.quality = requested.quality;
	return fields;
}

/**
 * Exactly N: each item's N one-image tasks are one set. Its per-image items (One Item per Image, URLs Only) are
 * numbered across the set (`imageIndex` 0..count-1, `imageCount`), and once every task has ended (not with
 * Don't Wait, nor while awaiting callbacks) a note says when fewer than N images came. The same for every wait
 * mode: Generate calls it when its tasks end, and the callback resume once more when it has them all
 * (tasks/callbackWait.ts). Error items are not part of the set.
 */
export function numberImageSets(items: INodeExecutionData[]): void {
	const sets = new Map<number, INodeExecutionData[]>();
	for (const item of items) {
		if (item.json.imagesMode !== 'exactly' || item.json.error !== undefined) continue;
		const paired = item.pairedItem as { item?: number } | undefined;
		const key = paired?.item ?? 0;
		sets.set(key, [...(sets.get(key) ?? []), item]);
	}
	for (const set of sets.values()) {
		const perImage = set.filter((item) => typeof item.json.url === 'string');
		perImage.forEach((item, imageIndex) => {
			item.json.imageIndex = imageIndex;
			item.json.imageCount = perImage.length;
		});
		if (!set.every((item) => item.json.status === 'completed')) continue;
		const count = set.reduce(
			(sum, item) =>
				sum +
				(Array.isArray(item.json.imageUrls) ? item.json.imageUrls.length : item.json.url ? 1 : 0),
			0,
		);
		const note = imagesMadeNote(count, Number(set[0].json.maxImages), 'exactly');
		if (note) for (const item of set) item.json.imagesNote = note;
	}
}
