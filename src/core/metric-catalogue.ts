/** Whether a metric only grows (`counter`) or is set to its current value (`gauge`). */
export type MetricKind = 'counter' | 'gauge';

/**
 * One metric streamkit records. `name` is the registry name (`metrics.get(name)`); the Prometheus
 * name is `streamkit_<name>`, with `_total` after a counter's. Names are snake_case and end in
 * their unit where it is a base unit (`_seconds`, `_bytes`, a `_timestamp_seconds` for an instant);
 * a plain count carries its unit in `unit` only.
 */
export interface MetricDefinition<K extends MetricKind = MetricKind, L extends string = string> {
  readonly name: string;
  readonly kind: K;
  /** What one unit of the value is: `'records'`, `'seconds'`, `'bytes'`, `'1'` for a 0/1 flag… */
  readonly unit: string;
  readonly help: string;
  /** Every label the metric carries (a partition task's view adds `task`: {@link TASK_LABEL}). */
  readonly labels: readonly L[];
  /** True when the exporter computes it at scrape time from another metric, never recorded. */
  readonly derived?: boolean;
}

/**
 * The label a partition task's view of the registry adds to everything it records, so each
 * partition's operators count apart (`{ operator: '3-window', task: 'trips/0' }`).
 */
export const TASK_LABEL = 'task';

function metric<K extends MetricKind, L extends string = never>(definition: MetricDefinition<K, L>): MetricDefinition<K, L> {
  return Object.freeze({ ...definition, labels: Object.freeze([...definition.labels]) });
}

/**
 * Every metric streamkit records, by a name for code: recording sites pass these, never a string,
 * so one table says what a dashboard can rely on (kafkajs keeps its instrumentation events the same
 * way). Each event is counted by exactly one counter: a late record is `recordsLate`, a window's
 * panes are its `recordsOut`.
 * @example
 * import { METRICS } from 'streamkit';
 * job.metrics.get(METRICS.recordsIn.name, { stage: 'source' }); // records read so far
 */
export const METRICS = Object.freeze({
  recordsIn: metric({
    name: 'records_in',
    kind: 'counter',
    unit: 'records',
    help: 'Records read by the source',
    labels: ['stage'],
  }),
  recordsOut: metric({
    name: 'records_out',
    kind: 'counter',
    unit: 'records',
    help: 'Records each operator emitted (a window operator: its panes and retractions)',
    labels: ['operator'],
  }),
  resultsOut: metric({
    name: 'results_out',
    kind: 'counter',
    unit: 'records',
    help: 'Results written to the main sinks',
    labels: [],
  }),
  recordsFiltered: metric({
    name: 'records_filtered',
    kind: 'counter',
    unit: 'records',
    help: 'Records removed by filter',
    labels: ['operator'],
  }),
  recordsLate: metric({
    name: 'records_late',
    kind: 'counter',
    unit: 'records',
    help: 'Records dropped from expired windows into the late output (once per window missed)',
    labels: ['operator'],
  }),
  deadLetters: metric({
    name: 'dead_letters',
    kind: 'counter',
    unit: 'records',
    help: 'Bad records sent to the dead-letter output (operator: "source" for records the source could not read, a sink name for items it handed back)',
    labels: ['operator'],
  }),
  dedupDropped: metric({
    name: 'dedup_dropped',
    kind: 'counter',
    unit: 'records',
    help: 'Records dropped as duplicates by dedup or by a repartition reader',
    labels: ['operator'],
  }),
  dedupIds: metric({
    name: 'dedup_ids',
    kind: 'gauge',
    unit: 'ids',
    help: 'Ids dedup currently remembers',
    labels: ['operator'],
  }),
  processKeys: metric({
    name: 'process_keys',
    kind: 'gauge',
    unit: 'keys',
    help: 'Keys holding state in a keyed process function',
    labels: ['operator'],
  }),
  processTimers: metric({
    name: 'process_timers',
    kind: 'gauge',
    unit: 'timers',
    help: 'Timers pending in a keyed process function, event and processing time',
    labels: ['operator'],
  }),
  windowStateWindows: metric({
    name: 'window_state_windows',
    kind: 'gauge',
    unit: 'windows',
    help: 'Windows held in a window operator state',
    labels: ['operator'],
  }),
  joinBuffered: metric({
    name: 'join_buffered',
    kind: 'gauge',
    unit: 'records',
    help: 'Records an interval join holds per side, waiting for partners',
    labels: ['operator', 'side'],
  }),
  joinPairs: metric({
    name: 'join_pairs',
    kind: 'counter',
    unit: 'pairs',
    help: 'Pairs an interval join emitted',
    labels: ['operator'],
  }),
  joinMatched: metric({
    name: 'join_matched',
    kind: 'counter',
    unit: 'records',
    help: 'Records an interval join evicted after they joined at least one partner, per side',
    labels: ['operator', 'side'],
  }),
  joinUnmatched: metric({
    name: 'join_unmatched',
    kind: 'counter',
    unit: 'records',
    help: 'Records an interval join evicted without a partner, per side (emitted with null for left/outer sides)',
    labels: ['operator', 'side'],
  }),
  lookupTableKeys: metric({
    name: 'lookup_table_keys',
    kind: 'gauge',
    unit: 'keys',
    help: 'Keys a lookup join holds at least one table row version of',
    labels: ['operator'],
  }),
  lookupTableVersions: metric({
    name: 'lookup_table_versions',
    kind: 'gauge',
    unit: 'versions',
    help: 'Table row versions a lookup join holds, over all keys (deletes included)',
    labels: ['operator'],
  }),
  lookupHeld: metric({
    name: 'lookup_held',
    kind: 'gauge',
    unit: 'records',
    help: 'Stream records a lookup join holds until the watermark reaches their time',
    labels: ['operator'],
  }),
  lookupMatched: metric({
    name: 'lookup_matched',
    kind: 'counter',
    unit: 'records',
    help: 'Stream records a lookup join answered with the table row valid at their time',
    labels: ['operator'],
  }),
  lookupUnmatched: metric({
    name: 'lookup_unmatched',
    kind: 'counter',
    unit: 'records',
    help: 'Stream records that found no table row valid at their time (emitted with null for a left lookup, dropped for an inner one)',
    labels: ['operator'],
  }),
  lookupTableLateUpdates: metric({
    name: 'lookup_table_late_updates',
    kind: 'counter',
    unit: 'rows',
    help: 'Table rows that arrived behind the watermark: applied to the records still to come, answers given are not revised',
    labels: ['operator'],
  }),
  watermark: metric({
    name: 'watermark_timestamp_seconds',
    kind: 'gauge',
    unit: 'seconds',
    help: 'Current event-time watermark (Unix seconds; -Inf before the first record, +Inf at the end of input)',
    labels: ['operator'],
  }),
  watermarkLag: metric({
    name: 'watermark_lag_seconds',
    kind: 'gauge',
    unit: 'seconds',
    help: 'Processing time minus the watermark when the watermark last advanced',
    labels: ['operator'],
  }),
  watermarkAge: metric({
    name: 'watermark_age_seconds',
    kind: 'gauge',
    unit: 'seconds',
    help: 'Wall clock minus the watermark at scrape time; grows while the watermark stalls',
    labels: ['operator'],
    derived: true,
  }),
  partitionWatermark: metric({
    name: 'partition_watermark_timestamp_seconds',
    kind: 'gauge',
    unit: 'seconds',
    help: 'Watermark of one source partition (Unix seconds; -Inf before its first record)',
    labels: ['operator', 'partition'],
  }),
  partitionIdle: metric({
    name: 'partition_idle',
    kind: 'gauge',
    unit: '1',
    help: '1 while a source partition is idle and ignored by the stream watermark',
    labels: ['operator', 'partition'],
  }),
  checkpointsCompleted: metric({
    name: 'checkpoints_completed',
    kind: 'counter',
    unit: 'checkpoints',
    help: 'Checkpoints completed',
    labels: [],
  }),
  checkpointDuration: metric({
    name: 'checkpoint_duration_seconds',
    kind: 'gauge',
    unit: 'seconds',
    help: 'Duration of the last checkpoint, barrier to commit',
    labels: [],
  }),
  checkpointLastCompleted: metric({
    name: 'checkpoint_last_completed_timestamp_seconds',
    kind: 'gauge',
    unit: 'seconds',
    help: 'When the last checkpoint completed (Unix seconds, in the job clock)',
    labels: [],
  }),
  checkpointAge: metric({
    name: 'checkpoint_age_seconds',
    kind: 'gauge',
    unit: 'seconds',
    help: 'Wall clock minus the last completed checkpoint at scrape time',
    labels: [],
    derived: true,
  }),
  checkpointEntries: metric({
    name: 'checkpoint_entries',
    kind: 'gauge',
    unit: 'entries',
    help: 'State entries written by the last checkpoint (its size)',
    labels: [],
  }),
  checkpointSize: metric({
    name: 'checkpoint_size_bytes',
    kind: 'gauge',
    unit: 'bytes',
    help: 'Encoded bytes of state (keys and values) written by the last checkpoint',
    labels: [],
  }),
  checkpointWritten: metric({
    name: 'checkpoint_written_bytes',
    kind: 'counter',
    unit: 'bytes',
    help: 'Encoded bytes of state written by all checkpoints',
    labels: [],
  }),
  stateCacheHits: metric({
    name: 'state_cache_hits',
    kind: 'counter',
    unit: 'reads',
    help: 'Reads of resident state answered from memory (levelState with a memory budget)',
    labels: [],
  }),
  stateCacheMisses: metric({
    name: 'state_cache_misses',
    kind: 'counter',
    unit: 'reads',
    help: 'Reads of resident state that went to LevelDB',
    labels: [],
  }),
  stateReadBytes: metric({
    name: 'state_read_bytes',
    kind: 'counter',
    unit: 'bytes',
    help: 'Bytes of resident state values read from LevelDB',
    labels: [],
  }),
  stateCacheBytes: metric({
    name: 'state_cache_bytes',
    kind: 'gauge',
    unit: 'bytes',
    help: 'Estimated bytes of clean resident state entries cached in memory',
    labels: [],
  }),
  statePendingBytes: metric({
    name: 'state_pending_bytes',
    kind: 'gauge',
    unit: 'bytes',
    help: 'Estimated bytes of resident state changes not yet written by a checkpoint',
    labels: [],
  }),
  stateMemoryLimit: metric({
    name: 'state_memory_limit_bytes',
    kind: 'gauge',
    unit: 'bytes',
    help: 'The memory budget of resident state in effect: the configured one, lowered while live objects fill more than 55 % of the heap limit',
    labels: [],
  }),
  stateDiskBytes: metric({
    name: 'state_disk_bytes',
    kind: 'gauge',
    unit: 'bytes',
    help: "LevelDB's estimate of the bytes state takes in its table files, after the last checkpoint (data still in its write-ahead log is not counted)",
    labels: [],
  }),
  statePressureCheckpoints: metric({
    name: 'state_pressure_checkpoints',
    kind: 'counter',
    unit: 'checkpoints',
    help: 'Checkpoints taken early because resident state changes filled a quarter of the memory budget',
    labels: [],
  }),
  backpressure: metric({
    name: 'backpressure_seconds',
    kind: 'counter',
    unit: 'seconds',
    help: 'Time the pipeline waited for sink credits',
    labels: [],
  }),
  channelInFlight: metric({
    name: 'channel_in_flight_records',
    kind: 'gauge',
    unit: 'records',
    help: 'Records queued between the operators and the sinks',
    labels: [],
  }),
  channelPeak: metric({
    name: 'channel_peak_records',
    kind: 'gauge',
    unit: 'records',
    help: 'Most records ever queued between the operators and the sinks (set when the job ends)',
    labels: [],
  }),
  kafkaConsumerLag: metric({
    name: 'kafka_consumer_lag',
    kind: 'gauge',
    unit: 'messages',
    help: 'Kafka partition high watermark minus the next offset to read',
    labels: ['topic', 'partition'],
  }),
  kafkaConsumerRestarts: metric({
    name: 'kafka_consumer_restarts',
    kind: 'counter',
    unit: 'restarts',
    help: 'Kafka consumers replaced after kafkajs stopped one for good (a broker restart)',
    labels: ['topic'],
  }),
});

/** Every catalogued metric, in the order of {@link METRICS}. */
export const METRIC_DEFINITIONS: readonly MetricDefinition[] = Object.freeze(Object.values(METRICS));
