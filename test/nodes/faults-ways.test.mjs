// @ts-check
// The fault table for the other ways of getting images (Ask in the Prompt, Exactly N) and Decompose Layers, in
// every wait mode (a file of its own, so it runs beside faults.test.mjs). The table: fault-table.mjs.
import { faultTable } from './fault-table.mjs';

faultTable(['Ask in the Prompt', 'Exactly N', 'Decompose Layers']);
