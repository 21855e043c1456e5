import type { Aggregator } from '../types.js';
import { noPick, withSplitAdd } from './split-add.js';

/**
 * Counts the records of a window. Retractable.
 * @example stream.keyBy(c => c.page).window(tumbling('1m')).aggregate(count())
 * @see sum, avg
 */
export function count<T = unknown>(): Aggregator<T, number, number> {
  if (arguments.length > 0) throw new TypeError('count: takes no arguments; to count only some records, filter first');
  const agg: Aggregator<T, number, number> = {
    name: 'count',
    version: 1,
    create: () => 0,
    add: (acc) => acc + 1,
    merge: (a, b) => a + b,
    result: (acc) => acc,
    retract: (acc) => acc - 1,
  };
  return withSplitAdd(agg, noPick, (acc: number) => acc + 1);
}
