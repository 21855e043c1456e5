import type { ResidentState } from '../core/resident-state.js';
import { TimerHeap } from './timer-heap.js';

/** Entries per stored chunk: appending to a bucket rewrites one chunk, not the whole bucket. */
const CHUNK = 256;

/** Where a bucket's chunks stand: how many there are. Kept by the owner in its meta entry. */
export type BucketCounts = Array<[bucket: number, chunks: number]>;

/**
 * Entries that come due by event time, in resident state: bucket `b` (times in
 * `[b·width, (b+1)·width)`) is stored as chunks `<prefix><b>/<n>` of at most 256 entries, and
 * only the bucket numbers and chunk counts stay in memory. When the watermark reaches a bucket's
 * start, its chunks are read, sorted, and the entries due are handed out in order; the rest are
 * written back. What an interval join evicts and a lookup join releases or prunes.
 * @example
 * const due = new TimeBuckets<[number, string]>(store, 'e/', 60_000, (e) => e[0], (a, b) => a[0] - b[0]);
 * due.add([t + hold, keyText]);
 * due.release(watermark, (entry) => evict(entry));
 */
export class TimeBuckets<E> {
  private readonly chunks = new Map<number, number>();
  private readonly starts = new TimerHeap<number>();

  /**
   * @param timeOf when an entry is due.
   * @param order the order entries due are handed out in (ties of `timeOf` included).
   * @param restored the chunk counts the owner kept (see {@link counts}).
   */
  constructor(
    private readonly store: ResidentState,
    private readonly prefix: string,
    private readonly width: number,
    private readonly timeOf: (entry: E) => number,
    private readonly order: (a: E, b: E) => number,
    restored: BucketCounts = [],
  ) {
    for (const [bucket, chunks] of restored) this.track(bucket, chunks);
  }

  /** The buckets and their chunk counts, for the owner to keep in its meta entry. */
  counts(): BucketCounts {
    return [...this.chunks];
  }

  /** Adds an entry, due when the watermark reaches `timeOf(entry)`. */
  add(entry: E): void {
    const bucket = Math.floor(this.timeOf(entry) / this.width);
    let chunks = this.chunks.get(bucket);
    if (chunks === undefined) this.track(bucket, (chunks = 1));
    let key = `${this.prefix}${bucket}/${chunks - 1}`;
    let list = this.store.get(key) as E[] | undefined;
    if (list !== undefined && list.length >= CHUNK) {
      this.chunks.set(bucket, ++chunks);
      key = `${this.prefix}${bucket}/${chunks - 1}`;
      list = undefined;
    }
    list ??= [];
    list.push(entry);
    this.store.put(key, list);
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
    while (this.starts.size > 0 && this.starts.peekTime() <= watermark) {
      const bucket = Math.round(this.starts.peekTime() / this.width);
      const chunks = this.chunks.get(bucket)!;
      const entries: E[] = [];
      for (let n = 0; n < chunks; n++) {
        const key = `${this.prefix}${bucket}/${n}`;
        const list = this.store.get(key) as E[] | undefined;
        if (list) for (const entry of list) entries.push(entry);
        this.store.delete(key);
      }
      entries.sort(this.order);
      let due = 0;
      while (due < entries.length && this.timeOf(entries[due]) <= watermark) due++;
      if (due < entries.length) {
        // The rest of the bucket is not due yet, nor is any later bucket: write the rest back.
        const rest = entries.slice(due);
        let n = 0;
        for (let from = 0; from < rest.length; from += CHUNK)
          this.store.put(`${this.prefix}${bucket}/${n++}`, rest.slice(from, from + CHUNK));
        this.chunks.set(bucket, n);
        for (let i = 0; i < due; i++) yield entries[i];
        return;
      }
      this.starts.pop();
      this.chunks.delete(bucket);
      yield* entries;
    }
  }

  private track(bucket: number, chunks: number): void {
    this.chunks.set(bucket, chunks);
    this.starts.push(bucket * this.width, 0, bucket);
  }
}
