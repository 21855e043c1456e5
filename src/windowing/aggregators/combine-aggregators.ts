import type { Aggregator } from '../types.js';

/** The result of {@link combineAggregators}: each name maps to its aggregator's result. */
export type CombinedResult<S extends Record<string, Aggregator>> = {
  [K in keyof S]: S[K] extends Aggregator<any, any, infer R> ? R : never;
};

/**
 * Runs several named aggregators over the same records as one: the accumulator is
 * `{ name: accumulator }` and the result `{ name: result }`. Retractable when every part is.
 * `.aggregate({ … })` calls this for an object of aggregators.
 * @param spec a non-empty object of named aggregators.
 * @throws TypeError when `spec` is empty or a member is not an aggregator.
 * @example combineAggregators({ trips: count(), revenue: sum((t: Trip) => t.fare) })
 * @see count, sum
 */
export function combineAggregators<T, S extends Record<string, Aggregator<T>>>(
  spec: S,
): Aggregator<T, Record<string, unknown>, CombinedResult<S>> {
  if (spec === null || typeof spec !== 'object') {
    throw new TypeError(`combineAggregators: spec must be an object of named aggregators, got ${spec === null ? 'null' : typeof spec}`);
  }
  const names = Object.keys(spec);
  if (names.length === 0) throw new TypeError('combineAggregators: spec must name at least one aggregator');
  const parts = names.map((name) => {
    const agg = spec[name];
    if (!agg || typeof agg.create !== 'function' || typeof agg.add !== 'function' || typeof agg.merge !== 'function' || typeof agg.result !== 'function') {
      throw new TypeError(`combineAggregators: '${name}' must be an aggregator { create, add, merge, result }`);
    }
    return agg;
  });
  const n = names.length;
  const combined: Aggregator<T, Record<string, unknown>, CombinedResult<S>> = {
    create() {
      const acc: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) acc[names[i]] = parts[i].create();
      return acc;
    },
    add(acc, record) {
      for (let i = 0; i < n; i++) acc[names[i]] = parts[i].add(acc[names[i]], record);
      return acc;
    },
    merge(a, b) {
      for (let i = 0; i < n; i++) a[names[i]] = parts[i].merge(a[names[i]], b[names[i]]);
      return a;
    },
    result(acc) {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) out[names[i]] = parts[i].result(acc[names[i]]);
      return out as CombinedResult<S>;
    },
  };
  if (parts.every((p) => typeof p.retract === 'function')) {
    combined.retract = (acc, record) => {
      for (let i = 0; i < n; i++) acc[names[i]] = parts[i].retract!(acc[names[i]], record);
      return acc;
    };
  }
  return combined;
}
