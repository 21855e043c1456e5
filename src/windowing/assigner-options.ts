import { parseDuration, type Duration } from '../core/duration.js';

/**
 * Rejects option names an assigner factory does not know, so a typo such as `{ timezone }`
 * fails at the call site instead of silently producing UTC windows.
 * @param factory the factory's name, used in the message.
 * @param options the options object the caller passed (may be undefined).
 * @param known the option names the factory accepts.
 * @throws TypeError when `options` is not an object or names an unknown option.
 * @example checkOptions('tumbling', { offset: '1h' }, ['offset', 'timeZone'])
 */
export function checkOptions(factory: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${factory}: options must be an object, got ${JSON.stringify(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) {
      throw new TypeError(`${factory}: unknown option '${name}'; known options are ${known.map((k) => `'${k}'`).join(', ')}`);
    }
  }
}

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
