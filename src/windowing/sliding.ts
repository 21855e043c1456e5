import type { Duration } from '../core/duration.js';
import type { Window } from '../core/window.js';
import type { WindowAssigner } from './types.js';
import { positiveDuration } from './assigner-options.js';

export { slidingWindowStarts } from './sliding-window-starts.js';

/** A sliding assigner (Kafka Streams' SlidingWindows semantics). */
export interface SlidingAssigner extends WindowAssigner {
  readonly kind: 'sliding';
  readonly layout: 'sliding';
}

/**
 * Event-driven sliding windows, as Kafka Streams' `SlidingWindows`: every record at `t` defines
 * the window `[t - size + 1, t + 1)` that ends with it, and, when another record of the key lies
 * in `(t, t + size]`, the window `[t + 1, t + 1 + size)` that starts just after it. One result per
 * distinct window start. Which windows exist depends on the other records of the key, so
 * `assignWindows(t)` returns only the record's own window; the window operator
 * (`sliding-windows.ts`) finds the others with `windowStartsHolding`, and
 * {@link slidingWindowStarts} is the same rule for a whole set of times (the batch oracle's).
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
    layout: 'sliding' as const,
    closesOnWatermark: true,
    assignWindows(t: number): Window[] {
      return [{ start: t - sizeMs + 1, end: t + 1 }];
    },
  });
}
