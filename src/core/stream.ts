import type { DeadLetter } from './dead-letter.js';
import type { Duration } from './duration.js';
import { PipelineError } from './errors.js';
import type { Operator } from './operator.js';
import { FilterOperator, FlatMapOperator, KeyByOperator, MapOperator } from './operators/index.js';
import type { PlanNode } from './operator-graph.js';
import { runPipeline, type Job, type PipelinePlan, type RunOptions } from './runtime.js';
import type { Sink } from './sink.js';
import type { Source } from './source.js';
import type { LateRecord, WindowResult } from './window.js';
import { dedup as dedupOperator } from '../delivery/dedup.js';
import { TimestampOperator } from '../watermarks/timestamp-operator.js';
import { boundedOutOfOrderness, type WatermarkStrategy } from '../watermarks/watermark-strategy.js';
import { combineAggregators, count } from '../windowing/aggregators/index.js';
import type { Aggregator, WindowAssigner, WindowOptions } from '../windowing/types.js';
import { windowOperator } from '../windowing/window-operator.js';

/** What a stream knows about its records at build time, to catch mistakes before running. */
interface Traits {
  timestamped: boolean;
  keyed: boolean;
}

/** The immutable description a `Stream` carries; each operator call returns a new one. */
interface Blueprint {
  source: Source<unknown>;
  operators: PlanNode['operators'];
  sinks: Sink[];
  lateSink?: Sink<LateRecord>;
  deadLetterSink?: Sink<DeadLetter>;
  traits: Traits;
}

/** The result type of `.aggregate(spec)`: one aggregator's result, or an object of named results. */
export type AggregateResult<S> = S extends Aggregator<any, any, infer R>
  ? R
  : { [K in keyof S]: S[K] extends Aggregator<any, any, infer R> ? R : never };

/** An aggregator, or an object of named aggregators (`{ trips: count(), revenue: sum(t => t.fare) }`). */
export type AggregateSpec<T> = Aggregator<T, any, any> | Record<string, Aggregator<T, any, any>>;

/**
 * A typed, immutable pipeline description. Every operator returns a new stream; `run()` starts it.
 * @example
 * const out = toArray();
 * await from(fromArray(events))
 *   .withTimestamps(e => e.at, boundedOutOfOrderness('5s'))
 *   .keyBy(e => e.user)
 *   .window(tumbling('1m'))
 *   .aggregate({ clicks: count() })
 *   .to(out)
 *   .run();
 */
export class Stream<T, K = null> {
  /** @internal */
  constructor(private readonly blueprint: Blueprint) {}

  private with<U, K2 = K>(operator: () => Operator, traits: Partial<Traits> = {}): Stream<U, K2> {
    return new Stream<U, K2>({
      ...this.blueprint,
      operators: [...this.blueprint.operators, operator],
      traits: { ...this.blueprint.traits, ...traits },
    });
  }

  /** Transforms each record. A throwing function sends the record to dead letters. */
  map<U>(fn: (value: T) => U): Stream<U, K> {
    assertFunction(fn, 'map(fn)');
    return this.with<U>(() => new MapOperator(fn) as Operator);
  }

  /** Keeps the records for which `predicate` is truthy; the others are counted as filtered. */
  filter<S extends T>(predicate: (value: T) => value is S): Stream<S, K>;
  filter(predicate: (value: T) => unknown): Stream<T, K>;
  filter(predicate: (value: T) => unknown): Stream<T, K> {
    assertFunction(predicate, 'filter(predicate)');
    return this.with<T>(() => new FilterOperator(predicate) as Operator);
  }

  /** Zero or more records per record; outputs keep the input's timestamp and key. */
  flatMap<U>(fn: (value: T) => Iterable<U>): Stream<U, K> {
    assertFunction(fn, 'flatMap(fn)');
    return this.with<U>(() => new FlatMapOperator(fn) as Operator);
  }

  /**
   * Sets each record's event time (epoch ms) and how watermarks follow it. Records whose timestamp
   * is not an integer go to dead letters.
   * @param timeOf reads the event time of a record.
   * @param strategy `boundedOutOfOrderness(maxDelay)` (default: 0 delay) or `monotonic()`.
   */
  withTimestamps(timeOf: (value: T) => number, strategy: WatermarkStrategy = boundedOutOfOrderness(0)): Stream<T, K> {
    assertFunction(timeOf, 'withTimestamps(timeOf)');
    if (!strategy || typeof strategy.maxDelay !== 'number') {
      throw new TypeError('withTimestamps(timeOf, strategy): strategy must be boundedOutOfOrderness(delay) or monotonic()');
    }
    return this.with<T>(() => new TimestampOperator(timeOf, strategy) as Operator, { timestamped: true });
  }

  /** Partitions the stream by key: windows and state are then per key. */
  keyBy<K2>(keyOf: (value: T) => K2): Stream<T, K2> {
    assertFunction(keyOf, 'keyBy(keyOf)');
    return this.with<T, K2>(() => new KeyByOperator(keyOf) as Operator, { keyed: true });
  }

  /**
   * Groups records into event-time windows (all records share one key unless `keyBy` came first).
   * @example stream.window(tumbling('5m'), { allowedLateness: '10m' }).aggregate(count())
   */
  window(assigner: WindowAssigner, options: WindowOptions = {}): WindowedStream<T, K> {
    if (!assigner || typeof assigner.assignWindows !== 'function') {
      throw new TypeError('window(assigner): expected tumbling(…), hopping(…), sliding(…), session(…) or global()');
    }
    if (!this.blueprint.traits.timestamped) {
      throw new PipelineError(
        `window(${assigner.description}) needs event time: call .withTimestamps(record => record.time, boundedOutOfOrderness('…')) before .window()`,
      );
    }
    // Build one now so a bad option (global() without a trigger, a typo) is reported here, where it was written.
    windowOperator({ assigner, ...options }, count());
    return new WindowedStream<T, K>(this.blueprint, assigner, options);
  }

  /**
   * Drops a record whose id was already seen within `within` of event time. Seen ids live in
   * checkpointed state and expire as the watermark passes.
   * @example stream.withTimestamps(t => t.at).dedup(t => t.tripId, { within: '1h' })
   */
  dedup(idOf: (value: T) => string | number, options: { within: Duration }): Stream<T, K> {
    assertFunction(idOf, 'dedup(idOf)');
    if (!this.blueprint.traits.timestamped) {
      throw new PipelineError("dedup() expires seen ids by event time: call .withTimestamps(…) before .dedup()");
    }
    dedupOperator(idOf, options); // validates `within` here rather than at run()
    return this.with<T>(() => dedupOperator(idOf, options) as Operator);
  }

  /**
   * Fans out: every record and watermark from here also flows into each branch, so one source
   * feeds several aggregations. Each branch gets the stream at this point and must end in a sink;
   * the returned stream continues the main line. Late and dead-letter sinks of a branch default to
   * the main line's.
   * @example
   * trips.branch(
   *   s => s.keyBy(t => t.zone).window(tumbling('5m')).aggregate(count()).to(perZone),
   *   s => s.window(tumbling('1d', { timeZone: 'America/New_York' })).aggregate(count()).to(perDay),
   * )
   */
  branch(...branches: Array<(stream: Stream<T, K>) => Stream<any, any>>): Stream<T, K> {
    if (branches.length === 0) throw new TypeError('branch(...branches): pass at least one function stream => stream.….to(sink)');
    const nodes = branches.map((make, i) => {
      assertFunction(make, `branch(#${i + 1})`);
      const start = new Stream<T, K>({ source: this.blueprint.source, operators: [], sinks: [], traits: this.blueprint.traits });
      const end = make(start);
      if (!(end instanceof Stream)) throw new TypeError(`branch(#${i + 1}): the function must return the stream it built (… .to(sink))`);
      const node = end.node();
      if (end.blueprint.source !== this.blueprint.source) throw new PipelineError(`branch(#${i + 1}) must continue the stream it is given, not start from another source`);
      if (!hasSink(node)) throw new PipelineError(`branch(#${i + 1}) has no sink: end it with .to(sink)`);
      return node;
    });
    return new Stream<T, K>({ ...this.blueprint, operators: [...this.blueprint.operators, { branches: nodes }] });
  }

  /** Adds a custom operator (one instance per run). */
  process<U>(makeOperator: () => Operator<T, U>): Stream<U, K> {
    assertFunction(makeOperator, 'process(makeOperator)');
    return this.with<U>(makeOperator as () => Operator);
  }

  /** Sends records dropped from expired windows to `sink` as `{ record, window, watermark }`. */
  late(sink: Sink<LateRecord<any>>): Stream<T, K> {
    assertSink(sink, 'late(sink)');
    return this.rebuild({ lateSink: sink });
  }

  /** Sends bad records to `sink` as `{ reason, raw, position }`. */
  deadLetters(sink: Sink<DeadLetter>): Stream<T, K> {
    assertSink(sink, 'deadLetters(sink)');
    return this.rebuild({ deadLetterSink: sink });
  }

  /** Adds a sink for the stream's records (call again to write to several). */
  to(sink: Sink<T>): Stream<T, K> {
    assertSink(sink, 'to(sink)');
    return this.rebuild({ sinks: [...this.blueprint.sinks, sink as Sink] });
  }

  /**
   * Runs the pipeline. Resolves with a summary when a bounded source is exhausted or `stop()` is
   * called; rejects on a failure that cannot be handled per record.
   */
  run(options: RunOptions = {}): Job {
    return runPipeline(this.plan(), options);
  }

  /** The plan `run` executes, for runtimes and tests that drive it themselves. */
  plan(): PipelinePlan {
    return { source: this.blueprint.source, ...this.node() };
  }

  private node(): PlanNode {
    const { operators, sinks, lateSink, deadLetterSink } = this.blueprint;
    return { operators, sinks, lateSink, deadLetterSink };
  }

  private rebuild(changes: Partial<Blueprint>): Stream<T, K> {
    return new Stream<T, K>({ ...this.blueprint, ...changes });
  }
}

/** A stream between `.window(…)` and `.aggregate(…)`. */
export class WindowedStream<T, K> {
  /** @internal */
  constructor(
    private readonly blueprint: Blueprint,
    private readonly assigner: WindowAssigner,
    private readonly options: WindowOptions,
  ) {}

  /**
   * Aggregates each window's records; emits `{ key, window, value, pane, id }` per pane.
   * @param spec an aggregator (`count()`) or an object of named aggregators.
   */
  aggregate<S extends AggregateSpec<T>>(spec: S | Aggregator<T, any, any>): Stream<WindowResult<K, AggregateResult<S>>, null> {
    if (typeof spec === 'function') {
      throw new TypeError('aggregate(spec): got a function; pass an aggregator such as count() (called, with parentheses) or an object of them, { trips: count(), revenue: sum(t => t.fare) }');
    }
    if (!isAggregator(spec) && (spec === null || typeof spec !== 'object')) {
      throw new TypeError(`aggregate(spec): expected an aggregator such as count() or an object of named aggregators, got ${spec === null ? 'null' : typeof spec}`);
    }
    const aggregator = isAggregator(spec) ? spec : combineAggregators(spec as Record<string, Aggregator>);
    const { assigner, options } = this;
    // Build one now so configuration errors (global() without a trigger…) surface here, not at run.
    windowOperator({ assigner, ...options }, aggregator);
    return new Stream<WindowResult<K, AggregateResult<S>>, null>({
      ...this.blueprint,
      operators: [...this.blueprint.operators, () => windowOperator({ assigner, ...options }, aggregator) as Operator],
      // Results carry the window's max timestamp as their event time, so windows can follow windows.
      traits: { timestamped: true, keyed: false },
    });
  }
}

/**
 * Starts a pipeline from a source.
 * @example from(fromArray([1, 2, 3])).map(x => x * 2).to(toArray()).run()
 */
export function from<T>(source: Source<T>): Stream<T> {
  if (!source || typeof source.poll !== 'function' || typeof source.open !== 'function') {
    throw new TypeError('from(source): expected a source such as fromArray(items), fromIterable(it), fromJsonl(path) or fromKafka({…})');
  }
  return new Stream<T>({ source: source as Source<unknown>, operators: [], sinks: [], traits: { timestamped: false, keyed: false } });
}

function hasSink(node: PlanNode): boolean {
  return node.sinks.length > 0 || node.operators.some((entry) => typeof entry !== 'function' && entry.branches.some(hasSink));
}

function isAggregator(spec: unknown): spec is Aggregator {
  const s = spec as Aggregator;
  return typeof s?.create === 'function' && typeof s.add === 'function' && typeof s.result === 'function';
}

function assertFunction(fn: unknown, where: string): void {
  if (typeof fn !== 'function') throw new TypeError(`${where}: expected a function, got ${typeof fn}`);
}

function assertSink(sink: unknown, where: string): void {
  if (!sink || typeof (sink as Sink).write !== 'function') {
    throw new TypeError(`${where}: expected a sink with write(items), such as toArray(), toJsonl(path) or toLevel(dir)`);
  }
}
