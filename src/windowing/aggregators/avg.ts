import type { Aggregator } from '../types.js';
import { exactSumAdd, exactSumCreate, exactSumMerge, exactSumValue, type ExactSum } from './exact-sum.js';
import { checkSelector } from './selector.js';
import { withSplitAdd } from './split-add.js';

/** The accumulator of {@link avg}: an exact sum and a count. */
export interface AvgAccumulator {
  sum: ExactSum;
  count: number;
}

/**
 * The arithmetic mean, from an exactly rounded sum (order-independent) divided by the count;
 * `null` for an empty window. Retractable.
 * @param selector picks the number from a record; omitted, the records are the numbers.
 * @throws TypeError when `selector` is not a function.
 * @example stream.window(tumbling('1h')).aggregate({ meanFare: avg(t => t.fare) })
 * @see sum, count
 */
export function avg(): Aggregator<number, AvgAccumulator, number | null>;
/** The mean of `selector(record)` over a window's records; `null` when empty. @example avg((t: Trip) => t.fare) */
export function avg<T>(selector: (record: T) => number): Aggregator<T, AvgAccumulator, number | null>;
export function avg<T>(selector?: (record: T) => number): Aggregator<T, AvgAccumulator, number | null> {
  checkSelector(selector, 'avg');
  const pick = selector ?? ((record: T) => record as unknown as number);
  const put = (acc: AvgAccumulator, x: number): AvgAccumulator => {
    acc.sum = exactSumAdd(acc.sum, x);
    acc.count++;
    return acc;
  };
  const agg: Aggregator<T, AvgAccumulator, number | null> = {
    name: 'avg',
    version: 1,
    create: () => ({ sum: exactSumCreate(), count: 0 }),
    add: (acc, record) => put(acc, pick(record)),
    merge(a, b) {
      a.sum = exactSumMerge(a.sum, b.sum);
      a.count += b.count;
      return a;
    },
    result: (acc) => (acc.count === 0 ? null : exactSumValue(acc.sum) / acc.count),
    retract(acc, record) {
      acc.sum = exactSumAdd(acc.sum, -pick(record));
      acc.count--;
      return acc;
    },
  };
  return withSplitAdd(agg, pick, put);
}
