import fc from 'fast-check';

/** Options of {@link batchSizes}. */
export interface BatchSizesOptions {
  /** Smallest batch (default 1). */
  min?: number;
  /** Largest batch (default 32). */
  max?: number;
  /** Most sizes in the cycle (default 8). */
  maxCount?: number;
}

/**
 * A fast-check arbitrary of batch-size cycles: a non-empty list of sizes that
 * {@link splitBatches} repeats over the input, so properties can check that results do not depend
 * on how input is split into batches.
 * @param options `{ min = 1, max = 32, maxCount = 8 }`.
 * @throws RangeError when `min < 1` or `max < min`.
 * @example fc.property(keyedEvents(), batchSizes(), ({ arrival }, sizes) => splitBatches(arrival, sizes))
 * @see splitBatches, keyedEvents
 */
export function batchSizes(options: BatchSizesOptions = {}): fc.Arbitrary<number[]> {
  const min = options.min ?? 1;
  const max = options.max ?? 32;
  if (!(Number.isSafeInteger(min) && min >= 1 && Number.isSafeInteger(max) && max >= min)) {
    throw new RangeError(`batchSizes: need integers 1 <= min <= max, got min ${min}, max ${max}`);
  }
  return fc.array(fc.integer({ min, max }), { minLength: 1, maxLength: options.maxCount ?? 8 });
}

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
