import { StateError } from '../core/errors.js';
import type { MapTable, StateCell } from '../core/keyed-state.js';
import type { StateWriter } from '../core/operator.js';
import { keyedState, type KeyedStateService } from '../state/keyed-state-service.js';
import { TimerHeap } from '../state/timer-heap.js';
import type { DedupIds } from './dedup-ids.js';

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
export const DEDUP_STATE_VERSION = '1';
const META_KEY = `${DEDUP_STATE_VERSION}/m`;
const ID_PREFIX = `${DEDUP_STATE_VERSION}/i/`;

/**
 * A dedup's ids in the heap: id → the event time it is deduplicated against, in keyed state
 * written incrementally (only the ids that changed since the last snapshot), and expiry buckets
 * in a {@link TimerHeap} (derived, rebuilt on restore) so a watermark visits only the ids it may
 * forget.
 * @example
 * const ids = new DedupHeapIds(3_600_000);
 * if (ids.current('trip-1', t, ids.watermark - 3_600_000) === undefined) ids.remember('trip-1', t);
 */
export class DedupHeapIds implements DedupIds {
  watermark = -Infinity;
  private readonly bucketWidth: number;
  /** Its keyed state: the ids and the watermark. */
  private readonly state: KeyedStateService = keyedState('dedup', DEDUP_STATE_VERSION);
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

  /** @param within `within` in milliseconds. */
  constructor(private readonly within: number) {
    this.bucketWidth = Math.max(1, Math.ceil(within / BUCKETS_PER_WITHIN));
  }

  get size(): number {
    return this.seen.size;
  }

  current(id: string, _t: number, horizon: number): number | undefined {
    const first = this.seen.get(id);
    if (first === undefined || first > horizon) return first;
    // Passed but not swept yet: forget it now (a record at a later time remembers it again).
    this.seen.delete(id);
    return undefined;
  }

  remember(id: string, t: number): void {
    this.seen.set(id, t);
    this.schedule(id, t);
  }

  /** Forgets every id whose expiry `first + within` is at or below the watermark, a bucket at a time. */
  advance(watermark: number): void {
    this.watermark = watermark;
    this.progress.changed();
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
        if (first !== undefined && first + this.within <= watermark) this.seen.delete(id);
      }
    }
  }

  latest(id: string): number | undefined {
    const seenAt = this.seen.get(id);
    return seenAt !== undefined && seenAt > this.watermark - this.within ? seenAt : undefined;
  }

  ids(): string[] {
    const horizon = this.watermark - this.within;
    return [...this.seen.entries()].filter(([, seenAt]) => seenAt > horizon).map(([id]) => id);
  }

  snapshot(writer: StateWriter, full: boolean): void {
    this.state.snapshot(writer, full);
  }

  /** Loads a checkpoint's entries and rebuilds the expiry buckets. */
  restore(entries: Iterable<[string, unknown]>): void {
    this.state.restore(entries);
    for (const [id, first] of this.seen.entries()) this.schedule(id, first);
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
}

function incompatible(key: string): StateError {
  return new StateError(
    'STATE_INCOMPATIBLE',
    `dedup: unknown state entry ${JSON.stringify(key)} (expected layout ${DEDUP_STATE_VERSION}); use a new state directory or the same pipeline`,
  );
}
