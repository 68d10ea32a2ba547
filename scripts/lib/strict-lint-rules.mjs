// @ts-check
// Rules that n8n's development branch adds to @n8n/eslint-plugin-community-nodes but no published version
// (0.32.0 is the newest on the registry) carries yet. Written here from their documented behaviour, under the
// same names, so that the strict lint (scripts/lint-strict.mjs) holds the package to them now; drop a rule
// from here when the plugin that n8n-node pulls in ships it.
// - node-execute-block: in a `*.node.ts`, every `new NodeOperationError(...)` ends with an options object
//   literal that has an `itemIndex` property, so n8n can tie the error to the item that caused it.
// - node-operation-error-itemindex: inside `execute()`, a `new NodeOperationError/NodeApiError(...)` in a loop
//   over the input items (a `for` bounded by `items.length`, or a `for...of` over them, `items` coming from
//   `this.getInputData()`) passes `{ itemIndex }` as its third argument (an options value that cannot be read
//   statically, a variable or an object with a spread, is given the benefit of the doubt).

/** @typedef {import('eslint').Rule.RuleModule} RuleModule */
/** @typedef {import('estree').Node & { parent?: any }} Node */

/** @param {string} filename */
const isNodeFile = (filename) => filename.endsWith('.node.ts');

/** @param {any} object an ObjectExpression @param {string} name */
function hasProperty(object, name) {
	return object.properties.some(
		(/** @type {any} */ p) =>
			p.type === 'Property' &&
			((p.key.type === 'Identifier' && !p.computed && p.key.name === name) ||
				(p.key.type === 'Literal' && p.key.value === name)),
	);
}

/** @type {RuleModule} */
const nodeExecuteBlock = {
	meta: {
		type: 'problem',
		docs: { description: 'NodeOperationError in a *.node.ts carries an `{ itemIndex }` option' },
		messages: {
			missingItemIndex:
				'NodeOperationError must end with an options object that has `itemIndex`, so n8n ties the error to an item',
		},
		schema: [],
	},
	create(context) {
		if (!isNodeFile(context.filename)) return {};
		return {
			NewExpression(node) {
				if (node.callee.type !== 'Identifier' || node.callee.name !== 'NodeOperationError') return;
				const last = /** @type {any} */ (node.arguments.at(-1));
				if (last?.type === 'ObjectExpression' && hasProperty(last, 'itemIndex')) return;
				context.report({ node, messageId: 'missingItemIndex' });
			},
		};
	},
};

const ITEM_ERRORS = new Set(['NodeOperationError', 'NodeApiError']);

/** @param {any} node */
function isGetInputData(node) {
	return (
		node?.type === 'CallExpression' &&
		node.callee.type === 'MemberExpression' &&
		node.callee.object.type === 'ThisExpression' &&
		node.callee.property.type === 'Identifier' &&
		node.callee.property.name === 'getInputData'
	);
}

/** @type {RuleModule} */
const nodeOperationErrorItemIndex = {
	meta: {
		type: 'problem',
		docs: {
			description: 'An item error inside the item loop of execute() carries `{ itemIndex }`',
		},
		messages: {
			missingItemIndex:
				'`new {{ errorClass }}(...)` inside an item loop needs `{ itemIndex }` as its third argument',
		},
		schema: [],
	},
	create(context) {
		if (!isNodeFile(context.filename)) return {};
		/** @type {any[]} execute() methods we are inside of (a stack: classes may nest) */
		const executes = [];
		/** @type {Set<string>} */
		const itemVariables = new Set();
		/** @type {Set<any>} */
		const itemLoops = new Set();
		/** @param {any} node */
		const lengthOfItems = (node) =>
			node?.type === 'MemberExpression' &&
			!node.computed &&
			node.property.type === 'Identifier' &&
			node.property.name === 'length' &&
			node.object.type === 'Identifier' &&
			itemVariables.has(node.object.name);
		/** @param {any} node */
		const isExecute = (node) =>
			node.key.type === 'Identifier' &&
			node.key.name === 'execute' &&
			node.parent?.parent?.type?.startsWith('Class');
		return {
			MethodDefinition(node) {
				if (isExecute(node)) executes.push(node);
			},
			'MethodDefinition:exit'(node) {
				if (executes.at(-1) === node) {
					executes.pop();
					itemVariables.clear();
					itemLoops.clear();
				}
			},
			VariableDeclarator(node) {
				if (executes.length && node.id.type === 'Identifier' && isGetInputData(node.init)) {
					itemVariables.add(node.id.name);
				}
			},
			ForStatement(node) {
				const test = /** @type {any} */ (node.test);
				if (
					executes.length &&
					test?.type === 'BinaryExpression' &&
					(lengthOfItems(test.left) || lengthOfItems(test.right))
				) {
					itemLoops.add(node);
				}
			},
			'ForStatement:exit'(node) {
				itemLoops.delete(node);
			},
			ForOfStatement(node) {
				const over = /** @type {any} */ (node.right);
				if (
					executes.length &&
					((over.type === 'Identifier' && itemVariables.has(over.name)) || isGetInputData(over))
				) {
					itemLoops.add(node);
				}
			},
			'ForOfStatement:exit'(node) {
				itemLoops.delete(node);
			},
			NewExpression(node) {
				if (
					itemLoops.size === 0 ||
					node.callee.type !== 'Identifier' ||
					!ITEM_ERRORS.has(node.callee.name)
				)
					return;
				const options = /** @type {any} */ (node.arguments[2]);
				const fine =
					options !== undefined &&
					(options.type !== 'ObjectExpression' ||
						options.properties.some((/** @type {any} */ p) => p.type === 'SpreadElement') ||
						hasProperty(options, 'itemIndex'));
				if (!fine)
					context.report({
						node,
						messageId: 'missingItemIndex',
						data: { errorClass: node.callee.name },
					});
			},
		};
	},
};

/** An ESLint plugin with the rules above, under the namespace of the plugin they come from. */
export const upcomingCommunityNodeRules = {
	meta: { name: 'n8n-nodes-seedream/upcoming-community-node-rules' },
	rules: {
		'node-execute-block': nodeExecuteBlock,
		'node-operation-error-itemindex': nodeOperationErrorItemIndex,
	},
};
