// @ts-check
// The same node under n8n 2.x's production expression engine (isolated-vm), where parameters come from
// expressions: the key derivation reads the run index, references come from item fields.
import { GENERATE, itemsWithFiles, png, startSuite } from './support.mjs';

/** @type {import('./support.mjs').Suite} */
let suite;
beforeAll(async () => {
	suite = await startSuite({ engine: 'vm' });
});
beforeEach(async () => await suite.reset());
afterAll(async () => await suite?.close());

test('the harness runs the vm engine', async () => {
	const { workflowLib } = await import('../harness/n8n.mjs');
	expect(workflowLib.Expression.getActiveImplementation()).toBe('vm');
});

test('Generate with expressions per item, binary references and binary output', async () => {
	const items = await itemsWithFiles(suite, [await png(40, 40, 'a'), await png(50, 40, 'b')]);
	items[0].json.subject = 'a kestrel';
	items[1].json.subject = 'a barn owl';
	const result = await suite.run(
		{
			...GENERATE,
			prompt: '={{ "a watercolor of " + $json.subject }}',
			n: '={{ $itemIndex + 1 }}',
			referenceImages: { images: [{ source: 'binary', binaryPropertyName: 'data' }] },
		},
		{ items },
	);
	expect(result.status).toBe('success');
	const out = result.output('Seedream');
	expect(out.map((/** @type {any} */ i) => i.pairedItem.item)).toEqual([0, 1]);
	expect(Object.keys(out[0].binary)).toEqual(['data']);
	const creates = await suite.requests({ method: 'POST', path: '/v1/images/generations' });
	expect(creates.map((/** @type {any} */ c) => [c.body.prompt, c.body.n]).sort()).toEqual([
		['a watercolor of a barn owl', 2],
		['a watercolor of a kestrel', 1],
	]);
	expect(await suite.requests({ method: 'POST', path: '/api/v1/files/upload/' })).toHaveLength(2);
});
