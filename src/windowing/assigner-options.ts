import { parseDuration, type Duration } from '../core/duration.js';

export { checkOptions } from '../core/options.js';

/**
 * Parses a window length that must be strictly positive.
 * @param value the duration given by the caller.
 * @param option the option's name for messages, e.g. `tumbling size`.
 * @throws TypeError for text that is not a duration; RangeError when it is not > 0.
 * @example positiveDuration('5m', 'tumbling size') // 300_000
 */
export function positiveDuration(value: Duration, option: string): number {
  const ms = parseDuration(value, option);
  if (ms <= 0) throw new RangeError(`${option} must be > 0, got ${JSON.stringify(value)}`);
  return ms;
}

/**
 * Parses a window offset: a duration that may be negative (`-15m` or `-900000`).
 * @param value the offset given by the caller (undefined means 0).
 * @param option the option's name for messages.
 * @throws TypeError for text that is not a duration.
 * @example signedDuration('-15m', 'offset') // -900_000
 */
export function signedDuration(value: Duration | undefined, option: string): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${option} must be a finite number of milliseconds, got ${value}`);
    return Math.round(value);
  }
  if (typeof value === 'string' && value.startsWith('-')) return -parseDuration(value.slice(1), option);
  return parseDuration(value, option);
}

/**
 * Floor division for integers that also holds for negative dividends, unlike `%` in JavaScript.
 * @example floorDiv(-1, 10) // -1
 */
export function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}
