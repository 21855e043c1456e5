import type { ResidentState } from '../core/resident-state.js';
import { BucketChunks, bucketOf, type BucketCounts } from './bucket-chunks.js';

export type { BucketCounts } from './bucket-chunks.js';

/**
 * Entries that come due by event time, in resident state: bucket `b` (times in
 * `[b·width, (b+1)·width)`) is stored as chunks `<prefix><b>/<n>` ({@link BucketChunks}), and
 * only the bucket numbers and chunk counts stay in memory. When the watermark reaches a bucket's
 * start, its chunks are read, sorted, and the entries due are handed out in order; the rest are
 * written back. What an interval join evicts and a lookup join releases or prunes.
 * @example
 * const due = new TimeBuckets<[number, string]>(store, 'jr1/e/', 60_000, (e) => e[0], (a, b) => a[0] - b[0]);
 * due.add([t + hold, keyText]);
 * due.release(watermark, (entry) => evict(entry));
 */
export class TimeBuckets<E> {
  private readonly buckets: BucketChunks<E>;

  /**
   * @param timeOf when an entry is due.
   * @param order the order entries due are handed out in (ties of `timeOf` included).
   * @param restored the chunk counts the owner kept (see {@link counts}).
   */
  constructor(
    store: ResidentState,
    prefix: string,
    private readonly width: number,
    private readonly timeOf: (entry: E) => number,
    private readonly order: (a: E, b: E) => number,
    restored: BucketCounts = [],
  ) {
    this.buckets = new BucketChunks<E>(store, prefix, restored);
  }

  /** The buckets and their chunk counts, for the owner to keep in its meta entry. */
  counts(): BucketCounts {
    return this.buckets.counts();
  }

  /** Adds an entry, due when the watermark reaches `timeOf(entry)`. */
  add(entry: E): void {
    this.buckets.append(bucketOf(this.timeOf(entry), this.width), [entry]);
  }

  /** Hands out, in `order`, every entry due at `watermark`, and forgets it. */
  release(watermark: number, visit: (entry: E) => void): void {
    for (const entry of this.due(watermark)) visit(entry);
  }

  /**
   * Every entry due at `watermark`, in `order`, forgotten as it is read: a caller may stop between
   * two and go on later, as long as nothing is added in between.
   */
  *due(watermark: number): Generator<E, void, undefined> {
    for (let first = this.buckets.first(); first !== Infinity && first * this.width <= watermark; first = this.buckets.first()) {
      const { bucket, entries } = this.buckets.takeFirst();
      entries.sort(this.order);
      let due = 0;
      while (due < entries.length && this.timeOf(entries[due]) <= watermark) due++;
      if (due < entries.length) {
        // The rest of the bucket is not due yet, nor is any later bucket: write the rest back.
        this.buckets.append(bucket, entries.slice(due));
        for (let i = 0; i < due; i++) yield entries[i];
        return;
      }
      yield* entries;
    }
  }
}
