import type { Metrics } from '../core/metrics.js';
import type { RunSummary } from '../core/runtime-event.js';
import type { StateQuery } from '../core/state-query.js';

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
  /**
   * A read-only view of the live keyed state of the stateful operator with id `uid` (its
   * `.uid(name)`, or its derived id such as `window#0`): per key, a window operator's open windows
   * with their current values, a dedup's remembered ids, a process function's typed state, a
   * join's buffered records. Reads see the state after the last completed batch (possibly ahead of
   * the last checkpoint, never half a batch), after a restore the restored state; they wait until
   * the job has opened, and reject with a `PIPELINE_INVALID` error listing the stateful operators'
   * ids when none has `uid`.
   * @param uid the operator's id.
   * @example
   * const job = from(fromKafka(options)).withTimestamps((r) => r.at, monotonic())
   *   .keyBy((r) => r.zone).window(tumbling('5m')).aggregate(count()).uid('zone-counts').to(sink).run();
   * await job.query('zone-counts').get(114); // [{ window: { start, end }, value: 17, fired: false }]
   * await job.query('zone-counts').entries({ from: 100, to: 199, limit: 20 });
   */
  query(uid: string): StateQuery;
}
