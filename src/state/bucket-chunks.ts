import { StateError } from '../core/errors.js';
import type { ResidentState } from '../core/resident-state.js';
import { TimerHeap } from './timer-heap.js';

/** Entries per stored chunk: appending to a bucket rewrites one chunk, not the whole bucket. */
const CHUNK = 256;

/** Where a bucket's chunks stand: how many there are. Kept by the owner in its meta entry. */
export type BucketCounts = Array<[bucket: number, chunks: number]>;

/**
 * The bucket of event time `time` in buckets `width` wide: `floor(time / width)`, also near 2^53,
 * where the division may round up to the next integer.
 * @example bucketOf(125_000, 60_000) // 2
 */
export function bucketOf(time: number, width: number): number {
  const bucket = Math.floor(time / width);
  return bucket * width > time ? bucket - 1 : bucket;
}

/**
 * Numbered buckets of entries in resident state: bucket `b` is stored as chunks `<prefix><b>/<n>`
 * of at most 256 entries, in the order they were appended, and only the bucket numbers (in a
 * {@link TimerHeap}, lowest first) and chunk counts stay in memory. The one storage of what comes
 * due by event time on disk: {@link TimeBuckets} (joins) and the process functions' timer buckets
 * decide what a bucket means and when it is read.
 * @example
 * const buckets = new BucketChunks<[number, string]>(store, 'jr1/e/');
 * buckets.append(bucketOf(t, width), [[t, keyText]]);
 * if (buckets.first() * width <= watermark) handle(buckets.takeFirst());
 */
export class BucketChunks<E> {
  /** Bucket → chunks written (0 while its owner still holds its entries in memory). */
  private readonly chunks = new Map<number, number>();
  private readonly order = new TimerHeap<number>();

  /** @param restored the chunk counts the owner kept (see {@link counts}). */
  constructor(
    private readonly store: ResidentState,
    private readonly prefix: string,
    restored: BucketCounts = [],
  ) {
    for (const [bucket, chunks] of restored) this.track(bucket, chunks);
  }

  /** The lowest bucket held (`+Infinity` for none). */
  first(): number {
    return this.order.peekTime();
  }

  /** Whether `bucket` is held (maybe with no chunk written yet, see {@link reserve}). */
  has(bucket: number): boolean {
    return this.chunks.has(bucket);
  }

  /** Holds `bucket` in the order before anything is written to it (for an owner that writes later). */
  reserve(bucket: number): void {
    if (!this.chunks.has(bucket)) this.track(bucket, 0);
  }

  /** Appends `entries` to `bucket`: to its last chunk while it has room, then to new chunks. */
  append(bucket: number, entries: readonly E[]): void {
    let chunks = this.chunks.get(bucket);
    if (chunks === undefined) this.track(bucket, (chunks = 0));
    let next = 0;
    if (chunks > 0) {
      const last = this.keyOf(bucket, chunks - 1);
      const stored = this.read(last);
      if (stored.length < CHUNK) {
        next = Math.min(entries.length, CHUNK - stored.length);
        for (let i = 0; i < next; i++) stored.push(entries[i]);
        this.store.put(last, stored);
      }
    }
    for (; next < entries.length; next += CHUNK) this.store.put(this.keyOf(bucket, chunks++), entries.slice(next, next + CHUNK));
    this.chunks.set(bucket, chunks);
  }

  /** Removes the lowest bucket and returns it with its entries in the order they were appended, deleting them from the store. */
  takeFirst(): { bucket: number; entries: E[] } {
    const bucket = this.order.pop()!.ref;
    const chunks = this.chunks.get(bucket)!;
    this.chunks.delete(bucket);
    const entries: E[] = [];
    for (let n = 0; n < chunks; n++) {
      const key = this.keyOf(bucket, n);
      for (const entry of this.read(key)) entries.push(entry);
      this.store.delete(key);
    }
    return { bucket, entries };
  }

  /** The buckets and their chunk counts, for the owner to keep in its meta entry. */
  counts(): BucketCounts {
    return [...this.chunks];
  }

  /** Forgets every bucket; the caller deletes the stored chunks by prefix. */
  clear(): void {
    this.chunks.clear();
    this.order.clear();
  }

  private track(bucket: number, chunks: number): void {
    this.chunks.set(bucket, chunks);
    this.order.push(bucket, 0, bucket);
  }

  private read(key: string): E[] {
    const entries = this.store.get(key) as E[] | undefined;
    if (!Array.isArray(entries)) throw new StateError('STATE_CORRUPT', `the time bucket chunk ${JSON.stringify(key)} is missing`);
    return entries;
  }

  private keyOf(bucket: number, chunk: number): string {
    return `${this.prefix}${bucket}/${chunk}`;
  }
}
