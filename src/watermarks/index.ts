export { boundedOutOfOrderness, monotonic } from './watermark-strategy.js';
export type { WatermarkStrategy, WatermarkStrategyOptions } from './watermark-strategy.js';
export { PartitionWatermarks } from './partition-watermarks.js';
export { TimestampOperator } from './timestamp-operator.js';
export { badTimestampReason } from './bad-timestamp-reason.js';
