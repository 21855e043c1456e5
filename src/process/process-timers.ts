import { decodeKey } from '../core/key-encoding.js';
import type { MapTable } from '../core/keyed-state.js';
import type { ResidentState } from '../core/resident-state.js';
import type { KeyedStateService } from '../state/keyed-state-service.js';
import { TimerHeap } from '../state/timer-heap.js';
import {
  EVENT_TIMER_PREFIX,
  parseTimerKey,
  PROCESSING_TIMER_PREFIX,
  RESIDENT_BUCKET_PREFIX,
  RESIDENT_TIMER_PREFIX,
  timerKey,
} from './process-state-layout.js';
import { TimerBuckets } from './timer-buckets.js';

/** A timer's key: its text (identity, state key, tie order) and the key itself (`ctx.key`). */
export interface TimerKey {
  readonly keyText: string;
  readonly key: unknown;
}

/** One time domain's timers, as the operator uses them: in the heap or resident. */
export interface Timers {
  /** Timers pending. */
  readonly size: number;
  /** @returns whether it was new (so an undo removes it). */
  register(time: number, key: TimerKey): boolean;
  /** @returns whether a timer at `time` for `key` was pending (so an undo registers it again). */
  delete(time: number, keyText: string): boolean;
  /** The earliest pending time (`+Infinity` for none; may answer early, harmlessly). */
  nextTime(): number;
  /** Removes and returns the timers pending at `time`, the earliest time, ordered by key text. */
  takeAt(time: number): TimerKey[];
  /** The latest pending time (`-Infinity` for none). */
  latestTime(): number;
  /** Drops every timer. */
  clear(): void;
}

/** Ties at one time fire in key text order: the same in every run and after every restore. */
function byKeyText(a: TimerKey, b: TimerKey): number {
  return a.keyText < b.keyText ? -1 : a.keyText > b.keyText ? 1 : 0;
}

/**
 * Timer ids, `prefix + timerKey(time, keyText)`, with the time's text reused from the previous
 * call when equal: records of one key often share a timer time (the next minute).
 */
class TimerIds {
  private lastTime = NaN;
  private lastTimeText = '';

  constructor(private readonly prefix: string) {}

  of(time: number, keyText: string): string {
    if (time !== this.lastTime) {
      this.lastTimeText = this.prefix + timerKey(time, '');
      this.lastTime = time;
    }
    return this.lastTimeText + keyText;
  }
}

/**
 * One time domain's timers of a keyed process function: a table of (time, key) entries in the
 * keyed-state service (the checkpointed truth, and the deduplication: one entry per key and time)
 * and a {@link TimerHeap} in time order (derived, rebuilt on restore). A heap entry whose table
 * entry is gone (deleted, or fired through another heap entry) is stale and skipped.
 */
export class DomainTimers implements Timers {
  private readonly table: MapTable<number>;
  private readonly heap = new TimerHeap<TimerKey>();
  private readonly timerIds = new TimerIds('');

  constructor(service: KeyedStateService, prefix: string) {
    this.table = service.map<number>({ prefix, decode: () => 1 });
  }

  /** Timers pending. */
  get size(): number {
    return this.table.size;
  }

  /**
   * Registers a timer at `time` for `key`; a second registration of one (time, key) is the same timer.
   * @returns whether it was new (so an undo removes it).
   */
  register(time: number, key: TimerKey): boolean {
    const id = this.timerIds.of(time, key.keyText);
    if (this.table.has(id)) return false;
    this.table.set(id, 1);
    this.heap.push(time, 0, key);
    return true;
  }

  /** @returns whether a timer at `time` for `key` was pending (so an undo registers it again). */
  delete(time: number, keyText: string): boolean {
    const id = this.timerIds.of(time, keyText);
    if (!this.table.has(id)) return false;
    this.table.delete(id);
    return true;
  }

  /** The earliest pending time (`+Infinity` for none; a stale entry may answer early, harmlessly). */
  nextTime(): number {
    return this.heap.peekTime();
  }

  /**
   * Removes and returns the timers pending at `time`, the earliest time of the heap, ordered by
   * key text: the order of ties is the same in every run and after every restore.
   */
  takeAt(time: number): TimerKey[] {
    const due: TimerKey[] = [];
    while (this.heap.size > 0 && this.heap.peekTime() === time) {
      const key = this.heap.pop()!.ref;
      const id = timerKey(time, key.keyText);
      if (!this.table.has(id)) continue;
      this.table.delete(id);
      due.push(key);
    }
    if (due.length > 1) due.sort(byKeyText);
    return due;
  }

  /** The latest pending time (`-Infinity` for none). */
  latestTime(): number {
    let latest: string | undefined;
    // Timer keys start with their sortableTime: the greatest key has the latest time.
    for (const id of this.table.keys()) if (latest === undefined || id > latest) latest = id;
    return latest === undefined ? -Infinity : parseTimerKey(latest).time;
  }

  /** Drops every timer. */
  clear(): void {
    this.table.clear();
    this.heap.clear();
  }

  /** The pending timers' ids, `timerKey(time, keyText)` (to keep them in a resident operator's progress entry). */
  ids(): string[] {
    return [...this.table.keys()];
  }

  /** Registers the timers {@link DomainTimers.ids} listed (a resident operator's restore). */
  load(ids: readonly string[]): void {
    for (const id of ids) this.table.set(id, 1);
    this.afterRestore();
  }

  /** Rebuilds the heap from the restored table. */
  afterRestore(): void {
    this.heap.clear();
    for (const id of this.table.keys()) {
      const { time, keyText } = parseTimerKey(id);
      this.heap.push(time, 0, { keyText, key: decodeKey(keyText) });
    }
  }
}

/** The event-time and processing-time timers of a keyed process function. */
export class ProcessTimers {
  readonly eventTime: DomainTimers;
  readonly processingTime: DomainTimers;

  constructor(service: KeyedStateService) {
    this.eventTime = new DomainTimers(service, EVENT_TIMER_PREFIX);
    this.processingTime = new DomainTimers(service, PROCESSING_TIMER_PREFIX);
  }

  /** Timers pending in both domains. */
  get size(): number {
    return this.eventTime.size + this.processingTime.size;
  }
}

/**
 * The event-time timers of a resident keyed process function: one store entry per pending (time,
 * key), `r1/e/<time>/<key>` (the truth, and the deduplication), and the (time, key) pairs in time
 * buckets on disk ({@link TimerBuckets}), read when the watermark reaches them. A bucket entry
 * whose timer is gone (deleted, or fired through another entry) is skipped, as the heap path
 * skips stale heap entries, so timers fire in the same order. `ctx.key` in `onTimer` is the
 * decoded key text, as after a restore of heap state.
 */
export class ResidentEventTimers implements Timers {
  readonly buckets: TimerBuckets;
  size = 0;
  private readonly timerIds = new TimerIds(RESIDENT_TIMER_PREFIX);

  constructor(private readonly store: ResidentState) {
    this.buckets = new TimerBuckets(store, `${RESIDENT_BUCKET_PREFIX}e/`, 'r1/q/e');
  }

  register(time: number, key: TimerKey): boolean {
    const id = this.timerIds.of(time, key.keyText);
    if (this.store.get(id) !== undefined) return false;
    this.store.put(id, 1);
    this.buckets.push(time, key.keyText);
    this.size++;
    return true;
  }

  delete(time: number, keyText: string): boolean {
    const id = this.timerIds.of(time, keyText);
    if (this.store.get(id) === undefined) return false;
    this.store.delete(id);
    this.size--;
    return true;
  }

  nextTime(): number {
    return this.buckets.peekTime();
  }

  takeAt(time: number): TimerKey[] {
    const due: TimerKey[] = [];
    const buckets = this.buckets;
    while (buckets.peekTime() === time) {
      const keyText = buckets.pop()!;
      const id = this.timerIds.of(time, keyText);
      if (this.store.get(id) === undefined) continue;
      this.store.delete(id);
      this.size--;
      due.push({ keyText, key: decodeKey(keyText) });
    }
    if (due.length > 1) due.sort(byKeyText);
    return due;
  }

  /** The latest pending time: reads every bucket (the end of the input). */
  latestTime(): number {
    this.buckets.advanceTo(Infinity);
    let latest = -Infinity;
    this.buckets.forEachRead((time, keyText) => {
      if (time > latest && this.store.get(this.timerIds.of(time, keyText)) !== undefined) latest = time;
    });
    return latest;
  }

  clear(): void {
    this.store.deletePrefix(RESIDENT_TIMER_PREFIX);
    this.store.deletePrefix(`${RESIDENT_BUCKET_PREFIX}e/`);
    this.buckets.clear();
    this.size = 0;
  }
}
