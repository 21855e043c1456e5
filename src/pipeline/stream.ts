import type { DeadLetter } from '../core/dead-letter.js';
import type { Duration } from '../core/duration.js';
import { PipelineError } from '../core/errors.js';
import type { Operator } from '../core/operator.js';
import { FilterOperator, FlatMapOperator, KeyByOperator, MapOperator } from '../core/operators/index.js';
import type { PlanEntry, PlanNode, PlanOperator } from '../runtime/operator-graph.js';
import { runPipeline, type Job, type PipelinePlan, type RunOptions, type RunSummary } from '../runtime/runtime.js';
import { runStages } from '../runtime/run-stages.js';
import type { Sink } from '../core/sink.js';
import type { Source } from '../core/source.js';
import { toArray } from '../sinks/array-sink.js';
import type { LateRecord, WindowResult } from '../core/window.js';
import { dedup as dedupOperator } from '../delivery/dedup.js';
import {
  checkTableOptions,
  intervalJoin,
  joinSpecOf,
  lookupJoin,
  lookupSpecOf,
  type JoinOptions,
  type LookupOptions,
  type TableOptions,
} from '../joins/index.js';
import { repartitionParts, type RepartitionOptions } from '../kafka/repartition.js';
import { UnionSource } from '../sources/union-source.js';
import { TimestampOperator } from '../watermarks/timestamp-operator.js';
import { boundedOutOfOrderness, type WatermarkStrategy } from '../watermarks/watermark-strategy.js';
import { combineAggregators, count } from '../windowing/aggregators/index.js';
import type { Aggregator, WindowAssigner, WindowOptions } from '../windowing/types.js';
import { windowOperator } from '../windowing/window-operator.js';
import { checkAggregatorIdentity } from '../windowing/aggregators/index.js';
import { keyedProcess, type ProcessOptions, type ProcessSpec, type StateDescriptors } from '../process/index.js';
import { checkOperatorUid, dedupFingerprint, joinFingerprint, lookupFingerprint, windowFingerprint } from './operator-identity.js';
import { Table } from './table.js';

/** What a stream knows about its records at build time, to catch mistakes before running. */
interface Traits {
  timestamped: boolean;
  keyed: boolean;
  /** The strategy of the last `withTimestamps`, carried across a repartition. */
  watermarks?: WatermarkStrategy;
}

/** The immutable description a `Stream` carries; each operator call returns a new one. */
interface Blueprint {
  source: Source<unknown>;
  operators: PlanNode['operators'];
  sinks: Sink[];
  lateSink?: Sink<LateRecord>;
  deadLetterSink?: Sink<DeadLetter>;
  traits: Traits;
  /** With `.repartition()`: the stage before it, which ends in a producer writing the repartition topic. */
  upstream?: { plan: PipelinePlan; runOptions: () => RunOptions };
}

/** One pipeline of a stream: a stream runs as one, or as two around a `.repartition()`. */
export interface StreamStage {
  /** `'main'` without repartition; `'upstream'` (before it) and `'downstream'` (after it) with one. */
  readonly name: 'main' | 'upstream' | 'downstream';
  /** What this stage runs. */
  plan(): PipelinePlan;
  /**
   * Runs only this stage, for example in processes of its own. The upstream stage commits its source
   * offsets every `commitEvery` (an internal `memoryState()` checkpoint that flushes the producer
   * first); options given here override that.
   */
  run(options?: RunOptions): Job;
}

/** The result type of `.aggregate(spec)`: one aggregator's result, or an object of named results. */
export type AggregateResult<S> =
  S extends Aggregator<any, any, infer R> ? R : { [K in keyof S]: S[K] extends Aggregator<any, any, infer R> ? R : never };

/** What {@link Stream.collect} resolves with: the stream's records, typed as the stream is, and the run's summary. */
export interface Collected<T> {
  /** Every record that reached the end of the stream, in the order the pipeline emitted them. */
  items: T[];
  summary: RunSummary;
}

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

  private with<U, K2 = K>(operator: PlanEntry, traits: Partial<Traits> = {}): Stream<U, K2> {
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
    return this.with<T>(() => new TimestampOperator(timeOf, strategy) as Operator, { timestamped: true, watermarks: strategy });
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
    return new WindowedStream<T, K>(this.blueprint, assigner, options, undefined);
  }

  /**
   * Drops a record whose id was already seen within `within` of event time. Seen ids live in
   * checkpointed state and expire as the watermark passes.
   * @example stream.withTimestamps(t => t.at).dedup(t => t.tripId, { within: '1h' })
   */
  dedup(idOf: (value: T) => string | number, options: { within: Duration }): Stream<T, K> {
    assertFunction(idOf, 'dedup(idOf)');
    if (!this.blueprint.traits.timestamped) {
      throw new PipelineError('dedup() expires seen ids by event time: call .withTimestamps(…) before .dedup()');
    }
    const { within } = dedupOperator(idOf, options); // validates `within` here rather than at run()
    return this.with<T>({ make: () => dedupOperator(idOf, options) as Operator, fingerprint: dedupFingerprint(within) });
  }

  /**
   * Gives the operator before it, which keeps state (`.dedup(…)`, a window's `.aggregate(…)`, a
   * `.process(…)` operator that checkpoints), a stable id: its state is checkpointed under `name`,
   * and a restore finds it there wherever the operator moves in the pipeline, as Flink's `uid()`.
   * Without it an id is derived from the operator's kind and its place among the operators of its
   * kind (`window#0`). Ids are unique in a pipeline. See docs/concepts/state-and-checkpoints.md.
   * @param name 1 to 200 characters without control characters, e.g. `'zone-5m'`.
   * @throws TypeError for a bad name; PipelineError when the operator before keeps no state.
   * @example stream.withTimestamps(t => t.at).dedup(t => t.id, { within: '1h' }).uid('trip-dedup')
   * @see WindowedStream.uid
   */
  uid(name: string): Stream<T, K> {
    checkOperatorUid(name);
    const operators = this.blueprint.operators;
    const last = operators[operators.length - 1];
    if (last === undefined || (typeof last !== 'function' && !('make' in last))) {
      throw new PipelineError(
        `uid(${JSON.stringify(name)}) names the state of the operator right before it: call it after .dedup(…), .window(…) or .aggregate(…), or a .process(…) that keeps state`,
      );
    }
    const entry: PlanOperator = typeof last === 'function' ? { make: last } : last;
    if (entry.uid !== undefined)
      throw new PipelineError(`uid(${JSON.stringify(name)}): this operator already has the id ${JSON.stringify(entry.uid)}`);
    const op = entry.make();
    if (typeof op.snapshotState !== 'function') {
      throw new PipelineError(
        `uid(${JSON.stringify(name)}) names the state of the operator right before it, and ${op.name} keeps none: call it after .dedup(…), .window(…) or .aggregate(…), or a .process(…) that keeps state`,
      );
    }
    return new Stream<T, K>({ ...this.blueprint, operators: [...operators.slice(0, -1), { ...entry, uid: name }] });
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
      if (end.blueprint.source !== this.blueprint.source)
        throw new PipelineError(`branch(#${i + 1}) must continue the stream it is given, not start from another source`);
      if (!hasSink(node)) throw new PipelineError(`branch(#${i + 1}) has no sink: end it with .to(sink)`);
      return node;
    });
    return new Stream<T, K>({ ...this.blueprint, operators: [...this.blueprint.operators, { branches: nodes }] });
  }

  /**
   * Merges this stream with others of the same record type, each read from its own source and
   * with its own operators before the merge (its own `withTimestamps`, say). See {@link union}.
   * @example clicksEu.union(clicksUs).keyBy(c => c.page).window(tumbling('1m')).aggregate(count())
   */
  union(...others: Array<Stream<T, K>>): Stream<T, K> {
    return union<T, K>(this, ...others);
  }

  /**
   * The interval join of two keyed streams (Flink's interval join, Kafka Streams' KStream-KStream
   * join): every pair of a left record at `tl` and a right record at `tr` with equal keys and
   * `tl - before <= tr <= tl + after` gives `fn(left, right)`, once, at time `max(tl, tr)`.
   * `kind: 'left'` also gives `fn(left, null)` for each left record that found no partner, and
   * `'outer'` `fn(null, right)` for right ones too, once no partner can still arrive on time.
   * Records later than their bound (plus `allowedLateness`) go to `.late()`; a throwing `fn`
   * dead-letters the record that triggered it. Buffers are checkpointed keyed state, evicted by
   * the watermark; the watermark after the join is held back by `before + after + allowedLateness`
   * so no result is ever late downstream. See docs/concepts/joins.md.
   * @param right the other stream, keyed by the same kind of key.
   * @param options `within` (a duration, or `{ before, after }`), `kind`, `allowedLateness`.
   * @param fn makes one result of a pair (or of an unmatched record and `null`).
   * @example
   * trips.withTimestamps(t => t.dropoffAt, boundedOutOfOrderness('1m')).keyBy(t => t.tripId)
   *   .join(tips.withTimestamps(p => p.at, boundedOutOfOrderness('1m')).keyBy(p => p.tripId),
   *         { within: { before: '0s', after: '2h' }, kind: 'left' },
   *         (trip, tip) => ({ ...trip, tip: tip?.amount ?? 0 }))
   */
  join<R, O>(right: Stream<R, K>, options: JoinOptions & { kind?: 'inner' }, fn: (left: T, right: R) => O): Stream<O, K>;
  join<R, O>(right: Stream<R, K>, options: JoinOptions & { kind: 'left' }, fn: (left: T, right: R | null) => O): Stream<O, K>;
  join<R, O>(right: Stream<R, K>, options: JoinOptions & { kind: 'outer' }, fn: (left: T | null, right: R | null) => O): Stream<O, K>;
  join<R, O>(right: Stream<R, K>, options: JoinOptions, fn: (left: T | null, right: R | null) => O): Stream<O, K>;
  join<R, O>(right: Stream<R, K>, options: JoinOptions, fn: (left: any, right: any) => O): Stream<O, K> {
    if (!(right instanceof Stream)) throw new TypeError('join(right, options, fn): right must be a stream, such as from(source).keyBy(…)');
    assertFunction(fn, 'join(right, options, fn)');
    const spec = joinSpecOf(options);
    for (const [side, stream] of [
      ['left', this],
      ['right', right],
    ] as const) {
      const { traits } = stream.blueprint;
      if (!traits.timestamped) {
        throw new PipelineError(`join: the ${side} stream needs event time: call .withTimestamps(timeOf, strategy) before .join()`);
      }
      if (!traits.keyed)
        throw new PipelineError(`join: the ${side} stream must be keyed: call .keyBy(keyOf) on both streams before .join()`);
    }
    const merged = fanIn([this, right]);
    return new Stream<O, K>({
      ...merged,
      operators: [...merged.operators, { make: () => intervalJoin(spec, fn) as Operator, fingerprint: joinFingerprint(spec) }],
      traits: { timestamped: true, keyed: true },
    });
  }

  /**
   * The event-time lookup (temporal) join with a table (Flink's `FOR SYSTEM_TIME AS OF` join on
   * event time, Kafka Streams' stream-table join over a versioned store): each record at `t` meets
   * the row of key `keyOf(record)` valid at `t`, the table version with the greatest time `<= t`
   * (none after a delete), and gives `fn(record, row)`. The answer is the same in any arrival order,
   * batch size or replay: a record waits until the watermark, the minimum of the stream's and the
   * table's, reaches `t`, so every version at or before `t` has arrived. A static table (no event
   * time) is read completely before any record joins.
   *
   * `kind: 'left'` also gives `fn(record, null)` for a record with no row; `'inner'` (default)
   * drops it (counted as `lookup_unmatched`). A record older than the watermark by more than
   * `allowedLateness` goes to `.late()`; a throwing `fn` or `keyOf` dead-letters the record.
   * Table versions and waiting records are checkpointed keyed state; versions no record can ask
   * for any more are dropped as the watermark passes. Results keep the stream's key and the
   * record's timestamp; the watermark after the lookup is held back by `allowedLateness`.
   * See docs/concepts/joins.md.
   * @param table made by `table(stream, keyOf, options)`.
   * @param keyOf the table key a record looks up; it need not be the stream's own key.
   * @param fn makes one result of a record and its row (`null` when none, with `kind: 'left'`).
   * @param options `kind` (`'inner'` or `'left'`), `allowedLateness`.
   * @throws TypeError / RangeError naming a bad argument; PipelineError without `withTimestamps`.
   * @example
   * const zones = table(from(fromArray(zoneRows)), (z) => z.LocationID);
   * trips
   *   .withTimestamps((t) => t.pickupAt, boundedOutOfOrderness('1m'))
   *   .lookup(zones, (t) => t.PULocationID, (t, zone) => ({ ...t, borough: zone?.Borough ?? 'Unknown' }), { kind: 'left' })
   * @see table
   */
  lookup<R, TK, O>(
    table: Table<R, TK>,
    keyOf: (record: T) => TK,
    fn: (record: T, row: R) => O,
    options?: LookupOptions & { kind?: 'inner' },
  ): Stream<O, K>;
  lookup<R, TK, O>(
    table: Table<R, TK>,
    keyOf: (record: T) => TK,
    fn: (record: T, row: R | null) => O,
    options: LookupOptions & { kind: 'left' },
  ): Stream<O, K>;
  lookup<R, TK, O>(
    table: Table<R, TK>,
    keyOf: (record: T) => TK,
    fn: (record: T, row: R | null) => O,
    options?: LookupOptions,
  ): Stream<O, K>;
  lookup<R, TK, O>(table: Table<R, TK>, keyOf: (record: T) => TK, fn: (record: T, row: any) => O, options?: LookupOptions): Stream<O, K> {
    if (!(table instanceof Table)) {
      throw new TypeError(
        'lookup(table, keyOf, fn): table must be made by table(stream, keyOf), such as table(from(fromArray(rows)), r => r.id)',
      );
    }
    assertFunction(keyOf, 'lookup(table, keyOf, fn)');
    assertFunction(fn, 'lookup(table, keyOf, fn)');
    const spec = lookupSpecOf(options, table.versioned ? 'versioned' : 'static');
    const { traits } = this.blueprint;
    if (!traits.timestamped) {
      throw new PipelineError('lookup: the stream needs event time: call .withTimestamps(timeOf, strategy) before .lookup()');
    }
    const merged = fanIn([this, table.rows as Stream<R, unknown>], false);
    const side = { keyOf: table.keyOf, isDelete: table.options.isDelete };
    const keyed = traits.keyed;
    return new Stream<O, K>({
      ...merged,
      operators: [
        ...merged.operators,
        { make: () => lookupJoin<T, R, O>(spec, keyOf, side, fn, keyed) as Operator, fingerprint: lookupFingerprint(spec) },
      ],
      traits: { timestamped: true, keyed },
    });
  }

  /**
   * Re-keys the stream through a Kafka topic, as Kafka Streams does when a job groups by something
   * other than the message key: everything before this call becomes a stage that writes each
   * record to `topic` with `key(record)` as message key, so all records of a key land in one
   * partition; everything after it is a stage that reads the topic in a consumer group. Scaled out
   * over N instances, each instance's windows then see every record of the keys it owns.
   *
   * - Event time crosses over: a stream timestamped before the repartition keeps each record's
   *   timestamp (message timestamp and the `streamkit.event-time` header) and its watermark
   *   strategy, tracked per repartition partition and per partition of the stage before (a slow
   *   input partition holds the watermark back rather than making records late). `withTimestamps`
   *   after the repartition replaces both, with one watermark per repartition partition: its delay
   *   must then also cover how far apart the input partitions are read.
   * - The stage before must keep no state: `window`, `dedup` (or a custom operator that
   *   checkpoints state) before `.repartition()` is an error here. It delivers at least once: its
   *   source offsets are committed every `commitEvery`, once the producer has everything before
   *   acknowledged. Copies a replay writes again are recognised by their origin and dropped by
   *   the stage after (counted as `duplicates`).
   * - `run()` starts both stages in this process and returns one job; {@link Stream.stages} runs
   *   them apart. The stage before's dead letters go to a `.deadLetters(sink)` called before
   *   `.repartition()`.
   *
   * @example
   * from(fromKafka({ brokers, topic: 'trips', groupId: 'daily' }))        // keyed by zone
   *   .withTimestamps((t) => t.at, boundedOutOfOrderness('1m'))
   *   .repartition({ brokers, topic: 'trips-by-day', key: (t) => t.day, consumer: { stopWhenIdle: '10s' } })
   *   .keyBy((t) => t.day)
   *   .window(tumbling('1h'))
   *   .aggregate(count())
   *   .to(sink)
   *   .run({ state: levelState('./state'), checkpointEvery: '5s' });
   * @see fromKafka, toKafka
   */
  repartition(options: RepartitionOptions<T>): Stream<T, null> {
    const who = `repartition(${typeof options?.topic === 'string' ? options.topic : '…'})`;
    if (this.blueprint.upstream) {
      throw new PipelineError(
        `${who}: this stream was already repartitioned; keyBy the stage after one .repartition() by the new key instead of repartitioning again`,
      );
    }
    const node = this.node();
    const stateful = statefulOperator(node);
    if (stateful) {
      throw new PipelineError(
        `${who}: ${stateful} comes before .repartition(), but the stage that writes the repartition topic must keep no state: move .${stateful}() after .repartition()`,
      );
    }
    const { source, traits } = this.blueprint;
    const parts = repartitionParts(options, {
      source,
      watermarks: traits.timestamped ? (traits.watermarks ?? boundedOutOfOrderness(0)) : undefined,
    });
    // With sinks of its own, the stage before feeds the producer through a branch, so those sinks
    // keep receiving plain records.
    const upstream: PipelinePlan =
      node.sinks.length === 0
        ? { source, ...node, operators: [...node.operators, parts.writer], sinks: [parts.sink] }
        : { source, ...node, operators: [...node.operators, { branches: [{ operators: [parts.writer], sinks: [parts.sink] }] }] };
    return new Stream<T, null>({
      source: parts.source,
      operators: [parts.reader],
      sinks: [],
      traits: { timestamped: traits.timestamped, keyed: false, watermarks: traits.watermarks },
      upstream: { plan: upstream, runOptions: parts.upstreamRunOptions },
    });
  }

  /**
   * A keyed process function (Flink's `KeyedProcessFunction`, Kafka Streams' `Processor`): per
   * key, typed state (`valueState`, `mapState`, `listState`) and event- or processing-time timers;
   * `onRecord` runs per record (late ones included), `onTimer` per due timer, and what they emit
   * continues the pipeline with the record's or the timer's time. State, timers and the watermark
   * are checkpointed; `ttl` clears a key's state once it was not written for that long in event
   * time. See docs/concepts/process-functions.md.
   * @param spec `{ state?, onRecord(record, ctx), onTimer?(time, ctx) }`.
   * @param options `ttl`: state time-to-live in event time (`'24h'`).
   * @throws TypeError / RangeError naming a bad part of the spec or option; PipelineError without
   *   `withTimestamps` or `keyBy` before it.
   * @example
   * trips.keyBy(t => t.vendor).process({
   *   state: { count: valueState<number>() },
   *   onRecord(t, ctx) { ctx.state.count.set((ctx.state.count.get() ?? 0) + 1); ctx.timers.atEventTime(ctx.timestamp + 60_000) },
   *   onTimer(time, ctx) { ctx.emit({ vendor: ctx.key, count: ctx.state.count.get() }) },
   * }, { ttl: '24h' })
   * @see valueState, mapState, listState
   */
  process<S extends StateDescriptors = Record<string, never>, U = unknown>(
    spec: ProcessSpec<T, K, S, U>,
    options?: ProcessOptions,
  ): Stream<U, null>;
  /** Adds a custom operator (one instance per run). */
  process<U>(makeOperator: () => Operator<T, U>): Stream<U, K>;
  process(spec: (() => Operator) | ProcessSpec<T, K, StateDescriptors, unknown>, options?: ProcessOptions): Stream<unknown, any> {
    if (typeof spec === 'function') return this.with<unknown>(spec);
    if (spec === null || typeof spec !== 'object') {
      throw new TypeError(
        `process(spec): expected { state?, onRecord(record, ctx), onTimer?(time, ctx) } or a function making an operator, got ${spec === null ? 'null' : typeof spec}`,
      );
    }
    keyedProcess(spec, options); // checks the spec and options here rather than at run()
    const { traits } = this.blueprint;
    if (!traits.timestamped) {
      throw new PipelineError('process({ … }) runs timers and TTL on event time: call .withTimestamps(…) before .process()');
    }
    if (!traits.keyed) throw new PipelineError('process({ … }) keeps state per key: call .keyBy(…) before .process()');
    return this.with<unknown, null>(() => keyedProcess(spec, options) as Operator, { timestamped: true, keyed: false });
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

  /**
   * Adds a sink for the stream's records (call again to write to several). To run the stream and
   * get its records typed, call {@link Stream.collect}.
   */
  to(sink: Sink<T>): Stream<T, K> {
    assertSink(sink, 'to(sink)');
    return this.rebuild({ sinks: [...this.blueprint.sinks, sink as Sink] });
  }

  /**
   * Runs the pipeline, like `run(options)`, and resolves with every record that reaches the end of
   * the stream, typed as the stream is, beside the run's summary: for examples, tests and bounded
   * jobs whose results fit in memory. The records are kept in an array sink added beside the
   * stream's own sinks; late records and dead letters still go to `.late(sink)` and
   * `.deadLetters(sink)`. With an unbounded source it resolves once the job is stopped (`signal`,
   * `stopOnSignals`).
   * @param options as for `run()`.
   * @returns `{ items, summary }`; after `.aggregate(…)`, `items` are `WindowResult`s whose `value`
   *   has the aggregators' result types.
   * @example
   * const { items } = await from(fromArray(trips))
   *   .withTimestamps(t => t.pickupAt, boundedOutOfOrderness('30s'))
   *   .keyBy(t => t.zone)
   *   .window(tumbling('5m'))
   *   .aggregate({ trips: count(), revenue: sum((t: Trip) => t.total) })
   *   .collect();
   * items[0].value.revenue; // number
   * @see Stream.run, toArray
   */
  async collect(options: RunOptions = {}): Promise<Collected<T>> {
    const sink = toArray<T>();
    const summary = await this.to(sink).run(options);
    return { items: sink.items, summary };
  }

  /**
   * Runs the pipeline. Resolves with a summary when a bounded source is exhausted or the job is
   * stopped (`job.stop()`, `signal`, `stopOnSignals`: with `state`, a final checkpoint first, so the
   * next start replays nothing); rejects on a failure that cannot be handled per record.
   *
   * With `.repartition()`, starts both stages here and returns one job: `options` apply to the
   * stage after the repartition (`state`, `checkpointEvery`, `metrics`… belong to the stateful
   * stage), except `batchSize`, `credits`, `tickInterval`, `clock`, `signal` and `stopTimeout`, which both use.
   * The job ends when the stage after ends (its `consumer` options `stopWhenIdle` / `maxRecords`,
   * or `stop()`), stopping the stage before; a bounded input ending the stage before ends nothing
   * else. The first failure stops both and rejects. The summary is the stage after's (`records`:
   * messages read from the repartition topic), with the stage before's as `upstream`.
   */
  run(options: RunOptions = {}): Job {
    const { upstream } = this.blueprint;
    if (!upstream) return runPipeline(this.plan(), options);
    const { batchSize, credits, tickInterval, clock, signal, stopTimeout } = options;
    const shared = Object.fromEntries(
      Object.entries({ batchSize, credits, tickInterval, clock, signal, stopTimeout }).filter(([, v]) => v !== undefined),
    );
    return runStages(
      () => runPipeline(upstream.plan, { ...upstream.runOptions(), ...shared }),
      () => runPipeline(this.plan(), options),
    );
  }

  /** The plan `run` executes, for runtimes and tests that drive it themselves (with `.repartition()`: the stage after it). */
  plan(): PipelinePlan {
    return { source: this.blueprint.source, ...this.node() };
  }

  /**
   * The pipelines this stream runs as: one, or the `upstream` and `downstream` stages around a
   * `.repartition()`, which can run in separate processes (each scaled out by its consumer group).
   * @example
   * const [upstream, downstream] = stream.stages();
   * await (process.argv[2] === 'upstream' ? upstream.run() : downstream.run({ state: levelState('./state') }));
   */
  stages(): StreamStage[] {
    const { upstream } = this.blueprint;
    const main: StreamStage = {
      name: upstream ? 'downstream' : 'main',
      plan: () => this.plan(),
      run: (options) => runPipeline(this.plan(), options),
    };
    if (!upstream) return [main];
    return [
      {
        name: 'upstream',
        plan: () => upstream.plan,
        run: (options) => runPipeline(upstream.plan, { ...upstream.runOptions(), ...options }),
      },
      main,
    ];
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
    private readonly operatorUid: string | undefined,
  ) {}

  /**
   * Gives the window operator a stable id: its state is checkpointed under `name`, and a restore
   * finds it there wherever the window moves in the pipeline (Flink's `uid()`). Without it an id is
   * derived from its place among the pipeline's windows (`window#0`).
   * @param name 1 to 200 characters without control characters, e.g. `'zone-5m'`.
   * @throws TypeError for a bad name.
   * @example stream.keyBy(t => t.zone).window(tumbling('5m')).uid('zone-5m').aggregate({ n: count() })
   * @see Stream.uid
   */
  uid(name: string): WindowedStream<T, K> {
    checkOperatorUid(name);
    if (this.operatorUid !== undefined) {
      throw new PipelineError(`uid(${JSON.stringify(name)}): this window already has the id ${JSON.stringify(this.operatorUid)}`);
    }
    return new WindowedStream<T, K>(this.blueprint, this.assigner, this.options, name);
  }

  /**
   * Aggregates each window's records; emits `{ key, window, value, pane, id }` per pane.
   * @param spec an aggregator (`count()`) or an object of named aggregators.
   */
  aggregate<S extends AggregateSpec<T>>(spec: S | Aggregator<T, any, any>): Stream<WindowResult<K, AggregateResult<S>>, null> {
    if (typeof spec === 'function') {
      throw new TypeError(
        'aggregate(spec): got a function; pass an aggregator such as count() (called, with parentheses) or an object of them, { trips: count(), revenue: sum(t => t.fare) }',
      );
    }
    if (!isAggregator(spec) && (spec === null || typeof spec !== 'object')) {
      throw new TypeError(
        `aggregate(spec): expected an aggregator such as count() or an object of named aggregators, got ${spec === null ? 'null' : typeof spec}`,
      );
    }
    if (isAggregator(spec)) checkAggregatorIdentity(spec, 'aggregate(spec)');
    const aggregator = isAggregator(spec) ? spec : combineAggregators(spec as Record<string, Aggregator>);
    const { assigner, options } = this;
    // Build one now so configuration errors (global() without a trigger…) surface here, not at run.
    windowOperator({ assigner, ...options }, aggregator);
    const window: PlanOperator = {
      make: () => windowOperator({ assigner, ...options }, aggregator) as Operator,
      fingerprint: windowFingerprint(assigner, options, aggregator, this.blueprint.traits.keyed),
    };
    if (this.operatorUid !== undefined) window.uid = this.operatorUid;
    return new Stream<WindowResult<K, AggregateResult<S>>, null>({
      ...this.blueprint,
      operators: [...this.blueprint.operators, window],
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

/**
 * Merges streams of one record type, each read from its own source with its own operators before
 * the merge, into one (Flink's `union`, Kafka Streams' `merge`):
 *
 * - The merged watermark is the minimum of the inputs' watermarks, leaving out inputs that are idle
 *   (every partition idle, `idleTimeout`) or ended; while every running input is idle it holds.
 * - One job reads every source: one checkpoint holds all their positions, taken at one batch
 *   boundary, and a restore resumes each from its own.
 * - Records keep their timestamps and keys: timestamp and key every input, or none (then call
 *   `withTimestamps` / `keyBy` after the union).
 *
 * @param streams two or more streams, each from a different source.
 * @example
 * union(
 *   from(fromKafka({ brokers, topic: 'clicks-eu', groupId })).withTimestamps(c => c.at, boundedOutOfOrderness('5s')),
 *   from(fromKafka({ brokers, topic: 'clicks-us', groupId })).withTimestamps(c => c.at, boundedOutOfOrderness('5s')),
 * ).keyBy(c => c.page).window(tumbling('1m')).aggregate(count()).to(sink).run()
 * @see Stream.union, Stream.join
 */
export function union<T, K = null>(...streams: Array<Stream<T, K>>): Stream<T, K> {
  const merged = fanIn(streams);
  return new Stream<T, K>(merged);
}

/**
 * A table of the rows of `stream`, keyed by `keyOf`, for {@link Stream.lookup}: any stream of
 * upserts, such as an array, a JSONL file or a compacted Kafka topic. With event time
 * (`withTimestamps`) it is a **versioned** table: each row is the version of its key from its time
 * on, and a lookup at `t` sees the version valid at `t`. Without, it is a **static** table: every
 * row is valid from the beginning of time (the last row of a key wins) and it is read completely
 * before any record joins, so its source must end.
 *
 * Deletes: a row for which `options.isDelete(row)` is true removes its key from its time on (a
 * tombstone); it is never itself joined. A row whose key function or `isDelete` throws is a dead
 * letter. Rows are never late: one that arrives behind the watermark is applied to the records not
 * answered yet (counted as `lookup_table_late_updates`).
 * @param stream the rows: upserts (and deletes).
 * @param keyOf the key of a row; the key a lookup's `keyOf` returns is compared with it by its
 *   text, as `keyBy` compares keys.
 * @param options `isDelete(row)`: whether a row is a delete.
 * @throws TypeError naming a bad argument; PipelineError for a repartitioned stream.
 * @example
 * const zones = table(from(fromJsonl<Zone>('zones.jsonl')), (z) => z.LocationID);
 * const prices = table(
 *   from(fromKafka({ brokers, topic: 'prices', groupId: 'enrich' })).withTimestamps((p) => p.at, boundedOutOfOrderness('5s')),
 *   (p) => p.sku,
 *   { isDelete: (p) => p.price === null },
 * );
 * @see Stream.lookup
 */
export function table<R, TK>(stream: Stream<R, any>, keyOf: (row: R) => TK, options: TableOptions<R> = {}): Table<R, TK> {
  if (!(stream instanceof Stream)) throw new TypeError('table(stream, keyOf): stream must be a stream, such as from(fromArray(rows))');
  assertFunction(keyOf, 'table(stream, keyOf)');
  checkTableOptions(options);
  const { blueprint } = stream as unknown as { blueprint: Blueprint };
  if (blueprint.upstream)
    throw new PipelineError('table(stream, keyOf): the stream was repartitioned; a table reads its rows in one stage');
  return new Table<R, TK>(stream, keyOf, blueprint.traits.timestamped, Object.freeze({ ...options }));
}

/**
 * The blueprint of the fan-in of `streams`: one union source over all their sources, and a union entry over their plans.
 * `sameTraits`: every input must be timestamped and keyed alike (a union; a lookup's table is neither).
 */
function fanIn(streams: ReadonlyArray<Stream<any, any>>, sameTraits = true): Blueprint {
  if (streams.length < 2) throw new TypeError('union(...streams): pass at least two streams');
  const blueprints = streams.map((stream, i) => {
    if (!(stream instanceof Stream)) throw new TypeError(`union(...streams): #${i + 1} is not a stream; start one with from(source)`);
    const blueprint = (stream as unknown as { blueprint: Blueprint }).blueprint;
    if (blueprint.upstream) throw new PipelineError(`union(...streams): #${i + 1} was repartitioned; repartition after the union instead`);
    return blueprint;
  });
  const timestamped = blueprints.map((b) => b.traits.timestamped);
  if (sameTraits && timestamped.some(Boolean) && !timestamped.every(Boolean)) {
    throw new PipelineError(
      `union(...streams): stream #${timestamped.indexOf(false) + 1} has no event time while others have: call .withTimestamps(…) on every input, or after the union`,
    );
  }
  const keyed = blueprints.map((b) => b.traits.keyed);
  if (sameTraits && keyed.some(Boolean) && !keyed.every(Boolean)) {
    throw new PipelineError(
      `union(...streams): stream #${keyed.indexOf(false) + 1} is not keyed while others are: keyBy every input, or after the union`,
    );
  }
  const sources = blueprints.flatMap((b) => (b.source instanceof UnionSource ? b.source.inputs : [b.source]));
  const inputs: PlanNode[] = blueprints.map(({ operators, sinks, lateSink, deadLetterSink }) => ({
    operators,
    sinks,
    lateSink,
    deadLetterSink,
  }));
  return {
    source: new UnionSource(sources),
    operators: [{ union: inputs }],
    sinks: [],
    traits: { timestamped: timestamped[0], keyed: keyed[0] },
  };
}

/** The name of the first operator (branches and union inputs included) that checkpoints state, if any. */
function statefulOperator(node: PlanNode): string | undefined {
  for (const entry of node.operators) {
    if (typeof entry === 'function' || 'make' in entry) {
      const op = typeof entry === 'function' ? entry() : entry.make();
      if (typeof op.snapshotState === 'function') return op.name;
    } else {
      for (const branch of 'union' in entry ? entry.union : entry.branches) {
        const found = statefulOperator(branch);
        if (found) return found;
      }
    }
  }
  return undefined;
}

function hasSink(node: PlanNode): boolean {
  return (
    node.sinks.length > 0 ||
    node.operators.some((entry) => typeof entry !== 'function' && 'branches' in entry && entry.branches.some(hasSink))
  );
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
