import { decodeKey, encodeKey, keyIdentity } from '../core/key-encoding.js';
import type { EntryTable } from '../core/keyed-state.js';
import type { ResidentState } from '../core/resident-state.js';
import type { KeyedStateQuery } from '../core/state-query.js';
import type { Timer } from '../state/timer-heap.js';
import type { KeyedStateService } from '../state/keyed-state-service.js';
import { RESIDENT_WINDOW_PREFIX, type ResidentWindowLayout } from './resident-window-layout.js';
import { ResidentTimers, timerBucketWidth, type ResidentTimersMeta } from './resident-window-timers.js';
import { SessionWindows } from './session-windows.js';
import type { WindowAggregator } from './window-aggregator.js';
import type { WindowContext } from './window-layout.js';
import { restorePanes, storeWindow, type StoredWindow } from './window-state-layout.js';
import { newWindowState, type WindowState } from './window-state.js';
import { openWindows } from './window-state-query.js';
import { EXPIRE, ON_TIME } from './window-timers.js';

/** Prefix of a key's sessions: `wr1/s/<keyText>`. */
const SESSIONS = `${RESIDENT_WINDOW_PREFIX}s/`;

/** One session as stored among its key's: its bounds and id next to a window's stored state. */
interface StoredSession extends StoredWindow {
  s: number;
  e: number;
  /** The session's id, which its timers name (a session extended in place keeps it). */
  id: number;
}

/** A session loaded from the store, with the id its timers refer to it by. */
interface ResidentSession extends WindowState {
  sid: number;
}

/** One key's sessions while a batch or watermark works on them. */
interface LoadedKey {
  readonly key: unknown;
  readonly kid: unknown;
  readonly keyText: string;
  readonly sessions: ResidentSession[];
  dirty: boolean;
}

/** What the resident session layout keeps in the operator's progress entry. */
export interface ResidentSessionsMeta extends ResidentTimersMeta {
  live: number;
  sid: number;
}

/** Keys held in memory at most between two write-backs while a watermark runs timers. */
const WORKING_SET = 4096;

/**
 * Session windows whose state lives in the backend's store ({@link ResidentState}), for jobs with
 * more keys than the heap holds. The merging, triggers and panes are those of
 * {@link SessionWindows}; what differs is where a key's sessions and the timers live:
 *
 * - a key's sessions are one entry, `wr1/s/<keyText>` → an array of stored sessions sorted by
 *   start. A batch loads each key it meets once, and writes back what changed when it ends
 *   (deleting the entry when no session is left);
 * - timers name a session by key text and id, on disk in time buckets ({@link ResidentTimers}); a
 *   timer whose session merged away or expired finds no session with its id and is skipped.
 *
 * Timers register and run in the same order as with the heap layout, so results, their ids and
 * their order are the same.
 * @example new ResidentSessionWindows(context, 30 * 60_000, store)
 */
export class ResidentSessionWindows extends SessionWindows implements ResidentWindowLayout {
  /** Each timer is one session's: a step ends after a whole timer. */
  readonly stepsEndBetweenTimers = true;
  private readonly timers: ResidentTimers;
  private readonly working = new Map<string, LoadedKey>();
  /** The key the record being added belongs to. */
  private current: LoadedKey | undefined;
  private nextSid = 0;

  constructor(
    c: WindowContext,
    gap: number,
    private readonly store: ResidentState,
  ) {
    super(c, gap);
    this.timers = new ResidentTimers(store, RESIDENT_WINDOW_PREFIX, timerBucketWidth(gap));
    const touch = (ws: WindowState): void => {
      this.working.get(ws.keyText!)!.dirty = true;
    };
    const table: EntryTable<WindowState> = { tracking: true, changed: touch, removed: touch, moved: touch };
    this.windows = table;
  }

  override registerState(_state: KeyedStateService): void {
    throw new Error('resident session windows keep their state in the store, not in the keyed-state service');
  }

  protected override sessionsOf(key: unknown, kid: unknown): WindowState[] | undefined {
    const keyText = encodeKey(key);
    const loaded =
      this.working.get(keyText) ?? this.load(key, kid, keyText, this.store.get(SESSIONS + keyText) as StoredSession[] | undefined);
    this.current = loaded;
    return loaded.sessions.length > 0 ? loaded.sessions : undefined;
  }

  protected override newSessions(): WindowState[] {
    return this.current!.sessions;
  }

  protected override newState(key: unknown, kid: unknown, start: number, end: number, acc: unknown, pending: number): WindowState {
    const ws = super.newState(key, kid, start, end, acc, pending) as ResidentSession;
    ws.keyText = this.current!.keyText;
    ws.sid = this.nextSid++;
    return ws;
  }

  protected override schedule(ws: WindowState): void {
    const c = this.c;
    const { keyText, sid } = ws as ResidentSession;
    // As WindowTimers.window registers them, in the same order.
    if (c.trigger.firesOnWatermark && c.watermark < ws.end - 1) this.timers.push(ws.end - 1, ON_TIME, keyText!, sid);
    this.timers.push(ws.end + c.lateness, EXPIRE, keyText!, sid);
  }

  protected override again(time: number, kind: number, ws: WindowState): void {
    this.timers.push(time, kind, ws.keyText!, (ws as ResidentSession).sid);
  }

  protected override expired(ws: WindowState): void {
    const loaded = this.working.get(ws.keyText!)!;
    loaded.sessions.splice(loaded.sessions.indexOf(ws as ResidentSession), 1);
    loaded.dirty = true;
  }

  override runTimer(_timer: Timer<object>): void {
    throw new Error('resident session windows run their own timers (runDue)');
  }

  override *runDue(watermark: number, step: number): Generator<void, void, undefined> {
    const panes = this.c.panes;
    for (let timer = this.timers.nextDue(watermark); timer !== undefined; timer = this.timers.nextDue(watermark)) {
      const [time, kind, keyText, sid] = timer;
      let loaded = this.working.get(keyText);
      if (loaded === undefined) {
        const stored = this.store.get(SESSIONS + keyText) as StoredSession[] | undefined;
        // Every session of the key is gone: the timer is stale.
        if (stored === undefined) continue;
        if (this.working.size >= WORKING_SET) this.settle();
        const key = decodeKey(keyText);
        loaded = this.load(key, keyIdentity(key), keyText, stored);
      }
      const ws = loaded.sessions.find((s) => s.sid === sid);
      if (ws !== undefined) this.sessionTimer(time, kind, ws);
      if (panes.size >= step) yield;
    }
  }

  /** Writes back the keys the last batch or watermark changed and forgets them. */
  override settle(): void {
    for (const loaded of this.working.values()) {
      if (!loaded.dirty) continue;
      const key = SESSIONS + loaded.keyText;
      if (loaded.sessions.length === 0) this.store.delete(key);
      else this.store.put(key, loaded.sessions.map(storeSession));
    }
    this.working.clear();
    this.current = undefined;
    this.timers.flush();
  }

  override forEachWindow(): void {
    throw new Error('resident session windows are read per key from the store');
  }

  override forEachWindowOf(): void {
    throw new Error('resident session windows are read per key from the store');
  }

  override clear(): void {
    // The end of input ran every expiry timer: no session is left.
    this.settle();
  }

  /** Writes the in-memory timers to the store; returns the layout's part of the progress entry. */
  save(): ResidentSessionsMeta {
    return { live: this.c.live, sid: this.nextSid, ...this.timers.save() };
  }

  /** Restores the layout from its part of the progress entry (see {@link ResidentSessionWindows.save}). */
  restore(meta: ResidentSessionsMeta): void {
    this.c.live = meta.live;
    this.nextSid = meta.sid;
    this.timers.restore(meta);
  }

  /** Queryable state: a key's open sessions read from the store, keys listed from it. */
  query(agg: WindowAggregator): KeyedStateQuery {
    return {
      get: (key) => {
        const keyText = encodeKey(key);
        const stored = this.store.get(SESSIONS + keyText) as StoredSession[] | undefined;
        if (stored === undefined) return undefined;
        return openWindows(this.load(key, keyIdentity(key), keyText, stored, false).sessions, agg);
      },
      keys: () => keysUnder(this.store, SESSIONS),
    };
  }

  /** Makes a key's sessions from their stored form (a working-set entry unless `work` is false). */
  private load(key: unknown, kid: unknown, keyText: string, stored: StoredSession[] | undefined, work = true): LoadedKey {
    const sessions: ResidentSession[] = [];
    if (stored !== undefined) {
      for (const r of stored) {
        const ws = newWindowState(key, kid, r.s, r.e, r.a, r.p) as ResidentSession;
        restorePanes(ws, { key, keyText, start: r.s, end: r.e, stored: r });
        ws.sid = r.id;
        sessions.push(ws);
      }
    }
    const loaded: LoadedKey = { key, kid, keyText, sessions, dirty: false };
    if (work) this.working.set(keyText, loaded);
    return loaded;
  }
}

function storeSession(ws: ResidentSession): StoredSession {
  const stored = storeWindow(ws) as StoredSession;
  stored.s = ws.start;
  stored.e = ws.end;
  stored.id = ws.sid;
  return stored;
}

async function* keysUnder(store: ResidentState, prefix: string): AsyncIterable<unknown> {
  for await (const key of store.keys(prefix)) yield decodeKey(key.slice(prefix.length));
}
