/**
 * Runs a pipeline plan as a job: opens and restores it, runs its two stages (the source loop and
 * the sink stage, joined by a credit channel), stops it gracefully on request, and closes it.
 * The checkpoint protocol is in `checkpoint.ts`, its scheduling in `checkpoint-coordinator.ts`.
 */
import { PipelineError } from '../core/errors.js';
import { Metrics } from '../core/metrics.js';
import { checkOptions } from '../core/options.js';
import { planCapture, type PlanCapture } from '../core/plan-capture.js';
import { emptyRunSummary, type RunSummary, type RuntimeEvent } from '../core/runtime-event.js';
import type { Source } from '../core/source.js';
import type { RestoredCheckpoint, StateBackend } from '../core/state-backend.js';
import { isTaskStateBackend } from '../core/task-state-backend.js';
import { CreditChannel } from '../delivery/credit-channel.js';
import { logRuntimeEvent } from '../observability/log-runtime-event.js';
import { serveMetrics } from '../observability/metrics-server.js';
import { createProgressReporter, type ProgressReporter } from '../observability/progress-reporter.js';
import type { CheckpointStore } from './checkpoint.js';
import { CheckpointCoordinator } from './checkpoint-coordinator.js';
import { GracefulStop, superviseStop } from './graceful-stop.js';
import type { Job } from './job.js';
import { JobFailure } from './job-failure.js';
import { JobStateQueries } from './job-state-queries.js';
import { OperatorGraph, type PlanNode } from './operator-graph.js';
import { PartitionTasks } from './partition-tasks.js';
import { checkRestoreOptions } from './restore-check.js';
import { isAbortSignal, RUN_OPTIONS, runSettingsOf, type RunOptions } from './run-options.js';
import { SinkDeadLetters } from '../sinks/sink-dead-letters.js';
import { SinkCalls } from './sink-calls.js';
import type { SinkElement } from './sink-channel.js';
import { SinkStage } from './sink-stage.js';
import { SourceLoop } from './source-loop.js';
import { METRICS } from '../core/metric-catalogue.js';

export type { RunSummary, RuntimeEvent } from '../core/runtime-event.js';
export type { RunOptions } from './run-options.js';
export type { Job } from './job.js';

/** A pipeline ready to run: a source and the tree of operators and sinks it feeds. */
export interface PipelinePlan extends PlanNode {
  source: Source<unknown>;
}

/** Starts a pipeline. Most users call `stream.run()`, which builds the plan and calls this. */
export function runPipeline(plan: PipelinePlan, options: RunOptions = {}): Job {
  const capture = planCapture();
  if (capture) return capturedJob(plan, options, capture);
  checkOptions('run', options, RUN_OPTIONS);
  checkRestoreOptions(options.restore);
  const metrics = options.metrics?.registry ?? new Metrics();
  const stop = new GracefulStop();
  const queries = new JobStateQueries();
  // The job settles with the run, or rejects at once when its stop is abandoned (stopTimeout, a
  // second signal) even while the run still waits on a sink that never answers.
  const job = Promise.race([execute(plan, options, metrics, stop, queries), stop.abandoned]) as Job;
  (job as { stop: Job['stop'] }).stop = () => {
    stop.request('stop()');
    return job;
  };
  (job as { metrics: Metrics }).metrics = metrics;
  (job as { query: Job['query'] }).query = (uid) => queries.query(uid);
  const signal = options.signal;
  // Anything else is refused by the run's option check.
  if (isAbortSignal(signal)) {
    const aborted = () => stop.request('abort signal');
    if (signal.aborted) aborted();
    else {
      signal.addEventListener('abort', aborted, { once: true });
      stop.onEnd(() => signal.removeEventListener('abort', aborted));
    }
  }
  return job;
}

/**
 * In a worker thread of a parallel run: hands the plan to the worker runtime, which runs it, and
 * returns a job that never settles (the main thread ends the worker), so the module's code after
 * `await stream.run()` runs in the main thread only. The main thread checks the options.
 */
function capturedJob(plan: PipelinePlan, options: RunOptions, capture: PlanCapture): Job {
  capture(plan, options);
  const job = new Promise<RunSummary>(() => undefined) as Job;
  (job as { stop: Job['stop'] }).stop = () => job;
  (job as { metrics: Metrics }).metrics = new Metrics();
  (job as { query: Job['query'] }).query = () => {
    throw new PipelineError('query(uid): this job runs in a worker thread of a parallel run; query the job of the main thread');
  };
  return job;
}

async function execute(
  plan: PipelinePlan,
  options: RunOptions,
  metrics: Metrics,
  stop: GracefulStop,
  queries: JobStateQueries,
): Promise<RunSummary> {
  try {
    return await runJob(plan, options, metrics, stop, queries);
  } finally {
    stop.end();
  }
}

async function runJob(
  plan: PipelinePlan,
  options: RunOptions,
  metrics: Metrics,
  stop: GracefulStop,
  queries: JobStateQueries,
): Promise<RunSummary> {
  const now = options.clock ?? Date.now;
  const startedAt = now();
  let progress: ProgressReporter | undefined;
  const emit = (event: RuntimeEvent): void => {
    if (options.logger) logRuntimeEvent(options.logger, event);
    progress?.onEvent(event);
    options.onEvent?.(event);
  };
  const { batchSize, credits, tickIntervalMs, checkpointPolicy, stopTimeoutMs, stopSignals } = runSettingsOf(options);
  const channel = new CreditChannel<SinkElement>(credits, now);
  if (options.progress) progress = createProgressReporter(options.progress, { metrics, clock: now, checkpointing: !!checkpointPolicy });
  const { source } = plan;
  const taskState = isTaskStateBackend(options.state) ? options.state : undefined;
  const checkpointState = taskState ? undefined : (options.state as StateBackend | undefined);

  const summary = emptyRunSummary();

  // Every stage reports failures here; the first is what the job rejects with. `interrupt` is the
  // source's signal: raised by a stop request or a failure, so a waiting poll answers at once.
  const failure = new JobFailure();
  const interrupt = new AbortController();
  const fail = (error: unknown): void => {
    failure.fail(error);
    channel.fail(failure.error);
    interrupt.abort();
  };
  let failureReported = false;
  const reportFailure = (error: unknown): void => {
    if (failureReported) return;
    failureReported = true;
    emit({ type: 'job.failed', error });
  };
  stop.onRequest(() => interrupt.abort());
  stop.onAbandon((error) => {
    fail(error);
    try {
      reportFailure(error);
    } catch {
      // The job rejects with the stop's error either way.
    }
  });
  // What the job waits on, for a stop that times out or is forced.
  let phase = 'the source, the sinks and the state to open';
  let sourceLoop: SourceLoop | undefined;
  let sinkStage: SinkStage | undefined;
  const sinkCalls = new SinkCalls();
  // What a sink cannot write it hands back through its context: a dead letter, counted as one.
  const sinkDeadLetters = new SinkDeadLetters(
    (sink, items) => sinkCalls.write(sink, items),
    (sink, n) => {
      summary.deadLetters += n;
      metrics.inc(METRICS.deadLetters, { operator: sink.name ?? 'sink' }, n);
    },
  );
  const waitingOn = () => sinkCalls.describePending() ?? sinkStage?.waitingOn() ?? sourceLoop?.waitingOn() ?? phase;
  let lastCheckpoint: number | undefined;
  superviseStop(stop, { timeoutMs: stopTimeoutMs, signals: stopSignals, waitingOn, lastCheckpoint: () => lastCheckpoint });

  // Restore the last complete checkpoint before anything is read.
  const server =
    options.metrics?.port !== undefined
      ? await serveMetrics(metrics, { port: options.metrics.port, host: options.metrics.host, state: (uid) => queries.query(uid) }).catch(
          (error: unknown) => {
            queries.failed(error);
            throw error;
          },
        )
      : undefined;
  if (server) emit({ type: 'metrics.server.listening', host: server.host, port: server.port });
  let restored: RestoredCheckpoint | undefined;
  // With per-partition state, `graph` only routes the source's dead letters and names the sinks;
  // each partition's task runs its own graph.
  let graph: OperatorGraph;
  let tasks: PartitionTasks | undefined;
  let checkpoints: CheckpointCoordinator;
  try {
    tasks = taskState ? new PartitionTasks(plan, metrics, now, source, taskState, options.restore) : undefined;
    restored = checkpointState ? await checkpointState.open() : undefined;
    if (taskState) await taskState.open();
    graph = new OperatorGraph(
      plan,
      metrics,
      now,
      () => source.partitions(),
      (input) => source.inputPartitions?.(input) ?? [],
      (uid) => checkpointState?.residentState?.(uid),
    );
    if (restored) graph.restore(restored, options.restore, `checkpoint ${restored.id}`);
    const [opened, running] = [graph, tasks];
    queries.opened(opened, running ? () => running.graphs() : () => [opened]);
    checkpoints = new CheckpointCoordinator(
      checkpointPolicy,
      restored ? restored.id : 0,
      { source, graph, tasks },
      (checkpoint) => channel.send({ kind: 'barrier', checkpoint }, 0),
      failure,
      now,
    );
    // Changes of resident state cannot be evicted: a checkpoint writes them when they fill their share of the budget.
    const coordinator = checkpoints;
    (checkpointState ?? taskState)?.attach?.({ requestCheckpoint: () => coordinator.request(), metrics });
    await sinkCalls.openAll(graph.allSinks(), (sink) => sinkDeadLetters.contextFor(sink));
    await source.open({
      restoreFrom: restored?.sourcePosition,
      batchSize,
      now,
      signal: interrupt.signal,
      metrics,
      requestCheckpoint: checkpointPolicy ? () => checkpoints.request() : undefined,
      holdNewPartitions: tasks !== undefined,
    });
  } catch (error) {
    queries.failed(error);
    // A job that never started must not keep its metrics port open (the process would not exit).
    await server?.close();
    await Promise.resolve(options.state?.close()).catch(() => undefined);
    reportFailure(error);
    throw error;
  }
  const allSinks = graph.allSinks();
  // Each resource closes once: a stop abandoned while closing releases the rest in the background.
  const closeSinks = once(() => sinkCalls.closeAll(allSinks));
  const closeSource = once(async () => source.close?.());
  const closeState = once(async () => options.state?.close());
  const closeServer = once(async () => server?.close());
  const closeAll = async (): Promise<void> => {
    phase = 'the sinks to close';
    await closeSinks().catch(fail);
    phase = `the source ${source.name} to close`;
    await closeSource().catch(fail);
    phase = 'the state to close';
    await closeState();
    phase = 'the metrics server to close';
    await closeServer();
  };
  /** After an abandoned stop: closes everything at once, so one close that never returns holds back no other. */
  const releaseAll = () => void Promise.allSettled([closeSinks(), closeSource(), closeState(), closeServer()]);
  if (failure.failed) {
    // The stop was abandoned while the job opened.
    releaseAll();
    reportFailure(failure.error);
    throw failure.error;
  }
  if (restored) summary.restoredFrom = restored.id;
  lastCheckpoint = restored?.id;
  if (restored) emit({ type: 'checkpoint.restored', id: restored.id });
  emit({ type: 'job.started', restoredFrom: restored?.id });
  stop.onRequest((reason) => {
    try {
      emit({ type: 'job.stopping', reason });
    } catch (error) {
      fail(error);
    }
  });

  phase = 'the job to finish';
  sourceLoop = new SourceLoop({
    source,
    graph,
    tasks,
    channel,
    checkpoints,
    metrics,
    summary,
    batchSize,
    tickInterval: tickIntervalMs,
    now,
    emit,
    stop: stop.signal,
    failure,
    interrupt: interrupt.signal,
  });
  const store: CheckpointStore | undefined = taskState
    ? { perTask: true, backend: taskState }
    : checkpointState
      ? { perTask: false, backend: checkpointState }
      : undefined;
  sinkStage = new SinkStage({
    channel,
    groups: graph.groups,
    sinks: allSinks,
    sinkCalls,
    sinkDeadLetters,
    metrics,
    summary,
    // Barriers exist only when a store does: the checkpoint policy needs `state`.
    checkpointTargets: {
      sinks: allSinks,
      sinkCalls,
      store: store!,
      source,
      metrics,
      summary,
      now,
      emit: (event) => {
        if (event.type === 'checkpoint.completed') lastCheckpoint = event.id;
        emit(event);
      },
      failure,
    },
  });
  const stages = Promise.all([sourceLoop.run().catch(fail), sinkStage.run().catch(fail)]);
  if (!(await doneUnlessAbandoned(stages, stop)) || !(await doneUnlessAbandoned(closeAll(), stop))) {
    // A sink call (or a close) that never settles holds a stage: the job ends without it.
    releaseAll();
    reportFailure(failure.error);
    throw failure.error;
  }
  if (failure.failed) {
    reportFailure(failure.error);
    throw failure.error;
  }

  summary.filtered = metrics.total(METRICS.recordsFiltered);
  summary.duplicates = metrics.total(METRICS.dedupDropped);
  metrics.set(METRICS.channelPeak, {}, channel.peakRecords);
  metrics.counter(METRICS.backpressure).value = channel.backpressuredMs / 1000;
  summary.durationMs = now() - startedAt;
  emit({ type: 'job.finished', summary });
  return summary;
}

/** `action`, run at its first call only; later calls share its promise. */
function once(action: () => Promise<unknown>): () => Promise<unknown> {
  let started: Promise<unknown> | undefined;
  return () => (started ??= action());
}

/** `true` once `work` is done, `false` as soon as the stop is abandoned (`work` may never finish then); rejects as `work` does. */
function doneUnlessAbandoned(work: Promise<unknown>, stop: GracefulStop): Promise<boolean> {
  return Promise.race([
    work.then(() => true),
    stop.abandoned.then(
      () => false,
      () => false,
    ),
  ]);
}
