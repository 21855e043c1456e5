/**
 * Rounds like SQL `ROUND(x, digits)` on decimals: half away from zero, and on the decimal value
 * the number was written as (`1.005` → `1.01`, where `Math.round(1.005 * 100)` gives `1.00`).
 *
 * @param x - the value.
 * @param digits - decimal places, 0 to 10.
 * @returns the rounded value (`-0` normalised to `0`).
 * @example
 * roundHalfAway(2.675, 2); // 2.68
 * roundHalfAway(-0.125, 2); // -0.13
 */
export function roundHalfAway(x: number, digits: number): number {
  const factor = 10 ** digits;
  // toPrecision(15) drops the binary representation error (1.005 * 100 = 100.49999999999999).
  const scaled = Number((Math.abs(x) * factor).toPrecision(15));
  const r = Math.round(scaled) / factor;
  return x < 0 && r !== 0 ? -r : r;
}
