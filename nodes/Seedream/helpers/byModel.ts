import type { INodeProperties } from 'n8n-workflow';
import type { ModelRules } from '../models';

/**
 * A parameter built from each model's table, as few copies as it takes: models whose tables give the same
 * parameter share one copy, shown only for them (`displayOptions` on the model). A model for which `build`
 * returns nothing never shows the parameter, so a user never sees a field the chosen model cannot take.
 * n8n resolves same-named copies to the one shown, with that copy's default.
 *
 * `modelParameter` is how the copy refers to the model: `model` at the top level, `/model` inside a collection.
 */
export function byModel(
	models: readonly ModelRules[],
	build: (rules: ModelRules) => INodeProperties | undefined,
	modelParameter = 'model',
): INodeProperties[] {
	const groups = new Map<string, { property: INodeProperties; ids: string[] }>();
	for (const rules of models) {
		const property = build(rules);
		if (!property) continue;
		const key = JSON.stringify(property);
		const group = groups.get(key);
		if (group) group.ids.push(rules.id);
		else groups.set(key, { property, ids: [rules.id] });
	}
	return [...groups.values()].map(({ property, ids }) => ({
		...property,
		displayOptions: {
			...property.displayOptions,
			show: { ...property.displayOptions?.show, [modelParameter]: ids },
		},
	}));
}

/**
 * A parameter default taken from a model table. n8n's lint reads `default` statically and accepts a literal, a
 * variable or a call, not a property path: this call says where the value comes from.
 */
export function fromTable<T>(value: T): T {
	return value;
}
