import { StateError } from '../core/errors.js';
import type { ResidentState } from '../core/resident-state.js';
import { BucketChunks, bucketOf, type BucketCounts } from '../state/bucket-chunks.js';
import { TimerHeap } from '../state/timer-heap.js';

/**
 * One event-time timer of a resident window operator, as stored: at `time`, do `kind` (a
 * window-timers.ts kind) to window `sid` of the key whose text is `keyText` (a session's id, a
 * sliding window's start); `seq` orders ties at one time and kind in the order the timers were
 * registered, as the heap's insertion order does.
 */
export type ResidentTimer = [time: number, kind: number, keyText: string, sid: number, seq: number];

/** What {@link ResidentTimers} keeps in the operator's progress entry to find its timers after a restore. */
export interface ResidentTimersMeta {
  /** The next timer's `seq`. */
  seq: number;
  /** Stored buckets and how many chunks each has. */
  buckets: BucketCounts;
  /** Buckets below it were loaded: their timers live in memory (and `n/` chunks at a checkpoint). */
  loadedBelow: number;
  /** How many chunks the last snapshot wrote the in-memory timers to. */
  near: number;
}

/**
 * The width of the timer buckets of windows whose length is `length` (a session's gap, a sliding
 * window's size): a 64th of it, at least 1 ms, so a watermark step of about a window reads a few
 * dozen buckets, each holding the timers of a small slice of event time.
 * @example timerBucketWidth(30 * 60_000) // 28125
 */
export function timerBucketWidth(length: number): number {
  return Math.max(1, Math.floor(length / 64));
}

/** Timers per chunk of the in-memory heap a checkpoint writes. */
const NEAR_CHUNK = 128;

/**
 * The event-time timers of a resident window operator, on disk in time buckets. A timer due at
 * `time` goes to bucket `floor(time / width)`, stored as chunks `<prefix>t/<bucket>/<chunk>` in
 * registration order ({@link BucketChunks}); only the bucket numbers and their chunk counts stay
 * in memory, and the timers registered since the last {@link ResidentTimers.flush} (the current
 * batch or watermark), which are appended to their buckets together. When the watermark reaches a
 * bucket's start (and no earlier timer is left), the bucket is read into a small in-memory heap
 * and deleted from the store; timers registered for a bucket already read go straight to that
 * heap. So timers run in the order of the heap of window-timers.ts: by time, then kind, then
 * registration. At a checkpoint the in-memory heap is written as chunks `<prefix>n/<chunk>`.
 * @example
 * const timers = new ResidentTimers(store, 'wr1/', 250);
 * timers.push(999, ON_TIME, '"a"', 0);
 * for (let t = timers.nextDue(watermark); t; t = timers.nextDue(watermark)) run(t);
 */
export class ResidentTimers {
  /** Timers of the buckets already read, in firing order. */
  private readonly near = new TimerHeap<ResidentTimer>();
  /** The stored buckets, lowest first. */
  private buckets: BucketChunks<ResidentTimer>;
  /** Stored bucket → timers registered since the last flush, in registration order. */
  private readonly appends = new Map<number, ResidentTimer[]>();
  private loadedBelow = -Infinity;
  private seq = 0;
  private nearChunks = 0;

  constructor(
    private readonly store: ResidentState,
    private readonly prefix: string,
    /** Bucket width in ms (a positive integer). */
    private readonly width: number,
  ) {
    this.buckets = new BucketChunks<ResidentTimer>(store, `${prefix}t/`);
  }

  /** Registers a timer of `kind` at `time` on session `sid` of key `keyText`. */
  push(time: number, kind: number, keyText: string, sid: number): void {
    const timer: ResidentTimer = [time, kind, keyText, sid, this.seq++];
    const bucket = bucketOf(time, this.width);
    if (bucket < this.loadedBelow) {
      this.near.push(time, kind, timer);
      return;
    }
    const appends = this.appends.get(bucket);
    if (appends !== undefined) {
      appends.push(timer);
      return;
    }
    this.appends.set(bucket, [timer]);
    this.buckets.reserve(bucket);
  }

  /** Appends the timers registered since the last flush to their buckets' chunks in the store. */
  flush(): void {
    for (const [bucket, timers] of this.appends) this.buckets.append(bucket, timers);
    this.appends.clear();
  }

  /** The next timer due at `watermark`, removed; `undefined` when none is. */
  nextDue(watermark: number): ResidentTimer | undefined {
    for (;;) {
      const first = this.buckets.first();
      const start = first * this.width;
      // A bucket's timers are at or after its start, so it is read before any later timer runs.
      if (first !== Infinity && start <= watermark && start <= this.near.peekTime()) this.load();
      else return this.near.size > 0 && this.near.peekTime() <= watermark ? this.near.pop()!.ref : undefined;
    }
  }

  /** Reads the lowest stored bucket into the in-memory heap, in registration order, and deletes it. */
  private load(): void {
    const { bucket, entries } = this.buckets.takeFirst();
    this.loadedBelow = bucket + 1;
    for (const timer of entries) this.near.push(timer[0], timer[1], timer);
    const appends = this.appends.get(bucket);
    if (appends === undefined) return;
    this.appends.delete(bucket);
    for (const timer of appends) this.near.push(timer[0], timer[1], timer);
  }

  /** Writes the in-memory timers into the store and returns what a restore needs to find them all. */
  save(): ResidentTimersMeta {
    this.flush();
    const near: ResidentTimer[] = [];
    this.near.forEachRef((timer) => near.push(timer));
    near.sort((a, b) => a[4] - b[4]);
    const chunks = Math.ceil(near.length / NEAR_CHUNK);
    for (let c = 0; c < chunks; c++) this.store.put(this.nearKey(c), near.slice(c * NEAR_CHUNK, (c + 1) * NEAR_CHUNK));
    for (let c = chunks; c < this.nearChunks; c++) this.store.delete(this.nearKey(c));
    this.nearChunks = chunks;
    return { seq: this.seq, buckets: this.buckets.counts(), loadedBelow: this.loadedBelow, near: chunks };
  }

  /** Restores the timers {@link ResidentTimers.save} described (before any is registered). */
  restore(meta: ResidentTimersMeta): void {
    this.seq = meta.seq;
    this.loadedBelow = meta.loadedBelow;
    this.buckets = new BucketChunks<ResidentTimer>(this.store, `${this.prefix}t/`, meta.buckets);
    this.nearChunks = meta.near;
    // Saved in registration order: pushing them in that order keeps ties in it.
    for (let c = 0; c < meta.near; c++) {
      const timers = this.store.get(this.nearKey(c)) as ResidentTimer[] | undefined;
      if (timers === undefined) throw new StateError('STATE_CORRUPT', `window: timer chunk ${JSON.stringify(this.nearKey(c))} is missing`);
      for (const timer of timers) this.near.push(timer[0], timer[1], timer);
    }
  }

  private nearKey(chunk: number): string {
    return `${this.prefix}n/${chunk}`;
  }
}
