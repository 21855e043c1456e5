import type { Duration } from '../core/duration.js';
import type { Window } from '../core/window.js';
import type { AlignedAssigner, WindowRun } from './types.js';
import { checkOptions, positiveDuration, signedDuration } from './assigner-options.js';
import { CalendarGrid, checkCalendarStep, validateTimeZone } from './calendar-windows.js';

/** Options of {@link hopping}. */
export interface HoppingOptions {
  /** Shifts window starts: `s ≡ offset (mod hop)`; `|offset| < hop`. Default 0. */
  offset?: Duration;
  /** IANA zone: windows start on a local calendar grid of `hop` and last `size` of local wall-clock time. */
  timeZone?: string;
}

/** A hopping assigner, with its parameters readable for oracles and docs. */
export interface HoppingAssigner extends AlignedAssigner {
  readonly kind: 'hopping';
  readonly hop: number;
  readonly offset: number;
  readonly timeZone: string | undefined;
}

/** The latest start at or before `t` on the grid of `hop` shifted by `offset` (no time zone). */
export function lastHopStart(t: number, hop: number, offset: number): number {
  return Math.floor((t - offset) / hop) * hop + offset;
}

/** The earliest start, counting back from `last` by `hop`, of a window `[s, s + size)` that holds `t`. */
export function firstHopStart(t: number, last: number, size: number, hop: number): number {
  let first = last;
  while (first - hop > t - size) first -= hop;
  return first;
}

/**
 * Fixed-size windows that start every `hop`: a record at `t` belongs to every `[s, s + size)`
 * with `s ≡ offset (mod hop)` and `s <= t < s + size`, returned in ascending start order
 * (`size / hop` of them when hop divides size). With `timeZone`, starts lie on the local calendar
 * grid of `hop` and each window ends where the local clock reads its start plus `size`, by the
 * same gap and overlap rules as {@link tumbling}.
 * @param size window length (> 0).
 * @param hop distance between window starts (0 < hop <= size).
 * @param options `{ offset = 0, timeZone? }`.
 * @throws TypeError for a bad duration or unknown option; RangeError for hop > size, |offset| >= hop, or an unknown zone.
 * @example
 * stream.keyBy(t => t.zone).window(hopping('1h', '5m')).aggregate(sum(t => t.fare))
 * @see tumbling, sliding
 */
export function hopping(size: Duration, hop: Duration, options?: HoppingOptions): HoppingAssigner {
  checkOptions('hopping', options, ['offset', 'timeZone']);
  const sizeMs = positiveDuration(size, 'hopping size');
  const hopMs = positiveDuration(hop, 'hopping hop');
  if (hopMs > sizeMs) {
    throw new RangeError(`hopping: parameters must satisfy hop <= size, got hop ${hopMs} ms and size ${sizeMs} ms`);
  }
  const offset = signedDuration(options?.offset, 'hopping offset');
  if (Math.abs(offset) >= hopMs) {
    throw new RangeError(`hopping: parameters must satisfy abs(offset) < hop, got offset ${offset} ms and hop ${hopMs} ms`);
  }
  const timeZone = options?.timeZone === undefined ? undefined : validateTimeZone(options.timeZone, 'hopping');
  const description = `hopping(${sizeMs}ms, ${hopMs}ms${offset ? `, offset ${offset}ms` : ''}${timeZone ? `, ${timeZone}` : ''})`;
  if (timeZone === undefined) {
    return Object.freeze({
      kind: 'hopping' as const,
      merging: false,
      size: sizeMs,
      hop: hopMs,
      offset,
      timeZone,
      description,
      layout: 'aligned' as const,
      closesOnWatermark: true,
      assignWindows(t: number): Window[] {
        const last = lastHopStart(t, hopMs, offset);
        const first = firstHopStart(t, last, sizeMs, hopMs);
        const windows: Window[] = [];
        for (let s = first; s <= last; s += hopMs) windows.push({ start: s, end: s + sizeMs });
        return windows;
      },
      windowRun(t: number, run: WindowRun): void {
        // Sparse keys miss a run on almost every record, and size/hop fresh objects per record
        // would be garbage at once: the run's window objects are rewritten in place.
        const last = lastHopStart(t, hopMs, offset);
        const first = firstHopStart(t, last, sizeMs, hopMs);
        const windows = run.windows;
        let n = 0;
        for (let s = first; s <= last; s += hopMs) {
          const w = windows[n] ?? (windows[n] = { start: 0, end: 0 });
          w.start = s;
          w.end = s + sizeMs;
          n++;
        }
        if (windows.length !== n) windows.length = n;
        // The same windows hold from the latest start (and the end of the window before the
        // first) until the next start or the earliest end.
        run.from = Math.max(last, first - hopMs + sizeMs);
        run.until = Math.min(first + sizeMs, last + hopMs);
      },
    });
  }
  checkCalendarStep(hopMs, 'hopping hop');
  if (sizeMs % 3_600_000 !== 0) {
    throw new RangeError(`hopping size must be whole hours when timeZone is set, got ${sizeMs} ms`);
  }
  const grid = new CalendarGrid(timeZone, hopMs, offset, sizeMs);
  // Enough grid steps back to cover any window containing t, even a 25-hour local day.
  const reach = Math.ceil(sizeMs / hopMs) + 2;
  let cellStart = 0;
  let cellEnd = 0;
  let candidates: Window[] = [];
  const candidatesAt = (t: number): Window[] => {
    // Records mostly arrive in the grid cell of the previous one: reuse that cell's candidates.
    if (!(t >= cellStart && t < cellEnd)) {
      const jLast = grid.indexAtOrBefore(t);
      cellStart = grid.boundary(jLast);
      cellEnd = grid.boundary(jLast + 1);
      candidates = [];
      for (let j = jLast - reach; j <= jLast; j++) {
        const start = grid.boundary(j);
        const end = grid.end(j);
        // Two grid points inside one DST gap share a start but not an end: distinct windows.
        const previous = candidates[candidates.length - 1];
        if (start <= cellStart && end > cellStart && !(previous && previous.start === start && previous.end === end)) {
          candidates.push({ start, end });
        }
      }
    }
    return candidates;
  };
  return Object.freeze({
    kind: 'hopping' as const,
    merging: false,
    size: sizeMs,
    hop: hopMs,
    offset,
    timeZone,
    description,
    layout: 'aligned' as const,
    closesOnWatermark: true,
    assignWindows(t: number): Window[] {
      const windows: Window[] = [];
      for (const w of candidatesAt(t)) if (t < w.end) windows.push({ start: w.start, end: w.end });
      return windows;
    },
    windowRun(t: number, run: WindowRun): void {
      const windows = run.windows;
      let n = 0;
      for (const c of candidatesAt(t)) {
        if (t >= c.end) continue;
        const w = windows[n] ?? (windows[n] = { start: 0, end: 0 });
        w.start = c.start;
        w.end = c.end;
        n++;
      }
      if (windows.length !== n) windows.length = n;
      // Local windows end at different lengths across DST changes: the run holds one time only.
      run.from = t;
      run.until = t + 1;
    },
  });
}
