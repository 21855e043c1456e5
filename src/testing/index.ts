/**
 * `streamkit/testing`: fast-check arbitraries of out-of-order event streams and the batch oracle,
 * to property-test event-time pipelines. See `docs/how-to/test-your-pipeline.md`.
 * @module streamkit/testing
 */
export { keyedEvents } from './keyed-events.js';
export type { KeyedEvent, KeyedEventsOptions, KeyedEventsSample } from './keyed-events.js';
export { batchSizes, splitBatches } from './batch-sizes.js';
export type { BatchSizesOptions } from './batch-sizes.js';
export { batchWindows, compareResults } from './batch-windows.js';
export type { BatchWindowResult, BatchWindowsOptions } from './batch-windows.js';
export { batchWindowsWithLateness, watermarksBefore } from './batch-windows-with-lateness.js';
export type { BatchWindowsWithLateness, BatchWindowsWithLatenessOptions } from './batch-windows-with-lateness.js';
export { compareKeys } from './compare-keys.js';
export { lastPanes } from './last-panes.js';
export { batchIntervalJoin } from './batch-interval-join.js';
export type { BatchIntervalJoinOptions, BatchJoinResult } from './batch-interval-join.js';
