import { encodeKey } from './key-encoding.js';

/**
 * Queryable state: read-only views of the live keyed state of a running job's stateful operators
 * (Kafka Streams' interactive queries). An operator offers its state through a
 * {@link KeyedStateQuery} hook; `job.query(uid)` returns a {@link StateQuery} over every partition
 * task's copy of that operator.
 */

/**
 * What a stateful operator offers to queries: its live state per key, in the user's terms (windows
 * and their current values, a remembered id, typed process state, buffered join records), never
 * the internal state encoding. Called between batches only, so a read never sees half a batch.
 * @example
 * // A custom operator counting records per key in `counts: Map<unknown, number>`:
 * readonly stateQuery: KeyedStateQuery = {
 *   get: (key) => this.counts.get(key),
 *   keys: () => this.counts.keys(),
 * };
 */
export interface KeyedStateQuery {
  /**
   * What the operator holds for `key` (plain data), or `undefined` when it holds nothing. `key` is
   * one `encodeKey` accepts (callers check it first).
   */
  get(key: unknown): unknown;
  /**
   * The keys it holds state for, as the user's keys, in any order; an operator whose state is on
   * disk (`ResidentState`) lists them as it reads them.
   */
  keys(): Iterable<unknown> | AsyncIterable<unknown>;
}

/** One key's state, as {@link StateQuery.entries} lists it. */
export interface StateEntry<V = unknown> {
  key: unknown;
  value: V;
}

/** Which keys {@link StateQuery.entries} and {@link StateQuery.keys} list, in key order ({@link compareKeys}). */
export interface StateRangeOptions {
  /** The first key listed, inclusive. */
  from?: unknown;
  /** The last key listed, inclusive. */
  to?: unknown;
  /** At most this many keys (a non-negative integer). */
  limit?: number;
}

/**
 * A read-only view of the live keyed state of one stateful operator of a running job, returned by
 * `job.query(uid)`. Reads see the state after the last completed batch (which may be ahead of the
 * last checkpoint); a read waits until the job has opened and restored its state.
 * @example
 * const job = stream.run({ state: levelState('./state') });
 * const totals = job.query('zone-totals');
 * await totals.get(114); // [{ window: { start, end }, value: 42, fired: false }]
 * await totals.entries({ limit: 10 }); // [{ key: 4, value: [...] }, …]
 */
export interface StateQuery<V = unknown> {
  /** The operator's id (`.uid(name)` or its derived id). */
  readonly uid: string;
  /**
   * The state of `key` (the value `keyBy` returned; a dedup's id), or `undefined` when the
   * operator holds none for it.
   * @throws StreamkitError `PIPELINE_INVALID` (rejects) when no stateful operator has this uid.
   */
  get(key: unknown): Promise<V | undefined>;
  /** Every key's state in key order, within `options`. */
  entries(options?: StateRangeOptions): Promise<StateEntry<V>[]>;
  /** The keys holding state in key order, within `options`. */
  keys(options?: StateRangeOptions): Promise<unknown[]>;
}

/**
 * The order queries list keys in: numbers (and bigints) by value, then strings by code units,
 * then booleans, then every other key by its {@link encodeKey} text.
 * @param a a key.
 * @param b a key.
 * @returns negative when `a` comes first, positive when `b` does, 0 for the same key.
 * @example [10, 'b', 9, 'a'].sort(compareKeys) // [9, 10, 'a', 'b']
 */
export function compareKeys(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === OTHER) {
    const ta = encodeKey(a);
    const tb = encodeKey(b);
    return ta < tb ? -1 : ta > tb ? 1 : 0;
  }
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

const OTHER = 3;

function rank(key: unknown): number {
  switch (typeof key) {
    case 'number':
      return Number.isNaN(key) ? OTHER : 0;
    case 'bigint':
      return 0;
    case 'string':
      return 1;
    case 'boolean':
      return 2;
    default:
      return OTHER;
  }
}
