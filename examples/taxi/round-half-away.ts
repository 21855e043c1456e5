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
  const scaled = Math.abs(x) * factor;
  const floor = Math.floor(scaled);
  const frac = scaled - floor;
  // Only a value within representation error of a half needs the decimal view: toPrecision(15)
  // drops that error (1.005 * 100 = 100.49999999999999). Everything else rounds directly.
  const whole = Math.abs(frac - 0.5) > 1e-6 ? (frac > 0.5 ? floor + 1 : floor) : Math.round(Number(scaled.toPrecision(15)));
  const r = whole / factor;
  return x < 0 && r !== 0 ? -r : r;
}
