import type { INodeProperties } from 'n8n-workflow';

/**
 * Node versions. n8n saves only the parameters that differ from their defaults, so a changed default would
 * silently change every saved workflow: defaults change only with a new version, and a node saved at an older
 * version keeps that version's defaults (as n8n's own nodes do).
 * - 1.1: Task > Get waits and outputs binary, like Generate; the trigger outputs binary, Generate's shape;
 *   Generate asks for several images in the prompt when Max Images > 1.
 */
export const NODE_VERSIONS = [1, 1.1];
export const CURRENT_NODE_VERSION = 1.1;

/** The same parameter twice: version 1's default, and the default of 1.1 on. */
export function withVersionedDefault<T extends INodeProperties['default']>(
	property: INodeProperties,
	defaults: { v1: T; current: T },
): INodeProperties[] {
	// '@version' first: n8n stops checking a copy's `show` rules at the first one whose value is an expression
	// (say Max Images `={{ ... }}`), and both copies would then show, the later one winning.
	const at = (version: INodeProperties['displayOptions']) => ({
		...(property.displayOptions ?? {}),
		show: { ...version?.show, ...(property.displayOptions?.show ?? {}) },
	});
	return [
		{ ...property, default: defaults.v1, displayOptions: at({ show: { '@version': [1] } }) },
		{
			...property,
			default: defaults.current,
			displayOptions: at({ show: { '@version': [{ _cnd: { gte: CURRENT_NODE_VERSION } }] } }),
		},
	];
}
