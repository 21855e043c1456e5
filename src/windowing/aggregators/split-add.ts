import type { Aggregator } from '../types.js';

/**
 * A built-in aggregator's `add` in two steps, so a combination can run every part's user code
 * before it changes any part's accumulator: `pick` runs the user's code (the selector) and
 * changes nothing; `put` folds the picked value in and runs no user code. `add(acc, r)` is
 * `put(acc, pick(r))`.
 */
export interface SplitAdd<T = any, A = any, V = any> {
  pick(record: T): V;
  put(acc: A, value: V): A;
}

const splits = new WeakMap<Aggregator, SplitAdd>();

/**
 * Declares `aggregator`'s add as `put(acc, pick(record))` and returns the aggregator.
 * @example return withSplitAdd({ create, add: (acc, r) => put(acc, pick(r)), merge, result }, pick, put);
 */
export function withSplitAdd<T, A, R, V>(
  aggregator: Aggregator<T, A, R>,
  pick: (record: T) => V,
  put: (acc: A, value: V) => A,
): Aggregator<T, A, R> {
  splits.set(aggregator, { pick, put });
  return aggregator;
}

/**
 * The two steps of `aggregator`'s add, when it is a built-in one that declared them.
 * @example splitAddOf(count()) // { pick, put }
 */
export function splitAddOf(aggregator: Aggregator): SplitAdd | undefined {
  return splits.get(aggregator);
}

/**
 * The `pick` of an aggregator that runs no user code per record (`count`): a combination skips it.
 * @example withSplitAdd(agg, noPick, (acc: number) => acc + 1)
 */
export function noPick(): undefined {
  return undefined;
}
