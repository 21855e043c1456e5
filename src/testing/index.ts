/**
 * `streamkit/testing`: the batch oracle and helpers to property-test event-time pipelines, and
 * fast-check arbitraries of out-of-order event streams. The oracle and helpers need nothing else;
 * the arbitraries (`keyedEvents`, `batchSizes`) need fast-check (`npm install --save-dev
 * fast-check`) and say so when it is missing. See `docs/how-to/test-your-pipeline.md`.
 * @module streamkit/testing
 */

// The batch oracle and helpers: no dependencies
export { batchWindows, compareResults } from './batch-windows.js';
export type { BatchWindowResult, BatchWindowsOptions } from './batch-windows.js';
export { batchWindowsWithLateness, watermarksBefore } from './batch-windows-with-lateness.js';
export type { BatchWindowsWithLateness, BatchWindowsWithLatenessOptions } from './batch-windows-with-lateness.js';
export { slidingWindowStarts } from '../windowing/sliding.js';
export { lastPanes } from './last-panes.js';
export { batchIntervalJoin } from './batch-interval-join.js';
export type { BatchIntervalJoinOptions, BatchJoinResult } from './batch-interval-join.js';
export { batchLookupJoin } from './batch-lookup-join.js';
export type { BatchLookupJoinOptions, BatchLookupResult } from './batch-lookup-join.js';
export { batchTimers, batchRunningTotals } from './batch-process.js';
export type { TimerFiring, BatchTimersOptions, BatchRunningTotalsOptions } from './batch-process.js';
export { compareKeys } from './compare-keys.js';
export { splitBatches } from './split-batches.js';

// fast-check arbitraries: fast-check is loaded when one is first made
export { keyedEvents } from './keyed-events.js';
export type { KeyedEvent, KeyedEventsOptions, KeyedEventsSample } from './keyed-events.js';
export { batchSizes } from './batch-sizes.js';
export type { BatchSizesOptions } from './batch-sizes.js';
