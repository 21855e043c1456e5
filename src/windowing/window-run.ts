import type { WindowRun } from './types.js';

/**
 * A new, empty {@link WindowRun}: it holds no time, so the first record fills it.
 * @example const run = newWindowRun(); tumbling(10).windowRun(3, run); // run.windows: [{ start: 0, end: 10 }]
 */
export function newWindowRun(): WindowRun {
  return { windows: [], from: NaN, until: NaN };
}

/**
 * Fills `run` with the one window `[start, end)`, valid for every time in it (tumbling and global
 * windows).
 * @example oneWindow(run, 0, 10) // run: { windows: [{ start: 0, end: 10 }], from: 0, until: 10 }
 */
export function oneWindow(run: WindowRun, start: number, end: number): void {
  const windows = run.windows;
  const w = windows[0] ?? (windows[0] = { start: 0, end: 0 });
  w.start = start;
  w.end = end;
  // Setting an array's length costs even when it does not change it.
  if (windows.length !== 1) windows.length = 1;
  run.from = start;
  run.until = end;
}
