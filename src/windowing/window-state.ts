import { encodeKey } from '../core/key-encoding.js';
import type { TrackedEntry } from '../core/keyed-state.js';
import type { PaneTiming, Window } from '../core/window.js';

/**
 * The live state of one (key, window): its accumulator and its pane bookkeeping. Every layout
 * (aligned, session, sliding) keeps its windows as these, in its own index structures; the
 * keyed-state service records their changes (the {@link TrackedEntry} fields).
 */
export interface WindowState extends TrackedEntry {
  readonly key: unknown;
  /** The key's in-memory identity (`keyIdentity`). */
  readonly kid: unknown;
  /** The key's text (`encodeKey`), made when a result id or state key first needs it. */
  keyText: string | undefined;
  /** Bounds change only for a session extended before it emitted anything (see session-windows.ts). */
  start: number;
  /** The window's max timestamp is `end - 1`; not stored, to keep the many short-lived states small. */
  end: number;
  /** The frozen `{ start, end }` its results carry: its bucket's, or made at its first pane (bounds are final by then). */
  window: Window | undefined;
  acc: unknown;
  /** Records added since the previous pane: a window fires only when this is positive. */
  pending: number;
  /** Index of the next pane. */
  index: number;
  /** The window emitted its on-time pane, or the watermark passed its end with nothing new to emit. */
  onTimeDone: boolean;
  /** Retracting mode: the value and timing of the previous pane, to retract before the next. */
  last: unknown;
  lastTiming: PaneTiming | undefined;
  hasLast: boolean;
  /** Processing-time deadline of the pending pane, or `undefined` (no boxed double when none is pending). */
  deadline: number | undefined;
  /** False once merged away, expired or cleared: timers that still refer to it are stale. */
  alive: boolean;
}

/**
 * A new window state (pane index 0, nothing emitted).
 * @example newWindowState('a', 'a', 0, 10, count().create(), 0)
 */
export function newWindowState(key: unknown, kid: unknown, start: number, end: number, acc: unknown, pending: number): WindowState {
  return {
    key,
    kid,
    keyText: undefined,
    start,
    end,
    window: undefined,
    acc,
    pending,
    index: 0,
    onTimeDone: false,
    last: undefined,
    lastTiming: undefined,
    hasLast: false,
    deadline: undefined,
    alive: true,
    mark: 0,
    persisted: false,
    stateKey: undefined,
  };
}

/**
 * The key's text of a window state (`encodeKey`), made once.
 * @example keyTextOf(ws) // '"zone-7"'
 */
export function keyTextOf(ws: WindowState): string {
  return ws.keyText ?? (ws.keyText = encodeKey(ws.key));
}

/**
 * The frozen window a state's results carry, made at its first pane when its bucket has none.
 * @example windowOf(ws) // { start: 0, end: 10 }, frozen
 */
export function windowOf(ws: WindowState): Window {
  return ws.window ?? (ws.window = Object.freeze({ start: ws.start, end: ws.end }));
}
