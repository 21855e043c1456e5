import { compactBatch, type Batch } from '../core/batch.js';
import { checkOptions } from '../core/options.js';
import { parseDuration, type Duration } from '../core/duration.js';
import { describeError, PipelineError, StateError } from '../core/errors.js';
import type { Operator, OperatorContext, Output, StateWriter } from '../core/operator.js';
import type { KeyedStateQuery } from '../core/state-query.js';
import { METRICS } from '../core/metric-catalogue.js';
import { DedupGenerations } from './dedup-generations.js';
import { DedupHeapIds } from './dedup-heap-ids.js';
import type { DedupIds } from './dedup-ids.js';

/** Options of {@link dedup}. */
export interface DedupOptions {
  /** How far apart in event time two records with one id count as duplicates (`'1h'`); > 0. */
  within: Duration;
}

/** What `idOf` may return. Ids compare by their string form: `5` and `'5'` are the same id. */
export type DedupId = string | number | bigint;

/**
 * The `dedup` stage: drops a record whose id was already seen at an event time less than `within`
 * away. An id is forgotten once the watermark passes `firstSeen + within`; the ids live in
 * checkpointed state, written incrementally (only the ids that changed since the last snapshot).
 * With `levelState(dir, { memory })` they live on disk instead, in generations of event time
 * (`DedupGenerations`); the decisions are the same.
 *
 * The decision depends only on the state and the current watermark, never on batch boundaries or
 * processing time, so a pipeline replayed from a checkpoint drops exactly the same records.
 */
export class DedupOperator<T> implements Operator<T, T> {
  readonly name = 'dedup';
  /** Read by the Stream builder: dedup compares event times, so `withTimestamps` must come first. */
  readonly requiresTimestamps = true;
  /** `within` in milliseconds. */
  readonly within: number;
  private uid = 'dedup';
  private ctx: OperatorContext | undefined;
  /** The ids in the heap, checkpointed with the operator: where they live unless the backend keeps state on disk. */
  private readonly heap: DedupHeapIds;
  /** Where the ids live: {@link heap}, or generations on disk with `levelState(dir, { memory })`. */
  private ids: DedupIds;
  private dropped = 0;

  constructor(
    private readonly idOf: (record: T) => DedupId,
    options: DedupOptions,
  ) {
    if (typeof idOf !== 'function') throw new TypeError('dedup: idOf must be a function returning the record id');
    if (options === null || typeof options !== 'object') throw new TypeError("dedup: options must be an object such as { within: '1h' }");
    checkOptions('dedup', options, ['within']);
    this.within = parseDuration(options.within, 'dedup within');
    if (this.within <= 0) throw new RangeError(`dedup within must be longer than 0 ms, got ${JSON.stringify(options.within)}`);
    this.heap = new DedupHeapIds(this.within);
    this.ids = this.heap;
  }

  /**
   * Throws the build-time error for a dedup placed where records carry no event time.
   * @param hasTimestamps whether an upstream `withTimestamps` sets `times`.
   */
  static checkPlacement(hasTimestamps: boolean): void {
    if (!hasTimestamps) {
      throw new PipelineError('dedup(idOf, { within }) compares event times: call .withTimestamps(timeOf, strategy) before .dedup(...)');
    }
  }

  /**
   * Queries by id (compared by its string form, as records are): `{ seenAt, until }` while the id
   * is remembered, the event time it is deduplicated against and the watermark at which it is
   * forgotten; `undefined` for an id not remembered (or one the watermark already passed).
   */
  readonly stateQuery: KeyedStateQuery = {
    get: (id) => {
      if (typeof id !== 'string' && typeof id !== 'number' && typeof id !== 'bigint') return undefined;
      const seenAt = this.ids.latest(idString(id));
      return seenAt === undefined ? undefined : { seenAt, until: seenAt + this.within };
    },
    keys: () => this.ids.ids(),
  };

  /** Ids currently remembered (on disk: the entries of the generations not yet deleted, see `DedupGenerations.size`). */
  get size(): number {
    return this.ids.size;
  }

  /** Records dropped as duplicates so far. */
  get droppedCount(): number {
    return this.dropped;
  }

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    this.uid = ctx.uid;
    const store = ctx.residentState?.();
    // Lazy restore: only the meta entry is read now; ids are read as records ask for them.
    if (store) this.ids = new DedupGenerations(store, this.within);
  }

  /**
   * Drops each record whose id has a sighting less than `within` away, the same decisions wherever
   * the ids live: the entry `current` finds is the id's latest sighting that can still count.
   */
  processBatch(batch: Batch<T>, out: Output<T>): void {
    const { values, times } = batch;
    if (!times) DedupOperator.checkPlacement(false);
    const ids = this.ids;
    const n = values.length;
    const keep = new Uint8Array(n);
    let kept = 0;
    let dropped = 0;
    const within = this.within;
    const horizon = ids.watermark - within;
    for (let i = 0; i < n; i++) {
      let id: string;
      try {
        id = idString(this.idOf(values[i]));
      } catch (error) {
        this.idFailed(batch, i, error, out);
        continue;
      }
      const t = times![i];
      const first = ids.current(id, t, horizon);
      if (first !== undefined) {
        const gap = t - first;
        if (gap < within && gap > -within) {
          dropped++;
          continue;
        }
        // Far enough apart to be a new occurrence: later duplicates compare against the latest one.
        if (t > first) ids.remember(id, t);
      } else if (t > horizon) {
        ids.remember(id, t);
      }
      keep[i] = 1;
      kept++;
    }
    if (dropped > 0) {
      this.dropped += dropped;
      this.ctx?.metrics.inc(METRICS.dedupDropped, { operator: this.uid }, dropped);
    }
    this.ctx?.metrics.set(METRICS.dedupIds, { operator: this.uid }, ids.size);
    if (kept > 0) out.emit(compactBatch(batch, keep, kept));
  }

  private idFailed(batch: Batch<T>, i: number, error: unknown, out: Output<T>): void {
    out.deadLetter({
      reason: `${this.uid} idOf failed: ${describeError(error)}`,
      raw: batch.values[i],
      position: { partition: batch.partition, offset: batch.positions[i] },
      operator: this.uid,
    });
  }

  processWatermark(time: number, out: Output<T>): void {
    if (time > this.ids.watermark) {
      this.ids.advance(time);
      this.ctx?.metrics.set(METRICS.dedupIds, { operator: this.uid }, this.size);
    }
    out.watermark(time);
  }

  /** With the ids on disk the snapshot is always incremental: `full` is ignored. */
  snapshotState(writer: StateWriter, full: boolean): void {
    this.ids.snapshot(writer, full);
  }

  restoreState(entries: Iterable<[string, unknown]>): void {
    if (this.ids !== this.heap) {
      // On disk nothing is loaded here; entries can only come from a checkpoint of the heap layout.
      for (const [key] of entries) throw heapLayoutOnDisk(this.uid, key);
      return;
    }
    this.heap.restore(entries);
  }
}

/** A checkpoint of the heap layout handed to a dedup whose ids are on disk: the layouts differ. */
function heapLayoutOnDisk(uid: string, key: string): StateError {
  return new StateError(
    'STATE_INCOMPATIBLE',
    `operator ${JSON.stringify(uid)}: the checkpoint holds its ids in the heap (entry ${JSON.stringify(key)}, written without ` +
      `levelState(dir, { memory })), and this run keeps them on disk (levelState(dir, { memory })): restore it with the levelState ` +
      `options that wrote it, or start from a new directory`,
  );
}

function idString(id: unknown): string {
  if (typeof id === 'string') return id;
  if (typeof id === 'number' || typeof id === 'bigint') return String(id);
  throw new TypeError(`the id must be a string, number or bigint, got ${id === null ? 'null' : typeof id}`);
}

/**
 * Makes a dedup stage: drops a record whose id was seen within `within` of event time (at-least-once
 * delivery plus dedup gives an idempotent effect). Seen ids expire as the watermark passes
 * `firstSeen + within` and are checkpointed. Usually reached through `stream.dedup(idOf, options)`.
 * @param idOf returns the record's id (string, number or bigint); a throw sends the record to dead letters.
 * @param options `within`: a duration > 0, e.g. `'1h'`.
 * @throws TypeError or RangeError naming a bad option.
 * @example
 * from(fromArray(trips)).withTimestamps(t => t.dropoffAt, monotonic()).dedup(t => t.tripId, { within: '1h' })
 * @see DedupOperator
 */
export function dedup<T>(idOf: (record: T) => DedupId, options: DedupOptions): DedupOperator<T> {
  return new DedupOperator(idOf, options);
}
