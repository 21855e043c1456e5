import { decodeKey } from '../core/key-encoding.js';
import type { MapTable } from '../core/keyed-state.js';
import type { KeyedStateService } from '../state/keyed-state-service.js';
import { TimerHeap } from '../state/timer-heap.js';
import { EVENT_TIMER_PREFIX, parseTimerKey, PROCESSING_TIMER_PREFIX, timerKey } from './process-state-layout.js';

/** A timer's key: its text (identity, state key, tie order) and the key itself (`ctx.key`). */
export interface TimerKey {
  readonly keyText: string;
  readonly key: unknown;
}

/**
 * One time domain's timers of a keyed process function: a table of (time, key) entries in the
 * keyed-state service (the checkpointed truth, and the deduplication: one entry per key and time)
 * and a {@link TimerHeap} in time order (derived, rebuilt on restore). A heap entry whose table
 * entry is gone (deleted, or fired through another heap entry) is stale and skipped.
 */
export class DomainTimers {
  private readonly table: MapTable<number>;
  private readonly heap = new TimerHeap<TimerKey>();
  /** The last time made into key text: records of one key often share a timer time (the next minute). */
  private lastTime = NaN;
  private lastTimeText = '';

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
    const id = this.idOf(time, key.keyText);
    if (this.table.has(id)) return false;
    this.table.set(id, 1);
    this.heap.push(time, 0, key);
    return true;
  }

  /** @returns whether a timer at `time` for `key` was pending (so an undo registers it again). */
  delete(time: number, keyText: string): boolean {
    const id = this.idOf(time, keyText);
    if (!this.table.has(id)) return false;
    this.table.delete(id);
    return true;
  }

  /** `timerKey(time, keyText)`, with the time's text reused from the previous call when equal. */
  private idOf(time: number, keyText: string): string {
    if (time !== this.lastTime) {
      this.lastTimeText = timerKey(time, '');
      this.lastTime = time;
    }
    return this.lastTimeText + keyText;
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
    if (due.length > 1) due.sort((a, b) => (a.keyText < b.keyText ? -1 : a.keyText > b.keyText ? 1 : 0));
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
