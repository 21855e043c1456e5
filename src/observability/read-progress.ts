import { METRICS } from '../core/metric-catalogue.js';
import type { Metrics } from '../core/metrics.js';

/** A job's progress as its metrics tell it at one moment. */
export interface Progress {
  /** Records read from the source (`records_in{stage="source"}`). */
  records: number;
  /** Items written to the main sinks (`results_out`). */
  results: number;
  /** Records sent to the late output (`records_late`). */
  late: number;
  /** Bad records sent to dead letters (`dead_letters`). */
  deadLetters: number;
  /**
   * The least advanced finite watermark of the job in epoch ms (`watermark_timestamp_seconds`, over
   * every `withTimestamps` stage and partition task); `undefined` before the first record.
   */
  watermark: number | undefined;
  /** True once a watermark reached +Infinity: the input ended and every window fired. */
  inputEnded: boolean;
  /** Messages the Kafka source has yet to read, over all partitions (`kafka_consumer_lag`); `undefined` for other sources. */
  lag: number | undefined;
  /** Checkpoints completed (`checkpoints_completed`). */
  checkpoints: number;
  /**
   * When the last checkpoint completed, in the job's clock in epoch ms
   * (`checkpoint_last_completed_timestamp_seconds`); `undefined` before the first.
   */
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
      case METRICS.recordsIn.name:
        if (labels.stage === 'source') progress.records += value;
        break;
      case METRICS.resultsOut.name:
        progress.results += value;
        break;
      case METRICS.recordsLate.name:
        progress.late += value;
        break;
      case METRICS.deadLetters.name:
        progress.deadLetters += value;
        break;
      case METRICS.watermark.name:
        if (value === Infinity) progress.inputEnded = true;
        else if (Number.isFinite(value)) progress.watermark = Math.min(progress.watermark ?? Infinity, millisOf(value));
        break;
      case METRICS.kafkaConsumerLag.name:
        progress.lag = (progress.lag ?? 0) + value;
        break;
      case METRICS.checkpointsCompleted.name:
        progress.checkpoints += value;
        break;
      case METRICS.checkpointLastCompleted.name:
        progress.lastCheckpointAt = Math.max(progress.lastCheckpointAt ?? -Infinity, millisOf(value));
        break;
    }
  }
  return progress;
}

/** Epoch ms of a metric in Unix seconds: the runtime's instants are whole ms, so rounding undoes the division exactly. */
function millisOf(seconds: number): number {
  return Math.round(seconds * 1000);
}
