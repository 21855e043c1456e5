import { avg, sum, type Aggregator, type SumOptions } from '../../src/index.js';

/**
 * SQL's `SUM(x)`: nulls are skipped (streamkit's `sum` treats every record as a number). Built on
 * `sum`, so it is exact and order-independent like the batch engine's sum; with `{ scale: 2 }`,
 * a money sum in whole cents, as the batch check's `sum(round(x * 100))` is.
 */
export function sqlSum<T>(pick: (record: T) => number | null, options: SumOptions = {}): Aggregator<T, any, number> {
  return skippingNulls(
    sum((x: number) => x, options),
    pick,
  );
}

/** SQL's `AVG(x)`: nulls are neither summed nor counted; `null` when nothing was. */
export function sqlAvg<T>(pick: (record: T) => number | null): Aggregator<T, any, number | null> {
  return skippingNulls(avg(), pick);
}

/** Feeds `inner` the picked value of each record, skipping records whose value is null. */
function skippingNulls<T, R>(inner: Aggregator<number, any, R>, pick: (record: T) => number | null): Aggregator<T, any, R> {
  return {
    create: inner.create,
    add: (acc, record) => {
      const x = pick(record);
      return x === null ? acc : inner.add(acc, x);
    },
    merge: inner.merge,
    result: inner.result,
  };
}

/** SQL's `COUNT(*) FILTER (WHERE …)` / `SUM(CASE WHEN … THEN 1 ELSE 0 END)`. */
export function countIf<T>(predicate: (record: T) => boolean): Aggregator<T, number, number> {
  return {
    create: () => 0,
    add: (acc, record) => (predicate(record) ? acc + 1 : acc),
    merge: (a, b) => a + b,
    result: (acc) => acc,
  };
}
