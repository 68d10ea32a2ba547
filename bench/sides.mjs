// @ts-check
// The two contenders as workflows: our built Seedream node (dist/) and the baseline node, with the same
// request (prompt, n, size, binary reference fields) and the same kind of output.
import { seedreamWorkflow } from './harness.mjs';
import { baselineWorkflow } from './baseline-node.mjs';

/**
 * @typedef {{ prompt: string, n?: number, size?: '1K' | '2K' | '4K', output?: 'binary' | 'urls',
 *   references?: string[], concurrency?: number, waitMode?: 'wait' | 'callback' | 'dontWait' }} Request
 * @typedef {{ name: 'ours' | 'baseline', nodeName: string, workflow: (request: Request) => any }} Side
 */

/** @type {Side} */
export const ours = {
	name: 'ours',
	nodeName: 'Seedream',
	workflow: ({
		prompt,
		n = 1,
		size = '1K',
		output = 'binary',
		references = [],
		concurrency,
		waitMode = 'wait',
	}) =>
		seedreamWorkflow({
			resource: 'image',
			operation: 'generate',
			prompt,
			n,
			sizeMode: 'preset',
			size,
			waitMode,
			output: output === 'urls' ? 'urls' : 'binaryPerImage',
			...(references.length
				? {
						referenceImages: {
							images: references.map((field) => ({ source: 'binary', binaryPropertyName: field })),
						},
					}
				: {}),
			options: concurrency ? { concurrency } : {},
		}),
};

/** @type {Side} */
export const baseline = {
	name: 'baseline',
	nodeName: 'Seedream Baseline',
	workflow: ({ prompt, n = 1, size = '1K', output = 'binary', references = [] }) =>
		baselineWorkflow({ prompt, n, size, output, referenceFields: references.join(',') }),
};

export const sides = [ours, baseline];
