import type { Batch } from '../core/batch.js';
import { parseDuration, type Duration } from '../core/duration.js';
import { describeError, PipelineError, rejectionReason, StateError, StreamkitError } from '../core/errors.js';
import { decodeKey, encodeKey } from '../core/key-encoding.js';
import { METRICS } from '../core/metric-catalogue.js';
import type { MetricSample } from '../core/metrics.js';
import type { StateCell } from '../core/keyed-state.js';
import { checkOptions } from '../core/options.js';
import {
  DEFAULT_WATERMARK_STEP,
  type Operator,
  type OperatorContext,
  type Output,
  type StateFingerprint,
  type StateWriter,
} from '../core/operator.js';
import type { ResidentState } from '../core/resident-state.js';
import type { KeyedStateQuery } from '../core/state-query.js';
import { keyedState, type KeyedStateService } from '../state/keyed-state-service.js';
import { ProcessKeyedState } from './process-keyed-state.js';
import { ResidentProcessStorage, type ResidentStorageMeta } from './process-resident-storage.js';
import {
  checkProcessMeta,
  describeProcessState,
  parseProcessState,
  PROCESS_META_KEY,
  PROCESS_STATE_VERSION,
  RESIDENT_META_KEY,
  STATE_NAME,
} from './process-state-layout.js';
import { HeapProcessStorage } from './process-storage.js';
import { ProcessTimers, ResidentEventTimers, type TimerKey, type Timers } from './process-timers.js';
import type { TimerBucketsMeta } from './timer-buckets.js';
import type { StateDescriptors, StateHandles } from './state-descriptors.js';

/** The timers of the current key, as `ctx.timers`. */
export interface TimerService {
  /**
   * Registers an event-time timer: `onTimer(time)` runs once the watermark reaches `time`
   * (W >= time). The same key and time registered twice is one timer.
   * @throws TypeError when `time` is not a safe integer of epoch ms.
   */
  atEventTime(time: number): void;
  /** Registers a processing-time timer: `onTimer(time)` runs at the first tick at or after `time` on the job's clock. */
  atProcessingTime(time: number): void;
  /** Removes the current key's event-time timer at `time`, if any. */
  deleteEventTime(time: number): void;
  /** Removes the current key's processing-time timer at `time`, if any. */
  deleteProcessingTime(time: number): void;
  /** The job's processing-time clock (injected with `run({ clock })`). */
  currentProcessingTime(): number;
}

/** What `onRecord` is given besides the record. The object is reused: read it during the call only. */
export interface ProcessContext<K, S extends StateDescriptors, U> {
  /** The key of the record (or timer). */
  readonly key: K;
  /** The record's event time; in `onTimer`, the timer's time. Emitted records carry it. */
  readonly timestamp: number;
  /** The operator's current watermark: a record with `timestamp <= watermark` is late. */
  readonly watermark: number;
  /** The declared states, bound to the key. */
  readonly state: StateHandles<S>;
  readonly timers: TimerService;
  /** Emits a record downstream with event time `timestamp`. */
  emit(value: U): void;
}

/** What `onTimer` is given besides the timer's time. */
export interface TimerContext<K, S extends StateDescriptors, U> extends ProcessContext<K, S, U> {
  /** Which clock the timer was registered on. */
  readonly timeDomain: 'event' | 'processing';
}

/**
 * A keyed process function: per-key state and timers, called per record and per timer, as
 * Flink's `KeyedProcessFunction` and Kafka Streams' `Processor`.
 */
export interface ProcessSpec<T, K, S extends StateDescriptors, U> {
  /** The per-key states, by name: `{ total: valueState<number>(), buffer: listState<Trip>() }`. */
  state?: S;
  /**
   * Called for each record, late ones included. A throw sends the record to the dead letters and
   * undoes the call's state changes, timer changes and emitted records.
   */
  onRecord(record: T, ctx: ProcessContext<K, S, U>): void;
  /** Called for each timer that fires. A throw fails the job with `USER_FUNCTION_FAILED`. */
  onTimer?(time: number, ctx: TimerContext<K, S, U>): void;
}

/** Options of a keyed process function. */
export interface ProcessOptions {
  /**
   * State time-to-live in event time: a key whose state was last written at event time `t` loses
   * all of it once the watermark reaches `t + ttl`. Absent: state lives until cleared.
   */
  ttl?: Duration;
}

/** The one context object of an operator, updated before each call. */
class CallContext {
  key: unknown = null;
  timestamp = 0;
  watermark = -Infinity;
  timeDomain: 'event' | 'processing' = 'event';
  constructor(
    /** The handles of the heap state, or of the resident state once `open` found a store. */
    public state: Record<string, unknown>,
    readonly timers: TimerService,
    readonly emit: (value: unknown) => void,
  ) {}
}

/** A resident operator's progress entry, `r1/m`. */
interface ResidentMeta extends ResidentStorageMeta {
  watermark: number;
  state: string;
  /** Event-time timers pending, and their buckets. */
  timers: number;
  timerBuckets: TimerBucketsMeta;
  /** Processing-time timers, `timerKey(time, keyText)`: kept in memory (see process-functions.md). */
  processing: string[];
}

/** The store and the structures of a resident operator. */
interface Resident {
  store: ResidentState;
  storage: ResidentProcessStorage;
  eventTimers: ResidentEventTimers;
}

/**
 * The keyed process operator (`stream.keyBy(k).process(spec, options)`): calls `spec.onRecord`
 * per record and `spec.onTimer` per due timer, with the key's typed state, and emits what they
 * emit with the record's or timer's time. Follows SEMANTICS.md ("Process functions") and
 * docs/concepts/process-functions.md: an event-time timer at T fires once per key and T when the
 * watermark reaches T, timers of one watermark advance in (time, key text) order, interleaved with
 * TTL expiries (at a tie, expiry first); processing-time timers fire at ticks of the job's clock.
 *
 * State, timers and last-write times live in one keyed-state service (layout `p1`), snapshotted
 * incrementally and restored with the operator; or, when the state backend offers a
 * `ResidentState` (`levelState(dir, { memory })`), in that store (layout `r1`), read key by key and
 * never loaded whole, with the same results.
 */
export class KeyedProcessOperator<T, U> implements Operator<T, U> {
  readonly name = 'process';
  /** Read by the Stream builder: timers and TTL run on event time. */
  readonly requiresTimestamps = true;
  /**
   * What the operator's state means, compared by the runtime on restore: the layout and the TTL.
   * The declared states are compared by the operator itself (see `restoreProgress`), which lets a
   * new state be declared, as Flink does, and refuses a vanished or retyped one.
   */
  readonly stateFingerprint: StateFingerprint;
  /** The declared states' names and kinds and the TTL, as stored in `p1/m` (`buffer:list,total:value;ttl=none`). */
  readonly stateDescription: string;
  private readonly ttl: number | undefined;
  private readonly service: KeyedStateService;
  private keyed: ProcessKeyedState;
  private readonly timers: ProcessTimers;
  /** The event-time timers: `timers.eventTime`, or resident ones. */
  private eventTimers: Timers;
  private resident: Resident | undefined;
  private readonly progress: StateCell;
  private readonly ctx: CallContext;
  private uid = 'process';
  private clock: () => number = Date.now;
  private watermark = -Infinity;
  /** Results a watermark emits at most in one step (`OperatorContext.watermarkStep`). */
  private step = DEFAULT_WATERMARK_STEP;
  /** The watermark being worked through in steps: its time, and its due timers where they stopped. */
  private firing: { time: number; steps: Generator<void, void, undefined> } | undefined;
  /** Emitted records of the current call: values, times, positions. */
  private outValues: U[] = [];
  private outTimes: number[] = [];
  private outPositions: number[] = [];
  private keysGauge: MetricSample | undefined;
  private timersGauge: MetricSample | undefined;

  constructor(
    private readonly spec: ProcessSpec<T, any, any, U>,
    options: ProcessOptions = {},
  ) {
    const kinds = checkSpec(spec);
    checkOptions('process', options, ['ttl']);
    if (options?.ttl !== undefined) {
      this.ttl = parseDuration(options.ttl, 'process ttl');
      if (this.ttl <= 0) throw new RangeError(`process ttl must be longer than 0 ms, got ${JSON.stringify(options.ttl)}`);
    }
    this.stateDescription = describeProcessState(kinds, this.ttl);
    this.stateFingerprint = { layout: PROCESS_STATE_VERSION, ttl: this.ttl === undefined ? 'none' : `${this.ttl}ms` };
    this.service = keyedState('process', PROCESS_STATE_VERSION);
    this.progress = this.service.cell({
      key: PROCESS_META_KEY,
      required: true,
      value: () => ({ watermark: this.watermark, state: this.stateDescription }),
      restore: (value) => this.restoreProgress(value),
    });
    this.keyed = new ProcessKeyedState(new HeapProcessStorage(this.service, spec.state ?? {}, this.ttl), spec.state ?? {}, this.ttl);
    this.timers = new ProcessTimers(this.service);
    this.eventTimers = this.timers.eventTime;
    const timerService: TimerService = {
      atEventTime: (time) => this.register(this.eventTimers, time, 'atEventTime'),
      atProcessingTime: (time) => this.register(this.timers.processingTime, time, 'atProcessingTime'),
      deleteEventTime: (time) => this.unregister(this.eventTimers, time),
      deleteProcessingTime: (time) => this.unregister(this.timers.processingTime, time),
      currentProcessingTime: () => this.clock(),
    };
    this.ctx = new CallContext(this.keyed.handles, timerService, (value) => {
      this.outValues.push(value as U);
      this.outTimes.push(this.ctx.timestamp);
      this.outPositions.push(this.position);
    });
  }

  /**
   * Queries by key: the key's declared states by name (a value, a list's elements, a map's
   * `[mapKey, value]` entries), leaving out those it holds nothing in; `undefined` for a key
   * without state.
   */
  readonly stateQuery: KeyedStateQuery = {
    get: (key) => this.keyed.stateOf(encodeKey(key)),
    keys: () => {
      const storage = this.keyed.storage;
      if (storage instanceof HeapProcessStorage) return [...storage.keyTexts()].map(decodeKey);
      return decodedKeys((storage as ResidentProcessStorage).keyTexts());
    },
  };

  /** Source position of the record being processed (-1 in timers), for emitted records. */
  private position = -1;

  /** Keys holding state. */
  get keysWithState(): number {
    return this.keyed.keysWithState;
  }

  /** Timers pending, in both domains. */
  get timersPending(): number {
    return this.eventTimers.size + this.timers.processingTime.size;
  }

  open(ctx: OperatorContext): void {
    this.uid = ctx.uid;
    this.clock = ctx.now;
    this.step = ctx.watermarkStep ?? DEFAULT_WATERMARK_STEP;
    this.keysGauge = ctx.metrics.gauge(METRICS.processKeys, { operator: ctx.uid });
    this.timersGauge = ctx.metrics.gauge(METRICS.processTimers, { operator: ctx.uid });
    const store = ctx.residentState?.();
    if (store) this.openResident(store);
  }

  /**
   * Moves the state into the backend's store: the same handles over resident storage, event-time
   * timers in buckets on disk. A restore reads only the progress entry here; keys are read when
   * first processed (lazy restore).
   */
  private openResident(store: ResidentState): void {
    const descriptors = this.spec.state ?? {};
    const storage = new ResidentProcessStorage(store, descriptors, this.ttl);
    const eventTimers = new ResidentEventTimers(store);
    this.resident = { store, storage, eventTimers };
    this.keyed = new ProcessKeyedState(storage, descriptors, this.ttl);
    this.ctx.state = this.keyed.handles;
    this.eventTimers = eventTimers;
    const stored = store.get(RESIDENT_META_KEY);
    if (stored === undefined) return;
    try {
      const meta = stored as ResidentMeta;
      this.restoreProgress(meta);
      storage.restore(meta);
      eventTimers.size = meta.timers;
      eventTimers.buckets.restore(meta.timerBuckets);
      this.timers.processingTime.load(meta.processing);
    } catch (error) {
      if (error instanceof StateError) throw error;
      throw new StateError('STATE_CORRUPT', `${this.uid}: cannot read the resident state: ${describeError(error)}`, error);
    }
    this.updateGauges();
  }

  /** Writes the timers registered since the last flush into their buckets (resident state). */
  private flushBuckets(): void {
    const resident = this.resident;
    if (!resident) return;
    resident.eventTimers.buckets.flush();
    resident.storage.expiries.flush();
  }

  processBatch(batch: Batch<T>, out: Output<U>): void {
    const { values, times, keys } = batch;
    if (!times) throw new PipelineError(`${this.uid}: process({ … }) needs event time: call .withTimestamps(…) before it`);
    const keyed = this.keyed;
    const ctx = this.ctx;
    ctx.watermark = this.watermark;
    ctx.timeDomain = 'event';
    for (let i = 0; i < values.length; i++) {
      const t = times[i];
      if (!Number.isSafeInteger(t)) {
        this.reject(`event time must be a finite integer of epoch ms, got ${String(t)}`, batch, i, out);
        continue;
      }
      const key = keys ? keys[i] : null;
      let keyText: string;
      try {
        keyText = encodeKey(key);
      } catch (error) {
        this.reject(`${this.uid}: the record's key cannot be a key: ${describeError(error)}`, batch, i, out);
        continue;
      }
      keyed.keyText = keyText;
      keyed.writeTime = t;
      ctx.key = key;
      ctx.timestamp = t;
      this.position = batch.positions[i];
      const emitted = this.outValues.length;
      keyed.begin();
      try {
        this.spec.onRecord(values[i], ctx as never);
        keyed.commit();
      } catch (error) {
        keyed.rollback();
        this.outValues.length = this.outTimes.length = this.outPositions.length = emitted;
        this.reject(rejectionReason(error, `${this.uid} onRecord`), batch, i, out);
      }
    }
    this.flushBuckets();
    this.flush(out, batch.partition);
    this.updateGauges();
  }

  /**
   * Runs the timers and expiries the watermark made due, a step of emitted records at a time:
   * `false` when records of it wait to be handed on (the runtime then calls `continueWatermark`).
   */
  processWatermark(time: number, out: Output<U>): boolean {
    if (time <= this.watermark) {
      out.watermark(time);
      return true;
    }
    this.watermark = time;
    this.progress.changed();
    if (this.resident) {
      // What the watermark makes due is read into memory: the steps below see it exactly.
      this.resident.eventTimers.buckets.advanceTo(time);
      this.resident.storage.expiries.advanceTo(time);
    }
    this.firing = { time, steps: this.advanceEventTime(time) };
    return this.continueWatermark(out);
  }

  /** The next step of the watermark `processWatermark` stopped in; `true` when it is done and forwarded. */
  continueWatermark(out: Output<U>): boolean {
    const firing = this.firing!;
    const done = firing.steps.next().done === true;
    if (done) {
      this.firing = undefined;
      if (firing.time === Infinity) {
        // The end of the input: nothing can arrive or fire any more.
        this.keyed.clearAll();
        this.eventTimers.clear();
        this.timers.processingTime.clear();
      }
    }
    this.flushBuckets();
    this.flush(out, 0);
    this.updateGauges();
    if (done) out.watermark(firing.time);
    return done;
  }

  onTick(now: number, out: Output<U>): void {
    const timers = this.timers.processingTime;
    for (let next = timers.nextTime(); next <= now; next = timers.nextTime()) this.fire('processing', next, timers.takeAt(next));
    this.flushBuckets();
    this.flush(out, 0);
    this.updateGauges();
  }

  /** Resident state is always snapshotted incrementally: `full` is ignored then. */
  snapshotState(writer: StateWriter, full: boolean): void {
    const resident = this.resident;
    if (!resident) {
      this.service.snapshot(writer, full);
      return;
    }
    const meta: ResidentMeta = {
      watermark: this.watermark,
      state: this.stateDescription,
      ...resident.storage.save(),
      timers: resident.eventTimers.size,
      timerBuckets: resident.eventTimers.buckets.save(),
      processing: this.timers.processingTime.ids(),
    };
    resident.store.put(RESIDENT_META_KEY, meta);
    resident.store.snapshot(writer);
  }

  restoreState(entries: Iterable<[string, unknown]>): void {
    if (this.resident) {
      // Resident state is read lazily in open(): entries come only from a heap checkpoint.
      for (const [key] of entries) throw heapCheckpointOnDisk(this.uid, key);
      return;
    }
    this.service.restore(entries);
    try {
      this.keyed.afterRestore();
      this.timers.eventTime.afterRestore();
      this.timers.processingTime.afterRestore();
    } catch (error) {
      if (error instanceof StateError) throw error;
      throw new StateError('STATE_CORRUPT', `${this.uid}: cannot read the restored state: ${describeError(error)}`, error);
    }
    this.updateGauges();
  }

  /**
   * Runs, in event-time order, the timers and TTL expiries the watermark made due (at a tie,
   * expiries first: state written at t has expired at t + ttl). At the end of the input
   * (`+Infinity`) every pending timer fires, and those they register up to the latest of them.
   * Pauses (a `yield`) whenever a step of emitted records waits to be handed on.
   */
  private *advanceEventTime(watermark: number): Generator<void, void, undefined> {
    const timers = this.eventTimers;
    const keyed = this.keyed;
    const hasTtl = this.ttl !== undefined;
    // A timer that re-registers itself later would otherwise run forever at the end of the input.
    const limit = watermark === Infinity ? timers.latestTime() : watermark;
    for (;;) {
      const timerTime = timers.nextTime();
      const expiry = hasTtl ? keyed.nextExpiry() : Infinity;
      if (expiry <= timerTime && expiry <= watermark && expiry !== Infinity) keyed.expireAt(expiry);
      else if (timerTime <= limit) {
        const due = timers.takeAt(timerTime);
        for (let next = 0; next < due.length;) {
          next = this.fire('event', timerTime, due, next, this.step);
          if (this.outValues.length >= this.step) yield;
        }
      } else break;
    }
  }

  /**
   * Calls `onTimer` for the due timers of one time from index `from`, in key order, until `step`
   * emitted records wait; a throw fails the job.
   * @returns the index of the first timer not run (`due.length` when all ran).
   */
  private fire(domain: 'event' | 'processing', time: number, due: TimerKey[], from = 0, step = Infinity): number {
    const onTimer = this.spec.onTimer;
    if (!onTimer) return due.length;
    const ctx = this.ctx;
    const keyed = this.keyed;
    ctx.watermark = this.watermark;
    ctx.timeDomain = domain;
    ctx.timestamp = time;
    this.position = -1;
    // Writes in an event-time timer count at its time; in a processing-time one, at the watermark.
    keyed.writeTime = domain === 'event' ? time : this.watermark;
    for (let i = from; i < due.length;) {
      const { keyText, key } = due[i++];
      keyed.keyText = keyText;
      ctx.key = key;
      try {
        onTimer.call(this.spec, time, ctx as never);
      } catch (error) {
        throw new StreamkitError(
          'USER_FUNCTION_FAILED',
          `${this.uid}: onTimer failed for key ${keyText} at ${domain} time ${time}: ${describeError(error)}`,
          { cause: error },
        );
      }
      if (this.outValues.length >= step) return i;
    }
    return due.length;
  }

  private register(timers: Timers, time: number, method: string): void {
    if (!Number.isSafeInteger(time))
      throw new TypeError(`ctx.timers.${method}(time): time must be a safe integer of epoch ms, got ${String(time)}`);
    const key: TimerKey = { keyText: this.keyed.keyText, key: this.ctx.key };
    if (timers.register(time, key)) this.keyed.onUndo(() => timers.delete(time, key.keyText));
  }

  private unregister(timers: Timers, time: number): void {
    const key: TimerKey = { keyText: this.keyed.keyText, key: this.ctx.key };
    if (Number.isSafeInteger(time) && timers.delete(time, key.keyText)) this.keyed.onUndo(() => timers.register(time, key));
  }

  private flush(out: Output<U>, partition: number): void {
    if (this.outValues.length === 0) return;
    out.emit({ values: this.outValues, times: this.outTimes, positions: this.outPositions, partition });
    this.outValues = [];
    this.outTimes = [];
    this.outPositions = [];
  }

  private reject(reason: string, batch: Batch<T>, i: number, out: Output<U>): void {
    out.deadLetter({
      reason,
      raw: batch.values[i],
      position: { partition: batch.partition, offset: batch.positions[i] },
      operator: this.uid,
    });
  }

  private updateGauges(): void {
    if (this.keysGauge) this.keysGauge.value = this.keyed.keysWithState;
    if (this.timersGauge) this.timersGauge.value = this.timersPending;
  }

  private restoreProgress(value: unknown): void {
    const meta = checkProcessMeta(value);
    const problem = incompatibility(meta.state, this.stateDescription);
    if (problem) {
      throw new StateError(
        'STATE_INCOMPATIBLE',
        `${this.uid}: the checkpoint's process state does not fit this pipeline: ${problem}; use a new state directory or the same state declarations`,
      );
    }
    this.watermark = meta.watermark;
  }
}

/** A resident operator handed the entries of a heap checkpoint: refused, the layouts differ. */
function heapCheckpointOnDisk(uid: string, key: string): StateError {
  return new StateError(
    'STATE_INCOMPATIBLE',
    `${uid}: the checkpoint holds this process function's state in the heap layout (entry ${JSON.stringify(key)}, written without ` +
      `levelState({ memory })), and this run keeps it on disk (levelState({ memory })): restore it with the state options that wrote it, ` +
      `or use a new state directory`,
  );
}

/** Decodes key texts as a store lists them. */
async function* decodedKeys(texts: AsyncIterable<string>): AsyncIterable<unknown> {
  for await (const text of texts) yield decodeKey(text);
}

/**
 * Why a checkpoint written for `stored` cannot be restored into `current`: a state it holds is
 * gone or has another kind, or the TTL changed (expiry would not be what either run computes).
 * Declaring a new state is compatible: it starts empty.
 */
function incompatibility(stored: string, current: string): string | undefined {
  if (stored === current) return undefined;
  const before = parseProcessState(stored);
  const now = parseProcessState(current);
  for (const [name, kind] of before.kinds) {
    const kindNow = now.kinds.get(name);
    if (kindNow === undefined) return `it holds state ${JSON.stringify(name)} (${kind}), which is no longer declared`;
    if (kindNow !== kind) return `state ${JSON.stringify(name)} was a ${kind} state and is now a ${kindNow} state`;
  }
  if (before.ttl !== now.ttl) return `its ttl was ${before.ttl} and is now ${now.ttl}`;
  return undefined;
}

/** Checks a process spec at the call site; returns its states' kinds by name. */
function checkSpec(spec: unknown): Record<string, string> {
  if (spec === null || typeof spec !== 'object') {
    throw new TypeError('process(spec): expected { state?, onRecord(record, ctx), onTimer?(time, ctx) }');
  }
  checkOptions('process(spec)', spec, ['state', 'onRecord', 'onTimer']);
  const s = spec as ProcessSpec<unknown, unknown, StateDescriptors, unknown>;
  if (typeof s.onRecord !== 'function') throw new TypeError('process(spec): onRecord must be a function (record, ctx) => void');
  if (s.onTimer !== undefined && typeof s.onTimer !== 'function')
    throw new TypeError('process(spec): onTimer must be a function (time, ctx) => void');
  const kinds: Record<string, string> = {};
  if (s.state === undefined) return kinds;
  if (s.state === null || typeof s.state !== 'object' || Array.isArray(s.state)) {
    throw new TypeError('process(spec): state must be an object of named states, { total: valueState<number>() }');
  }
  for (const name of Object.keys(s.state)) {
    if (!STATE_NAME.test(name))
      throw new TypeError(`process(spec): state name ${JSON.stringify(name)} must be an identifier (letters, digits, _ and $)`);
    const kind = (s.state[name] as { kind?: unknown } | null)?.kind;
    if (kind !== 'value' && kind !== 'map' && kind !== 'list') {
      throw new TypeError(`process(spec): state ${name} must be valueState(), mapState() or listState()`);
    }
    kinds[name] = kind;
  }
  return kinds;
}

/**
 * Makes a keyed process operator; usually reached through `stream.keyBy(k).process(spec, options)`.
 * @param spec `state` (named `valueState()`, `mapState()`, `listState()`), `onRecord(record, ctx)`, `onTimer(time, ctx)`.
 * @param options `ttl`: state time-to-live in event time.
 * @throws TypeError or RangeError naming a bad part of the spec or a bad option.
 * @example
 * const op = keyedProcess(
 *   { state: { n: valueState<number>() }, onRecord(r, ctx) { ctx.state.n.set((ctx.state.n.get() ?? 0) + 1) } },
 *   { ttl: '1h' },
 * )
 * @see valueState, mapState, listState
 */
export function keyedProcess<T, K, S extends StateDescriptors, U>(
  spec: ProcessSpec<T, K, S, U>,
  options?: ProcessOptions,
): KeyedProcessOperator<T, U> {
  return new KeyedProcessOperator<T, U>(spec, options);
}
