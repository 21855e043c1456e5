import type { Metrics, MetricSample } from '../core/metrics.js';
import type { RunSummary, RuntimeEvent } from '../core/runtime-event.js';
import type { Source, SourcePoll } from '../core/source.js';
import type { CheckpointCoordinator } from './checkpoint-coordinator.js';
import type { JobFailure } from './job-failure.js';
import type { OperatorGraph } from './operator-graph.js';
import type { PartitionTasks } from './partition-tasks.js';
import { drainToSinks, type SinkChannel } from './sink-channel.js';
import { syncPartitionTasks } from './task-sync.js';
import { METRICS } from '../core/metric-catalogue.js';

/** What the source loop needs. */
export interface SourceLoopContext {
  source: Source<unknown>;
  /** The job's graph; with partition tasks it only routes the source's dead letters. */
  graph: OperatorGraph;
  tasks?: PartitionTasks;
  channel: SinkChannel;
  checkpoints: CheckpointCoordinator;
  metrics: Metrics;
  summary: RunSummary;
  batchSize: number;
  /** How often processing-time work runs, in ms. */
  tickInterval: number;
  now: () => number;
  emit: (event: RuntimeEvent) => void;
  /** Raised by a stop request: the loop ends after the current batch and takes a final checkpoint. */
  stop: AbortSignal;
  failure: JobFailure;
  /** Raised on a stop or a failure: a poll still pending then is given up. */
  interrupt: AbortSignal;
}

const TICK = Symbol('tick');
const INTERRUPTED = Symbol('interrupted');
/** A synchronous source gets the event loop a turn at least this often (ms). */
const YIELD_EVERY_MS = 10;

/**
 * The first stage of a job: polls the source, pushes each batch through the operators (all
 * synchronous), hands their output to the sink stage, runs processing-time work, and takes
 * checkpoints at batch boundaries when they are due. It ends at the end of input (firing every
 * window, then a final checkpoint that records the input as consumed) or at a stop request (a
 * final checkpoint of the state as of the last batch; windows do not fire, the input did not end).
 */
export class SourceLoop {
  private readonly single: readonly OperatorGraph[];
  private readonly recordsIn: MetricSample;
  private readonly inFlight: MetricSample;
  private readonly backpressure: MetricSample;
  private waiting: string | undefined;

  constructor(private readonly ctx: SourceLoopContext) {
    this.single = [ctx.graph];
    this.recordsIn = ctx.metrics.counter(METRICS.recordsIn, { stage: 'source' });
    this.inFlight = ctx.metrics.gauge(METRICS.channelInFlight);
    // A counter of total seconds waited, so Prometheus' rate() gives the fraction of time a sink held the job back.
    this.backpressure = ctx.metrics.counter(METRICS.backpressure);
  }

  /** Runs until the input ends, a stop is requested or the job fails; then sends the end to the sink stage. */
  async run(): Promise<void> {
    const { source, graph, tasks, channel, checkpoints, metrics, summary, now, failure } = this.ctx;
    let lastTick = now();
    const tick = () => {
      const t = now();
      if (t - lastTick >= this.ctx.tickInterval) {
        lastTick = t;
        for (const g of this.running()) g.tick(t);
      }
    };

    // A checkpoint taken in the middle of a watermark: the restore finishes it before any record.
    if (!tasks) {
      graph.resumeUnfinishedWatermarks();
      await this.drainAll(true);
    }
    let ended = false;
    let lastYield = Date.now();
    while (!this.ctx.stop.aborted && !failure.failed) {
      await this.syncTasks();
      let polled: SourcePoll<unknown> | Promise<SourcePoll<unknown>> | undefined = source.poll();
      if (polled instanceof Promise) {
        polled = await this.awaitPoll(polled, async () => {
          tick();
          await this.drainAll();
        });
        // Stopped (or failed) while the source had no answer: nothing was read, the loop ends.
        if (polled === undefined) break;
      }
      if (polled.kind === 'end') {
        ended = true;
        break;
      }
      if (polled.kind === 'idle') await sleep(Math.min(this.ctx.tickInterval, 20));
      if (polled.deadLetters?.length) {
        metrics.inc(METRICS.deadLetters, { operator: 'source' }, polled.deadLetters.length);
        graph.sourceDeadLetters(polled.deadLetters);
      }
      // Before the batch: an input that ended stops holding the union's watermark back. The
      // windows it fires are worked through before the batch is pushed (no checkpoint comes between).
      if (polled.endedInputs?.length) {
        graph.inputsEnded(polled.endedInputs);
        await this.drainAll();
      }
      if (polled.kind === 'batch') {
        const n = polled.batch.values.length;
        summary.records += n;
        this.recordsIn.value += n;
        checkpoints.recordsRead(n);
        // Pushed before anything awaits: the source's position already covers this batch, so a
        // checkpoint must not come between.
        if (tasks) tasks.push(polled.batch);
        else graph.push(polled.batch);
      }
      // Processing-time work once the batch's watermarks are worked through: a tick while one is
      // stopped would only wait behind it, and anything waiting keeps checkpoints out of its steps.
      await this.drainAll(true);
      if (!this.running().some((g) => g.hasPendingWatermark())) {
        tick();
        await this.drainAll(true);
      }
      if (failure.failed) break;
      this.inFlight.value = channel.inFlightRecords;
      this.backpressure.value = channel.backpressuredMs / 1000;
      await checkpoints.checkpointIfDue(false);
      // A synchronous source never gives the event loop a turn by itself; timers (stop, metrics
      // scrapes, Kafka heartbeats) must still run.
      if (Date.now() - lastYield >= YIELD_EVERY_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = Date.now();
      }
    }
    if (failure.failed) return;
    if (ended) {
      for (const g of this.running()) g.endOfInput();
      await this.drainAll(true);
      if (failure.failed) return;
      // A stop in the middle of the last watermark: the next run finishes it.
      if (graph.hasPendingWatermark()) summary.stopped = true;
      // A final checkpoint records that the input is consumed, so a restart does not replay it.
      await checkpoints.checkpointIfDue(true);
    } else {
      summary.stopped = true;
      // The final checkpoint of a stop: state as of the last batch pushed, taken before anything
      // awaits (a poll given up may still answer and move the source's position). Windows do not
      // fire: the input did not end, and the next run continues it.
      const final = checkpoints.snapshot();
      await this.drainAll(true);
      if (final) await checkpoints.send(final);
    }
    await channel.send({ kind: 'end' }, 0);
  }

  /** What the loop waits on now, for a stop that times out; `undefined` when it waits on nothing of its own. */
  waitingOn(): string | undefined {
    return this.waiting;
  }

  /** The graphs records flow through: the one graph, or each partition's task. */
  private running(): readonly OperatorGraph[] {
    return this.ctx.tasks ? this.ctx.tasks.graphs() : this.single;
  }

  /**
   * Hands what the operators produced to the sink stage. A watermark that stopped after a step of
   * results is worked through here, a step at a time with a drain after each (which waits on the
   * sinks' backpressure), so its results never pile up in memory: when this returns, every
   * watermark is done, and the next batch or tick sees none half processed. A checkpoint that is
   * due (state on disk asks for one when its changes fill their share of the memory budget) comes
   * between two steps where the graph allows it (`OperatorGraph.canSnapshot`), so that a long
   * watermark's changes do not pile up either.
   *
   * With `stoppable`, a stop requested in the middle of a watermark that can be checkpointed there
   * ends the drain at the next step, when the job keeps checkpoints: the stop's checkpoint then
   * marks the watermark unfinished, and the next run finishes it. Only where the loop then goes
   * to a checkpoint or its end, never to a batch.
   */
  private async drainAll(stoppable = false): Promise<void> {
    const { tasks, graph, channel, batchSize, failure, checkpoints } = this.ctx;
    if (tasks) await drainToSinks(graph, channel, batchSize);
    const waiting = this.waiting;
    for (;;) {
      let pending = false;
      for (const g of this.running()) {
        await drainToSinks(g, channel, batchSize);
        if (!g.hasPendingWatermark() || failure.failed) continue;
        // Everything produced so far is drained: a snapshot now is at a step boundary.
        const checkpointable = !tasks && g.canSnapshot();
        if (checkpointable && checkpoints.due()) await checkpoints.checkpointIfDue(false);
        if (failure.failed) continue;
        if (checkpointable && stoppable && this.ctx.stop.aborted && checkpoints.keepsCheckpoints) {
          this.waiting = waiting;
          return;
        }
        this.waiting = 'the operators to work through a watermark';
        g.continueWatermark();
        pending = true;
      }
      if (!pending) break;
    }
    this.waiting = waiting;
  }

  private async syncTasks(): Promise<void> {
    const { tasks, checkpoints, channel, batchSize, emit } = this.ctx;
    if (!tasks) return;
    this.waiting = 'the partition tasks to start or stop';
    try {
      await syncPartitionTasks(tasks, { checkpoints, emit, drain: (leaving) => drainToSinks(leaving, channel, batchSize) });
    } finally {
      this.waiting = undefined;
    }
  }

  /**
   * Awaits a pending poll while still running processing-time work every `tickInterval`. When the
   * job stops or fails first, the source (which sees the same signal) gets one turn of the event
   * loop to answer; a poll still pending then is given up and `undefined` returned. Its answer, if
   * one ever comes, is dropped: by the `Source` contract the position does not cover it, so the
   * next run reads it again.
   */
  private async awaitPoll(pending: Promise<SourcePoll<unknown>>, onTick: () => Promise<void>): Promise<SourcePoll<unknown> | undefined> {
    let settled = false;
    pending.then(
      () => (settled = true),
      () => (settled = true),
    );
    this.waiting = 'the source to answer a poll';
    try {
      for (;;) {
        const next = await nextOf(pending, this.ctx.tickInterval, this.ctx.interrupt);
        if (next === TICK) {
          await onTick();
          continue;
        }
        if (next !== INTERRUPTED) return next;
        await new Promise((resolve) => setImmediate(resolve));
        // No await between this check and the caller's final snapshot but the return itself: a
        // poll answered later cannot move the position under that snapshot.
        return settled ? await pending : undefined;
      }
    } finally {
      this.waiting = undefined;
    }
  }
}

/** The poll's answer, a tick after `intervalMs`, or `INTERRUPTED` once `signal` is raised, whichever comes first. */
function nextOf<T>(pending: Promise<T>, intervalMs: number, signal: AbortSignal): Promise<T | typeof TICK | typeof INTERRUPTED> {
  if (signal.aborted) return Promise.resolve(INTERRUPTED);
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', interrupted);
    };
    const interrupted = () => {
      done();
      resolve(INTERRUPTED);
    };
    const timer = setTimeout(
      () => {
        done();
        resolve(TICK);
      },
      Math.max(intervalMs, 1),
    );
    signal.addEventListener('abort', interrupted, { once: true });
    pending.then(
      (value) => {
        done();
        resolve(value);
      },
      (error: unknown) => {
        done();
        reject(error);
      },
    );
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
