import type { Aggregator } from '../types.js';
import { aggregatorIdentity, checkAggregatorIdentity } from './aggregator-identity.js';
import { isAggregator } from './is-aggregator.js';
import { noPick, splitAddOf, type SplitAdd } from './split-add.js';

/** The result of {@link combineAggregators}: each name maps to its aggregator's result. */
export type CombinedResult<S extends Record<string, Aggregator>> = {
  [K in keyof S]: S[K] extends Aggregator<any, any, infer R> ? R : never;
};

/**
 * Runs several named aggregators over the same records as one: the accumulator is
 * `{ name: accumulator }` and the result `{ name: result }`. Retractable when every part is.
 * `.aggregate({ … })` calls this for an object of aggregators.
 *
 * Its `add` is all-or-nothing: a part that throws on a record (a selector meeting a malformed
 * record) leaves every part as it was, so the window operator can dead-letter the record and keep
 * the window exact. The built-in parts pick their values first (user code, no change), then fold
 * them in (no user code). Other parts (your own aggregators, `reduce`) cannot be split: each but
 * the first is first tried on a fresh accumulator, then they add for real, first to last. Each of
 * them must itself throw before it changes its accumulator, and a part whose add fails only for
 * some accumulators can still leave the parts before it changed.
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
    if (!isAggregator(agg)) throw new TypeError(`combineAggregators: '${name}' must be an aggregator { create, add, merge, result }`);
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
 * The order in which a combined add runs its parts: the picks of the split parts, the trial adds
 * of every other part but the first, the real adds of those parts, then the puts of the split parts.
 */
interface AddPlan {
  splits: Array<SplitAdd | undefined>;
  /** Indices of the parts that cannot be split. */
  opaque: number[];
}

function planAdd<T>(parts: Parts<T>): AddPlan {
  const splits = parts.map((p) => splitAddOf(p));
  const opaque = parts.map((_, i) => i).filter((i) => splits[i] === undefined);
  return { splits, opaque };
}

/**
 * The combined functions written out for these names: `{ "trips": p[0].create(), … }` and
 * `acc["trips"] = s[0].put(acc["trips"], v0)`. Every window state and every result goes through
 * them, and literal property names make each access a monomorphic named one, where a loop over the
 * names makes every access a megamorphic keyed one. The accumulator and result are the same
 * objects the loop would build (same keys, same order). Names are embedded as JSON string
 * literals, which are valid JavaScript string literals, so no name can inject code.
 */
function specialized<T>(names: string[], parts: Parts<T>): Combined<T> {
  const lit = names.map((name) => JSON.stringify(name));
  const fields = (value: (i: number) => string) => lit.map((name, i) => `${name}: ${value(i)}`).join(', ');
  const assign = (value: (i: number) => string) => lit.map((name, i) => `acc[${name}] = ${value(i)};`).join(' ');
  const { splits, opaque } = planAdd(parts);
  const add: string[] = [];
  splits.forEach((split, i) => {
    if (split && split.pick !== noPick) add.push(`const v${i} = s[${i}].pick(record);`);
  });
  for (const i of opaque.slice(1)) add.push(`p[${i}].add(p[${i}].create(), record);`);
  for (const i of opaque) add.push(`acc[${lit[i]}] = p[${i}].add(acc[${lit[i]}], record);`);
  splits.forEach((split, i) => {
    if (split) add.push(`acc[${lit[i]}] = s[${i}].put(acc[${lit[i]}], ${split.pick === noPick ? 'undefined' : `v${i}`});`);
  });
  const make = new Function(
    'p',
    's',
    `return {
      create() { return { ${fields((i) => `p[${i}].create()`)} }; },
      add(acc, record) { ${add.join(' ')} return acc; },
      merge(acc, b) { ${assign((i) => `p[${i}].merge(acc[${lit[i]}], b[${lit[i]}])`)} return acc; },
      result(acc) { return { ${fields((i) => `p[${i}].result(acc[${lit[i]}])`)} }; },
    };`,
  ) as (p: Parts<T>, s: Array<SplitAdd | undefined>) => Combined<T>;
  return make(parts, splits);
}

/** The same functions as loops over the names: for a name such as `__proto__`, which an object literal would treat as the prototype. */
function generic<T>(names: string[], parts: Parts<T>): Combined<T> {
  const n = names.length;
  const { splits, opaque } = planAdd(parts);
  return {
    create() {
      const acc: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) acc[names[i]] = parts[i].create();
      return acc;
    },
    add(acc, record) {
      const picked = splits.map((split) => split?.pick(record));
      for (const i of opaque.slice(1)) parts[i].add(parts[i].create(), record);
      for (const i of opaque) acc[names[i]] = parts[i].add(acc[names[i]], record);
      for (let i = 0; i < n; i++) {
        const split = splits[i];
        if (split) acc[names[i]] = split.put(acc[names[i]], picked[i]);
      }
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
