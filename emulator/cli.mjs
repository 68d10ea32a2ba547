#!/usr/bin/env node
// @ts-check
/**
 * The emulator's command line (`npm run emulator`): `node emulator/cli.mjs [--port N] [--task-ms N] [--keys a,b]
 * [--allow-insecure-callbacks] [--layerize-estimated-seconds N] [--max-files N]`, each also from the environment
 * (EVOLINK_EMULATOR_*). Prints "EvoLink emulator listening on <url>" when ready, one line per request after
 * that, and stops on SIGINT or SIGTERM. See emulator/README.md.
 */
import { maskKey } from './http.mjs';
import { startEmulator } from './server.mjs';

/** @typedef {import('./server.mjs').EmulatorOptions} EmulatorOptions */

/** `a, b,,c` → `['a', 'b', 'c']`. @param {string} list */
const splitKeys = (list) =>
	list
		.split(',')
		.map((k) => k.trim())
		.filter(Boolean);

/** @param {string[]} argv @param {NodeJS.ProcessEnv} env */
export function parseCli(argv, env) {
	const args = [...argv];
	/** @type {Partial<EmulatorOptions>} */
	const options = {
		port: env.EVOLINK_EMULATOR_PORT !== undefined ? Number(env.EVOLINK_EMULATOR_PORT) : 8787,
		keys: splitKeys(env.EVOLINK_EMULATOR_KEYS ?? 'sk-emulator-demo'),
		taskMs:
			env.EVOLINK_EMULATOR_TASK_MS !== undefined ? Number(env.EVOLINK_EMULATOR_TASK_MS) : undefined,
		allowInsecureCallbacks: env.EVOLINK_EMULATOR_ALLOW_INSECURE_CALLBACKS === '1',
		layerizeEstimatedSeconds:
			env.EVOLINK_EMULATOR_LAYERIZE_ESTIMATED_SECONDS !== undefined
				? Number(env.EVOLINK_EMULATOR_LAYERIZE_ESTIMATED_SECONDS)
				: undefined,
		maxFiles:
			env.EVOLINK_EMULATOR_MAX_FILES !== undefined
				? Number(env.EVOLINK_EMULATOR_MAX_FILES)
				: undefined,
		quiet: false,
	};
	while (args.length) {
		const arg = /** @type {string} */ (args.shift());
		const [flag, inline] = arg.split('=', 2);
		const value = () => inline ?? args.shift() ?? '';
		if (flag === '--port') options.port = Number(value());
		else if (flag === '--task-ms') options.taskMs = Number(value());
		else if (flag === '--keys') options.keys = splitKeys(value());
		else if (flag === '--allow-insecure-callbacks') options.allowInsecureCallbacks = true;
		else if (flag === '--layerize-estimated-seconds')
			options.layerizeEstimatedSeconds = Number(value());
		else if (flag === '--max-files') options.maxFiles = Number(value());
		else
			throw new Error(
				`Unknown option ${arg}. Usage: node emulator/cli.mjs [--port N] [--task-ms N] [--keys a,b] [--allow-insecure-callbacks] [--layerize-estimated-seconds N] [--max-files N]`,
			);
	}
	for (const [name, number] of [
		['port', options.port],
		['task-ms', options.taskMs],
		['max-files', options.maxFiles],
	]) {
		if (number !== undefined && !(Number.isInteger(number) && Number(number) >= 0))
			throw new Error(`--${name} must be an integer ≥ 0`);
	}
	const estimate = options.layerizeEstimatedSeconds;
	if (estimate !== undefined && !(Number.isInteger(estimate) && Number(estimate) >= 1))
		throw new Error('--layerize-estimated-seconds must be an integer ≥ 1');
	if (!options.keys?.length)
		throw new Error('At least one API key is needed (--keys or EVOLINK_EMULATOR_KEYS)');
	return options;
}

async function main() {
	let options;
	try {
		options = parseCli(process.argv.slice(2), process.env);
	} catch (error) {
		console.error(/** @type {Error} */ (error).message);
		process.exit(2);
	}
	const emulator = await startEmulator(options);
	console.log(`EvoLink emulator listening on ${emulator.url}`);
	if (options.allowInsecureCallbacks) {
		console.log(
			'Insecure callbacks are allowed: http(s) callback_url to 127.0.0.1/localhost is accepted',
		);
	}
	console.log(
		`Keys: ${options.keys?.map(maskKey).join(', ')}; control surface: ${emulator.url}/__emulator/`,
	);
	const stop = () => void emulator.close().then(() => process.exit(0));
	process.once('SIGINT', stop);
	process.once('SIGTERM', stop);
}

await main();
