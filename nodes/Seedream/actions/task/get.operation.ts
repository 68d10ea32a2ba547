import {
	updateDisplayOptions,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
} from 'n8n-workflow';
import { getTask } from '../../transport';
import type { ResultOptions } from '../../helpers/results';
import { taskToItems } from '../../tasks/items';
import { Validator } from '../../helpers/validate';
import { isTerminal } from '../../tasks/task';
import { EMPTY_RESULTS_GRACE_MS, waitForTask } from '../../tasks/wait';
import { readMaxWaitMs, readResultOptions } from '../../../shared/parameters';
import {
	optionsCollection,
	resultOptions,
	versionedOutputProperty,
	waitModeProperty,
	waitOptions,
} from '../../../shared/properties';
import { withVersionedDefault } from '../../../shared/versions';

const properties: INodeProperties[] = [
	{
		displayName: 'Task ID',
		name: 'taskId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'task-unified-1757165031-seedream4d',
		description:
			'The ID a Generate run returned (field taskId). Reading a task is free: this is how to pick up results without paying again.',
	},
	// Version 1 read once and output URLs; from 1.1 it waits and outputs binary, like Generate (nodes/shared/versions.ts).
	...withVersionedDefault(
		{
			...waitModeProperty,
			// Generate's choices, less the callback (a task read back has no callback to wait for).
			options: [
				...(waitModeProperty.options ?? []).filter(
					(option) => 'value' in option && option.value === 'wait',
				),
				{
					name: "Don't Wait",
					value: 'dontWait',
					description: 'Read the task once: its images if it has finished, else its status',
				},
			],
		},
		{ v1: 'dontWait', current: 'wait' },
	),
	...versionedOutputProperty(),
	optionsCollection([...waitOptions, ...resultOptions]),
];

export const description = updateDisplayOptions(
	{ show: { resource: ['task'], operation: ['get'] } },
	properties,
);

interface GetPlan {
	taskId: string;
	results: ResultOptions;
	maxWaitMs?: number;
}

/** Reads and checks the task ID and the options; nothing is sent. */
export async function prepare(this: IExecuteFunctions, itemIndex: number): Promise<GetPlan> {
	const taskId = new Validator(this.getNode(), itemIndex).taskId(
		this.getNodeParameter('taskId', itemIndex),
	);
	const wait = this.getNodeParameter('waitMode', itemIndex) === 'wait';
	return {
		taskId,
		results: readResultOptions.call(this, itemIndex),
		maxWaitMs: wait ? readMaxWaitMs.call(this, itemIndex) : undefined,
	};
}

export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	plan: GetPlan,
): Promise<INodeExecutionData[]> {
	let task = await getTask.call(this, plan.taskId, itemIndex);
	// Don't Wait still gives a finished task the grace for results listed late (docs/evolink-api.md §3).
	const maxWaitMs = plan.maxWaitMs ?? (isTerminal(task) ? EMPTY_RESULTS_GRACE_MS : undefined);
	if (maxWaitMs !== undefined) {
		task = (await waitForTask.call(this, task, { maxWaitMs, itemIndex })).task;
	}
	return await taskToItems.call(this, task, plan.results, itemIndex);
}
