import type { IDataObject } from 'n8n-workflow';
import {
	CLIENT_TASK_ERROR_CODES,
	RESULT_URL_LIFETIME_MS,
	TERMINAL_STATUSES,
} from '../helpers/limits';
import { modelRules } from '../models';
import type { SeedreamTask } from '../helpers/taskShape';

export type { SeedreamTask };

export function isTerminal(task: SeedreamTask): boolean {
	return (TERMINAL_STATUSES as readonly string[]).includes(task.status);
}

/** One image of a task; a layer task's images also say which layer they are. */
export interface TaskImage {
	url: string;
	layer?: TaskLayer;
}

/** A layer of a decomposition (docs/evolink-seedream-5.md §4): z_index 0 is the base image. */
export interface TaskLayer {
	zIndex: number;
	name: string | null;
	description: string | null;
	/** As the API sent it (`{absolute, normalized}`, or another array or object form), null when missing. */
	boundingBox: IDataObject | IDataObject[] | number[] | null;
}

/** The task's images in order: result URLs, or for a layer task its layers, base first. */
export function taskImages(task: SeedreamTask): TaskImage[] {
	const urls = listedResultUrls(task);
	const data = task.result_data;
	const entries = Array.isArray(data)
		? data
		: data && typeof data === 'object'
			? [data]
			: undefined;
	if (!entries) {
		if (modelRules(task.model)?.results !== 'layers') return urls.map((url) => ({ url }));
		// docs/evolink-seedream-5.md §7: without result_data, `results` in order, z_index = position.
		return urls.map((url, position) => ({ url, layer: bareLayer(position) }));
	}
	// §7 (the shape is unverified): the URL from image_url, else url, else results[i]; sorted by z_index.
	const images = entries.map((entry, position): { url?: string; layer: TaskLayer } => {
		const url = text(entry?.image_url) ?? text(entry?.url) ?? urls[position];
		const zIndex = Number(entry?.z_index);
		const box = entry?.bounding_box;
		return {
			url,
			layer: {
				zIndex: Number.isFinite(zIndex) ? zIndex : position,
				name: text(entry?.name) ?? null,
				description: text(entry?.description) ?? null,
				boundingBox: box && typeof box === 'object' ? (box as TaskLayer['boundingBox']) : null,
			},
		};
	});
	return images
		.filter((image): image is { url: string; layer: TaskLayer } => typeof image.url === 'string')
		.sort((a, b) => a.layer.zIndex - b.layer.zIndex);
}

/** The task's image URLs in output order (a layer task's: base first). */
export function resultUrls(task: SeedreamTask): string[] {
	return taskImages(task).map((image) => image.url);
}

/** `results`: the spec documents strings, and gateways of the same family send `{url}` objects. */
function listedResultUrls(task: SeedreamTask): string[] {
	const results = Array.isArray(task.results) ? task.results : [];
	return results
		.map((entry) => (typeof entry === 'string' ? entry : entry?.url))
		.filter((url): url is string => typeof url === 'string' && url !== '');
}

function bareLayer(zIndex: number): TaskLayer {
	return { zIndex, name: null, description: null, boundingBox: null };
}

function text(value: unknown): string | undefined {
	return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Seconds the service expects the task to take, when it says (`task_info.estimated_time`). */
export function estimatedSeconds(task: SeedreamTask): number | undefined {
	const value = Number(task.task_info?.estimated_time);
	return Number.isFinite(value) && value > 0 ? value : undefined;
}

/**
 * When the result URLs stop working: 24 h after completion (docs/evolink-api.md §3). The task object carries no
 * completion time (unverified: a `completed_at`/`finished_at` is read when present), so the fallback is
 * the earliest it can be, 24 h after creation, which never promises a link that is already dead.
 */
export function resultsExpireAt(task: SeedreamTask): string | undefined {
	const completed = [task.completed_at, task.finished_at, task.created]
		.map(Number)
		.find((seconds) => Number.isFinite(seconds) && seconds > 0);
	if (completed === undefined) return undefined;
	return new Date(completed * 1000 + RESULT_URL_LIFETIME_MS).toISOString();
}

/** Whether a new task may succeed where this one failed: the spec splits client- and server-side codes. */
export function isRetryableTaskError(code: string | number | undefined): boolean {
	// Codes the spec does not list count as server-side: a new task costs nothing when it fails again.
	return !CLIENT_TASK_ERROR_CODES.includes(String(code));
}

/**
 * What the task costs, from `usage` (docs/evolink-api.md §2, §3): `credits_reserved` at submission (for `n`
 * images), and `credits_used` once settled, which the docs do not list but EvoLink's client reads (so it is
 * passed on only when present).
 */
export function taskCredits(task: SeedreamTask): IDataObject {
	const credits: IDataObject = {};
	const reserved = Number(task.usage?.credits_reserved);
	const used = Number(task.usage?.credits_used);
	if (task.usage?.credits_reserved !== undefined && Number.isFinite(reserved))
		credits.creditsReserved = reserved;
	if (task.usage?.credits_used !== undefined && Number.isFinite(used)) credits.creditsUsed = used;
	return credits;
}

/** The compact view of a task: what an AI agent or a "don't wait" run needs to go on. */
export function taskSummary(task: SeedreamTask): IDataObject {
	const summary: IDataObject = { taskId: task.id, status: task.status, ...taskCredits(task) };
	if (task.model !== undefined) summary.model = task.model;
	if (task.progress !== undefined) summary.progress = task.progress;
	const estimate = estimatedSeconds(task);
	if (estimate !== undefined) summary.estimatedTime = estimate;
	if (task.created !== undefined) summary.createdAt = new Date(task.created * 1000).toISOString();
	if (task.usage !== undefined) summary.usage = task.usage;
	return summary;
}
