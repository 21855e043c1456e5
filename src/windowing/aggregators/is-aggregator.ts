import type { Aggregator } from '../types.js';

/**
 * Whether `value` has the four functions of an aggregator: what `.aggregate(…)`, the window
 * operator and `combineAggregators` check at the call site.
 * @example isAggregator(count()) // true; isAggregator({ add() {} }) // false
 */
export function isAggregator(value: unknown): value is Aggregator {
  const agg = value as Partial<Aggregator> | null | undefined;
  return (
    !!agg &&
    typeof agg.create === 'function' &&
    typeof agg.add === 'function' &&
    typeof agg.merge === 'function' &&
    typeof agg.result === 'function'
  );
}
