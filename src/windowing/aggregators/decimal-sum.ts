import type { Aggregator } from '../types.js';

/**
 * The largest running total, in units of the scale (cents at scale 2), that a decimal sum keeps:
 * 15 digits. Every decimal of at most 15 significant digits survives the trip through a double
 * (IEEE 754's DBL_DIG), so a total within it prints as exactly its decimal, `-45.2` and never
 * `-45.199999999999996`; at scale 2 that is ±9,999,999,999,999.99.
 */
export const MAX_DECIMAL_UNITS = 999_999_999_999_999;

/** The most decimal places a decimal sum takes: beyond, not even one whole unit fits in 15 digits. */
export const MAX_DECIMAL_SCALE = 15;

/**
 * A sum of decimals with `scale` places, kept as an integer number of units (cents at scale 2):
 * exact, so a money total carries no float noise and does not depend on arrival order, batching
 * or session merges. Each value is first rounded to `scale` places, half away from zero (SQL's
 * `ROUND`; a value already at the scale, the usual case for money, is taken as it is).
 *
 * The accumulator is the integer total, plain data for checkpoints. A value that is not a finite
 * number, or a total outside ±{@link MAX_DECIMAL_UNITS} units, cannot be represented: `add`,
 * `merge` and `retract` throw a `RangeError` saying so and leave the total unchanged.
 * @param pick the number of a record.
 * @param scale decimal places, an integer from 0 to {@link MAX_DECIMAL_SCALE} (validated by the caller).
 * @example decimalSum((t: Trip) => t.fare, 2) // the fares, summed in cents
 */
export function decimalSum<T>(pick: (record: T) => number, scale: number): Aggregator<T, number, number> {
  const factor = 10 ** scale;
  const who = `sum({ scale: ${scale} })`;
  const units = (x: number): number => toUnits(x, factor, scale, who);
  const checked = (total: number): number => {
    if (!(total >= -MAX_DECIMAL_UNITS && total <= MAX_DECIMAL_UNITS)) {
      throw new RangeError(
        `${who}: the total would be ${total / factor}, beyond ±${MAX_DECIMAL_UNITS / factor}, the most a decimal sum at this scale holds exactly (15 digits)`,
      );
    }
    return total;
  };
  return {
    // The accumulator is a count of units of this scale: another scale's units mean another amount.
    name: `sum(scale=${scale})`,
    version: 1,
    create: () => 0,
    add: (acc, record) => checked(acc + units(pick(record))),
    merge: (a, b) => checked(a + b),
    // A total of units is a plain integer: dividing once gives the double nearest to the decimal.
    result: (acc) => (acc === 0 ? 0 : acc / factor),
    retract: (acc, record) => checked(acc - units(pick(record))),
  };
}

/** `x` rounded to `scale` places, half away from zero, as an integer number of units. */
function toUnits(x: number, factor: number, scale: number, who: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) {
    throw new RangeError(`${who}: a decimal sum takes finite numbers, got ${typeof x === 'number' ? x : `${typeof x} ${String(x)}`}`);
  }
  let n = Math.round(x * factor);
  // The usual case: x is the double nearest to the decimal n / factor, so x rounds to n exactly
  // (within 15 digits, doubles lie closer together than a unit of the scale). Otherwise round x's
  // exact binary value: x * factor was itself rounded and could sit on the wrong side of a half
  // unit; toFixed rounds the exact value, ties away from zero.
  if (n / factor !== x) {
    const magnitude = Number(Math.abs(x).toFixed(scale).replace('.', ''));
    n = x < 0 ? -magnitude : magnitude;
  }
  if (!(Math.abs(n) <= MAX_DECIMAL_UNITS)) {
    throw new RangeError(
      `${who}: ${x} is beyond ±${MAX_DECIMAL_UNITS / factor}, the most a decimal sum at this scale holds exactly (15 digits)`,
    );
  }
  return n === 0 ? 0 : n;
}
