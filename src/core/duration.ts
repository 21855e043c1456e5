/** A duration: milliseconds as a number, or text such as `'250ms'`, `'30s'`, `'5m'`, `'1h30m'`, `'1d'`. */
export type Duration = number | string;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/**
 * Parses a {@link Duration} to whole milliseconds.
 * @param value a non-negative finite number of ms, or a sum of `<number><unit>` parts, units ms, s, m, h, d.
 * @param option the option's name, used in the error message.
 * @throws TypeError naming the bad text, e.g. `parseDuration('5 min')`.
 * @example parseDuration('1h30m') // 5_400_000
 */
export function parseDuration(value: Duration, option = 'duration'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new TypeError(`${option} must be a non-negative finite number of milliseconds, got ${value}`);
    }
    return Math.round(value);
  }
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`${option} must be a number of ms or a string like '5m' or '1h30m', got ${describe(value)}`);
  }
  let total = 0;
  PART.lastIndex = 0;
  let at = 0;
  while (at < value.length) {
    PART.lastIndex = at;
    const match = PART.exec(value);
    if (!match) {
      throw new TypeError(
        `${option}: cannot parse duration ${JSON.stringify(value)}; use a number of ms or parts like '250ms', '30s', '5m', '1h', '1d' (e.g. '1h30m')`,
      );
    }
    total += Number(match[1]) * UNIT_MS[match[2]];
    at = PART.lastIndex;
  }
  return Math.round(total);
}

/** Shows a rejected value; JSON.stringify alone throws on bigint and hides undefined and symbols. */
function describe(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol' || value === undefined) return String(value);
  return JSON.stringify(value);
}
