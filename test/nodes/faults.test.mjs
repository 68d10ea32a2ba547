// @ts-check
// The fault table for Generate as written (node version 1): every fault in Wait for the Result and at a callback's
// confirmation, the grown faults in Wait for the Callback and Don't Wait. The table: fault-table.mjs.
import { faultTable } from './fault-table.mjs';

faultTable(['as written']);
