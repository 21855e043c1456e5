import { encodeKey, keyIdentity } from '../core/key-encoding.js';
import type { EntryTable, TrackedEntry } from '../core/keyed-state.js';
import type { Timer } from '../state/timer-heap.js';
import type { KeyedStateService } from '../state/keyed-state-service.js';
import { lowerBound, windowStartsHolding } from './sliding-window-starts.js';
import { WindowLayout, type WindowContext } from './window-layout.js';
import type { WindowState } from './window-state.js';
import {
  decodeSliding,
  decodeTimestamp,
  legacyW1Layout,
  restorePanes,
  SLIDING_PREFIX,
  slidingKeyOf,
  slidingStateKey,
  storeWindow,
  TIMESTAMP_PREFIX,
  timestampStateKey,
  type RestoredTimestamp,
  type RestoredWindow,
  type StoredTimestamp,
} from './window-state-layout.js';
import { ON_TIME, PRUNE } from './window-timers.js';

/** One sliding-window key: its records grouped by timestamp, and its live windows by start. */
export interface SlideKey {
  readonly key: unknown;
  readonly kid: unknown;
  keyText: string | undefined;
  /** Distinct record times, ascending. */
  readonly times: number[];
  readonly byTime: Map<number, TimeEntry>;
  readonly wins: Map<number, WindowState>;
  /** When the next prune timer is due (NaN: none); `times[0] + size + allowedLateness` while there are times. */
  pruneAt: number;
}

/** The records of one key at one timestamp: an accumulator of them and their count. */
export interface TimeEntry extends TrackedEntry {
  readonly home: SlideKey;
  readonly time: number;
  acc: unknown;
  n: number;
}

/**
 * The sliding layout (Kafka Streams' `SlidingWindows`): which windows exist depends on the other
 * records of the key, so the layout keeps, per key, one accumulator per distinct record time until
 * no window can still use it (`W >= t + size + allowedLateness`), builds a new window from those
 * when a record creates it, and adds each record to every live window that holds it
 * ({@link windowStartsHolding}). A late record goes to the late output only for the windows
 * holding it that expired; it still joins the live ones, and may create windows of its own.
 * @example new SlidingWindows(context, 10 * 60_000)
 */
export class SlidingWindows extends WindowLayout {
  private readonly byKey = new Map<unknown, SlideKey>();
  /** The table of the keys' timestamps (registered by {@link SlidingWindows.registerState}). */
  protected timestamps!: EntryTable<TimeEntry>;
  /** Reused per record for the starts of its windows. */
  private readonly starts: number[] = [];
  /** Starts of the current record's windows that expired (the first `lateCount`): its late records, sent after its adds. */
  private readonly lateStarts: number[] = [];
  private lateCount = 0;

  constructor(
    c: WindowContext,
    protected readonly size: number,
  ) {
    super(c);
  }

  registerState(state: KeyedStateService): void {
    // Timestamps first: a restored window is rebuilt next to its key's records.
    this.timestamps = state.entries<TimeEntry, RestoredTimestamp>({
      prefix: TIMESTAMP_PREFIX,
      keyOf: (e) => timestampStateKey(e.time, slideKeyText(e.home)),
      valueOf: (e): StoredTimestamp => ({ a: e.acc, n: e.n }),
      forEach: (visit) => {
        for (const sk of this.byKey.values()) for (const e of sk.byTime.values()) visit(e);
      },
      decode: decodeTimestamp,
      restore: (r) => this.restoreTimestamp(r),
    });
    this.windows = state.entries<WindowState, RestoredWindow>({
      prefix: SLIDING_PREFIX,
      keyOf: slidingKeyOf,
      valueOf: storeWindow,
      forEach: (visit) => this.forEachWindow(visit),
      decode: (key, value) => decodeSliding(key, value, this.size),
      restore: (r) => this.restoreWindow(r),
    });
    state.legacy(legacyW1Layout((start, _end, keyText) => slidingStateKey(start, keyText)));
  }

  add(key: unknown, kid: unknown, t: number, value: unknown): void {
    const c = this.c;
    const size = this.size;
    let sk = this.slideKeyOf(key, kid);
    const entry = sk?.byTime.get(t);
    // A new time's accumulator is made first: a record the aggregator rejects creates no window.
    const own = entry === undefined ? c.agg.add(c.agg.create(), value) : undefined;
    sk ??= this.newSlideKey(key, kid);
    const times = sk.times;
    const starts = this.starts;
    const idx = windowStartsHolding(times, t, size, starts);
    this.lateCount = 0;
    for (let j = 0; j < starts.length; j++) {
      const s = starts[j];
      let ws = sk.wins.get(s);
      if (ws === undefined) {
        if (c.watermark >= s + size - 1 + c.lateness) {
          this.lateStarts[this.lateCount++] = s;
          continue;
        }
        ws = this.newWindow(sk, s);
      }
      ws.acc = c.agg.add(ws.acc, value);
      this.added(ws, 1);
    }
    if (entry !== undefined) {
      entry.acc = c.agg.add(entry.acc, value);
      entry.n++;
      this.timestamps.changed(entry);
    } else {
      // t's own right window exists once a later record lies within size of it.
      const s = t + 1;
      if (idx < times.length && times[idx] <= t + size && !sk.wins.has(s) && c.watermark < s + size - 1 + c.lateness) {
        this.added(this.newWindow(sk, s), 0);
      }
      if (c.watermark >= t + size + c.lateness) {
        // Every window t could ever belong to has expired: nothing left to remember.
        if (times.length === 0 && sk.wins.size === 0) this.forget(sk);
      } else {
        const e: TimeEntry = { home: sk, time: t, acc: own, n: 1, mark: 0, persisted: false, stateKey: undefined };
        sk.byTime.set(t, e);
        times.splice(idx, 0, t);
        this.timestamps.changed(e);
        const pruneAt = t + size + c.lateness;
        if (!(sk.pruneAt <= pruneAt)) {
          sk.pruneAt = pruneAt;
          this.schedulePrune(sk);
        }
      }
    }
    for (let j = 0; j < this.lateCount; j++) c.panes.late(value, this.lateStarts[j], this.lateStarts[j] + size, c.watermark);
  }

  /** Creates the sliding window starting at `s` from the records already stored for its key. */
  private newWindow(sk: SlideKey, s: number): WindowState {
    const c = this.c;
    const end = s + this.size;
    const times = sk.times;
    let acc = c.agg.create();
    let pending = 0;
    for (let j = lowerBound(times, s); j < times.length && times[j] < end; j++) {
      const e = sk.byTime.get(times[j])!;
      acc = c.agg.merge(acc, e.acc);
      pending += e.n;
    }
    const ws = this.newState(sk.key, sk.kid, s, end, acc, pending);
    ws.keyText = slideKeyText(sk);
    sk.wins.set(s, ws);
    this.schedule(ws);
    return ws;
  }

  /** The key whose identity is `kid`, `undefined` when it has neither records nor windows. */
  protected slideKeyOf(_key: unknown, kid: unknown): SlideKey | undefined {
    return this.byKey.get(kid);
  }

  /** A key that had neither records nor windows. */
  protected newSlideKey(key: unknown, kid: unknown): SlideKey {
    const sk: SlideKey = { key, kid, keyText: undefined, times: [], byTime: new Map(), wins: new Map(), pruneAt: NaN };
    this.byKey.set(kid, sk);
    return sk;
  }

  /** The key has neither records nor windows left. */
  protected forget(sk: SlideKey): void {
    this.byKey.delete(sk.kid);
  }

  /** Registers the timers of a new window: its on-time pane and its expiry. */
  protected schedule(ws: WindowState): void {
    this.c.timers.window(ws.end - 1, ws.end - 1 + this.c.lateness, ws, this.c.watermark);
  }

  /** Registers the prune of a key's timestamps at its `pruneAt`. */
  protected schedulePrune(sk: SlideKey): void {
    this.c.timers.prune(sk.pruneAt, sk);
  }

  runTimer(timer: Timer<object>): void {
    if (timer.kind === PRUNE) {
      this.prune(timer.ref as SlideKey, timer.time);
      return;
    }
    const ws = timer.ref as WindowState;
    if (!ws.alive) return;
    this.windowTimer(timer.kind, ws);
    if (timer.kind !== ON_TIME) this.expired(this.byKey.get(ws.kid)!, ws);
  }

  /** Removes an expired window from its key, and the key when nothing is left of it. */
  protected expired(sk: SlideKey, ws: WindowState): void {
    sk.wins.delete(ws.start);
    if (sk.wins.size === 0 && sk.times.length === 0) this.forget(sk);
  }

  /** Forgets a key's timestamps that no live or future window can hold any more (a prune timer set for `time`). */
  protected prune(sk: SlideKey, time: number): void {
    if (sk.pruneAt !== time) return;
    const c = this.c;
    const times = sk.times;
    const limit = c.watermark - this.size - c.lateness;
    let j = 0;
    while (j < times.length && times[j] <= limit) {
      const e = sk.byTime.get(times[j])!;
      sk.byTime.delete(times[j]);
      this.timestamps.removed(e);
      j++;
    }
    times.splice(0, j);
    if (times.length > 0) {
      sk.pruneAt = times[0] + this.size + c.lateness;
      this.schedulePrune(sk);
    } else {
      sk.pruneAt = NaN;
      if (sk.wins.size === 0) this.forget(sk);
    }
  }

  forEachWindow(visit: (ws: WindowState) => void): void {
    for (const sk of this.byKey.values()) for (const ws of sk.wins.values()) visit(ws);
  }

  forEachWindowOf(kid: unknown, visit: (ws: WindowState) => void): void {
    const sk = this.byKey.get(kid);
    if (sk !== undefined) for (const ws of sk.wins.values()) visit(ws);
  }

  private slideKey(key: unknown, keyText: string): SlideKey {
    const kid = keyIdentity(key);
    let sk = this.byKey.get(kid);
    if (sk === undefined) {
      sk = { key, kid, keyText, times: [], byTime: new Map(), wins: new Map(), pruneAt: NaN };
      this.byKey.set(kid, sk);
    }
    return sk;
  }

  private restoreTimestamp(r: RestoredTimestamp): TimeEntry {
    const sk = this.slideKey(r.key, r.keyText);
    const e: TimeEntry = { home: sk, time: r.time, acc: r.stored.a, n: r.stored.n, mark: 0, persisted: false, stateKey: undefined };
    sk.byTime.set(r.time, e);
    sk.times.push(r.time);
    return e;
  }

  private restoreWindow(r: RestoredWindow): WindowState {
    const sk = this.slideKey(r.key, r.keyText);
    const ws = this.newState(sk.key, sk.kid, r.start, r.end, r.stored.a, r.stored.p);
    restorePanes(ws, r);
    sk.wins.set(ws.start, ws);
    this.schedule(ws);
    return ws;
  }

  override afterRestore(): void {
    for (const sk of this.byKey.values()) {
      sk.times.sort((x, y) => x - y);
      if (sk.times.length > 0) {
        sk.pruneAt = sk.times[0] + this.size + this.c.lateness;
        this.c.timers.prune(sk.pruneAt, sk);
      }
    }
  }

  clear(): void {
    this.byKey.clear();
  }
}

function slideKeyText(sk: SlideKey): string {
  return sk.keyText ?? (sk.keyText = encodeKey(sk.key));
}
