import type { Aggregator } from '../types.js';

/** The accumulator of {@link reduce}: whether any value arrived, and the reduction so far. */
export interface ReduceAccumulator<V> {
  empty: boolean;
  value: V | null;
}

/**
 * Folds a window's records with a binary function. `fn` must be associative (windows are split
 * and merged: sessions, batches) and commutative if the result must not depend on arrival order.
 * With `initial`, it must be `fn`'s identity (0 for +, 1 for *, '' for concatenation): it is the
 * result of an empty window and is not counted again when accumulators merge. Without it, an empty
 * window's result is `null`. Not retractable.
 * @param fn combines two values, e.g. `(a, b) => a + b`.
 * @param initial optional identity element of `fn`.
 * @throws TypeError when `fn` is not a function.
 * @example stream.window(tumbling('1m')).aggregate({ product: reduce((a: number, b: number) => a * b, 1) })
 * @see collect, sum
 */
export function reduce<V>(fn: (a: V, b: V) => V, initial?: V): Aggregator<V, ReduceAccumulator<V>, V | null> {
  if (typeof fn !== 'function') throw new TypeError(`reduce: fn must be a function (a, b) => value, got ${typeof fn}`);
  const hasInitial = arguments.length > 1;
  // Every window gets its own copy, so an `fn` that mutates its accumulator cannot leak across windows.
  const fresh = typeof initial === 'object' && initial !== null ? () => structuredClone(initial) : () => initial as V;
  return {
    name: 'reduce',
    version: 1,
    create: () => (hasInitial ? { empty: false, value: fresh() } : { empty: true, value: null }),
    add(acc, value) {
      if (acc.empty) {
        acc.empty = false;
        acc.value = value;
      } else {
        acc.value = fn(acc.value as V, value);
      }
      return acc;
    },
    merge(a, b) {
      if (b.empty) return a;
      if (a.empty) {
        a.empty = false;
        a.value = b.value;
      } else {
        a.value = fn(a.value as V, b.value as V);
      }
      return a;
    },
    result: (acc) => (acc.empty ? null : acc.value),
  };
}
