import type { Duration } from '../core/duration.js';
import type { Window } from '../core/window.js';
import type { WindowAssigner } from './types.js';
import { positiveDuration } from './assigner-options.js';

/** A session assigner: each record opens `[t, t + gap)`; touching windows merge. */
export interface SessionAssigner extends WindowAssigner {
  readonly kind: 'session';
  readonly merging: true;
  readonly layout: 'merging';
  /** The inactivity gap in ms (also `size`). */
  readonly gap: number;
}

/**
 * Activity sessions per key: each record opens `[t, t + gap)`, and windows that overlap or touch
 * (`a.start <= b.end && b.start <= a.end`) merge into their union — also when a late record
 * bridges two sessions that already fired. The window operator merges them (`session-merging.ts`).
 * @param gap the inactivity gap (> 0) that closes a session.
 * @throws TypeError for a bad duration; RangeError when gap <= 0.
 * @example stream.keyBy(e => e.user).window(session('30m')).aggregate(count())
 * @see tumbling, global
 */
export function session(gap: Duration): SessionAssigner {
  if (arguments.length > 1) {
    throw new TypeError('session: takes only a gap; unknown second argument');
  }
  const gapMs = positiveDuration(gap, 'session gap');
  return Object.freeze({
    kind: 'session' as const,
    merging: true as const,
    size: gapMs,
    gap: gapMs,
    description: `session(${gapMs}ms)`,
    layout: 'merging' as const,
    closesOnWatermark: true,
    assignWindows(t: number): Window[] {
      return [{ start: t, end: t + gapMs }];
    },
  });
}
