/** A half-open event-time interval `[start, end)`; `maxTimestamp` is `end - 1`. Windows are values. */
export interface Window {
  readonly start: number;
  readonly end: number;
}

/** The largest timestamp that belongs to `window`. */
export function maxTimestamp(window: Window): number {
  return window.end - 1;
}

/** True when two windows overlap or touch: the session merge rule. */
export function windowsTouch(a: Window, b: Window): boolean {
  return a.start <= b.end && b.start <= a.end;
}

/** A stable string for a window, used in state keys and result ids. */
export function windowKey(window: Window): string {
  return `${window.start}:${window.end}`;
}

export type PaneTiming = 'early' | 'on-time' | 'late';

/** Which firing of a (key, window) a result is: `index` counts 0, 1, 2 … */
export interface PaneInfo {
  readonly index: number;
  readonly timing: PaneTiming;
}

/** What a windowed aggregate emits. `id` is the same for the same (key, window, pane index, retraction) in every run. */
export interface WindowResult<K = unknown, V = unknown> {
  key: K;
  window: Window;
  value: V;
  pane: PaneInfo;
  id: string;
  retraction?: true;
}

/** What the late output receives for a record dropped from an expired window. */
export interface LateRecord<T = unknown> {
  record: T;
  window: Window;
  watermark: number;
}
