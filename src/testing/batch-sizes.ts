import type { Arbitrary } from 'fast-check';
import { fastCheck } from './fast-check.js';

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
 * @throws RangeError when `min < 1` or `max < min`; `StreamkitError` `DEPENDENCY_MISSING` without fast-check installed.
 * @example fc.property(keyedEvents(), batchSizes(), ({ arrival }, sizes) => splitBatches(arrival, sizes))
 * @see splitBatches, keyedEvents
 */
export function batchSizes(options: BatchSizesOptions = {}): Arbitrary<number[]> {
  const min = options.min ?? 1;
  const max = options.max ?? 32;
  if (!(Number.isSafeInteger(min) && min >= 1 && Number.isSafeInteger(max) && max >= min)) {
    throw new RangeError(`batchSizes: need integers 1 <= min <= max, got min ${min}, max ${max}`);
  }
  const fc = fastCheck();
  return fc.array(fc.integer({ min, max }), { minLength: 1, maxLength: options.maxCount ?? 8 });
}
