export { parseDuration } from './duration.js';
export type { Duration } from './duration.js';
export { StreamkitError, PipelineError, StateError, AccessDeniedError, RecordRejected } from './errors.js';
export type { StreamkitErrorCode } from './errors.js';
export { Metrics } from './metrics.js';
export type { MetricSample, MetricRef } from './metrics.js';
export { METRICS, METRIC_DEFINITIONS, TASK_LABEL } from './metric-catalogue.js';
export type { MetricDefinition, MetricKind } from './metric-catalogue.js';
export { batchOf, compactBatch } from './batch.js';
export type { Batch } from './batch.js';
export type { Operator, OperatorContext, Output, StateFingerprint, StateWriter } from './operator.js';
export type { Source, SourceContext, SourcePoll, SourcePosition } from './source.js';
export type { Sink, SinkContext } from './sink.js';
export type { DeadLetter } from './dead-letter.js';
export { maxTimestamp, windowsTouch } from './window.js';
export type { Window, WindowResult, PaneInfo, PaneTiming, LateRecord } from './window.js';
export type { RunSummary, RuntimeEvent } from './runtime-event.js';
export type { CheckpointData, OperatorStateChanges, RestoredCheckpoint, StateBackend } from './state-backend.js';
export type { TaskStateBackend, TaskCheckpoint, RestoredTask } from './task-state-backend.js';
export { compareKeys } from './state-query.js';
export type { KeyedStateQuery, StateEntry, StateQuery, StateRangeOptions } from './state-query.js';
export { encodeKey, decodeKey, keyIdentity, UnencodableKeyError, MAX_KEY_DEPTH } from './key-encoding.js';
export type {
  KeyedStateStore,
  StateCell,
  StateCellSpec,
  MapTable,
  MapTableSpec,
  EntryTable,
  EntryTableSpec,
  TrackedEntry,
  LegacyLayoutSpec,
} from './keyed-state.js';
