import type { Aggregator } from '../types.js';
import { pickExtremum, type Comparable } from './extremum.js';
import { checkSelector } from './selector.js';
import { withSplitAdd } from './split-add.js';

/**
 * The smallest value of a window (numbers, strings or bigints compared with `<`); `null` for an
 * empty window; NaN if any value is NaN. Not retractable: undoing a minimum needs every value
 * kept, which is what `collect` is for.
 * @param selector picks the value from a record; omitted, the records are the values.
 * @throws TypeError when `selector` is not a function.
 * @example stream.window(tumbling('1m')).aggregate({ low: min(q => q.price), high: max(q => q.price) })
 * @see max
 */
export function min<V extends Comparable = number>(): Aggregator<V, V | null, V | null>;
/** The smallest `selector(record)` of a window; `null` when empty. @example min((q: Quote) => q.price) */
export function min<T, V extends Comparable = number>(selector: (record: T) => V): Aggregator<T, V | null, V | null>;
export function min<T, V extends Comparable>(selector?: (record: T) => V): Aggregator<T, V | null, V | null> {
  checkSelector(selector, 'min');
  const pick = selector ?? ((record: T) => record as unknown as V);
  const put = (acc: V | null, x: V): V | null => pickExtremum(acc, x, -1);
  const agg: Aggregator<T, V | null, V | null> = {
    name: 'min',
    version: 1,
    create: () => null,
    add: (acc, record) => put(acc, pick(record)),
    merge: (a, b) => pickExtremum(a, b, -1),
    result: (acc) => acc,
  };
  return withSplitAdd(agg, pick, put);
}
