import type { Duration } from '../core/duration.js';
import type { Window } from '../core/window.js';
import type { WindowAssigner } from './types.js';
import { positiveDuration } from './assigner-options.js';

/** A sliding assigner (Kafka Streams' SlidingWindows semantics). */
export interface SlidingAssigner extends WindowAssigner {
  readonly kind: 'sliding';
}

/**
 * Event-driven sliding windows, as Kafka Streams' `SlidingWindows`: every record at `t` defines
 * the window `[t - size + 1, t + 1)` that ends with it, and, when another record of the key lies
 * in `(t, t + size]`, the window `[t + 1, t + 1 + size)` that starts just after it. One result per
 * distinct window start. Which windows exist depends on the other records of the key, so
 * `assignWindows(t)` returns only the record's own window and the operator uses
 * {@link slidingWindowStarts} for the rest.
 * @param size window length (> 0): records at most `size - 1` ms apart share a window.
 * @throws TypeError for a bad duration; RangeError when size <= 0.
 * @example stream.keyBy(r => r.user).window(sliding('10s')).aggregate(count())
 * @see hopping, slidingWindowStarts
 */
export function sliding(size: Duration): SlidingAssigner {
  if (arguments.length > 1) {
    throw new TypeError('sliding: takes only a size; unknown second argument');
  }
  const sizeMs = positiveDuration(size, 'sliding size');
  return Object.freeze({
    kind: 'sliding' as const,
    merging: false,
    size: sizeMs,
    description: `sliding(${sizeMs}ms)`,
    assignWindows(t: number): Window[] {
      return [{ start: t - sizeMs + 1, end: t + 1 }];
    },
  });
}

/**
 * The distinct sliding-window starts for one key's record times, ascending: `t - size + 1` for
 * every `t`, and `t + 1` when some record lies in `(t, t + size]`. Each window is
 * `[start, start + size)`. Shared by the window operator and the batch oracle.
 * @param times event times of one key's records, any order, duplicates allowed.
 * @param size window length in ms (> 0).
 * @example slidingWindowStarts([0, 5], 10) // [-9, -4, 1]
 */
export function slidingWindowStarts(times: readonly number[], size: number): number[] {
  if (!(size > 0)) throw new RangeError(`slidingWindowStarts: size must be > 0, got ${size}`);
  const sorted = Float64Array.from(times).sort();
  const starts = new Set<number>();
  let next = 0;
  for (let i = 0; i < sorted.length; i++) {
    const t = sorted[i];
    starts.add(t - size + 1);
    // The first strictly later time decides whether t's right window has a record.
    if (next <= i) next = i + 1;
    while (next < sorted.length && sorted[next] <= t) next++;
    if (next < sorted.length && sorted[next] <= t + size) starts.add(t + 1);
  }
  return [...starts].sort((a, b) => a - b);
}
