import { StateError } from '../core/errors.js';
import { decodeKey, encodeKey, UnencodableKeyError } from '../core/key-encoding.js';
import type { LegacyLayoutSpec } from '../core/keyed-state.js';
import type { PaneTiming } from '../core/window.js';
import { fromSortableTime, sortableTime } from '../state/state-key.js';
import { keyTextOf, type WindowState } from './window-state.js';

/**
 * The checkpoint layout of the window operator's state, version `w2`. A checkpoint written with
 * one layout must load in every later version: a new layout gets a new prefix and a reader of the
 * old one (`w1` below). Pinned by `test/windowing/window-state-layout.test.ts`.
 *
 * ```
 * w2/m                              { watermark, assigner }             the operator's progress
 * w2/a/<end>/<start>/<key>          StoredWindow                        tumbling, hopping, global
 * w2/s/<key>/<start>/<end>          StoredWindow                        sessions
 * w2/l/<key>/<start>                StoredWindow                        sliding windows (end = start + size)
 * w2/t/<key>/<time>                 StoredTimestamp                     sliding: one key's records at one time
 * ```
 *
 * Times are `sortableTime` (16 hex digits, key order is time order); `<key>` is the key's text
 * (`encodeKey`), which identifies the key and decodes back to it. Each table is ordered the way
 * the operator reaches it: aligned windows fire and expire one window at a time for all keys, so
 * their keys lead with the window's end (a range scan up to the watermark finds every due window,
 * and a window's keys are one contiguous range); sessions and sliding windows live per key, so
 * their keys lead with the key and then time (one key's state is one range, in time order).
 *
 * `w1` (every version before key texts were type-tagged): `w1/m`, `w1/w/<start>/<end>/<keyJson>`
 * and `w1/t/<time>/<keyJson>` with 15-character times, the key itself in every value. It is read
 * exactly (from the values) and rewritten under `w2` keys by the next snapshot; a `w1` key that
 * `encodeKey` cannot represent is refused with `STATE_INCOMPATIBLE`.
 */
export const WINDOW_STATE_VERSION = 'w2';

/** State key of the operator's own progress (watermark, assigner). */
export const META_STATE_KEY = 'w2/m';
/** Prefix of aligned windows' states (tumbling, hopping, global). */
export const ALIGNED_PREFIX = 'w2/a/';
/** Prefix of session windows' states. */
export const SESSION_PREFIX = 'w2/s/';
/** Prefix of sliding windows' states. */
export const SLIDING_PREFIX = 'w2/l/';
/** Prefix of sliding windows' per-timestamp accumulators. */
export const TIMESTAMP_PREFIX = 'w2/t/';

/** Length of a `sortableTime` text. */
const T = 16;

/**
 * State key of an aligned window's state: `w2/a/<end>/<start>/<key>`.
 * @example alignedStateKey(0, 60000, '"a"') // 'w2/a/800000000000ea60/8000000000000000/"a"'
 */
export function alignedStateKey(start: number, end: number, keyText: string): string {
  return `${ALIGNED_PREFIX}${sortableTime(end)}/${sortableTime(start)}/${keyText}`;
}

/**
 * State key of a session's state: `w2/s/<key>/<start>/<end>`.
 * @example sessionStateKey(0, 10, '7') // 'w2/s/7/8000000000000000/800000000000000a'
 */
export function sessionStateKey(start: number, end: number, keyText: string): string {
  return `${SESSION_PREFIX}${keyText}/${sortableTime(start)}/${sortableTime(end)}`;
}

/**
 * State key of a sliding window's state: `w2/l/<key>/<start>`.
 * @example slidingStateKey(-9, '"a"') // 'w2/l/"a"/7ffffffffffffff7'
 */
export function slidingStateKey(start: number, keyText: string): string {
  return `${SLIDING_PREFIX}${keyText}/${sortableTime(start)}`;
}

/**
 * State key of one sliding-window key's records at one time: `w2/t/<key>/<time>`.
 * @example timestampStateKey(5, '"a"') // 'w2/t/"a"/8000000000000005'
 */
export function timestampStateKey(t: number, keyText: string): string {
  return `${TIMESTAMP_PREFIX}${keyText}/${sortableTime(t)}`;
}

/** What a window's state looks like in a checkpoint (short names: there may be millions). */
export interface StoredWindow {
  /** Accumulator. */
  a: unknown;
  /** Records added since the previous pane. */
  p: number;
  /** Index of the next pane. */
  i: number;
  /** True once the window emitted its on-time pane, or passed its end with nothing to emit. */
  o: boolean;
  /** Retracting mode: the value and timing of the previous pane. */
  l?: unknown;
  lt?: PaneTiming;
}

/** One sliding-window key's records at one time in a checkpoint: their accumulator and count. */
export interface StoredTimestamp {
  a: unknown;
  n: number;
}

/** The operator's progress in a checkpoint. */
export interface StoredMeta {
  watermark: number;
  assigner: string;
  /** Resident layouts: the checkpoint was taken between two steps of `watermark`, which is still to finish. */
  unfinished?: true;
}

/** A window state as read from a checkpoint. */
export interface RestoredWindow {
  key: unknown;
  keyText: string;
  start: number;
  end: number;
  stored: StoredWindow;
}

/** A sliding key's records at one time as read from a checkpoint. */
export interface RestoredTimestamp {
  key: unknown;
  keyText: string;
  time: number;
  stored: StoredTimestamp;
}

/**
 * The stored form of a window state.
 * @example storeWindow(ws) // { a: 3, p: 0, i: 1, o: true }
 */
export function storeWindow(ws: WindowState): StoredWindow {
  const s: StoredWindow = { a: ws.acc, p: ws.pending, i: ws.index, o: ws.onTimeDone };
  if (ws.hasLast) {
    s.l = ws.last;
    s.lt = ws.lastTiming;
  }
  return s;
}

/**
 * Sets a restored window state's key text and pane bookkeeping from its stored form.
 * @example restorePanes(newWindowState(r.key, kid, r.start, r.end, r.stored.a, r.stored.p), r)
 */
export function restorePanes(ws: WindowState, r: RestoredWindow): void {
  ws.keyText = r.keyText;
  ws.index = r.stored.i;
  ws.onTimeDone = r.stored.o;
  if ('l' in r.stored) {
    ws.last = r.stored.l;
    ws.lastTiming = r.stored.lt;
    ws.hasLast = true;
  }
}

/**
 * Reads an aligned window's state entry.
 * @throws StateError `STATE_CORRUPT` when the key or value is not one.
 */
export function decodeAligned(key: string, value: unknown): RestoredWindow {
  if (
    key.length <= ALIGNED_PREFIX.length + 2 * T + 2 ||
    key[ALIGNED_PREFIX.length + T] !== '/' ||
    key[ALIGNED_PREFIX.length + 2 * T + 1] !== '/'
  ) {
    throw corrupt(key, 'not an aligned window key');
  }
  const at = ALIGNED_PREFIX.length;
  const keyText = key.slice(at + 2 * T + 2);
  return {
    key: decodeKey(keyText),
    keyText,
    end: fromSortableTime(key.slice(at, at + T)),
    start: fromSortableTime(key.slice(at + T + 1, at + 2 * T + 1)),
    stored: checkWindow(key, value),
  };
}

/**
 * Reads a session's state entry.
 * @throws StateError `STATE_CORRUPT` when the key or value is not one.
 */
export function decodeSession(key: string, value: unknown): RestoredWindow {
  const n = key.length;
  if (n <= SESSION_PREFIX.length + 2 * T + 2 || key[n - T - 1] !== '/' || key[n - 2 * T - 2] !== '/') {
    throw corrupt(key, 'not a session key');
  }
  const keyText = key.slice(SESSION_PREFIX.length, n - 2 * T - 2);
  return {
    key: decodeKey(keyText),
    keyText,
    start: fromSortableTime(key.slice(n - 2 * T - 1, n - T - 1)),
    end: fromSortableTime(key.slice(n - T)),
    stored: checkWindow(key, value),
  };
}

/**
 * Reads a sliding window's state entry of a `sliding(size)` operator.
 * @throws StateError `STATE_CORRUPT` when the key or value is not one.
 */
export function decodeSliding(key: string, value: unknown, size: number): RestoredWindow {
  const [keyText, start] = keyAndTime(key, SLIDING_PREFIX);
  return { key: decodeKey(keyText), keyText, start, end: start + size, stored: checkWindow(key, value) };
}

/**
 * Reads a sliding key's per-timestamp entry.
 * @throws StateError `STATE_CORRUPT` when the key or value is not one.
 */
export function decodeTimestamp(key: string, value: unknown): RestoredTimestamp {
  const [keyText, time] = keyAndTime(key, TIMESTAMP_PREFIX);
  const v = value as Partial<StoredTimestamp> | null;
  if (v === null || typeof v !== 'object' || !Number.isSafeInteger(v.n) || (v.n as number) < 1 || !('a' in v)) {
    throw corrupt(key, 'not a timestamp entry { a, n }');
  }
  return { key: decodeKey(keyText), keyText, time, stored: v as StoredTimestamp };
}

/**
 * Checks the operator's progress entry.
 * @throws StateError `STATE_CORRUPT` when it is not one.
 */
export function checkMeta(value: unknown): StoredMeta {
  const v = value as Partial<StoredMeta> | null;
  if (v === null || typeof v !== 'object' || typeof v.watermark !== 'number' || typeof v.assigner !== 'string') {
    throw corrupt(META_STATE_KEY, 'not { watermark, assigner }');
  }
  return v as StoredMeta;
}

function keyAndTime(key: string, prefix: string): [string, number] {
  const n = key.length;
  if (n <= prefix.length + T + 1 || key[n - T - 1] !== '/') throw corrupt(key, `not a ${prefix}<key>/<time> key`);
  return [key.slice(prefix.length, n - T - 1), fromSortableTime(key.slice(n - T))];
}

const TIMINGS: ReadonlySet<unknown> = new Set<PaneTiming>(['early', 'on-time', 'late']);

function checkWindow(key: string, value: unknown): StoredWindow {
  const v = value as Partial<StoredWindow> | null;
  if (
    v === null ||
    typeof v !== 'object' ||
    !Number.isSafeInteger(v.p) ||
    !Number.isSafeInteger(v.i) ||
    typeof v.o !== 'boolean' ||
    !('a' in v) ||
    ('l' in v && !TIMINGS.has(v.lt))
  ) {
    throw corrupt(key, 'not a window state { a, p, i, o }');
  }
  return v as StoredWindow;
}

function corrupt(key: string, what: string): StateError {
  return new StateError('STATE_CORRUPT', `window: state entry ${JSON.stringify(key)} is ${what}`);
}

/** What a `w1` window entry held. */
interface V1Window extends StoredWindow {
  k: unknown;
  s: number;
  e: number;
}

/**
 * The reader of layout `w1`: translates each old entry to its `w2` key and value, so the
 * operator restores it as if it were current and the next snapshot rewrites it.
 * @param windowKey the current state key of a window of this operator (aligned, session or sliding).
 * @example state.legacy(legacyW1Layout((start, end, keyText) => sessionStateKey(start, end, keyText)))
 */
export function legacyW1Layout(windowKey: (start: number, end: number, keyText: string) => string): LegacyLayoutSpec {
  return {
    prefix: 'w1/',
    translate(key: string, value: unknown): [string, unknown] {
      if (key === 'w1/m') return [META_STATE_KEY, value];
      const v = value as Partial<V1Window & StoredTimestamp & { t: number }> | null;
      if (v === null || typeof v !== 'object' || !('k' in v)) throw corrupt(key, 'not a w1 window or timestamp entry');
      const keyText = v1KeyText(key, v.k);
      if (key.startsWith('w1/w/')) {
        if (!Number.isSafeInteger(v.s) || !Number.isSafeInteger(v.e)) throw corrupt(key, 'a w1 window without bounds');
        const stored: StoredWindow = { a: v.a, p: v.p as number, i: v.i as number, o: v.o as boolean };
        if ('l' in v) {
          stored.l = v.l;
          stored.lt = v.lt;
        }
        return [windowKey(v.s as number, v.e as number, keyText), stored];
      }
      if (key.startsWith('w1/t/') && Number.isSafeInteger(v.t)) {
        return [timestampStateKey(v.t as number, keyText), { a: v.a, n: v.n } satisfies Partial<StoredTimestamp>];
      }
      throw new StateError('STATE_INCOMPATIBLE', `window: unknown state key ${JSON.stringify(key)} in the w1 layout`);
    },
  };
}

function v1KeyText(key: string, k: unknown): string {
  try {
    return encodeKey(k);
  } catch (error) {
    if (!(error instanceof UnencodableKeyError)) throw error;
    throw new StateError(
      'STATE_INCOMPATIBLE',
      `window: the w1 state entry ${JSON.stringify(key)} holds a key the w2 layout cannot represent (${error.message}); use a new state directory`,
      error,
    );
  }
}

/**
 * The state key a window state is stored under, by layout.
 * @example alignedKeyOf(ws) // 'w2/a/…'
 */
export function alignedKeyOf(ws: WindowState): string {
  return alignedStateKey(ws.start, ws.end, keyTextOf(ws));
}

/** @see alignedKeyOf */
export function sessionKeyOf(ws: WindowState): string {
  return sessionStateKey(ws.start, ws.end, keyTextOf(ws));
}

/** @see alignedKeyOf */
export function slidingKeyOf(ws: WindowState): string {
  return slidingStateKey(ws.start, keyTextOf(ws));
}
