import type { Batch } from './batch.js';
import type { DeadLetter } from './dead-letter.js';
import { parseDuration, type Duration } from './duration.js';
import { describeError, StreamkitError } from './errors.js';
import { Metrics, type MetricSample } from './metrics.js';
import type { Operator, OperatorContext, Output } from './operator.js';
import type { Sink } from './sink.js';
import type { Source, SourcePoll, SourcePosition } from './source.js';
import type { LateRecord } from './window.js';
import { CreditChannel } from '../delivery/credit-channel.js';
import { serveMetrics } from '../observability/metrics-server.js';
import type { CheckpointData, OperatorStateChanges, StateBackend } from '../state/state-backend.js';
import { StateChangeCollector } from '../state/state-change-collector.js';

/** A pipeline ready to run: a source, a chain of operator factories, and its sinks. */
export interface PipelinePlan {
  source: Source<unknown>;
  /** Factories, so every run gets fresh operators (a restored run rebuilds them from state). */
  operators: Array<() => Operator>;
  sinks: Sink[];
  lateSink?: Sink<LateRecord>;
  deadLetterSink?: Sink<DeadLetter>;
}

/** Typed runtime events, for logs and metrics exporters. */
export type RuntimeEvent =
  | { type: 'checkpoint.completed'; id: number; durationMs: number; entries: number }
  | { type: 'checkpoint.restored'; id: number }
  | { type: 'job.finished'; summary: RunSummary };

export interface RunOptions {
  /** Where checkpoints go (`memoryState()`, `levelState(dir)`). Without it, no checkpoints are taken. */
  state?: StateBackend;
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
  /** Metrics: `port` serves them in the Prometheus text format on `GET /metrics`; `registry` shares one. */
  metrics?: { port?: number; host?: string; registry?: Metrics };
}

/** What `run()` resolves with. */
export interface RunSummary {
  /** Records read from the source in this run. */
  records: number;
  /** Items written to the main sinks. */
  results: number;
  late: number;
  deadLetters: number;
  /** Records removed by `filter`. */
  filtered: number;
  /** Records dropped by `dedup`. */
  duplicates: number;
  /** Checkpoints completed in this run. */
  checkpoints: number;
  /** The checkpoint this run restored from, if any. */
  restoredFrom?: number;
  durationMs: number;
  /** True when the run ended through `stop()` rather than the end of input. */
  stopped: boolean;
}

/** A running job: a promise of its summary, plus `stop()` and live metrics. */
export interface Job extends Promise<RunSummary> {
  /** Stops after the current batch: sinks are flushed, windows are not fired (the input did not end). */
  stop(): void;
  readonly metrics: Metrics;
}

type SinkElement =
  | { kind: 'results'; items: unknown[] }
  | { kind: 'late'; items: LateRecord[] }
  | { kind: 'dead'; items: DeadLetter[] }
  | { kind: 'barrier'; checkpoint: CheckpointData; startedAt: number }
  | { kind: 'end' };

const TICK = Symbol('tick');
const YIELD_EVERY_MS = 10;

/** Starts a pipeline. Most users call `stream.run()`, which builds the plan and calls this. */
export function runPipeline(plan: PipelinePlan, options: RunOptions = {}): Job {
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
  const batchSize = options.batchSize ?? 1024;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const tickInterval = parseDuration(options.tickInterval ?? '100ms', 'tickInterval');
  const checkpointPolicy = checkpointPolicyOf(options);
  const channel = new CreditChannel<SinkElement>(options.credits ?? 8, now);
  const { source } = plan;
  const lateSinks = plan.lateSink ? [plan.lateSink] : [];
  const deadSinks = plan.deadLetterSink ? [plan.deadLetterSink] : [];
  const allSinks = [...new Set<Sink<any>>([...plan.sinks, ...lateSinks, ...deadSinks])];

  const summary: RunSummary = {
    records: 0, results: 0, late: 0, deadLetters: 0, filtered: 0, duplicates: 0, checkpoints: 0, durationMs: 0, stopped: false,
  };

  // Restore the last complete checkpoint before anything is read.
  const server = options.metrics?.port !== undefined ? await serveMetrics(metrics, { port: options.metrics.port, host: options.metrics.host }) : undefined;
  const restored = options.state ? await options.state.open() : undefined;
  if (restored) summary.restoredFrom = restored.id;
  let checkpointId = restored ? restored.id : 0;

  const abort = new AbortController();
  const operators = plan.operators.map((make) => make());
  const chain = new Chain(operators, metrics, now, () => source.partitions(), batchSize);
  if (restored) chain.restore(restored.operators);
  for (const sink of allSinks) await sink.open?.();
  await source.open({ restoreFrom: restored?.sourcePosition, batchSize, now, signal: abort.signal });
  if (restored) options.onEvent?.({ type: 'checkpoint.restored', id: restored.id });

  const recordsIn = metrics.counter('records_in', { stage: 'source' });
  const inFlight = metrics.gauge('channel_in_flight_records');

  const driveSource = async (): Promise<void> => {
    let lastTick = now();
    let lastCheckpoint = now();
    let recordsSinceCheckpoint = 0;
    let firstCheckpoint = true;
    const tick = () => {
      const t = now();
      if (t - lastTick >= tickInterval) {
        lastTick = t;
        chain.tick(t);
      }
    };
    const checkpoint = async (force: boolean) => {
      if (!checkpointPolicy) return;
      const due = force || (checkpointPolicy.records !== undefined
        ? recordsSinceCheckpoint >= checkpointPolicy.records
        : now() - lastCheckpoint >= checkpointPolicy.intervalMs!);
      if (!due) return;
      const data: CheckpointData = {
        id: ++checkpointId,
        sourcePosition: source.position(),
        operators: chain.snapshot(firstCheckpoint),
      };
      firstCheckpoint = false;
      lastCheckpoint = now();
      recordsSinceCheckpoint = 0;
      await channel.send({ kind: 'barrier', checkpoint: data, startedAt: lastCheckpoint }, 0);
    };

    let ended = false;
    let lastYield = Date.now();
    while (!stopRequested()) {
      let polled: SourcePoll<unknown> | Promise<SourcePoll<unknown>> = source.poll();
      if (polled instanceof Promise) {
        polled = await awaitWithTicks(polled, tickInterval, async () => {
          tick();
          await chain.drainTo(channel);
        });
      }
      if (polled.kind === 'end') {
        ended = true;
        break;
      }
      if (polled.kind === 'idle') await sleep(Math.min(tickInterval, 20));
      if (polled.deadLetters) chain.deadLetters(polled.deadLetters);
      if (polled.kind === 'batch') {
        const n = polled.batch.values.length;
        summary.records += n;
        recordsIn.value += n;
        recordsSinceCheckpoint += n;
        chain.push(polled.batch);
      }
      tick();
      await chain.drainTo(channel);
      inFlight.value = channel.inFlightRecords;
      await checkpoint(false);
      // A synchronous source never gives the event loop a turn by itself; timers (stop, metrics
      // scrapes, Kafka heartbeats) must still run.
      if (Date.now() - lastYield >= YIELD_EVERY_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = Date.now();
      }
    }
    if (ended) {
      chain.endOfInput();
      await chain.drainTo(channel);
      // A final checkpoint records that the input is consumed, so a restart does not replay it.
      await checkpoint(true);
    } else {
      summary.stopped = true;
      await chain.drainTo(channel);
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
          for (const sink of plan.sinks) await writeTo(sink, element.items);
          break;
        case 'late':
          summary.late += element.items.length;
          for (const sink of lateSinks) await writeTo(sink, element.items);
          break;
        case 'dead':
          summary.deadLetters += element.items.length;
          for (const sink of deadSinks) await writeTo(sink, element.items);
          break;
        case 'barrier': {
          for (const sink of allSinks) await flushSink(sink);
          await writeCheckpoint(options.state!, element.checkpoint);
          await source.commit?.(element.checkpoint.sourcePosition);
          summary.checkpoints++;
          const durationMs = now() - element.startedAt;
          metrics.inc('checkpoints_completed');
          metrics.set('checkpoint_duration_ms', {}, durationMs);
          metrics.set('checkpoint_last_completed_at', {}, now());
          let entries = 0;
          for (const changes of element.checkpoint.operators.values()) entries += changes.puts.size + changes.deletes.size;
          metrics.set('checkpoint_entries', {}, entries);
          options.onEvent?.({ type: 'checkpoint.completed', id: element.checkpoint.id, durationMs, entries });
          break;
        }
        case 'end':
          for (const sink of allSinks) await flushSink(sink);
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

  for (const sink of allSinks) await Promise.resolve(sink.close?.()).catch((error) => failure ?? (failure = error));
  await Promise.resolve(source.close?.()).catch((error) => failure ?? (failure = error));
  if (options.state) await options.state.close();
  await server?.close();
  if (failure !== undefined) throw failure;

  summary.late = Math.max(summary.late, 0);
  summary.filtered = metrics.total('records_filtered');
  summary.duplicates = metrics.total('dedup_dropped');
  metrics.set('channel_peak_records', {}, channel.peakRecords);
  metrics.set('backpressure_ms', {}, channel.backpressuredMs);
  summary.durationMs = now() - startedAt;
  options.onEvent?.({ type: 'job.finished', summary });
  return summary;
}

/** Runs the synchronous operator chain and buffers what it produces for the sink stage. */
class Chain {
  private results: unknown[] = [];
  private late: LateRecord[] = [];
  private dead: DeadLetter[] = [];
  private readonly outputs: Output[];
  private readonly contexts: OperatorContext[];
  private readonly lastWatermark: number[];

  constructor(
    private readonly operators: Operator[],
    private readonly metrics: Metrics,
    now: () => number,
    partitions: () => readonly number[],
    private readonly batchSize: number,
  ) {
    this.lastWatermark = operators.map(() => -Infinity);
    this.contexts = operators.map((op, i) => ({ uid: `${i}-${op.name}`, now, sourcePartitions: partitions, metrics }));
    this.outputs = operators.map((_, i) => this.outputOf(i));
    operators.forEach((op, i) => op.open?.(this.contexts[i]));
  }

  /** The output of operator `i`: feeds operator `i + 1`, or the result buffer after the last one. */
  private outputOf(i: number): Output {
    const next = this.operators[i + 1];
    const uid = () => this.contexts[i].uid;
    let out: MetricSample | undefined;
    const late = this.late;
    const dead = this.dead;
    return {
      emit: (batch: Batch) => {
        (out ??= this.metrics.counter('records_out', { operator: uid() })).value += batch.values.length;
        if (!next) {
          for (const v of batch.values) this.results.push(v);
          return;
        }
        this.callOperator(i + 1, () => next.processBatch(batch, this.outputs[i + 1]));
      },
      watermark: (time: number) => this.forwardWatermark(i + 1, time),
      late: (item) => {
        this.metrics.inc('records_late', { operator: uid() });
        late.push(item);
      },
      deadLetter: (letter) => {
        this.metrics.inc('dead_letters', { operator: uid() });
        dead.push(letter);
      },
    };
  }

  /** Delivers a watermark to operator `i` (ignoring regressions); past the last operator it ends. */
  private forwardWatermark(i: number, time: number): void {
    if (i >= this.operators.length) return;
    if (time <= this.lastWatermark[i]) return;
    this.lastWatermark[i] = time;
    const op = this.operators[i];
    if (op.processWatermark) this.callOperator(i, () => op.processWatermark!(time, this.outputs[i]));
    else this.forwardWatermark(i + 1, time);
  }

  private callOperator(i: number, call: () => void): void {
    try {
      call();
    } catch (error) {
      if (error instanceof StreamkitError) throw error;
      throw new StreamkitError('USER_FUNCTION_FAILED', `operator ${this.contexts[i].uid} failed: ${describeError(error)}`, { cause: error });
    }
  }

  push(batch: Batch): void {
    if (this.operators.length === 0) {
      for (const v of batch.values) this.results.push(v);
      return;
    }
    this.callOperator(0, () => this.operators[0].processBatch(batch, this.outputs[0]));
  }

  /** Dead letters a source found (unparseable bytes) join the operators' ones. */
  deadLetters(letters: DeadLetter[]): void {
    this.metrics.inc('dead_letters', { operator: 'source' }, letters.length);
    for (const letter of letters) this.dead.push(letter);
  }

  tick(now: number): void {
    this.operators.forEach((op, i) => {
      if (op.onTick) this.callOperator(i, () => op.onTick!(now, this.outputs[i]));
    });
  }

  endOfInput(): void {
    this.forwardWatermark(0, Infinity);
  }

  snapshot(full: boolean): Map<string, OperatorStateChanges> {
    const changes = new Map<string, OperatorStateChanges>();
    this.operators.forEach((op, i) => {
      if (!op.snapshotState) return;
      // Encodes each value as it is put: operators keep mutating their live state while the
      // barrier waits for the sinks, and the checkpoint must hold the state as of the barrier.
      const writer = new StateChangeCollector(this.contexts[i].uid, full);
      op.snapshotState(writer, full);
      changes.set(this.contexts[i].uid, writer.changes());
    });
    return changes;
  }

  restore(state: Map<string, Iterable<[string, unknown]>>): void {
    this.operators.forEach((op, i) => {
      const entries = state.get(this.contexts[i].uid);
      if (entries && op.restoreState) op.restoreState(entries);
    });
  }

  /** Hands buffered output to the sink stage in credit-sized batches. */
  async drainTo(channel: CreditChannel<SinkElement>): Promise<void> {
    if (this.dead.length > 0) {
      const items = this.dead.splice(0);
      await channel.send({ kind: 'dead', items }, items.length);
    }
    if (this.late.length > 0) {
      const items = this.late.splice(0);
      await channel.send({ kind: 'late', items }, items.length);
    }
    if (this.results.length === 0) return;
    const results = this.results;
    this.results = [];
    for (let from = 0; from < results.length; from += this.batchSize) {
      const items = from === 0 && results.length <= this.batchSize ? results : results.slice(from, from + this.batchSize);
      await channel.send({ kind: 'results', items }, items.length);
    }
  }
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
    throw new StreamkitError('SINK_FAILED', `sink ${sink.name ?? 'unnamed'} failed to write: ${describeError(error)}`, { cause: error, retriable: true });
  }
}

async function flushSink(sink: Sink<any>): Promise<void> {
  try {
    await sink.flush?.();
  } catch (error) {
    throw new StreamkitError('SINK_FAILED', `sink ${sink.name ?? 'unnamed'} failed to flush: ${describeError(error)}`, { cause: error, retriable: true });
  }
}

async function writeCheckpoint(state: StateBackend, checkpoint: CheckpointData): Promise<void> {
  try {
    await state.write(checkpoint);
  } catch (error) {
    throw new StreamkitError('CHECKPOINT_FAILED', `checkpoint ${checkpoint.id} could not be written to ${state.name} state: ${describeError(error)}`, { cause: error, retriable: true });
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

export type { SourcePosition };
