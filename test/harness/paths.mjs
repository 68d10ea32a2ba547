// @ts-check
import { fileURLToPath } from 'node:url';

/** The repository root: the package n8n's loader reads (package.json "n8n" -> dist/). */
export const packageDir = fileURLToPath(new URL('../../', import.meta.url));
