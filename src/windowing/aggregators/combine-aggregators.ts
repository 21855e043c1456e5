import type { Aggregator } from '../types.js';
import { aggregatorIdentity, checkAggregatorIdentity } from './aggregator-identity.js';

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
    if (
      !agg ||
      typeof agg.create !== 'function' ||
      typeof agg.add !== 'function' ||
      typeof agg.merge !== 'function' ||
      typeof agg.result !== 'function'
    ) {
      throw new TypeError(`combineAggregators: '${name}' must be an aggregator { create, add, merge, result }`);
    }
    checkAggregatorIdentity(agg, `combineAggregators: '${name}'`);
    return agg;
  });
  // The accumulator is an object of the parts' accumulators by name, so the identity is the parts'
  // identities by name, in name order: reordering the parts keeps it, adding or changing one does not.
  const identity = names
    .map((name, i) => [name, aggregatorIdentity(parts[i])] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, id]) => `${JSON.stringify(name)}:${id}`);
  const combined: Aggregator<T, Record<string, unknown>, CombinedResult<S>> = Object.assign(
    names.includes('__proto__') ? generic(names, parts) : specialized(names, parts),
    { name: `{${identity.join(',')}}` },
  );
  if (parts.every((p) => typeof p.retract === 'function')) {
    const n = names.length;
    combined.retract = (acc, record) => {
      for (let i = 0; i < n; i++) acc[names[i]] = parts[i].retract!(acc[names[i]], record);
      return acc;
    };
  }
  return combined;
}

type Parts<T> = Aggregator<T>[];
type Combined<T> = Pick<Aggregator<T, Record<string, unknown>, any>, 'create' | 'add' | 'merge' | 'result'>;

/**
 * The combined functions written out for these names: `{ "trips": p[0].create(), … }` and
 * `acc["trips"] = p[0].add(acc["trips"], record)`. Every window state and every result goes
 * through them, and literal property names make each access a monomorphic named one, where a
 * loop over the names makes every access a megamorphic keyed one. The accumulator and result are
 * the same objects the loop would build (same keys, same order). Names are embedded as JSON string
 * literals, which are valid JavaScript string literals, so no name can inject code.
 */
function specialized<T>(names: string[], parts: Parts<T>): Combined<T> {
  const lit = names.map((name) => JSON.stringify(name));
  const fields = (value: (i: number) => string) => lit.map((name, i) => `${name}: ${value(i)}`).join(', ');
  const assign = (value: (i: number) => string) => lit.map((name, i) => `acc[${name}] = ${value(i)};`).join(' ');
  const make = new Function(
    'p',
    `return {
      create() { return { ${fields((i) => `p[${i}].create()`)} }; },
      add(acc, record) { ${assign((i) => `p[${i}].add(acc[${lit[i]}], record)`)} return acc; },
      merge(acc, b) { ${assign((i) => `p[${i}].merge(acc[${lit[i]}], b[${lit[i]}])`)} return acc; },
      result(acc) { return { ${fields((i) => `p[${i}].result(acc[${lit[i]}])`)} }; },
    };`,
  ) as (p: Parts<T>) => Combined<T>;
  return make(parts);
}

/** The same functions as loops over the names: for a name such as `__proto__`, which an object literal would treat as the prototype. */
function generic<T>(names: string[], parts: Parts<T>): Combined<T> {
  const n = names.length;
  return {
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
      return out;
    },
  };
}
