export type {
  WindowAssigner,
  AlignedAssigner,
  WindowRun,
  Trigger,
  WatermarkTrigger,
  CountTrigger,
  ProcessingTimeTrigger,
  AccumulationMode,
  Aggregator,
  WindowOptions,
} from './types.js';
export { tumbling } from './tumbling.js';
export type { TumblingAssigner, TumblingOptions } from './tumbling.js';
export { hopping } from './hopping.js';
export type { HoppingAssigner, HoppingOptions } from './hopping.js';
export { sliding, slidingWindowStarts } from './sliding.js';
export type { SlidingAssigner } from './sliding.js';
export { session } from './session.js';
export type { SessionAssigner } from './session.js';
export { global, GLOBAL_WINDOW } from './global.js';
export type { GlobalAssigner } from './global.js';
export { count, sum, avg, min, max, collect, reduce, combineAggregators } from './aggregators/index.js';
export type { AvgAccumulator, Comparable, ReduceAccumulator, CombinedResult, ExactSum, SumOptions } from './aggregators/index.js';
export { onWatermark, afterCount, afterProcessingTime, validateTrigger } from './triggers.js';
export type { OnWatermarkOptions } from './triggers.js';
export { windowOperator } from './window-operator.js';
export type { WindowOperatorOptions } from './window-operator.js';
export { windowStateQuery } from './window-state-query.js';
export type { OpenWindow } from './window-state-query.js';
export { resultId, canonicalResultText } from './result-id.js';
export {
  alignedStateKey,
  sessionStateKey,
  slidingStateKey,
  timestampStateKey,
  META_STATE_KEY,
  WINDOW_STATE_VERSION,
} from './window-state-layout.js';
export type { StoredWindow, StoredTimestamp, StoredMeta } from './window-state-layout.js';
