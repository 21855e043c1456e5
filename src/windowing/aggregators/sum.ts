import { checkOptions } from '../../core/options.js';
import type { Aggregator } from '../types.js';
import { decimalSum, MAX_DECIMAL_SCALE } from './decimal-sum.js';
import { exactSumAdd, exactSumCreate, exactSumMerge, exactSumValue, type ExactSum } from './exact-sum.js';
import { checkSelector } from './selector.js';
import { withSplitAdd } from './split-add.js';

/** Options of {@link sum}. */
export interface SumOptions {
  /**
   * Decimal mode, for money: sum decimals with this many places (0 to 15) as an integer number of
   * units, so `sum(t => t.fare, { scale: 2 })` adds up cents and prints `-45.2`, never
   * `-45.199999999999996`. Each value is rounded to `scale` places first, half away from zero
   * (SQL's `ROUND`). A value that is not a finite number, or a total beyond 15 digits
   * (±9,999,999,999,999.99 at scale 2), makes the aggregator throw a `RangeError`.
   */
  scale?: number;
}

/**
 * Sums numbers exactly rounded: the result is the exact sum rounded once, so it equals a batch sum
 * whatever the arrival order, batching or session merges (integers below 2^53 are exact).
 * Retractable (removing a value is exact too, except after an infinity or NaN was added).
 * An empty window sums to 0. With `{ scale }`, sums decimals exactly instead (see {@link SumOptions}).
 * Without a selector, the records are the numbers.
 * @throws TypeError when `selector` is not a function or an option is unknown; RangeError when
 *   `scale` is not an integer from 0 to 15.
 * @example stream.keyBy(t => t.zone).window(tumbling('5m')).aggregate({ revenue: sum(t => t.totalAmount, { scale: 2 }) })
 * @see avg, count
 */
export function sum(): Aggregator<number, ExactSum, number>;
/**
 * Sums `selector(record)` as decimals of `options.scale` places, in integer units (decimal mode, for money).
 * @param selector picks the number from a record.
 * @param options `{ scale }`: decimal places, 0 to 15 (see {@link SumOptions}).
 * @example sum((t: Trip) => t.fare, { scale: 2 })
 */
export function sum<T>(selector: (record: T) => number, options: SumOptions & { scale: number }): Aggregator<T, number, number>;
/**
 * Sums `selector(record)` over a window's records, exactly rounded; 0 when empty.
 * @param selector picks the number from a record.
 * @param options `{ scale }` for decimal mode (see {@link SumOptions}).
 * @example sum((t: Trip) => t.fare)
 */
export function sum<T>(selector: (record: T) => number, options?: SumOptions): Aggregator<T, ExactSum, number>;
export function sum<T>(selector?: (record: T) => number, options?: SumOptions): Aggregator<T, any, number> {
  checkSelector(selector, 'sum');
  checkOptions('sum', options, ['scale']);
  const pick = selector ?? ((record: T) => record as unknown as number);
  const scale = options?.scale;
  if (scale !== undefined) {
    if (!(Number.isInteger(scale) && scale >= 0 && scale <= MAX_DECIMAL_SCALE)) {
      throw new RangeError(`sum: option "scale" must be an integer from 0 to ${MAX_DECIMAL_SCALE} (decimal places), got ${String(scale)}`);
    }
    return decimalSum(pick, scale);
  }
  const agg: Aggregator<T, ExactSum, number> = {
    name: 'sum',
    version: 1,
    create: exactSumCreate,
    add: (acc: ExactSum, record: T) => exactSumAdd(acc, pick(record)),
    merge: exactSumMerge,
    result: exactSumValue,
    retract: (acc: ExactSum, record: T) => exactSumAdd(acc, -pick(record)),
  };
  return withSplitAdd(agg, pick, exactSumAdd);
}
