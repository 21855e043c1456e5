import { keyIdentity } from '../core/key-encoding.js';
import type { Timer } from '../state/timer-heap.js';
import type { KeyedStateService } from '../state/keyed-state-service.js';
import { SessionMerge, SessionMerging } from './session-merging.js';
import { WindowLayout, type WindowContext } from './window-layout.js';
import type { WindowState } from './window-state.js';
import {
  decodeSession,
  legacyW1Layout,
  restorePanes,
  SESSION_PREFIX,
  sessionKeyOf,
  sessionStateKey,
  storeWindow,
  type RestoredWindow,
} from './window-state-layout.js';
import { ON_TIME } from './window-timers.js';

/**
 * The session layout: per key, its sessions sorted by start (no two overlap or touch: they would
 * have merged). A record opens `[t, t + gap)`, which {@link SessionMerging} places among the key's
 * sessions: it joins one, grows one in place, merges several into a new window, or opens its own.
 *
 * A session stays mergeable one millisecond longer than it stays open: a record at exactly its
 * `end` touches it and is still on time while `W = end - 1`, the moment it fires. So its state
 * expires at `W >= end + allowedLateness`.
 * @example new SessionWindows(context, 30 * 60_000)
 */
export class SessionWindows extends WindowLayout {
  private readonly byKey = new Map<unknown, WindowState[]>();
  private readonly merging = new SessionMerging();

  constructor(
    c: WindowContext,
    protected readonly gap: number,
  ) {
    super(c);
  }

  registerState(state: KeyedStateService): void {
    this.windows = state.entries<WindowState, RestoredWindow>({
      prefix: SESSION_PREFIX,
      keyOf: sessionKeyOf,
      valueOf: storeWindow,
      forEach: (visit) => this.forEachWindow(visit),
      decode: decodeSession,
      restore: (r) => this.restoreWindow(r),
    });
    state.legacy(legacyW1Layout(sessionStateKey));
  }

  add(key: unknown, kid: unknown, t: number, value: unknown): void {
    const c = this.c;
    const lo = t;
    const hi = t + this.gap;
    let sessions = this.sessionsOf(key, kid);
    const merging = this.merging;
    switch (merging.locate(sessions, lo, hi, c.watermark)) {
      case SessionMerge.CONTAINED: {
        const only = sessions![merging.first];
        only.acc = c.agg.add(only.acc, value);
        this.added(only, 1);
        return;
      }
      case SessionMerge.EXTEND: {
        // Same state object, new bounds and state key; its timers catch up lazily (runTimer).
        const only = sessions![merging.first];
        only.acc = c.agg.add(only.acc, value);
        this.windows.moved(only);
        only.start = Math.min(lo, only.start);
        only.end = Math.max(hi, only.end);
        only.window = undefined;
        this.added(only, 1);
        return;
      }
      case SessionMerge.MERGE:
        this.merge(sessions!, key, kid, lo, hi, value);
        return;
      default:
        break;
    }
    if (c.watermark >= hi - 1 + c.lateness) {
      c.panes.late(value, lo, hi, c.watermark);
      return;
    }
    const acc = c.agg.add(c.agg.create(), value);
    sessions ??= this.newSessions(key, kid);
    const ws = this.newState(key, kid, lo, hi, acc, 0);
    sessions.splice(merging.at, 0, ws);
    this.schedule(ws);
    this.added(ws, 1);
  }

  /**
   * The record joins, and may bridge, existing sessions: their union with its window is a new
   * window. Live sessions are not expired, so neither is their union. The record is added to a
   * fresh accumulator first, so that a record the aggregator rejects merges nothing.
   */
  private merge(sessions: WindowState[], key: unknown, kid: unknown, lo: number, hi: number, value: unknown): void {
    const c = this.c;
    const { first, last } = this.merging;
    const own = c.agg.add(c.agg.create(), value);
    const only = sessions[first];
    let acc = only.acc;
    let pending = only.pending;
    this.retire(only);
    for (let j = first + 1; j <= last; j++) {
      acc = c.agg.merge(acc, sessions[j].acc);
      pending += sessions[j].pending;
      this.retire(sessions[j]);
    }
    acc = c.agg.merge(acc, own);
    const ws = this.newState(key, kid, Math.min(lo, only.start), Math.max(hi, sessions[last].end), acc, pending);
    sessions.splice(first, last - first + 1, ws);
    this.schedule(ws);
    this.added(ws, 1);
  }

  /** A session merged into a larger one: retract its last pane (retracting mode) and drop its state. */
  private retire(ws: WindowState): void {
    if (this.c.mode === 'retracting' && ws.hasLast) this.c.panes.retraction(ws);
    this.drop(ws);
  }

  /** The sessions of a key, sorted by start; `undefined` when it has none. */
  protected sessionsOf(_key: unknown, kid: unknown): WindowState[] | undefined {
    return this.byKey.get(kid);
  }

  /** The (empty) session list of a key that had none. */
  protected newSessions(_key: unknown, kid: unknown): WindowState[] {
    const sessions: WindowState[] = [];
    this.byKey.set(kid, sessions);
    return sessions;
  }

  /** Registers the timers of a new session: its on-time pane and its expiry. */
  protected schedule(ws: WindowState): void {
    this.c.timers.window(ws.end - 1, ws.end + this.c.lateness, ws, this.c.watermark);
  }

  /** Registers a timer of `ws` again at `time` (its bounds moved). */
  protected again(time: number, kind: number, ws: WindowState): void {
    this.c.timers.again(time, kind, ws);
  }

  /** Removes an expired session from its key's list. */
  protected expired(ws: WindowState): void {
    const sessions = this.byKey.get(ws.kid)!;
    sessions.splice(sessions.indexOf(ws), 1);
    if (sessions.length === 0) this.byKey.delete(ws.kid);
  }

  runTimer(timer: Timer<object>): void {
    const ws = timer.ref as WindowState;
    if (ws.alive) this.sessionTimer(timer.time, timer.kind, ws);
  }

  /** Runs a timer of kind `kind` set for `time` on the live session `ws`. */
  protected sessionTimer(time: number, kind: number, ws: WindowState): void {
    const c = this.c;
    // A session extended in place keeps its older timers: move them to its current bounds.
    const due = kind === ON_TIME ? ws.end - 1 : ws.end + c.lateness;
    if (due > time && due > c.watermark) {
      this.again(due, kind, ws);
      return;
    }
    this.windowTimer(kind, ws);
    if (kind !== ON_TIME) this.expired(ws);
  }

  forEachWindow(visit: (ws: WindowState) => void): void {
    for (const sessions of this.byKey.values()) for (const ws of sessions) visit(ws);
  }

  forEachWindowOf(kid: unknown, visit: (ws: WindowState) => void): void {
    for (const ws of this.byKey.get(kid) ?? []) visit(ws);
  }

  private restoreWindow(r: RestoredWindow): WindowState {
    const kid = keyIdentity(r.key);
    const ws = this.newState(r.key, kid, r.start, r.end, r.stored.a, r.stored.p);
    restorePanes(ws, r);
    let sessions = this.byKey.get(kid);
    if (sessions === undefined) {
      sessions = [];
      this.byKey.set(kid, sessions);
    }
    sessions.push(ws);
    this.schedule(ws);
    return ws;
  }

  override afterRestore(): void {
    for (const sessions of this.byKey.values()) sessions.sort((x, y) => x.start - y.start);
  }

  clear(): void {
    this.byKey.clear();
  }
}
