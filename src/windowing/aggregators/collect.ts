import type { Aggregator } from '../types.js';
import { checkSelector } from './selector.js';
import { withSplitAdd } from './split-add.js';

/**
 * Collects a window's values into an array, in the order they were added (arrival order; after a
 * session merge, the earlier session's values first). Not retractable: finding one value to
 * remove costs a scan and an equality the values may not have.
 * @param selector picks the value from a record; omitted, the records themselves.
 * @throws TypeError when `selector` is not a function.
 * @example stream.keyBy(e => e.user).window(session('30m')).aggregate({ pages: collect(e => e.page) })
 * @see reduce
 */
export function collect<T>(): Aggregator<T, T[], T[]>;
/** Collects `selector(record)` of a window's records in arrival order. @example collect((e: Click) => e.page) */
export function collect<T, V>(selector: (record: T) => V): Aggregator<T, V[], V[]>;
export function collect<T, V>(selector?: (record: T) => V): Aggregator<T, V[], V[]> {
  checkSelector(selector, 'collect');
  const pick = selector ?? ((record: T) => record as unknown as V);
  const put = (acc: V[], value: V): V[] => {
    acc.push(value);
    return acc;
  };
  const agg: Aggregator<T, V[], V[]> = {
    name: 'collect',
    version: 1,
    create: () => [],
    add: (acc, record) => put(acc, pick(record)),
    merge(a, b) {
      for (const v of b) a.push(v);
      return a;
    },
    result: (acc) => acc.slice(),
  };
  return withSplitAdd(agg, pick, put);
}
