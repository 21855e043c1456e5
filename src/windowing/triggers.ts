import { parseDuration, type Duration } from '../core/duration.js';
import type { CountTrigger, ProcessingTimeTrigger, Trigger, WatermarkTrigger } from './types.js';

/** Options of {@link onWatermark}. */
export interface OnWatermarkOptions {
  /** Speculative panes before the watermark reaches the window's end. */
  early?: CountTrigger | ProcessingTimeTrigger;
  /** Late panes after the on-time pane; absent means one late pane per late record. */
  late?: CountTrigger | ProcessingTimeTrigger;
}

/**
 * The default trigger: a window fires its on-time pane once the watermark reaches its
 * `maxTimestamp`, and optionally early panes before and batched late panes after.
 * @param options `early` and `late`, each an {@link afterCount} or {@link afterProcessingTime} trigger.
 * @returns an immutable trigger value for `.window(assigner, { trigger })`.
 * @example
 * stream.keyBy(t => t.zone).window(tumbling('5m'), { trigger: onWatermark({ early: afterProcessingTime('10s') }) })
 * @see afterCount
 * @see afterProcessingTime
 */
export function onWatermark(options: OnWatermarkOptions = {}): WatermarkTrigger {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`onWatermark options must be an object like { early, late }, got ${String(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (name !== 'early' && name !== 'late') {
      throw new TypeError(`onWatermark: unknown option '${name}'; the options are 'early' and 'late'`);
    }
  }
  const early = checkSubTrigger(options.early, 'early');
  const late = checkSubTrigger(options.late, 'late');
  const trigger: { kind: 'watermark'; early?: CountTrigger | ProcessingTimeTrigger; late?: CountTrigger | ProcessingTimeTrigger } = {
    kind: 'watermark',
  };
  if (early) trigger.early = early;
  if (late) trigger.late = late;
  return Object.freeze(trigger);
}

/**
 * Fires a pane every `n` records added to a window (since its previous pane). As the main trigger
 * it is what makes `global()` windows fire; inside {@link onWatermark} it batches early or late panes.
 * @param n a positive integer.
 * @example
 * stream.window(global(), { trigger: afterCount(100) }).aggregate(count())
 */
export function afterCount(n: number): CountTrigger {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) {
    throw new RangeError(`afterCount(n): n must be a positive integer, got ${String(n)}`);
  }
  return Object.freeze({ kind: 'count', count: n });
}

/**
 * Fires a pane `interval` of processing time after the first record a window received since its
 * previous pane. Panes it fires may land at different moments after a restart (processing time is
 * not replayed); the last pane of every window is still exact.
 * @param interval a positive duration, e.g. `'10s'`.
 * @example
 * stream.window(tumbling('1h'), { trigger: onWatermark({ early: afterProcessingTime('10s') }) })
 */
export function afterProcessingTime(interval: Duration): ProcessingTimeTrigger {
  const ms = parseDuration(interval, 'afterProcessingTime(interval)');
  if (ms <= 0) throw new RangeError(`afterProcessingTime(interval): interval must be positive, got ${String(interval)}`);
  return Object.freeze({ kind: 'processing-time', interval: ms });
}

function checkSubTrigger(
  t: CountTrigger | ProcessingTimeTrigger | undefined,
  option: 'early' | 'late',
): CountTrigger | ProcessingTimeTrigger | undefined {
  if (t === undefined) return undefined;
  if (t === null || typeof t !== 'object' || (t.kind !== 'count' && t.kind !== 'processing-time')) {
    throw new TypeError(`onWatermark: '${option}' must be afterCount(n) or afterProcessingTime(d), got ${describe(t)}`);
  }
  return t;
}

/**
 * Checks a trigger value handed to a window operator (hand-built values included) and returns it.
 * @param trigger the value of the `trigger` option.
 * @throws TypeError naming the option when it is not a trigger.
 * @example validateTrigger(afterCount(10))
 */
export function validateTrigger(trigger: unknown): Trigger {
  if (trigger === null || typeof trigger !== 'object') {
    throw new TypeError(`trigger must be onWatermark(), afterCount(n) or afterProcessingTime(d), got ${describe(trigger)}`);
  }
  const t = trigger as Trigger;
  switch (t.kind) {
    case 'watermark':
      checkSubTrigger(t.early, 'early');
      checkSubTrigger(t.late, 'late');
      return t;
    case 'count':
      if (!Number.isSafeInteger(t.count) || t.count < 1)
        throw new RangeError(`trigger: count must be a positive integer, got ${String(t.count)}`);
      return t;
    case 'processing-time':
      if (!Number.isFinite(t.interval) || t.interval <= 0)
        throw new RangeError(`trigger: interval must be a positive number of ms, got ${String(t.interval)}`);
      return t;
    default:
      throw new TypeError(`trigger must be onWatermark(), afterCount(n) or afterProcessingTime(d), got ${describe(trigger)}`);
  }
}

function describe(value: unknown): string {
  if (value === null || typeof value !== 'object') return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
