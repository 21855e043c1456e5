import { decodeKey, encodeKey, keyIdentity } from '../core/key-encoding.js';
import type { EntryTable } from '../core/keyed-state.js';
import type { ResidentState } from '../core/resident-state.js';
import type { KeyedStateQuery } from '../core/state-query.js';
import type { Timer } from '../state/timer-heap.js';
import type { KeyedStateService } from '../state/keyed-state-service.js';
import { RESIDENT_WINDOW_PREFIX, type ResidentWindowLayout } from './resident-window-layout.js';
import { ResidentTimers, timerBucketWidth, type ResidentTimersMeta } from './resident-window-timers.js';
import { SlidingWindows, type SlideKey, type TimeEntry } from './sliding-windows.js';
import type { WindowAggregator } from './window-aggregator.js';
import type { WindowContext } from './window-layout.js';
import { restorePanes, storeWindow, type StoredWindow } from './window-state-layout.js';
import { newWindowState, type WindowState } from './window-state.js';
import { openWindows } from './window-state-query.js';
import { EXPIRE, ON_TIME, PRUNE } from './window-timers.js';

/** Prefix of a sliding key's entry: `wr1/l/<keyText>`. */
const SLIDES = `${RESIDENT_WINDOW_PREFIX}l/`;

/**
 * One sliding key as stored: its distinct record times ascending, with the accumulator and the
 * number of records of each (three parallel arrays), and its live windows.
 */
interface StoredSlideKey {
  t: number[];
  a: unknown[];
  n: number[];
  w: StoredSlide[];
}

/** One live window of a sliding key as stored: its start (its end is `start + size`) next to a window's stored state. */
interface StoredSlide extends StoredWindow {
  s: number;
}

/** One key while a batch or watermark works on it. */
interface LoadedKey extends SlideKey {
  readonly keyText: string;
  /** Its entry is in the store (written by a checkpoint or by an earlier write-back). */
  onDisk: boolean;
  dirty: boolean;
}

/** What the resident sliding layout keeps in the operator's progress entry. */
export interface ResidentSlidingMeta extends ResidentTimersMeta {
  live: number;
}

/** Keys held in memory at most between two write-backs while a watermark runs timers. */
const WORKING_SET = 4096;

/**
 * Sliding windows whose state lives in the backend's store ({@link ResidentState}), for jobs with
 * more keys than the heap holds. Which windows exist, what a record joins, the triggers and the
 * panes are those of {@link SlidingWindows}; what differs is where a key's state and the timers
 * live:
 *
 * - a key's record times (accumulator and count per time) and its live windows are one entry,
 *   `wr1/l/<keyText>`. A batch loads each key it meets once and writes back what changed when it
 *   ends (deleting the entry when the key has neither times nor windows left);
 * - timers name a window by key text and start, and a prune by key text, on disk in time buckets
 *   ({@link ResidentTimers}); a window timer whose window expired finds no window with its start,
 *   and a prune timer whose time is not the key's `pruneAt` was superseded: both are skipped.
 *
 * Timers register and run in the same order as with the heap layout, so results, their ids and
 * their order are the same.
 * @example new ResidentSlidingWindows(context, 10 * 60_000, store)
 */
export class ResidentSlidingWindows extends SlidingWindows implements ResidentWindowLayout {
  /** Each timer is one window's or one key's prune: a step ends after a whole timer. */
  readonly stepsEndBetweenTimers = true;
  private readonly timers: ResidentTimers;
  private readonly working = new Map<string, LoadedKey>();
  /** The key text of the record being added (set by slideKeyOf). */
  private keyText = '';

  constructor(
    c: WindowContext,
    size: number,
    private readonly store: ResidentState,
  ) {
    super(c, size);
    this.timers = new ResidentTimers(store, RESIDENT_WINDOW_PREFIX, timerBucketWidth(size));
    const touchWindow = (ws: WindowState): void => {
      this.working.get(ws.keyText!)!.dirty = true;
    };
    const windows: EntryTable<WindowState> = { tracking: true, changed: touchWindow, removed: touchWindow, moved: touchWindow };
    this.windows = windows;
    const touchTime = (e: TimeEntry): void => {
      (e.home as LoadedKey).dirty = true;
    };
    const timestamps: EntryTable<TimeEntry> = { tracking: true, changed: touchTime, removed: touchTime, moved: touchTime };
    this.timestamps = timestamps;
  }

  override registerState(_state: KeyedStateService): void {
    throw new Error('resident sliding windows keep their state in the store, not in the keyed-state service');
  }

  protected override slideKeyOf(key: unknown, kid: unknown): SlideKey | undefined {
    const keyText = (this.keyText = encodeKey(key));
    // A key forgotten earlier in the batch stays in the working set, empty: the same as a new key.
    const loaded = this.working.get(keyText);
    if (loaded !== undefined) return loaded;
    const stored = this.store.get(SLIDES + keyText) as StoredSlideKey | undefined;
    return stored === undefined ? undefined : this.load(key, kid, keyText, stored);
  }

  protected override newSlideKey(key: unknown, kid: unknown): SlideKey {
    return this.load(key, kid, this.keyText, undefined);
  }

  protected override forget(): void {
    // What emptied the key marked it changed: its write-back deletes its entry.
  }

  protected override schedule(ws: WindowState): void {
    const c = this.c;
    // As WindowTimers.window registers them, in the same order.
    if (c.trigger.firesOnWatermark && c.watermark < ws.end - 1) this.timers.push(ws.end - 1, ON_TIME, ws.keyText!, ws.start);
    this.timers.push(ws.end - 1 + c.lateness, EXPIRE, ws.keyText!, ws.start);
  }

  protected override schedulePrune(sk: SlideKey): void {
    this.timers.push(sk.pruneAt, PRUNE, (sk as LoadedKey).keyText, 0);
  }

  override runTimer(_timer: Timer<object>): void {
    throw new Error('resident sliding windows run their own timers (runDue)');
  }

  override *runDue(watermark: number, step: number): Generator<void, void, undefined> {
    const panes = this.c.panes;
    for (let timer = this.timers.nextDue(watermark); timer !== undefined; timer = this.timers.nextDue(watermark)) {
      const [time, kind, keyText, start] = timer;
      let sk = this.working.get(keyText);
      if (sk === undefined) {
        const stored = this.store.get(SLIDES + keyText) as StoredSlideKey | undefined;
        // The key has neither times nor windows left: the timer is stale.
        if (stored === undefined) continue;
        if (this.working.size >= WORKING_SET) this.settle();
        const key = decodeKey(keyText);
        sk = this.load(key, keyIdentity(key), keyText, stored);
      }
      if (kind === PRUNE) {
        this.prune(sk, time);
        continue;
      }
      const ws = sk.wins.get(start);
      if (ws === undefined) continue;
      this.windowTimer(kind, ws);
      if (kind !== ON_TIME) this.expired(sk, ws);
      if (panes.size >= step) yield;
    }
  }

  /** Writes back the keys the last batch or watermark changed and forgets them. */
  override settle(): void {
    for (const sk of this.working.values()) {
      if (!sk.dirty) continue;
      const key = SLIDES + sk.keyText;
      if (sk.times.length > 0 || sk.wins.size > 0) {
        this.store.put(key, storeSlideKey(sk));
        sk.onDisk = true;
      } else if (sk.onDisk) {
        this.store.delete(key);
      }
    }
    this.working.clear();
    this.timers.flush();
  }

  override forEachWindow(): void {
    throw new Error('resident sliding windows are read per key from the store');
  }

  override forEachWindowOf(): void {
    throw new Error('resident sliding windows are read per key from the store');
  }

  override clear(): void {
    // The end of input ran every expiry and prune timer: no key is left.
    this.settle();
  }

  /** Writes the in-memory timers to the store; returns the layout's part of the progress entry. */
  save(): ResidentSlidingMeta {
    return { live: this.c.live, ...this.timers.save() };
  }

  /** Restores the layout from its part of the progress entry (see {@link ResidentSlidingWindows.save}). */
  restore(meta: ResidentSlidingMeta): void {
    this.c.live = meta.live;
    this.timers.restore(meta);
  }

  /** Queryable state: a key's live windows read from the store; the keys that have one, listed from it. */
  query(agg: WindowAggregator): KeyedStateQuery {
    const windowsOf = (keyText: string, key: unknown): WindowState[] => {
      const stored = this.store.get(SLIDES + keyText) as StoredSlideKey | undefined;
      if (stored === undefined) return [];
      return [...this.load(key, keyIdentity(key), keyText, stored, false).wins.values()];
    };
    const store = this.store;
    return {
      get: (key) => openWindows(windowsOf(encodeKey(key), key), agg),
      keys: async function* () {
        // A key whose windows all expired keeps its times until they are pruned: it has no open window.
        for await (const stateKey of store.keys(SLIDES)) {
          const stored = store.get(stateKey) as StoredSlideKey | undefined;
          if (stored !== undefined && stored.w.length > 0) yield decodeKey(stateKey.slice(SLIDES.length));
        }
      },
    };
  }

  /** Makes a key from its stored form (a working-set entry unless `work` is false). */
  private load(key: unknown, kid: unknown, keyText: string, stored: StoredSlideKey | undefined, work = true): LoadedKey {
    const sk: LoadedKey = {
      key,
      kid,
      keyText,
      times: [],
      byTime: new Map(),
      wins: new Map(),
      pruneAt: NaN,
      onDisk: stored !== undefined,
      dirty: false,
    };
    if (stored !== undefined) {
      const { t, a, n } = stored;
      for (let j = 0; j < t.length; j++) {
        sk.times.push(t[j]);
        sk.byTime.set(t[j], { home: sk, time: t[j], acc: a[j], n: n[j], mark: 0, persisted: false, stateKey: undefined });
      }
      // Derived, as the heap layout keeps it: the prune due for the oldest time.
      if (t.length > 0) sk.pruneAt = t[0] + this.size + this.c.lateness;
      for (const r of stored.w) {
        const end = r.s + this.size;
        const ws = newWindowState(key, kid, r.s, end, r.a, r.p);
        restorePanes(ws, { key, keyText, start: r.s, end, stored: r });
        sk.wins.set(r.s, ws);
      }
    }
    if (work) this.working.set(keyText, sk);
    return sk;
  }
}

function storeSlideKey(sk: LoadedKey): StoredSlideKey {
  const n = sk.times.length;
  const stored: StoredSlideKey = { t: sk.times.slice(), a: new Array<unknown>(n), n: new Array<number>(n), w: [] };
  for (let j = 0; j < n; j++) {
    const e = sk.byTime.get(sk.times[j])!;
    stored.a[j] = e.acc;
    stored.n[j] = e.n;
  }
  for (const ws of sk.wins.values()) {
    const slide = storeWindow(ws) as StoredSlide;
    slide.s = ws.start;
    stored.w.push(slide);
  }
  return stored;
}
