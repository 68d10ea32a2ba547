// Tests are ES modules run by Jest in ESM mode (NODE_OPTIONS=--experimental-vm-modules, set by scripts/test.mjs).
// They are .mjs because n8n's lint rules forbid Node APIs in every .ts file of a community package.
// SEEDREAM_TEST_SUITE picks the suite: `engine` (emulator + nodes on n8n-core, default) or `e2e` (real n8n).
const suite = process.env.SEEDREAM_TEST_SUITE ?? 'engine';

export default {
	testEnvironment: 'node',
	transform: {},
	moduleFileExtensions: ['mjs', 'js', 'json'],
	testMatch:
		suite === 'e2e'
			? ['<rootDir>/test/e2e/**/*.test.mjs']
			: [
					'<rootDir>/test/emulator/**/*.test.mjs',
					'<rootDir>/test/nodes/**/*.test.mjs',
					'<rootDir>/test/scripts/**/*.test.mjs',
				],
	testTimeout: 60_000,
	// dist/package.json is the built copy of ours; two packages of one name confuse jest's module map.
	modulePathIgnorePatterns: ['<rootDir>/dist/package.json'],
	// Servers started by tests must stop by themselves; this reports any that do not instead of hanging CI.
	detectOpenHandles: false,
	forceExit: false,
};
