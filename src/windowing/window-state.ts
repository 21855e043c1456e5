import type { PaneTiming } from '../core/window.js';

/**
 * Version of the checkpoint layout below. A checkpoint written with one layout must load in every
 * later version; a new layout gets a new prefix and a reader for the old one.
 */
export const WINDOW_STATE_VERSION = 'w1';

/**
 * Encodes an event time (a safe integer) as 15 characters whose string order is the time order,
 * negative times included: `1` + 14 hex digits of `t` when `t >= 0`, `0` + 14 hex digits of
 * `t + 2^53` when `t < 0` (both exact in doubles, unlike `t + 2^53` for odd positive `t`).
 * @example encodeTime(0) // '100000000000000'; encodeTime(-1) // '01fffffffffffff'
 */
export function encodeTime(t: number): string {
  return t >= 0 ? `1${t.toString(16).padStart(14, '0')}` : `0${(t + 2 ** 53).toString(16).padStart(14, '0')}`;
}

/**
 * Inverse of {@link encodeTime}.
 * @example decodeTime('01fffffffffffff') // -1
 */
export function decodeTime(text: string): number {
  const n = parseInt(text.slice(1), 16);
  return text[0] === '1' ? n : n - 2 ** 53;
}

/**
 * State key of one (key, window): `w1/w/<start>/<end>/<keyJson>` with times as {@link encodeTime},
 * so a range scan over `w1/w/` visits windows in start order.
 * @example windowStateKey(0, 60000, '"a"') // 'w1/w/100000000000000/10000000000ea60/"a"'
 */
export function windowStateKey(start: number, end: number, keyJson: string): string {
  return `${WINDOW_STATE_VERSION}/w/${encodeTime(start)}/${encodeTime(end)}/${keyJson}`;
}

/**
 * State key of the records of one key at one timestamp (sliding windows): `w1/t/<time>/<keyJson>`.
 * @example timestampStateKey(5, '"a"') // 'w1/t/100000000000005/"a"'
 */
export function timestampStateKey(t: number, keyJson: string): string {
  return `${WINDOW_STATE_VERSION}/t/${encodeTime(t)}/${keyJson}`;
}

/** State key of the operator's own progress (watermark, assigner): `w1/m`. Sorts before `w1/t/` and `w1/w/`. */
export const META_STATE_KEY = `${WINDOW_STATE_VERSION}/m`;

/** What a window's state looks like in a checkpoint (short names: there may be millions). */
export interface StoredWindow {
  /** The key itself. */
  k: unknown;
  s: number;
  e: number;
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

/** Per-timestamp records of a sliding-window key in a checkpoint. */
export interface StoredTimestamp {
  k: unknown;
  t: number;
  a: unknown;
  n: number;
}

/** The operator's progress in a checkpoint. */
export interface StoredMeta {
  watermark: number;
  assigner: string;
}
