// @ts-check
// Runs workflow JSON in-process on n8n-core's own engine (WorkflowExecute), with our built package's node types.
// What to construct and why: docs/n8n-core-harness.md; the gotchas it names (G1-G10) are cited below.
import { ensureUserFolder, removeUserFolder, core, di, workflowLib } from './n8n.mjs';
import { HarnessCredentialsHelper } from './credentials-helper.mjs';
import { loadNodeTypes } from './node-types.mjs';
import { testCredential } from './credential-tester.mjs';
import { invokeAsTool } from './tool.mjs';
import { resumeWaitingExecution } from './resume.mjs';
import { createWaitingExecutions } from './waiting.mjs';

const { Container } = di;
const { BinaryDataConfig, BinaryDataService, ExecutionLifecycleHooks, WorkflowExecute } = core;
const { Expression, Workflow, createRunExecutionData } = workflowLib;

/** Where a real n8n would listen; only used to build URLs such as $execution.resumeUrl (G8). */
const DEFAULT_INSTANCE_URL = 'http://127.0.0.1:5678';

/** @typedef {'default' | 'filesystem'} BinaryMode */
/** @typedef {'legacy' | 'vm'} ExpressionEngine */

/**
 * Binary mode and expression engine are process-wide in n8n (one BinaryDataConfig, a static on Expression), so
 * harnesses in one test file share them: each run switches to its harness's settings first. Runs of two harnesses
 * with different settings must therefore not overlap.
 */
const shared = {
	/** @type {BinaryMode | undefined} */ binaryMode: undefined,
	/** @type {Set<object>} */ open: new Set(),
	/** @type {Set<object>} */ openVm: new Set(),
	executionCounter: 0,
};

/** @param {BinaryMode} mode */
async function useBinaryMode(mode) {
	if (shared.binaryMode === mode) return;
	// G5 and doc section 7: env is read once; the mode takes effect through the config plus init() (which also
	// creates the filesystem manager; without it 'filesystem' silently stores inline base64).
	Container.get(BinaryDataConfig).mode = mode;
	await Container.get(BinaryDataService).init();
	shared.binaryMode = mode;
}

/** @param {ExpressionEngine} engine */
async function useExpressionEngine(engine) {
	if (engine === 'vm' && Expression.getActiveImplementation() !== 'vm') {
		// G10: in-process the default is legacy; N8N_EXPRESSION_ENGINE is read by the CLI only.
		await Expression.initExpressionEngine({
			engine: 'vm',
			bridgeTimeout: 5000,
			bridgeMemoryLimit: 128,
			poolSize: 1,
			maxCodeCacheSize: 1024,
		});
	}
	Expression.setExpressionEngine(engine);
}

/**
 * @param {{ binaryMode?: BinaryMode, engine?: ExpressionEngine, instanceUrl?: string }} [options]
 */
export async function createHarness({
	binaryMode = 'default',
	engine = 'legacy',
	instanceUrl = DEFAULT_INSTANCE_URL,
} = {}) {
	if (!['default', 'filesystem'].includes(binaryMode))
		throw new Error(`Unknown binary mode ${binaryMode}`);
	if (!['legacy', 'vm'].includes(engine)) throw new Error(`Unknown expression engine ${engine}`);
	ensureUserFolder();
	const types = await loadNodeTypes();
	const harness = { binaryMode, engine };
	shared.open.add(harness);
	if (engine === 'vm') shared.openVm.add(harness);

	let defaultInstanceUrl = instanceUrl;
	const waiting = createWaitingExecutions({
		onResumed: (run, execution) => describeRun(run, execution),
	});

	async function activate() {
		await useBinaryMode(binaryMode);
		await useExpressionEngine(engine);
	}
	await activate();

	/**
	 * The Workflow and additionalData of one execution, as n8n's WorkflowRunner would build them.
	 * @param {any} workflowJson
	 * @param {RunOptions} options
	 */
	function prepareExecution(workflowJson, options) {
		const {
			credentials = {},
			pinData,
			mode = 'manual',
			executionId = String(++shared.executionCounter),
			instanceUrl: runInstanceUrl = defaultInstanceUrl,
		} = options;
		const workflowData = structuredClone(workflowJson);
		const workflow = new Workflow({
			id: workflowData.id ?? 'harness-workflow',
			name: workflowData.name ?? 'Harness workflow',
			nodes: workflowData.nodes,
			connections: workflowData.connections ?? {},
			active: false,
			nodeTypes: types.nodeTypes,
			staticData: workflowData.staticData,
			settings: workflowData.settings ?? {},
			pinData,
		});
		const hooks = new ExecutionLifecycleHooks(mode, executionId, {
			...workflowData,
			id: workflow.id,
			name: workflow.name,
			active: false,
			isArchived: false,
			createdAt: new Date(),
			updatedAt: new Date(),
			activeVersionId: null,
		});
		/** @type {string[]} */
		const executedNodes = [];
		hooks.addHandler('nodeExecuteAfter', (nodeName) => {
			executedNodes.push(nodeName);
		});
		/** @type {{ run?: import('n8n-workflow').IRun }} */
		const saved = {};
		// What n8n's CLI saves: on Stop, WorkflowExecute reports the run (status 'canceled') through this hook
		// at once and does not report it again when the node returns.
		hooks.addHandler('workflowExecuteAfter', (run) => {
			saved.run ??= run;
		});
		const additionalData = createAdditionalData({
			hooks,
			executionId,
			instanceUrl: runInstanceUrl,
			credentialsHelper: new HarnessCredentialsHelper(types.credentials, credentials),
		});
		return {
			workflow,
			additionalData,
			executedNodes,
			saved,
			mode,
			pinData,
			executionId,
			instanceUrl: runInstanceUrl,
		};
	}

	/**
	 * @param {any} workflowJson
	 * @param {RunOptions} [options]
	 */
	function startWorkflow(workflowJson, options = {}) {
		const { items } = options;
		const prepared = prepareExecution(workflowJson, options);
		const { workflow, additionalData, executedNodes, saved, mode, pinData, executionId } = prepared;

		/** @type {(Promise<import('n8n-workflow').IRun> & { cancel(): void }) | undefined} */
		let execution;
		let cancelRequested = false;
		const result = (async () => {
			await activate();
			if (items) {
				// Like n8n's NodeTestHarness: the items are the start node's input. A trigger passes its input
				// through in every mode but 'manual', where it would fire instead; there the items are pinned as
				// its output, which is what n8n does with pinned trigger data.
				const startNode = workflow.getStartNode();
				if (!startNode) throw new Error('The workflow has no start node');
				const isTrigger = workflow.nodeTypes
					.getByNameAndVersion(startNode.type, startNode.typeVersion)
					.description.group.includes('trigger');
				const runExecutionData = createRunExecutionData({
					executionData: {
						nodeExecutionStack: [{ node: startNode, data: { main: [items] }, source: null }],
					},
					resultData: {
						pinData:
							mode === 'manual' && isTrigger ? { [startNode.name]: items, ...pinData } : pinData,
					},
				});
				execution = new WorkflowExecute(
					additionalData,
					mode,
					runExecutionData,
				).processRunExecutionData(workflow);
			} else {
				execution = new WorkflowExecute(additionalData, mode).run({ workflow, pinData });
			}
			if (cancelRequested) execution.cancel();
			// On cancel WorkflowExecute does not reject (onCancel.shouldReject = false): the promise settles once
			// the running node returns. Its status then depends on the node's error message, while n8n shows the
			// run it saved at Stop: status 'canceled' (same run data, which the node's return has completed).
			const finished = await execution;
			const run = cancelRequested && saved.run?.status === 'canceled' ? saved.run : finished;
			if (run.status === 'waiting') {
				// Like n8n saving a waiting execution: its waiting webhook can resume it later, with a fresh
				// Workflow and additionalData as the CLI builds them from the database.
				waiting.register(executionId, run, async (request) => {
					await activate();
					const resumed = prepareExecution(workflowJson, {
						...options,
						executionId,
						instanceUrl: prepared.instanceUrl,
					});
					// Loaded afresh for each call, as n8n reads the execution from its database.
					const saved = { ...run, data: structuredClone(run.data) };
					return {
						...(await resumeWaitingExecution({ ...resumed, run: saved, request })),
						...resumed,
					};
				});
			}
			return describeRun(run, { executedNodes, executionId, instanceUrl: prepared.instanceUrl });
		})();
		return {
			result,
			/** Like pressing Stop in n8n: aborts this.getExecutionCancelSignal() of the running node. */
			cancel() {
				cancelRequested = true;
				execution?.cancel();
			},
		};
	}

	return {
		packageName: types.packageName,
		/** Node names in the package (from package.json "n8n".nodes), e.g. ['seedream']. */
		nodeTypeNames: types.nodeTypeNames,
		/** @param {string} name e.g. 'seedream' -> 'n8n-nodes-seedream.seedream' */
		nodeType(name) {
			return `${types.packageName}.${name}`;
		},
		/** The loaded INodeTypes registry (includes the Manual Trigger and NoOp copies and CUSTOM.* aliases). */
		nodeTypes: types.nodeTypes,
		/**
		 * Adds a node type to this harness's registry under its full type name (e.g. the bench's baseline node),
		 * so workflows of later runs can use it; getByNameAndVersion picks the version as for the package's nodes.
		 * @param {string} type e.g. 'n8n-nodes-bench.seedreamBaseline'
		 * @param {import('n8n-workflow').INodeType | import('n8n-workflow').IVersionedNodeType} nodeType
		 */
		registerNodeType(type, nodeType) {
			types.nodes[type] = nodeType;
		},
		startWorkflow,
		/** @param {any} workflowJson @param {RunOptions} [options] */
		async runWorkflow(workflowJson, options) {
			return await startWorkflow(workflowJson, options).result;
		},
		/**
		 * Calls the waiting webhook of a Result with status 'waiting', as the service's callback would:
		 * request { url = result.resumeUrl, method = 'POST', body, headers }. Resolves to { response: { status,
		 * body } as n8n would answer (404 unknown, 409 running/finished, 401 wrong signature), result } where
		 * result is the Result of the continued run, if it continued.
		 * @param {{ resumeUrl?: string }} waitingResult
		 * @param {import('./waiting.mjs').ResumeRequest} [request]
		 */
		async resumeWorkflow(waitingResult, request) {
			return await waiting.resumeWorkflow(waitingResult, request);
		},
		/**
		 * The Result of a waiting execution once its waiting webhook was called (over HTTP or resumeWorkflow).
		 * @param {{ run: import('n8n-workflow').IRun, executionId: string }} waitingResult
		 */
		async waitForResume(waitingResult) {
			return await waiting.waitForResume(waitingResult);
		},
		/**
		 * Serves the waiting webhooks over HTTP on 127.0.0.1 and makes that server the instance URL of later runs,
		 * so $execution.resumeUrl is callable (by the emulator with allowInsecureCallbacks). Resolves to its URL.
		 */
		async listenForWaitingWebhooks() {
			defaultInstanceUrl = await waiting.listen();
			return defaultInstanceUrl;
		},
		/**
		 * Calls one node of the workflow as an AI Agent would call it as a tool (this.isToolExecution() is true):
		 * toolArgs is its single input item. Resolves to { items, response (the JSON string the agent reads),
		 * error (a NodeOperationError, as the agent would receive it), runExecutionData }.
		 * @param {any} workflowJson
		 * @param {RunOptions & { nodeName: string, toolArgs?: import('n8n-workflow').IDataObject }} options
		 */
		async runAsTool(workflowJson, { nodeName, toolArgs = {}, ...options }) {
			await activate();
			const { workflow, additionalData, mode } = prepareExecution(workflowJson, options);
			return await invokeAsTool({ workflow, additionalData, nodeName, toolArgs, mode });
		},
		/**
		 * Stores bytes as n8n would for an item's binary property, in this harness's binary mode (inline base64,
		 * or a filesystem id), for input items that carry files: items: [{ json: {}, binary: { data } }].
		 * @param {Buffer} buffer
		 * @param {{ mimeType: string, fileName: string }} file
		 */
		async storeBinary(buffer, { mimeType, fileName }) {
			await activate();
			const extension = fileName.includes('.') ? fileName.split('.').pop() : undefined;
			const [family, subtype] = mimeType.split('/');
			const binaryData = /** @type {import('n8n-workflow').IBinaryData} */ ({
				data: '',
				mimeType,
				fileName,
				...(extension ? { fileExtension: extension } : {}),
				...(['image', 'video', 'audio', 'text'].includes(family) ? { fileType: family } : {}),
				...(['json', 'pdf', 'html'].includes(subtype) ? { fileType: subtype } : {}),
			});
			const location = {
				type: 'execution',
				workflowId: 'harness-workflow',
				executionId: 'harness-inputs',
			};
			return await Container.get(BinaryDataService).store(
				/** @type {any} */ (location),
				buffer,
				binaryData,
			);
		},
		/** Reads a binary property's bytes in either mode (inline base64 or a filesystem id). */
		async binaryBuffer(/** @type {import('n8n-workflow').IBinaryData} */ binaryData) {
			return await Container.get(BinaryDataService).getAsBuffer(binaryData);
		},
		/**
		 * Tests a credential the way n8n's "Test" button does (CLI CredentialsTester).
		 * @param {string} [type]
		 * @param {import('n8n-workflow').ICredentialDataDecryptedObject} [data]
		 */
		async testCredential(type = 'seedreamApi', data = {}) {
			await activate();
			return await testCredential(types, type, data, (credentialsHelper) =>
				createAdditionalData({
					hooks: undefined,
					executionId: undefined,
					instanceUrl,
					credentialsHelper,
				}),
			);
		},
		async close() {
			await waiting.close();
			shared.open.delete(harness);
			if (shared.openVm.delete(harness) && shared.openVm.size === 0) {
				await Expression.disposeExpressionEngine();
				Expression.setExpressionEngine('legacy');
			}
			if (shared.open.size === 0) {
				removeUserFolder();
				shared.binaryMode = undefined;
			}
		},
	};
}

/**
 * @typedef {object} RunOptions
 * @property {Record<string, import('n8n-workflow').ICredentialDataDecryptedObject>} [credentials] by credential type
 * @property {import('n8n-workflow').INodeExecutionData[]} [items] input items of the start node
 * @property {import('n8n-workflow').IPinData} [pinData]
 * @property {import('n8n-workflow').WorkflowExecuteMode} [mode]
 * @property {string} [executionId]
 * @property {string} [instanceUrl] base of webhook/resume URLs for this run
 */

/**
 * G8: without the waiting base URLs every expression fails with "Invalid URL" ($execution.resumeUrl is built
 * eagerly). Without executionId, filesystem binaries go to executions/temp.
 * @param {{ hooks: any, executionId: string | undefined, instanceUrl: string, credentialsHelper: HarnessCredentialsHelper }} parts
 * @returns {any} IWorkflowExecuteAdditionalData
 */
function createAdditionalData({ hooks, executionId, instanceUrl, credentialsHelper }) {
	const base = instanceUrl.replace(/\/+$/, '');
	const unsupported = (/** @type {string} */ what) => async () => {
		throw new Error(`${what} is not supported by the test harness`);
	};
	return {
		hooks,
		executionId,
		credentialsHelper,
		restApiUrl: `${base}/rest`,
		instanceBaseUrl: `${base}/`,
		webhookBaseUrl: `${base}/webhook`,
		webhookWaitingBaseUrl: `${base}/webhook-waiting`,
		webhookTestBaseUrl: `${base}/webhook-test`,
		formBaseUrl: `${base}/form`,
		formWaitingBaseUrl: `${base}/form-waiting`,
		formTestBaseUrl: `${base}/form-test`,
		mcpBaseUrl: `${base}/mcp`,
		mcpTestBaseUrl: `${base}/mcp-test`,
		variables: {},
		currentNodeExecutionIndex: 0,
		userId: 'harness-user',
		executeWorkflow: unsupported('Executing sub-workflows'),
		getRunExecutionData: async () => undefined,
		getRuntimeCredential: async () => undefined,
		startRunnerTask: unsupported('The Code node task runner'),
		logAiEvent: () => {},
		setExecutionStatus: () => {},
		sendDataToUI: () => {},
	};
}

/**
 * @param {import('n8n-workflow').IRun} run
 * @param {{ executedNodes: string[], executionId: string, instanceUrl: string }} execution
 */
function describeRun(run, { executedNodes, executionId, instanceUrl }) {
	const { runData } = run.data.resultData;
	const waitTill = run.waitTill ?? run.data.waitTill;
	return {
		run,
		executionId,
		status: run.status,
		error: run.data.resultData.error,
		/** Set when a node called putExecutionToWait (status 'waiting'). */
		waitTill,
		/** $execution.resumeUrl of a waiting run: the URL that resumes it. */
		resumeUrl: waitTill ? resumeUrlOf(instanceUrl, executionId, run.data.resumeToken) : undefined,
		/** Node names in the order they finished. */
		executedNodes,
		/**
		 * Items a node put on one output. Throws when the node did not run, naming the workflow's error, because
		 * an empty list would hide why.
		 * @param {string} nodeName
		 */
		output(nodeName, outputIndex = 0, runIndex = 0) {
			const task = runData[nodeName]?.[runIndex];
			if (!task) {
				const why = run.data.resultData.error
					? `; the run failed: ${run.data.resultData.error.message}`
					: '';
				throw new Error(`Node "${nodeName}" has no run ${runIndex} (status ${run.status}${why})`);
			}
			return task.data?.main?.[outputIndex] ?? [];
		},
		/** @param {string} nodeName @returns {any} the error of the node's last failed run, or undefined */
		nodeError(nodeName) {
			return runData[nodeName]?.findLast(
				(/** @type {import('n8n-workflow').ITaskData} */ task) => task.error,
			)?.error;
		},
	};
}

/**
 * What $execution.resumeUrl evaluates to (n8n-core get-additional-keys).
 * @param {string} instanceUrl @param {string} executionId @param {string | undefined} resumeToken
 */
function resumeUrlOf(instanceUrl, executionId, resumeToken) {
	const url = new URL(`${instanceUrl.replace(/\/+$/, '')}/webhook-waiting/${executionId}`);
	if (resumeToken) url.searchParams.set('signature', resumeToken);
	return url.toString();
}

/** @typedef {Awaited<ReturnType<typeof createHarness>>} Harness */
/** @typedef {ReturnType<typeof describeRun>} Result */
