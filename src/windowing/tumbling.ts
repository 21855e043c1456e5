import type { Duration } from '../core/duration.js';
import type { Window } from '../core/window.js';
import type { AlignedAssigner, WindowRun } from './types.js';
import { checkOptions, positiveDuration, signedDuration } from './assigner-options.js';
import { CalendarGrid, checkCalendarStep, validateTimeZone } from './calendar-windows.js';
import { oneWindow } from './window-run.js';

/** Options of {@link tumbling}. */
export interface TumblingOptions {
  /** Shifts window starts: `s ≡ offset (mod size)`; `|offset| < size`. Default 0. */
  offset?: Duration;
  /** IANA zone: calendar-aligned windows of whole hours (dividing a day) or whole days. */
  timeZone?: string;
}

/** A tumbling assigner, with its parameters readable for oracles and docs. */
export interface TumblingAssigner extends AlignedAssigner {
  readonly kind: 'tumbling';
  readonly offset: number;
  readonly timeZone: string | undefined;
}

/**
 * Fixed-size, non-overlapping windows: a record at `t` belongs to `[s, s + size)` with
 * `s = floor((t - offset) / size) * size + offset`. With `timeZone`, windows follow the local
 * calendar: `'1d'` runs from local midnight to the next (23 or 25 h across DST), `'1h'` covers
 * every instant whose local clock reads that hour; a skipped boundary starts at the end of the
 * gap, a repeated one at its first occurrence.
 * @param size window length (> 0); with `timeZone`, whole hours dividing a day or whole days.
 * @param options `{ offset = 0, timeZone? }`.
 * @throws TypeError for a bad duration or unknown option; RangeError when size <= 0, |offset| >= size, or the zone is unknown.
 * @example
 * from(fromArray(clicks)).withTimestamps(c => c.at, monotonic())
 *   .window(tumbling('1d', { timeZone: 'Europe/London' })).aggregate(count())
 * @see hopping, sliding, session, global
 */
export function tumbling(size: Duration, options?: TumblingOptions): TumblingAssigner {
  checkOptions('tumbling', options, ['offset', 'timeZone']);
  const sizeMs = positiveDuration(size, 'tumbling size');
  const offset = signedDuration(options?.offset, 'tumbling offset');
  if (Math.abs(offset) >= sizeMs) {
    throw new RangeError(`tumbling: parameters must satisfy abs(offset) < size, got offset ${offset} ms and size ${sizeMs} ms`);
  }
  const timeZone = options?.timeZone === undefined ? undefined : validateTimeZone(options.timeZone, 'tumbling');
  const description = `tumbling(${sizeMs}ms${offset ? `, offset ${offset}ms` : ''}${timeZone ? `, ${timeZone}` : ''})`;
  if (timeZone === undefined) {
    const startOf = (t: number) => Math.floor((t - offset) / sizeMs) * sizeMs + offset;
    return Object.freeze({
      kind: 'tumbling' as const,
      merging: false,
      size: sizeMs,
      offset,
      timeZone,
      description,
      layout: 'aligned' as const,
      closesOnWatermark: true,
      assignWindows(t: number): Window[] {
        const start = startOf(t);
        return [{ start, end: start + sizeMs }];
      },
      windowRun(t: number, run: WindowRun): void {
        const start = startOf(t);
        oneWindow(run, start, start + sizeMs);
      },
    });
  }
  checkCalendarStep(sizeMs, 'tumbling size');
  const grid = new CalendarGrid(timeZone, sizeMs, offset);
  // Records mostly arrive near the previous one, so the last window answers most calls.
  let last: Window = { start: 0, end: 0 };
  const windowAt = (t: number): Window => {
    if (t < last.start || t >= last.end) {
      const j = grid.indexAtOrBefore(t);
      last = { start: grid.boundary(j), end: grid.boundary(j + 1) };
    }
    return last;
  };
  return Object.freeze({
    kind: 'tumbling' as const,
    merging: false,
    size: sizeMs,
    offset,
    timeZone,
    description,
    layout: 'aligned' as const,
    closesOnWatermark: true,
    assignWindows(t: number): Window[] {
      const w = windowAt(t);
      return [{ start: w.start, end: w.end }];
    },
    windowRun(t: number, run: WindowRun): void {
      const w = windowAt(t);
      oneWindow(run, w.start, w.end);
    },
  });
}
