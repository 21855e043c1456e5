import type { DeadLetter } from '../core/dead-letter.js';
import type { RunSummary, RuntimeEvent } from '../core/runtime-event.js';
import { parseDuration, type Duration } from '../core/duration.js';
import { describeError, StreamkitError } from '../core/errors.js';
import { Metrics } from '../core/metrics.js';
import { checkOptions } from '../core/options.js';
import { OperatorGraph, type PlanNode } from './operator-graph.js';
import { PartitionTasks } from './partition-tasks.js';
import type { Sink } from '../core/sink.js';
import type { Source, SourcePoll } from '../core/source.js';
import type { LateRecord } from '../core/window.js';
import { CreditChannel } from '../delivery/credit-channel.js';
import { logRuntimeEvent } from '../observability/log-runtime-event.js';
import type { Logger } from '../observability/logger.js';
import { serveMetrics } from '../observability/metrics-server.js';
import type { CheckpointData, StateBackend } from '../core/state-backend.js';
import { EncodedStateValue } from '../state/state-change-collector.js';
import { SinkDeadLetters } from '../sinks/sink-dead-letters.js';
import { isTaskStateBackend, type TaskCheckpoint, type TaskStateBackend } from '../core/task-state-backend.js';

export type { RunSummary, RuntimeEvent } from '../core/runtime-event.js';

/** A pipeline ready to run: a source and the tree of operators and sinks it feeds. */
export interface PipelinePlan extends PlanNode {
  source: Source<unknown>;
}

export interface RunOptions {
  /**
   * Where checkpoints go (`memoryState()`, `levelState(dir)`, or `kafkaChangelog()` for keyed
   * state that follows Kafka partitions between instances). Without it, no checkpoints are taken.
   */
  state?: StateBackend | TaskStateBackend;
  /** Checkpoint interval in processing time, or every `records` source records. Default `'5s'` when `state` is set. */
  checkpointEvery?: Duration | { records: number };
  /** Records per batch for sources that take the hint (default 1024). */
  batchSize?: number;
  /** Batches the sink stage may have queued before the pipeline waits (default 8). */
  credits?: number;
  /** How often processing-time work runs (idleness, processing-time triggers); default `'100ms'`. */
  tickInterval?: Duration;
  /** Processing-time clock; inject a fake one for deterministic tests. */
  clock?: () => number;
  /** Stops the job like `stop()`. */
  signal?: AbortSignal;
  /** Receives typed runtime events. */
  onEvent?: (event: RuntimeEvent) => void;
  /** Logs job start, finish and failure at info/error and checkpoints at debug (see `createLogger`). */
  logger?: Logger;
  /** Metrics: `port` serves them in the Prometheus text format on `GET /metrics`; `registry` shares one. */
  metrics?: { port?: number; host?: string; registry?: Metrics };
}

/** A running job: a promise of its summary, plus `stop()` and live metrics. */
export interface Job extends Promise<RunSummary> {
  /** Stops after the current batch: sinks are flushed, windows are not fired (the input did not end). */
  stop(): void;
  readonly metrics: Metrics;
}

type SinkElement =
  | { kind: 'results'; group: number; items: unknown[] }
  | { kind: 'late'; group: number; items: LateRecord[] }
  | { kind: 'dead'; group: number; items: DeadLetter[] }
  | { kind: 'barrier'; checkpoint: CheckpointData; tasks?: Map<string, TaskCheckpoint>; startedAt: number; completed?: () => void }
  | { kind: 'end' };

const TICK = Symbol('tick');
const RUN_OPTIONS = [
  'state',
  'checkpointEvery',
  'batchSize',
  'credits',
  'tickInterval',
  'clock',
  'signal',
  'onEvent',
  'logger',
  'metrics',
] as const;
const YIELD_EVERY_MS = 10;

/** Starts a pipeline. Most users call `stream.run()`, which builds the plan and calls this. */
export function runPipeline(plan: PipelinePlan, options: RunOptions = {}): Job {
  checkOptions('run', options, RUN_OPTIONS);
  const metrics = options.metrics?.registry ?? new Metrics();
  let stopRequested = false;
  const job = execute(plan, options, metrics, () => stopRequested) as Job;
  (job as { stop: () => void }).stop = () => {
    stopRequested = true;
  };
  (job as { metrics: Metrics }).metrics = metrics;
  options.signal?.addEventListener('abort', () => (stopRequested = true), { once: true });
  if (options.signal?.aborted) stopRequested = true;
  return job;
}

async function execute(plan: PipelinePlan, options: RunOptions, metrics: Metrics, stopRequested: () => boolean): Promise<RunSummary> {
  const now = options.clock ?? Date.now;
  const startedAt = now();
  const emit = (event: RuntimeEvent): void => {
    if (options.logger) logRuntimeEvent(options.logger, event);
    options.onEvent?.(event);
  };
  const batchSize = options.batchSize ?? 1024;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const tickInterval = parseDuration(options.tickInterval ?? '100ms', 'tickInterval');
  const checkpointPolicy = checkpointPolicyOf(options);
  let checkpointRequested = false;
  const channel = new CreditChannel<SinkElement>(options.credits ?? 8, now);
  const { source } = plan;
  const taskState = isTaskStateBackend(options.state) ? options.state : undefined;
  const checkpointState = taskState ? undefined : (options.state as StateBackend | undefined);

  const summary: RunSummary = {
    records: 0,
    results: 0,
    late: 0,
    deadLetters: 0,
    filtered: 0,
    duplicates: 0,
    checkpoints: 0,
    durationMs: 0,
    stopped: false,
  };

  // Restore the last complete checkpoint before anything is read.
  const server =
    options.metrics?.port !== undefined
      ? await serveMetrics(metrics, { port: options.metrics.port, host: options.metrics.host })
      : undefined;
  if (server) emit({ type: 'metrics.server.listening', host: server.host, port: server.port });
  const abort = new AbortController();
  let restored: Awaited<ReturnType<StateBackend['open']>>;
  // With per-partition state, `graph` only routes the source's dead letters and names the sinks;
  // each partition's task runs its own graph.
  let graph: OperatorGraph;
  let tasks: PartitionTasks | undefined;
  let allSinks: Sink<any>[];
  // What a sink cannot write it hands back through its context: a dead letter, counted as one.
  const handedBack = new SinkDeadLetters(writeTo, (sink, n) => {
    summary.deadLetters += n;
    metrics.inc('dead_letters', { operator: sink.name ?? 'sink' }, n);
  });
  try {
    tasks = taskState ? new PartitionTasks(plan, metrics, now, source, taskState) : undefined;
    restored = checkpointState ? await checkpointState.open() : undefined;
    if (taskState) await taskState.open();
    graph = new OperatorGraph(plan, metrics, now, () => source.partitions());
    allSinks = graph.allSinks();
    if (restored) graph.restore(restored.operators);
    await allOf(allSinks, async (sink) => sink.open?.(handedBack.contextFor(sink)));
    await source.open({
      restoreFrom: restored?.sourcePosition,
      batchSize,
      now,
      signal: abort.signal,
      metrics,
      requestCheckpoint: checkpointPolicy ? () => (checkpointRequested = true) : undefined,
      holdNewPartitions: tasks !== undefined,
    });
  } catch (error) {
    // A job that never started must not keep its metrics port open (the process would not exit).
    await server?.close();
    await Promise.resolve(options.state?.close()).catch(() => undefined);
    emit({ type: 'job.failed', error });
    throw error;
  }
  if (restored) summary.restoredFrom = restored.id;
  let checkpointId = restored ? restored.id : 0;
  if (restored) emit({ type: 'checkpoint.restored', id: restored.id });
  emit({ type: 'job.started', restoredFrom: restored?.id });

  const recordsIn = metrics.counter('records_in', { stage: 'source' });
  const inFlight = metrics.gauge('channel_in_flight_records');
  // A counter of total ms waited, so Prometheus' rate() gives the fraction of time a sink held the job back.
  const backpressure = metrics.counter('backpressure_ms');

  // The graphs records flow through: the one graph, or each partition's task.
  const single = [graph];
  const running = (): readonly OperatorGraph[] => (tasks ? tasks.graphs() : single);
  const drainAll = async (): Promise<void> => {
    if (tasks) await drain(graph, channel, batchSize);
    for (const g of running()) await drain(g, channel, batchSize);
  };
  const syncTasks = async (checkpointNow: () => Promise<void>): Promise<void> => {
    if (!tasks?.outOfDate()) return;
    // Tasks about to stop (revoked, or assigned again and restarted) are checkpointed first, so
    // their next owner, this instance included, resumes from their state as of now.
    if (tasks.hasLeavingTasks()) await checkpointNow();
    const changes = await tasks.sync((leaving) => drain(leaving, channel, batchSize));
    for (const task of changes.stopped) emit({ type: 'task.stopped', task });
    for (const { name, restoredFrom } of changes.started) {
      // Checkpoint ids keep rising for a task whose earlier owner got further.
      if (restoredFrom !== undefined) checkpointId = Math.max(checkpointId, restoredFrom);
      emit({ type: 'task.started', task: name, restoredFrom });
    }
  };

  const driveSource = async (): Promise<void> => {
    let lastTick = now();
    let lastCheckpoint = now();
    let recordsSinceCheckpoint = 0;
    let firstCheckpoint = true;
    const tick = () => {
      const t = now();
      if (t - lastTick >= tickInterval) {
        lastTick = t;
        for (const g of running()) g.tick(t);
      }
    };
    /** Sends a barrier when one is due; with `untilComplete`, waits until the sinks stage completed it. */
    const checkpoint = async (force: boolean, untilComplete = false) => {
      if (!checkpointPolicy) return;
      const due =
        force ||
        checkpointRequested ||
        (checkpointPolicy.records !== undefined
          ? recordsSinceCheckpoint >= checkpointPolicy.records
          : now() - lastCheckpoint >= checkpointPolicy.intervalMs!);
      if (!due) return;
      const data: CheckpointData = {
        id: ++checkpointId,
        sourcePosition: source.position(),
        operators: tasks ? new Map() : graph.snapshot(firstCheckpoint),
      };
      const taskData = tasks?.snapshot();
      firstCheckpoint = false;
      checkpointRequested = false;
      lastCheckpoint = now();
      recordsSinceCheckpoint = 0;
      const barrier: SinkElement = { kind: 'barrier', checkpoint: data, tasks: taskData, startedAt: lastCheckpoint };
      const completed = untilComplete
        ? new Promise<void>((resolve, reject) => {
            barrier.completed = resolve;
            abort.signal.addEventListener('abort', () => reject(failure), { once: true });
          })
        : undefined;
      await channel.send(barrier, 0);
      await completed;
    };
    const checkpointNow = () => checkpoint(true, true);

    let ended = false;
    let lastYield = Date.now();
    // A failure in the sink stage aborts: an unbounded source with nothing more to send would otherwise poll on.
    while (!stopRequested() && !abort.signal.aborted) {
      await syncTasks(checkpointNow);
      let polled: SourcePoll<unknown> | Promise<SourcePoll<unknown>> = source.poll();
      if (polled instanceof Promise) {
        polled = await awaitWithTicks(polled, tickInterval, async () => {
          tick();
          await drainAll();
        });
      }
      if (polled.kind === 'end') {
        ended = true;
        break;
      }
      if (polled.kind === 'idle') await sleep(Math.min(tickInterval, 20));
      if (polled.deadLetters?.length) {
        metrics.inc('dead_letters', { operator: 'source' }, polled.deadLetters.length);
        graph.sourceDeadLetters(polled.deadLetters);
      }
      if (polled.kind === 'batch') {
        const n = polled.batch.values.length;
        summary.records += n;
        recordsIn.value += n;
        recordsSinceCheckpoint += n;
        // Pushed before anything awaits: the source's position already covers this batch, so a
        // checkpoint must not come between.
        if (tasks) tasks.push(polled.batch);
        else graph.push(polled.batch);
      }
      tick();
      await drainAll();
      inFlight.value = channel.inFlightRecords;
      backpressure.value = channel.backpressuredMs;
      await checkpoint(false);
      // A synchronous source never gives the event loop a turn by itself; timers (stop, metrics
      // scrapes, Kafka heartbeats) must still run.
      if (Date.now() - lastYield >= YIELD_EVERY_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = Date.now();
      }
    }
    if (ended) {
      for (const g of running()) g.endOfInput();
      await drainAll();
      // A final checkpoint records that the input is consumed, so a restart does not replay it.
      await checkpoint(true);
    } else {
      summary.stopped = true;
      await drainAll();
    }
    await channel.send({ kind: 'end' }, 0);
  };

  const driveSinks = async (): Promise<void> => {
    const resultsOut = metrics.counter('records_out', { stage: 'sink' });
    for (;;) {
      const element = await channel.receive();
      switch (element.kind) {
        case 'results':
          summary.results += element.items.length;
          resultsOut.value += element.items.length;
          for (const sink of graph.groups[element.group].sinks)
            await handedBack.write(sink, element.items, graph.groups[element.group].deadSinks);
          break;
        case 'late':
          summary.late += element.items.length;
          for (const sink of graph.groups[element.group].lateSinks)
            await handedBack.write(sink, element.items, graph.groups[element.group].deadSinks);
          break;
        case 'dead':
          summary.deadLetters += element.items.length;
          for (const sink of graph.groups[element.group].deadSinks) await handedBack.writeDeadLetters(sink, element.items);
          break;
        case 'barrier': {
          await allOf(allSinks, flushSink);
          if (taskState) await writeTaskCheckpoint(taskState, element.checkpoint.id, element.tasks!);
          else await writeCheckpoint(checkpointState!, element.checkpoint);
          await source.commit?.(element.checkpoint.sourcePosition);
          summary.checkpoints++;
          const durationMs = now() - element.startedAt;
          metrics.inc('checkpoints_completed');
          metrics.set('checkpoint_duration_ms', {}, durationMs);
          metrics.set('checkpoint_last_completed_at', {}, now());
          let entries = 0;
          let bytes = 0;
          const operatorChanges = element.tasks
            ? [...element.tasks.values()].flatMap((t) => [...t.operators.values()])
            : element.checkpoint.operators.values();
          for (const changes of operatorChanges) {
            entries += changes.puts.size + changes.deletes.size;
            for (const [key, value] of changes.puts) bytes += key.length + (value instanceof EncodedStateValue ? value.bytes.length : 0);
          }
          metrics.set('checkpoint_entries', {}, entries);
          metrics.set('checkpoint_bytes', {}, bytes);
          metrics.inc('checkpoint_bytes_written', {}, bytes);
          emit({ type: 'checkpoint.completed', id: element.checkpoint.id, durationMs, entries });
          element.completed?.();
          break;
        }
        case 'end':
          await allOf(allSinks, flushSink);
          return;
      }
    }
  };

  let failure: unknown;
  const fail = (error: unknown) => {
    if (failure === undefined) failure = error;
    abort.abort();
    channel.fail(error);
  };
  await Promise.all([driveSource().catch(fail), driveSinks().catch(fail)]);

  await allOf(allSinks, async (sink) => sink.close?.()).catch((error) => failure ?? (failure = error));
  await Promise.resolve(source.close?.()).catch((error) => failure ?? (failure = error));
  if (options.state) await options.state.close();
  await server?.close();
  if (failure !== undefined) {
    emit({ type: 'job.failed', error: failure });
    throw failure;
  }

  summary.filtered = metrics.total('records_filtered');
  summary.duplicates = metrics.total('dedup_dropped');
  metrics.set('channel_peak_records', {}, channel.peakRecords);
  backpressure.value = channel.backpressuredMs;
  summary.durationMs = now() - startedAt;
  emit({ type: 'job.finished', summary });
  return summary;
}

/**
 * Hands what the graph produced to the sink stage, tagged with its group, in chunks of at most
 * `batchSize` items: each chunk takes a credit, so the edge never holds more than credits x batch
 * size items, results, late records and dead letters alike.
 */
async function drain(graph: OperatorGraph, channel: CreditChannel<SinkElement>, batchSize: number): Promise<void> {
  for (let group = 0; group < graph.groups.length; group++) {
    const g = graph.groups[group];
    if (g.dead.length > 0) {
      const all = g.dead.splice(0);
      for (const items of chunks(all, batchSize)) await channel.send({ kind: 'dead', group, items }, items.length);
    }
    if (g.late.length > 0) {
      const all = g.late.splice(0);
      for (const items of chunks(all, batchSize)) await channel.send({ kind: 'late', group, items }, items.length);
    }
    if (g.results.length > 0) {
      const all = g.results;
      g.results = [];
      for (const items of chunks(all, batchSize)) await channel.send({ kind: 'results', group, items }, items.length);
    }
  }
}

function* chunks<T>(items: T[], size: number): Generator<T[]> {
  if (items.length <= size) {
    yield items;
    return;
  }
  for (let from = 0; from < items.length; from += size) yield items.slice(from, from + size);
}

function checkpointPolicyOf(options: RunOptions): { intervalMs?: number; records?: number } | undefined {
  if (!options.state) {
    if (options.checkpointEvery !== undefined) {
      throw new TypeError('checkpointEvery needs a state backend: pass run({ state: memoryState() | levelState(dir), checkpointEvery })');
    }
    return undefined;
  }
  const every = options.checkpointEvery ?? '5s';
  if (typeof every === 'object') {
    if (!Number.isInteger(every.records) || every.records < 1) {
      throw new RangeError(`checkpointEvery.records must be a positive integer, got ${every.records}`);
    }
    return { records: every.records };
  }
  const intervalMs = parseDuration(every, 'checkpointEvery');
  return { intervalMs };
}

async function writeTo(sink: Sink<any>, items: unknown[]): Promise<void> {
  try {
    await sink.write(items);
  } catch (error) {
    throw new StreamkitError('SINK_FAILED', `sink ${sink.name ?? 'unnamed'} failed to write: ${describeError(error)}`, {
      cause: error,
      retriable: true,
    });
  }
}

/**
 * Runs `action` on every sink at once and waits for all of them; rejects with the first failure in
 * sink order. Sinks are independent (files, topics), so their opens, fsyncs and closes overlap
 * instead of queueing one behind another.
 */
async function allOf(sinks: Sink<any>[], action: (sink: Sink<any>) => Promise<unknown>): Promise<void> {
  const outcomes = await Promise.allSettled(sinks.map((sink) => action(sink)));
  for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
}

async function flushSink(sink: Sink<any>): Promise<void> {
  try {
    await sink.flush?.();
  } catch (error) {
    throw new StreamkitError('SINK_FAILED', `sink ${sink.name ?? 'unnamed'} failed to flush: ${describeError(error)}`, {
      cause: error,
      retriable: true,
    });
  }
}

async function writeTaskCheckpoint(state: TaskStateBackend, id: number, tasks: Map<string, TaskCheckpoint>): Promise<void> {
  try {
    await state.write(id, tasks);
  } catch (error) {
    throw new StreamkitError('CHECKPOINT_FAILED', `checkpoint ${id} could not be written to ${state.name} state: ${describeError(error)}`, {
      cause: error,
      retriable: true,
    });
  }
}

async function writeCheckpoint(state: StateBackend, checkpoint: CheckpointData): Promise<void> {
  try {
    await state.write(checkpoint);
  } catch (error) {
    throw new StreamkitError(
      'CHECKPOINT_FAILED',
      `checkpoint ${checkpoint.id} could not be written to ${state.name} state: ${describeError(error)}`,
      { cause: error, retriable: true },
    );
  }
}

/** Awaits a pending poll while still running processing-time work every `interval`. */
async function awaitWithTicks<T>(pending: Promise<T>, interval: number, tick: () => Promise<void>): Promise<T> {
  for (;;) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const winner = await Promise.race([
      pending,
      new Promise<typeof TICK>((resolve) => (timer = setTimeout(() => resolve(TICK), Math.max(interval, 1)))),
    ]);
    clearTimeout(timer);
    if (winner !== TICK) return winner as T;
    await tick();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
