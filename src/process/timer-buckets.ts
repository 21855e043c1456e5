import type { ResidentState } from '../core/resident-state.js';
import { BucketChunks, bucketOf, type BucketCounts } from '../state/bucket-chunks.js';
import { TimerHeap } from '../state/timer-heap.js';
import { TIMER_BUCKET_MS } from './process-state-layout.js';
import type { KeyTimeQueue } from './process-storage.js';

/** One queued entry: at `time`, key text `keyText`. */
type Due = [time: number, keyText: string];

/** What {@link TimerBuckets} keeps in its operator's progress entry to find its entries after a restore. */
export interface TimerBucketsMeta {
  /** Stored buckets and how many chunks each has. */
  buckets: BucketCounts;
  /** Buckets below it were read: their entries live in memory (and in the near entry at a checkpoint). */
  loadedBelow: number;
  /** Entries queued, in memory and on disk. */
  size: number;
}

/**
 * A queue of (time, key text) entries of a resident process function, on disk in time buckets of
 * {@link TIMER_BUCKET_MS}: an entry due at `time` is appended to bucket `floor(time / width)`,
 * stored as chunks `<prefix><bucket>/<chunk>` ({@link BucketChunks}). Only the bucket numbers and
 * the entries appended since the last {@link TimerBuckets.flush} stay in memory.
 * {@link TimerBuckets.advanceTo}(W) reads every bucket that starts at or before W into an
 * in-memory heap and deletes it from the store, so every entry due at W is in that heap, in (time,
 * insertion) order, as the heap path's queue holds it; entries pushed into a bucket already read
 * go straight to the heap. At a checkpoint the heap is written to `nearKey`.
 * @example
 * const expiries = new TimerBuckets(store, 'r1/t/x/', 'r1/q/x');
 * expiries.push(70_000, '"a"');
 * expiries.advanceTo(watermark);
 * while (expiries.peekTime() <= watermark) expire(expiries.pop());
 */
export class TimerBuckets implements KeyTimeQueue {
  /** Entries of the buckets already read. */
  private readonly near = new TimerHeap<Due>();
  /** Buckets not read yet: stored, or reserved for entries in `appends`. */
  private stored: BucketChunks<Due>;
  /** Stored bucket → entries pushed since the last flush, in order. */
  private readonly appends = new Map<number, Due[]>();
  private loadedBelow = -Infinity;
  private count = 0;

  constructor(
    private readonly store: ResidentState,
    /** Prefix of the bucket chunks, `r1/t/e/`. */
    private readonly prefix: string,
    /** Key of the read buckets' entries at a checkpoint, `r1/q/e`. */
    private readonly nearKey: string,
  ) {
    this.stored = new BucketChunks<Due>(store, prefix);
  }

  /** Entries queued (stale ones included). */
  get size(): number {
    return this.count;
  }

  push(time: number, keyText: string): void {
    this.count++;
    const due: Due = [time, keyText];
    const bucket = bucketOf(time, TIMER_BUCKET_MS);
    if (bucket < this.loadedBelow) {
      this.near.push(time, 0, due);
      return;
    }
    const appends = this.appends.get(bucket);
    if (appends !== undefined) {
      appends.push(due);
      return;
    }
    this.appends.set(bucket, [due]);
    this.stored.reserve(bucket);
  }

  /**
   * The earliest time of the buckets read, or, when a stored bucket may hold an earlier one, that
   * bucket's start: after `advanceTo(W)` the latter is later than W, so what is due at W is exact.
   */
  peekTime(): number {
    return Math.min(this.near.peekTime(), this.stored.first() * TIMER_BUCKET_MS);
  }

  /** Removes and returns the earliest entry read (call after `advanceTo` covers its time). */
  pop(): string | undefined {
    const due = this.near.pop();
    if (due === undefined) return undefined;
    this.count--;
    return due.ref[1];
  }

  /** Visits the entries read, in no particular order (`advanceTo(Infinity)` reads them all). */
  forEachRead(visit: (time: number, keyText: string) => void): void {
    this.near.forEachRef(([time, keyText]) => visit(time, keyText));
  }

  /** Reads every stored bucket that starts at or before `watermark` (every one at `+Infinity`). */
  advanceTo(watermark: number): void {
    const below = watermark === Infinity ? Infinity : bucketOf(watermark, TIMER_BUCKET_MS) + 1;
    if (below > this.loadedBelow) this.loadedBelow = below;
    while (this.stored.first() < this.loadedBelow) this.load();
  }

  /** Appends the entries pushed since the last flush to their buckets' chunks in the store. */
  flush(): void {
    for (const [bucket, entries] of this.appends) this.stored.append(bucket, entries);
    this.appends.clear();
  }

  /** Writes the entries read into the store and returns what a restore needs to find them all. */
  save(): TimerBucketsMeta {
    this.flush();
    const near: Due[] = [];
    this.near.forEachRef((due) => near.push(due));
    if (near.length > 0 || this.store.get(this.nearKey) !== undefined) this.store.put(this.nearKey, near);
    return { buckets: this.stored.counts(), loadedBelow: this.loadedBelow, size: this.count };
  }

  /** Restores what {@link TimerBuckets.save} described (before anything is pushed). */
  restore(meta: TimerBucketsMeta): void {
    this.loadedBelow = meta.loadedBelow;
    this.count = meta.size;
    this.stored = new BucketChunks<Due>(this.store, this.prefix, meta.buckets);
    const near = this.store.get(this.nearKey) as Due[] | undefined;
    if (near !== undefined) for (const due of near) this.near.push(due[0], 0, due);
  }

  /** Forgets every entry; the caller deletes the stored ones by prefix. */
  clear(): void {
    this.near.clear();
    this.stored.clear();
    this.appends.clear();
    this.count = 0;
  }

  /** Moves the lowest stored bucket's entries into the in-memory heap, in the order they were pushed, and deletes it. */
  private load(): void {
    const { bucket, entries } = this.stored.takeFirst();
    for (const due of entries) this.near.push(due[0], 0, due);
    const appends = this.appends.get(bucket);
    if (appends === undefined) return;
    this.appends.delete(bucket);
    for (const due of appends) this.near.push(due[0], 0, due);
  }
}
