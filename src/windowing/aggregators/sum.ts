import type { Aggregator } from '../types.js';
import { exactSumAdd, exactSumCreate, exactSumMerge, exactSumValue, type ExactSum } from './exact-sum.js';
import { checkSelector } from './selector.js';
import { withSplitAdd } from './split-add.js';

/**
 * Sums numbers exactly rounded: the result is the exact sum rounded once, so it equals a batch sum
 * whatever the arrival order, batching or session merges (integers below 2^53 are exact).
 * Retractable (removing a value is exact too, except after an infinity or NaN was added).
 * An empty window sums to 0.
 * @param selector picks the number from a record; omitted, the records are the numbers.
 * @throws TypeError when `selector` is not a function.
 * @example stream.keyBy(t => t.zone).window(tumbling('5m')).aggregate({ revenue: sum(t => t.totalAmount) })
 * @see avg, count
 */
export function sum(): Aggregator<number, ExactSum, number>;
/** Sums `selector(record)` over a window's records, exactly rounded; 0 when empty. @example sum((t: Trip) => t.fare) */
export function sum<T>(selector: (record: T) => number): Aggregator<T, ExactSum, number>;
export function sum<T>(selector?: (record: T) => number): Aggregator<T, ExactSum, number> {
  checkSelector(selector, 'sum');
  const pick = selector ?? ((record: T) => record as unknown as number);
  const agg: Aggregator<T, ExactSum, number> = {
    name: 'sum',
    version: 1,
    create: exactSumCreate,
    add: (acc, record) => exactSumAdd(acc, pick(record)),
    merge: exactSumMerge,
    result: exactSumValue,
    retract: (acc, record) => exactSumAdd(acc, -pick(record)),
  };
  return withSplitAdd(agg, pick, exactSumAdd);
}
