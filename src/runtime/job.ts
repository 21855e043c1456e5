import type { Metrics } from '../core/metrics.js';
import type { RunSummary } from '../core/runtime-event.js';

/**
 * A running job: a promise of its summary, plus `stop()` and live metrics.
 * @example
 * const job = stream.run({ state: levelState('./state'), stopOnSignals: ['SIGTERM'] });
 * setTimeout(() => job.stop(), 60_000);
 * const summary = await job; // summary.stopped: true
 */
export interface Job extends Promise<RunSummary> {
  /**
   * Stops the job gracefully after the current batch: windows are not fired (the input did not
   * end); with `state`, a final checkpoint is taken of the state as of the last batch, sinks are
   * flushed and source positions committed, so the next start replays nothing. Returns the job
   * itself, which settles once the job has stopped: with its summary (`stopped: true`), or with a
   * `StreamkitError` of code `STOP_TIMEOUT` when that took longer than `stopTimeout`. Calling it
   * again changes nothing.
   */
  stop(): Promise<RunSummary>;
  readonly metrics: Metrics;
}
