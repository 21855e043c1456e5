import { StateError } from '../core/errors.js';
import type { ResidentState } from '../core/resident-state.js';
import { TimerHeap } from '../state/timer-heap.js';
import { TIMER_BUCKET_MS } from './process-state-layout.js';
import type { KeyTimeQueue } from './process-storage.js';

/** One queued entry: at `time`, key text `keyText`. */
type Due = [time: number, keyText: string];

/** Timers per stored chunk: appending rewrites only the bucket's last chunk. */
const CHUNK = 256;

/** What {@link TimerBuckets} keeps in its operator's progress entry to find its entries after a restore. */
export interface TimerBucketsMeta {
  /** Stored buckets and how many chunks each has. */
  buckets: Array<[bucket: number, chunks: number]>;
  /** Buckets below it were read: their entries live in memory (and in the near entry at a checkpoint). */
  loadedBelow: number;
  /** Entries queued, in memory and on disk. */
  size: number;
}

/**
 * A queue of (time, key text) entries of a resident process function, on disk in time buckets of
 * {@link TIMER_BUCKET_MS}: an entry due at `time` is appended to bucket `floor(time / width)`,
 * stored as chunks `<prefix><bucket>/<chunk>` of up to {@link CHUNK} entries. Only the bucket
 * numbers (a {@link TimerHeap}) and the entries appended since the last {@link TimerBuckets.flush}
 * stay in memory. {@link TimerBuckets.advanceTo}(W) reads every bucket that starts at or before W
 * into an in-memory heap and deletes it from the store, so every entry due at W is in that heap,
 * in (time, insertion) order, as the heap path's queue holds it; entries pushed into a bucket
 * already read go straight to the heap. At a checkpoint the heap is written to `nearKey`.
 * @example
 * const expiries = new TimerBuckets(store, 'r1/t/x/', 'r1/q/x');
 * expiries.push(70_000, '"a"');
 * expiries.advanceTo(watermark);
 * while (expiries.peekTime() <= watermark) expire(expiries.pop());
 */
export class TimerBuckets implements KeyTimeQueue {
  /** Entries of the buckets already read. */
  private readonly near = new TimerHeap<Due>();
  /** Stored bucket numbers (as their heap time). */
  private readonly stored = new TimerHeap<number>();
  /** Stored bucket → number of chunks written (0 while its entries are all in `appends`). */
  private readonly chunks = new Map<number, number>();
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
  ) {}

  /** Entries queued (stale ones included). */
  get size(): number {
    return this.count;
  }

  push(time: number, keyText: string): void {
    this.count++;
    const due: Due = [time, keyText];
    const bucket = bucketOf(time);
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
    if (!this.chunks.has(bucket)) {
      this.chunks.set(bucket, 0);
      this.stored.push(bucket, 0, bucket);
    }
  }

  /**
   * The earliest time of the buckets read, or, when a stored bucket may hold an earlier one, that
   * bucket's start: after `advanceTo(W)` the latter is later than W, so what is due at W is exact.
   */
  peekTime(): number {
    const near = this.near.peekTime();
    return this.stored.size > 0 ? Math.min(near, this.stored.peekTime() * TIMER_BUCKET_MS) : near;
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
    const below = watermark === Infinity ? Infinity : bucketOf(watermark) + 1;
    if (below > this.loadedBelow) this.loadedBelow = below;
    while (this.stored.size > 0 && this.stored.peekTime() < this.loadedBelow) this.load(this.stored.pop()!.ref);
  }

  /** Appends the entries pushed since the last flush to their buckets' chunks in the store. */
  flush(): void {
    const store = this.store;
    for (const [bucket, entries] of this.appends) {
      let chunks = this.chunks.get(bucket)!;
      let next = 0;
      if (chunks > 0) {
        const last = this.chunkKey(bucket, chunks - 1);
        const stored = this.read(last);
        if (stored.length < CHUNK) {
          next = Math.min(entries.length, CHUNK - stored.length);
          for (let i = 0; i < next; i++) stored.push(entries[i]);
          store.put(last, stored);
        }
      }
      for (; next < entries.length; next += CHUNK) store.put(this.chunkKey(bucket, chunks++), entries.slice(next, next + CHUNK));
      this.chunks.set(bucket, chunks);
    }
    this.appends.clear();
  }

  /** Writes the entries read into the store and returns what a restore needs to find them all. */
  save(): TimerBucketsMeta {
    this.flush();
    const near: Due[] = [];
    this.near.forEachRef((due) => near.push(due));
    if (near.length > 0 || this.store.get(this.nearKey) !== undefined) this.store.put(this.nearKey, near);
    return { buckets: [...this.chunks], loadedBelow: this.loadedBelow, size: this.count };
  }

  /** Restores what {@link TimerBuckets.save} described (before anything is pushed). */
  restore(meta: TimerBucketsMeta): void {
    this.loadedBelow = meta.loadedBelow;
    this.count = meta.size;
    for (const [bucket, chunks] of meta.buckets) {
      this.chunks.set(bucket, chunks);
      this.stored.push(bucket, 0, bucket);
    }
    const near = this.store.get(this.nearKey) as Due[] | undefined;
    if (near !== undefined) for (const due of near) this.near.push(due[0], 0, due);
  }

  /** Forgets every entry; the caller deletes the stored ones by prefix. */
  clear(): void {
    this.near.clear();
    this.stored.clear();
    this.chunks.clear();
    this.appends.clear();
    this.count = 0;
  }

  /** Moves a stored bucket's entries into the in-memory heap, in the order they were pushed, and deletes it. */
  private load(bucket: number): void {
    const chunks = this.chunks.get(bucket)!;
    this.chunks.delete(bucket);
    for (let c = 0; c < chunks; c++) {
      const key = this.chunkKey(bucket, c);
      for (const due of this.read(key)) this.near.push(due[0], 0, due);
      this.store.delete(key);
    }
    const appends = this.appends.get(bucket);
    if (appends === undefined) return;
    this.appends.delete(bucket);
    for (const due of appends) this.near.push(due[0], 0, due);
  }

  private read(key: string): Due[] {
    const entries = this.store.get(key) as Due[] | undefined;
    if (!Array.isArray(entries)) throw new StateError('STATE_CORRUPT', `process: the timer bucket ${JSON.stringify(key)} is missing`);
    return entries;
  }

  private chunkKey(bucket: number, chunk: number): string {
    return `${this.prefix}${bucket}/${chunk}`;
  }
}

function bucketOf(time: number): number {
  const bucket = Math.floor(time / TIMER_BUCKET_MS);
  // Near 2^53 the division may round up to the next integer.
  return bucket * TIMER_BUCKET_MS > time ? bucket - 1 : bucket;
}
