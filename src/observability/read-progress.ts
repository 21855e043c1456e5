import type { Metrics } from '../core/metrics.js';

/** A job's progress as its metrics tell it at one moment. */
export interface Progress {
  /** Records read from the source (`records_in{stage="source"}`). */
  records: number;
  /** Items written to the main sinks (`records_out{stage="sink"}`). */
  results: number;
  /** Records sent to the late output (`records_late`). */
  late: number;
  /** Bad records sent to dead letters (`dead_letters`). */
  deadLetters: number;
  /**
   * The least advanced finite watermark of the job (`watermark`, over every `withTimestamps` stage
   * and partition task); `undefined` before the first record.
   */
  watermark: number | undefined;
  /** True once a watermark reached +Infinity: the input ended and every window fired. */
  inputEnded: boolean;
  /** Messages the Kafka source has yet to read, over all partitions (`kafka_consumer_lag`); `undefined` for other sources. */
  lag: number | undefined;
  /** Checkpoints completed (`checkpoints_completed`). */
  checkpoints: number;
  /** When the last checkpoint completed, in the job's clock (`checkpoint_last_completed_at`); `undefined` before the first. */
  lastCheckpointAt: number | undefined;
}

/**
 * Reads a job's progress from its metrics registry: the counters and gauges the runtime, the
 * watermark stages and the Kafka source keep anyway, summed over their label sets.
 * @param metrics the job's registry (`job.metrics`).
 * @example const { records, watermark } = readProgress(job.metrics);
 */
export function readProgress(metrics: Metrics): Progress {
  const progress: Progress = {
    records: 0,
    results: 0,
    late: 0,
    deadLetters: 0,
    watermark: undefined,
    inputEnded: false,
    lag: undefined,
    checkpoints: 0,
    lastCheckpointAt: undefined,
  };
  for (const { name, labels, value } of metrics.snapshot()) {
    switch (name) {
      case 'records_in':
        if (labels.stage === 'source') progress.records += value;
        break;
      case 'records_out':
        if (labels.stage === 'sink') progress.results += value;
        break;
      case 'records_late':
        progress.late += value;
        break;
      case 'dead_letters':
        progress.deadLetters += value;
        break;
      case 'watermark':
        if (value === Infinity) progress.inputEnded = true;
        else if (Number.isFinite(value)) progress.watermark = Math.min(progress.watermark ?? Infinity, value);
        break;
      case 'kafka_consumer_lag':
        progress.lag = (progress.lag ?? 0) + value;
        break;
      case 'checkpoints_completed':
        progress.checkpoints += value;
        break;
      case 'checkpoint_last_completed_at':
        progress.lastCheckpointAt = Math.max(progress.lastCheckpointAt ?? -Infinity, value);
        break;
    }
  }
  return progress;
}
