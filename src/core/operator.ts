import type { ResidentState } from './resident-state.js';
import type { StateWriter } from './state-writer.js';
import type { Batch } from './batch.js';
import type { DeadLetter } from './dead-letter.js';
import type { Metrics } from './metrics.js';
import type { KeyedStateQuery } from './state-query.js';
import type { LateRecord } from './window.js';

/**
 * How many results an operator emits at most in one step of a watermark, by default (see
 * {@link Operator.processWatermark}). Large enough that the drain between two steps costs little
 * next to the step, small enough that a step's results take a few MB at most.
 */
export const DEFAULT_WATERMARK_STEP = 4096;

/** Where an operator sends what it produces. Calls are synchronous; the runtime buffers them. */
export interface Output<T = unknown> {
  emit(batch: Batch<T>): void;
  /** Forwards an event-time watermark downstream (never backwards; the runtime ignores regressions). */
  watermark(time: number): void;
  late(item: LateRecord): void;
  deadLetter(letter: DeadLetter): void;
}

export type { StateWriter } from './state-writer.js';

/**
 * What an operator's checkpointed state means, as named parts compared one by one on restore
 * (`{ operator: 'window', assigner: 'tumbling(300000ms)', aggregate: 'count@1', … }`). Two
 * fingerprints are compatible when every part is equal; a restore into an operator whose
 * fingerprint differs from the checkpoint's is refused, naming the parts that differ.
 */
export type StateFingerprint = Readonly<Record<string, string>>;

export interface OperatorContext {
  /**
   * Unique id of this operator in the pipeline, used in metrics and messages. For an operator
   * that keeps state it is the id its state is checkpointed under: the `.uid(name)` the pipeline
   * gave it, or one derived from its kind and its place among the stateful operators of its kind
   * (`window#0`, `b0.1/dedup#0` in a branch). Other operators are numbered along the pipeline
   * (`3-map`).
   */
  readonly uid: string;
  /** Processing-time clock (injected). */
  now(): number;
  /** The partitions the source currently reads (for per-partition watermarks). */
  sourcePartitions(): readonly number[];
  readonly metrics: Metrics;
  /**
   * The store for this operator's keyed state when the backend keeps state on disk
   * (`levelState(dir, { memory })`); `undefined` with heap state. An operator that uses it keeps
   * its keyed state there, not in the heap, and is restored lazily (its `restoreState` gets no
   * entries). Called once, in `open`.
   */
  residentState?(): ResidentState | undefined;
  /**
   * How many results a watermark may make this operator emit in one step, before it returns
   * `false` from `processWatermark` (see there); 4,096 when absent.
   */
  readonly watermarkStep?: number;
}

/**
 * A synchronous stage of the pipeline. The runtime calls it between awaits, one element at a time,
 * so an operator never sees two calls at once.
 */
export interface Operator<I = unknown, O = unknown> {
  /** Operator kind, shown in errors and metrics (`map`, `window`…). */
  readonly name: string;
  open?(ctx: OperatorContext): void;
  processBatch(batch: Batch<I>, out: Output<O>): void;
  /**
   * Event-time progress from upstream. If absent, the runtime forwards the watermark unchanged.
   *
   * A watermark that makes much due (the end of the input fires every open window) may be worked
   * through in steps, so that its results never pile up in memory: emit about
   * `ctx.watermarkStep` results, then return `false` without forwarding the watermark. The runtime
   * hands those results to the sinks (waiting on backpressure) and calls `continueWatermark` until
   * it returns `true`; the call that finishes forwards the watermark (`out.watermark`). Nothing
   * else reaches the operator in between (no record, watermark or tick), so the results are those
   * of one call. No checkpoint is taken in between either, unless the operator says it can be
   * ({@link Operator.snapshotsMidWatermark}). Returning nothing (or `true`) means done.
   */
  processWatermark?(time: number, out: Output<O>): boolean | void;
  /**
   * Works on the watermark `processWatermark` stopped in for one more step; `true` once it is done
   * (the watermark forwarded). Required of an operator whose `processWatermark` returns `false`.
   */
  continueWatermark?(out: Output<O>): boolean;
  /**
   * True when a checkpoint may be taken now, between two steps of the watermark this operator
   * stopped in: its snapshot then holds the state of the work done so far and records the
   * watermark as unfinished, and after a restore {@link Operator.unfinishedWatermark} names it. A
   * long watermark over state on disk needs this: its changes are written by checkpoints, and
   * would otherwise pile up in memory until the watermark is done. Absent: never.
   */
  snapshotsMidWatermark?(): boolean;
  /**
   * After a restore from a checkpoint taken between two steps of a watermark: that watermark,
   * which the runtime delivers to this operator again, before any record, so that it finishes
   * the rest of it (its `processWatermark` must then not ignore it as already seen). `undefined`
   * when there is none.
   */
  unfinishedWatermark?(): number | undefined;
  /**
   * For an operator right after a union of several inputs (a join): receives each input's batches
   * with the input's index (0, 1, …) instead of `processBatch`.
   */
  processInput?(input: number, batch: Batch<I>, out: Output<O>): void;
  /**
   * For operators that make watermarks (`withTimestamps`): true while every partition they track is
   * idle, so a union leaves their input out of its minimum.
   */
  isIdle?(): boolean;
  /** Processing-time tick (every `tickInterval`): idleness, processing-time triggers. */
  onTick?(now: number, out: Output<O>): void;
  /**
   * Writes the state that changed since the previous snapshot (all of it when `full`). Called when
   * a checkpoint barrier reaches the operator, so it is the state as of the barrier.
   */
  snapshotState?(writer: StateWriter, full: boolean): void;
  /** Loads state written by `snapshotState`, before any record arrives. */
  restoreState?(entries: Iterable<[string, unknown]>): void;
  /**
   * What this operator's state means, for an operator that keeps state: checkpoints record it and
   * a restore refuses state recorded under another one. Declare a part that changes whenever the
   * stored layout or meaning does (`{ version: '2' }`); the runtime adds `operator: name`.
   * Without it, only the operator's kind (`name`) is compared.
   */
  readonly stateFingerprint?: StateFingerprint;
  /**
   * For an operator that keeps its keyed state in `residentState()`: the version of its layout
   * there (`jr1`). The runtime records it as the fingerprint part `residentLayout` once the
   * operator takes the store, so a resident checkpoint written in another layout is refused.
   */
  readonly residentLayout?: string;
  /**
   * For an operator that keeps keyed state: a read-only view of it in the user's terms, which
   * `job.query(uid)` reads between batches.
   */
  readonly stateQuery?: KeyedStateQuery;
}
