/**
 * The public API of streamkit: every name a user imports from `'streamkit'`, and nothing else.
 * Start with {@link from}; see the guides in `docs/`.
 * @module streamkit
 */

// Pipelines and the runtime
export { from, union, table, Stream, WindowedStream } from './pipeline/stream.js';
export { Table } from './pipeline/table.js';
export type { JoinKind, JoinOptions, LookupKind, LookupOptions, TableOptions } from './joins/index.js';
export type { AggregateResult, AggregateSpec, Collected, StreamStage } from './pipeline/stream.js';
export type { Job, RunOptions, RunSummary, RuntimeEvent } from './runtime/runtime.js';
export type { RestoreOptions } from './runtime/restore-check.js';
export { compareKeys } from './core/state-query.js';
export type { KeyedStateQuery, StateEntry, StateQuery, StateRangeOptions } from './core/state-query.js';
export type { OpenWindow } from './windowing/index.js';
export { parseDuration } from './core/duration.js';
export type { Duration } from './core/duration.js';
export type { ByteSize } from './core/byte-size.js';
export { StreamkitError, PipelineError, StateError, AccessDeniedError, RecordRejected } from './core/errors.js';
export type { StreamkitErrorCode } from './core/errors.js';
export { Metrics } from './core/metrics.js';
export { METRICS, METRIC_DEFINITIONS } from './core/metric-catalogue.js';
export type { MetricDefinition, MetricKind } from './core/metric-catalogue.js';
export type { Batch } from './core/batch.js';
export type { Operator, OperatorContext, Output, StateFingerprint, StateWriter } from './core/operator.js';
export type { ResidentState } from './core/resident-state.js';
export type { Source, SourceContext, SourcePoll, SourcePosition } from './core/source.js';
export type { Sink, SinkContext } from './core/sink.js';
export type { DeadLetter } from './core/dead-letter.js';
export type { Window, WindowResult, PaneInfo, PaneTiming, LateRecord } from './core/window.js';

// Sources
export { fromArray, fromIterable, fromObservable, fromJsonl } from './sources/index.js';
export type { ArraySourceOptions, IterableSourceOptions, JsonlSourceOptions } from './sources/index.js';

// Event time
export { boundedOutOfOrderness, monotonic } from './watermarks/index.js';
export type { WatermarkStrategy, WatermarkStrategyOptions } from './watermarks/index.js';

// Windows, triggers, aggregators
export { tumbling, hopping, sliding, session, global } from './windowing/index.js';
export { onWatermark, afterCount, afterProcessingTime } from './windowing/index.js';
export { count, sum, min, max, avg, collect, reduce, combineAggregators } from './windowing/index.js';
export type {
  WindowAssigner,
  Trigger,
  AccumulationMode,
  Aggregator,
  WindowOptions,
  TumblingOptions,
  HoppingOptions,
  OnWatermarkOptions,
  SumOptions,
} from './windowing/index.js';

// Sinks
export { toArray, toJsonl, toObservable } from './sinks/index.js';
export type { ArraySink, JsonlSinkOptions, ObservableSink } from './sinks/index.js';
export { toLevel, openLevelTable, readLevelTable } from './sinks/level-sink.js';
export type { LevelSink, LevelSinkOptions, LevelTable } from './sinks/level-sink.js';

// Kafka and Redpanda: source, sinks, changelog state, repartitioning
export {
  createTopicsWithLeaders,
  fromKafka,
  toKafka,
  toKafkaDeadLetters,
  DEAD_LETTER_HEADERS,
  kafkaChangelog,
  REPARTITION_HEADERS,
} from './kafka/index.js';
export type {
  KafkaSourceOptions,
  KafkaPosition,
  KafkaRebalanceEvent,
  KafkaConnectionOptions,
  KafkaDeadLetter,
  KafkaSink,
  KafkaSinkOptions,
  KafkaDeadLetterSinkOptions,
  KafkaChangelogOptions,
  RepartitionOptions,
  RepartitionConsumerOptions,
  RepartitionProducerOptions,
} from './kafka/index.js';

// Serialization
export { jsonSerde, avroSerde, SchemaRegistryClient } from './serde/index.js';
export type {
  Serde,
  Serializer,
  Deserializer,
  MessageMetadata,
  JsonSerdeOptions,
  AvroSerdeOptions,
  SchemaRegistryOptions,
} from './serde/index.js';

// State and delivery
export { memoryState, levelState, inspectLevelState } from './state/index.js';
export type { LevelStateOptions, StoredCheckpoint, StoredOperatorState } from './state/index.js';
export type { StateBackend, TaskStateBackend, TaskCheckpoint, RestoredTask } from './core/index.js';
export { dedup } from './delivery/dedup.js';
export type { DedupOptions } from './delivery/dedup.js';

// Keyed process functions
export { valueState, mapState, listState } from './process/index.js';
export type {
  ProcessSpec,
  ProcessOptions,
  ProcessContext,
  TimerContext,
  TimerService,
  ValueState,
  MapState,
  ListState,
  ValueStateDescriptor,
  MapStateDescriptor,
  ListStateDescriptor,
  StateDescriptor,
  StateDescriptors,
  StateHandles,
} from './process/index.js';

// Observability
export { prometheusText, serveMetrics, METRIC_HELP } from './observability/index.js';
export type { MetricsServer } from './observability/index.js';
export { createLogger, logRuntimeEvent, maskSecrets } from './observability/index.js';
export type { Logger, LogFn, StructuredLogger, LoggerOptions, LogLevel, LogFields } from './observability/index.js';
export { createProgressReporter } from './observability/index.js';
export type { ProgressReporter, ProgressOptions, ProgressStream, ProgressFormat } from './observability/index.js';
