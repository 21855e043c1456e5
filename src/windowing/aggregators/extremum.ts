/** Values `min` and `max` can compare with `<`. */
export type Comparable = number | string | bigint;

/**
 * Keeps the smaller (`sign = -1`) or larger (`sign = 1`) of two values; `null` is "nothing yet".
 * NaN wins over everything so the result does not depend on where the NaN arrived.
 * @example pickExtremum(3, 5, 1) // 5
 */
export function pickExtremum<V extends Comparable>(acc: V | null, x: V | null, sign: 1 | -1): V | null {
  if (x === null || x === undefined) return acc;
  if (acc === null) return x;
  if (x !== x) return x;
  if (acc !== acc) return acc;
  return (sign > 0 ? x > acc : x < acc) ? x : acc;
}
