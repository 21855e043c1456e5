import type { RunSummary } from '../core/runtime-event.js';
import type { Job } from './job.js';

/**
 * Runs the two stages of a repartitioned stream in this process as one job. The job ends when the
 * stage after the repartition ends (by its source's `stopWhenIdle` / `maxRecords`, or `stop()`),
 * stopping the stage before if it still runs; the stage before ending on its own (a bounded input)
 * ends nothing else. The first failure stops the other stage and rejects the job once both are
 * down. The summary is the stage after's, with the stage before's as `upstream`.
 */
export function runStages(startUpstream: () => Job, startDownstream: () => Job): Job {
  // The stage after first: it validates every run option synchronously, so a mistake there
  // throws before the stage before has started and could be left running.
  const downstream = startDownstream();
  let upstream: Job;
  try {
    upstream = startUpstream();
  } catch (error) {
    downstream.stop();
    throw error;
  }
  let failure: { error: unknown } | undefined;
  const failed = (other: Job) => (error: unknown) => {
    failure ??= { error };
    other.stop();
    return undefined;
  };
  const done = Promise.all([
    upstream.then((summary) => summary, failed(downstream)),
    downstream.then((summary) => {
      upstream.stop();
      return summary;
    }, failed(upstream)),
  ]).then(([up, down]): RunSummary => {
    if (failure) throw failure.error;
    return { ...down!, upstream: up };
  });
  const job = done as Job;
  (job as { stop: Job['stop'] }).stop = () => {
    upstream.stop();
    downstream.stop();
    return job;
  };
  (job as { metrics: Job['metrics'] }).metrics = downstream.metrics;
  return job;
}
