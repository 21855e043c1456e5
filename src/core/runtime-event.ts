/** Typed runtime events, for logs and metrics exporters. */
export type RuntimeEvent =
  | { type: 'job.started'; restoredFrom?: number }
  | { type: 'metrics.server.listening'; host: string; port: number }
  | { type: 'checkpoint.completed'; id: number; durationMs: number; entries: number }
  | { type: 'checkpoint.restored'; id: number }
  /** A partition's task started on this instance (per-partition state), restored from a checkpoint or empty. */
  | { type: 'task.started'; task: string; restoredFrom?: number }
  /** A partition's task left this instance (its partition was revoked). */
  | { type: 'task.stopped'; task: string }
  /**
   * A stop was requested: `reason` is `'stop()'`, `'abort signal'` (`run({ signal })`) or the process
   * signal's name (`'SIGTERM'`). The job takes its final checkpoint, flushes its sinks and ends
   * with `job.finished` (`summary.stopped`), or fails after `stopTimeout`.
   */
  | { type: 'job.stopping'; reason: string }
  | { type: 'job.finished'; summary: RunSummary }
  | { type: 'job.failed'; error: unknown };

/** What `run()` resolves with. */
export interface RunSummary {
  /** Records read from the source in this run (the metric `records_in`). */
  records: number;
  /** Items written to the main sinks (`results_out`). */
  results: number;
  /** Records sent to the late output, once per expired window they missed (`records_late`). */
  late: number;
  /** Bad records sent to the dead-letter output (`dead_letters`). */
  deadLetters: number;
  /** Records removed by `filter` (`records_filtered`). */
  filtered: number;
  /** Records dropped as duplicates by `dedup` or a repartition reader (`dedup_dropped`). */
  duplicates: number;
  /** Checkpoints completed in this run (`checkpoints_completed`). */
  checkpoints: number;
  /** The checkpoint this run restored from, if any. */
  restoredFrom?: number;
  durationMs: number;
  /** True when the run ended through a stop (`stop()`, `run({ signal })`, a stop signal) rather than the end of input. */
  stopped: boolean;
  /** For a stream with `.repartition()`: the summary of the stage before it (this one is the stage after). */
  upstream?: RunSummary;
}

/**
 * The summary of a run that has not read anything yet: every count zero, not stopped.
 * @example const summary = emptyRunSummary(); summary.records += batch.length;
 */
export function emptyRunSummary(): RunSummary {
  return { records: 0, results: 0, late: 0, deadLetters: 0, filtered: 0, duplicates: 0, checkpoints: 0, durationMs: 0, stopped: false };
}
