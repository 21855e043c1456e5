import type { StateWriter } from './state-writer.js';

/**
 * An operator's keyed state kept in the state backend's store, not in the heap: `levelState(dir,
 * { memory })` keeps it in LevelDB behind one cache of hot entries bounded by the memory budget.
 * Reads and writes are synchronous (a cache miss reads LevelDB synchronously), so an operator
 * processes a batch as it does with heap state. Changes stay in memory until the next checkpoint
 * writes them, with the source positions, in one atomic LevelDB batch; the runtime takes a
 * checkpoint early when they fill a quarter of the budget. Nothing is loaded on restore: the first read
 * of a key loads it.
 *
 * Values are plain structured-cloneable data. A value read with `get` belongs to the store: an
 * operator that changes it must `put` it again (an entry that is not dirty may be evicted and
 * read back from LevelDB at any time).
 * @example
 * const store = ctx.residentState?.();
 * if (store) {
 *   const seenAt = store.get(`i/${id}`) as number | undefined;
 *   if (seenAt === undefined) store.put(`i/${id}`, time);
 * }
 */
export interface ResidentState {
  /** The value under `key`, or `undefined` when there is none. */
  get(key: string): unknown;
  /** Sets the value under `key`; written at the next checkpoint. */
  put(key: string, value: unknown): void;
  /** Removes `key`; written at the next checkpoint. */
  delete(key: string): void;
  /**
   * Removes every key that starts with `prefix`, in one range delete at the next checkpoint
   * (LevelDB's entries are not visited one by one in JavaScript). Reads see it at once. The prefix
   * is retired: putting a key under it afterwards throws, so use it for ranges that are done for
   * good (a time bucket the watermark passed).
   */
  deletePrefix(prefix: string): void;
  /**
   * Writes what changed since the previous snapshot into a checkpoint: the operator's
   * `snapshotState(writer)` calls it. A resident operator's snapshot is always incremental.
   */
  snapshot(writer: StateWriter): void;
  /**
   * The keys under `prefix` in key order, the checkpointed ones merged with the changes not yet
   * written (for queryable state; not for the processing path, which reads keys it knows).
   */
  keys(prefix: string): AsyncIterable<string>;
}
