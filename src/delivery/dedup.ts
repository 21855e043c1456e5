import { compactBatch, type Batch } from '../core/batch.js';
import { checkOptions } from '../core/options.js';
import { parseDuration, type Duration } from '../core/duration.js';
import { describeError, PipelineError, StateError } from '../core/errors.js';
import type { MapTable, StateCell } from '../core/keyed-state.js';
import type { Operator, OperatorContext, Output, StateWriter } from '../core/operator.js';
import type { KeyedStateQuery } from '../core/state-query.js';
import { keyedState, type KeyedStateService } from '../state/keyed-state-service.js';
import { TimerHeap } from '../state/timer-heap.js';
import { METRICS } from '../core/metric-catalogue.js';
import { DedupGenerations } from './dedup-generations.js';

/** Options of {@link dedup}. */
export interface DedupOptions {
  /** How far apart in event time two records with one id count as duplicates (`'1h'`); > 0. */
  within: Duration;
}

/** What `idOf` may return. Ids compare by their string form: `5` and `'5'` are the same id. */
export type DedupId = string | number | bigint;

/**
 * Number of expiry buckets per `within`: ids are expired a whole bucket at a time, so an id lives
 * at most `within / BUCKETS_PER_WITHIN` longer than it must, and a watermark costs one heap pop per
 * bucket passed instead of a scan of every id.
 */
const BUCKETS_PER_WITHIN = 64;

/**
 * State keys, layout version 1: `1/m` holds `{ watermark }` (so a restored operator decides as the
 * interrupted one would have, before the first new watermark arrives); `1/i/<id>` holds the event
 * time the id is deduplicated against. Pinned by `test/delivery/dedup.test.ts`.
 */
const STATE_VERSION = '1';
const META_KEY = `${STATE_VERSION}/m`;
const ID_PREFIX = `${STATE_VERSION}/i/`;

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
  private readonly bucketWidth: number;
  private uid = 'dedup';
  private ctx: OperatorContext | undefined;
  /** Its keyed state: the ids and the watermark, written incrementally. */
  private readonly state: KeyedStateService = keyedState('dedup', STATE_VERSION);
  /** id → event time of the sighting it is deduplicated against. */
  private readonly seen: MapTable<number> = this.state.map<number>({
    prefix: ID_PREFIX,
    decode: (value, key) => {
      if (typeof value !== 'number') throw incompatible(key);
      return value;
    },
  });
  private readonly progress: StateCell = this.state.cell({
    key: META_KEY,
    value: () => ({ watermark: this.watermark }),
    restore: (value) => {
      const watermark = (value as { watermark?: unknown } | null)?.watermark;
      if (typeof watermark !== 'number') throw incompatible(META_KEY);
      this.watermark = watermark;
    },
  });
  /** bucket index → ids whose expiry falls in it; an id may also sit in older buckets (stale, skipped). */
  private readonly buckets = new Map<number, string[]>();
  /** The buckets present in `buckets`, due when the watermark reaches their end (`index * bucketWidth`). */
  private readonly heap = new TimerHeap<number>();
  /** The bucket the previous id went to: records arrive roughly in time order, so it is usually the next one's. */
  private lastBucket = NaN;
  private lastBucketIds: string[] = [];
  /** The ids on disk when the state backend keeps state there; the heap table above stays empty then. */
  private resident: DedupGenerations | undefined;
  private watermark = -Infinity;
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
    this.bucketWidth = Math.max(1, Math.ceil(this.within / BUCKETS_PER_WITHIN));
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
      const seenAt = this.resident ? this.resident.latest(idString(id)) : this.seen.get(idString(id));
      return seenAt !== undefined && this.remembers(seenAt) ? { seenAt, until: seenAt + this.within } : undefined;
    },
    keys: () =>
      this.resident ? this.resident.ids() : [...this.seen.entries()].filter(([, seenAt]) => this.remembers(seenAt)).map(([id]) => id),
  };

  /** Whether an id first seen at `seenAt` still deduplicates: the watermark has not passed `seenAt + within`. */
  private remembers(seenAt: number): boolean {
    return seenAt > this.watermark - this.within;
  }

  /** Ids currently remembered (on disk: the entries of the generations not yet deleted, see `DedupGenerations.size`). */
  get size(): number {
    return this.resident ? this.resident.size : this.seen.size;
  }

  /** Records dropped as duplicates so far. */
  get droppedCount(): number {
    return this.dropped;
  }

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    this.uid = ctx.uid;
    const store = ctx.residentState?.();
    if (store) {
      // Lazy restore: only the meta entry is read now; ids are read as records ask for them.
      this.resident = new DedupGenerations(store, this.within);
      this.watermark = this.resident.watermark;
    }
  }

  processBatch(batch: Batch<T>, out: Output<T>): void {
    const times = batch.times;
    if (!times) DedupOperator.checkPlacement(false);
    if (this.resident) {
      this.processOnDisk(batch, this.resident, out);
      return;
    }
    const { values } = batch;
    const n = values.length;
    const keep = new Uint8Array(n);
    let kept = 0;
    let dropped = 0;
    const within = this.within;
    const horizon = this.watermark - within;
    for (let i = 0; i < n; i++) {
      let id: string;
      try {
        id = idString(this.idOf(values[i]));
      } catch (error) {
        this.idFailed(batch, i, error, out);
        continue;
      }
      const t = times![i];
      const first = this.seen.get(id);
      // An entry the watermark has passed counts as gone even before its bucket is swept, so the
      // decision never depends on when the sweep ran.
      if (first !== undefined && first > horizon) {
        const gap = t - first;
        if (gap < within && gap > -within) {
          dropped++;
          continue;
        }
        // Far enough apart to be a new occurrence: later duplicates compare against the latest one.
        if (t > first) this.remember(id, t);
      } else if (t > horizon) {
        this.remember(id, t);
      } else if (first !== undefined) {
        this.forget(id);
      }
      keep[i] = 1;
      kept++;
    }
    if (dropped > 0) {
      this.dropped += dropped;
      this.ctx?.metrics.inc(METRICS.dedupDropped, { operator: this.uid }, dropped);
    }
    this.ctx?.metrics.set(METRICS.dedupIds, { operator: this.uid }, this.seen.size);
    if (kept > 0) out.emit(compactBatch(batch, keep, kept));
  }

  /**
   * The loop of `processBatch` with the ids on disk, kept apart so the heap loop stays as fast as
   * it was: the same decisions, where the heap table's entry is the id's latest sighting found
   * from `t - within` on. A passed entry needs no delete: its generation goes as a whole.
   */
  private processOnDisk(batch: Batch<T>, ids: DedupGenerations, out: Output<T>): void {
    const { values, times } = batch;
    const n = values.length;
    const keep = new Uint8Array(n);
    let kept = 0;
    let dropped = 0;
    const within = this.within;
    const horizon = this.watermark - within;
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
    if (time > this.watermark) {
      this.watermark = time;
      if (this.resident) {
        this.resident.advance(time);
      } else {
        this.progress.changed();
        this.expire(time);
      }
      this.ctx?.metrics.set(METRICS.dedupIds, { operator: this.uid }, this.size);
    }
    out.watermark(time);
  }

  /** With the ids on disk the snapshot is always incremental: `full` is ignored. */
  snapshotState(writer: StateWriter, full: boolean): void {
    if (this.resident) this.resident.snapshot(writer);
    else this.state.snapshot(writer, full);
  }

  restoreState(entries: Iterable<[string, unknown]>): void {
    if (this.resident) {
      // On disk nothing is loaded here; entries can only come from a checkpoint of the heap layout.
      for (const [key] of entries) throw heapLayoutOnDisk(this.uid, key);
      return;
    }
    this.state.restore(entries);
    for (const [id, first] of this.seen.entries()) this.schedule(id, first);
  }

  private remember(id: string, first: number): void {
    this.seen.set(id, first);
    this.schedule(id, first);
  }

  private forget(id: string): void {
    this.seen.delete(id);
  }

  private schedule(id: string, first: number): void {
    // Bucket b holds expiries in ((b - 1) * width, b * width]; it is wholly passed once W >= b * width.
    const bucket = Math.ceil((first + this.within) / this.bucketWidth);
    if (bucket === this.lastBucket) {
      this.lastBucketIds.push(id);
      return;
    }
    let ids = this.buckets.get(bucket);
    if (!ids) {
      ids = [];
      this.buckets.set(bucket, ids);
      this.heap.push(bucket * this.bucketWidth, 0, bucket);
    }
    ids.push(id);
    this.lastBucket = bucket;
    this.lastBucketIds = ids;
  }

  /** Forgets every id whose expiry `first + within` is at or below the watermark, a bucket at a time. */
  private expire(watermark: number): void {
    if (watermark === Infinity) {
      this.seen.clear();
      this.buckets.clear();
      this.heap.clear();
      this.lastBucket = NaN;
      return;
    }
    while (this.heap.peekTime() <= watermark) {
      const bucket = this.heap.pop()!.ref;
      const ids = this.buckets.get(bucket)!;
      this.buckets.delete(bucket);
      if (bucket === this.lastBucket) this.lastBucket = NaN;
      for (const id of ids) {
        const first = this.seen.get(id);
        if (first !== undefined && first + this.within <= watermark) this.forget(id);
      }
    }
  }
}

function incompatible(key: string): StateError {
  return new StateError(
    'STATE_INCOMPATIBLE',
    `dedup: unknown state entry ${JSON.stringify(key)} (expected layout ${STATE_VERSION}); use a new state directory or the same pipeline`,
  );
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
