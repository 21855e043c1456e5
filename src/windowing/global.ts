import type { Window } from '../core/window.js';
import type { AlignedAssigner, WindowRun } from './types.js';
import { oneWindow } from './window-run.js';

/**
 * The single window of {@link global}: all of time.
 * @example results.filter(r => r.window.start === GLOBAL_WINDOW.start)
 */
export const GLOBAL_WINDOW: Window = Object.freeze({ start: Number.MIN_SAFE_INTEGER, end: Number.MAX_SAFE_INTEGER });

/** The global assigner: one window per key over all of time. */
export interface GlobalAssigner extends AlignedAssigner {
  readonly kind: 'global';
}

/**
 * One window per key, `{ start: Number.MIN_SAFE_INTEGER, end: Number.MAX_SAFE_INTEGER }`. The
 * watermark never reaches its end, so only a count or processing-time trigger, or the end of
 * input, fires it.
 * @example stream.keyBy(o => o.sku).window(global(), { trigger: afterCount(100) }).aggregate(sum(o => o.qty))
 * @see tumbling, afterCount, afterProcessingTime
 */
export function global(): GlobalAssigner {
  if (arguments.length > 0) throw new TypeError('global: takes no arguments');
  return Object.freeze({
    kind: 'global' as const,
    merging: false,
    size: Number.POSITIVE_INFINITY,
    description: 'global()',
    layout: 'aligned' as const,
    closesOnWatermark: false,
    assignWindows(): Window[] {
      return [{ start: GLOBAL_WINDOW.start, end: GLOBAL_WINDOW.end }];
    },
    windowRun(_t: number, run: WindowRun): void {
      oneWindow(run, GLOBAL_WINDOW.start, GLOBAL_WINDOW.end);
    },
  });
}
