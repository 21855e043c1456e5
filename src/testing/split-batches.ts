/**
 * Splits `items` into consecutive batches whose sizes cycle through `sizes`.
 * @param items the input, in arrival order.
 * @param sizes positive batch sizes, repeated as needed.
 * @throws RangeError when `sizes` is empty or holds a size < 1.
 * @example splitBatches([1, 2, 3, 4, 5], [2, 1]) // [[1, 2], [3], [4, 5]]
 */
export function splitBatches<T>(items: readonly T[], sizes: readonly number[]): T[][] {
  if (sizes.length === 0 || sizes.some((s) => !(Number.isSafeInteger(s) && s >= 1))) {
    throw new RangeError('splitBatches: sizes must be a non-empty list of integers >= 1');
  }
  const batches: T[][] = [];
  let at = 0;
  for (let i = 0; at < items.length; i++) {
    const size = sizes[i % sizes.length];
    batches.push(items.slice(at, at + size));
    at += size;
  }
  return batches;
}
