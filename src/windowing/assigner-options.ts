import { parseDuration, type Duration } from '../core/duration.js';

export { checkOptions } from '../core/options.js';

/**
 * Parses a window length that must be strictly positive.
 * @param value the duration given by the caller.
 * @param option the option's name for messages, e.g. `tumbling size`.
 * @throws TypeError for a value that is not a duration at all (`'5 min'`, `NaN`); RangeError,
 *   naming the rule, for a duration that is not > 0 (`0`, `-1000`, `'-5m'`) or not finite.
 * @example positiveDuration('5m', 'tumbling size') // 300_000
 */
export function positiveDuration(value: Duration, option: string): number {
  // A missing length is not a duration (TypeError), unlike a missing offset (0).
  const ms = value === undefined ? parseDuration(value, option) : signedDuration(value, option);
  if (ms <= 0) throw new RangeError(`${option} must be > 0, got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  return ms;
}

/**
 * Parses a duration that may be negative (`-15m` or `-900000`): a window offset, or a length
 * whose sign is checked by the caller.
 * @param value the duration given by the caller (undefined means 0).
 * @param option the option's name for messages.
 * @throws TypeError for a value that is not a duration; RangeError for an infinite one.
 * @example signedDuration('-15m', 'offset') // -900_000
 */
export function signedDuration(value: Duration | undefined, option: string): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) throw new TypeError(`${option} must be a number of milliseconds, got NaN`);
    if (!Number.isFinite(value)) throw new RangeError(`${option} must be a finite number of milliseconds, got ${value}`);
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
