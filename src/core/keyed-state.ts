import type { StateWriter } from './operator.js';

/**
 * The contract between a stateful operator and its keyed state (docs/architecture.md, "Keyed
 * state"). Every stateful operator reads and writes its state through one {@link KeyedStateStore};
 * the store, not the operator, knows what changed since the last snapshot and how it is encoded,
 * so the runtime-facing `snapshotState(writer, full)` / `restoreState(entries)` of an operator is
 * one call each into its store.
 *
 * State is organised in *tables*, each under its own key prefix in the operator's namespace, and
 * in *cells* (one value, such as the operator's watermark). A state key is the table prefix
 * followed by a path the table's layout defines; every layout puts the key's text
 * (`encodeKey`) at a place it can be parsed back from, and orders the rest of the path the way
 * the operator scans it (by window end, by key then time, …), so that a store that keeps state
 * on disk can prefetch and delete by range.
 *
 * All calls are synchronous: operators never await their state.
 */
export interface KeyedStateStore {
  /** Registers the operator's single value stored under `spec.key`. */
  cell(spec: StateCellSpec): StateCell;
  /** Registers a map of string keys to values that the store keeps. */
  map<V>(spec: MapTableSpec<V>): MapTable<V>;
  /** Registers a table of entries the operator keeps in its own index structures. */
  entries<E extends TrackedEntry, R>(spec: EntryTableSpec<E, R>): EntryTable<E>;
  /**
   * Registers a reader of an older layout: entries under `spec.prefix` are read into the current
   * tables and rewritten under their current keys at the next snapshot.
   */
  legacy(spec: LegacyLayoutSpec): void;
  /**
   * Writes what changed since the previous snapshot, or everything when `full` or when nothing
   * was tracked yet (no snapshot or restore before).
   */
  snapshot(writer: StateWriter, full: boolean): void;
  /**
   * Loads a checkpoint's entries: cells first (so an operator can refuse a checkpoint written
   * for something else before anything is applied), then tables in registration order.
   * @throws StateError `STATE_INCOMPATIBLE` for a key no table or legacy layout claims, and
   *   `STATE_CORRUPT` for a value a table cannot decode.
   */
  restore(entries: Iterable<[string, unknown]>): void;
}

/** A single value of an operator, written when it changed. */
export interface StateCell {
  /** The value `spec.value()` returns changed: write it at the next snapshot. */
  changed(): void;
}

/** What a {@link StateCell} stores and how it is restored. */
export interface StateCellSpec {
  /** Its state key, e.g. `w2/m`. */
  readonly key: string;
  /** When true, a checkpoint holding other entries of the operator but not this one is corrupt. */
  readonly required?: boolean;
  /** The value to store now (plain data). */
  value(): unknown;
  /** Checks and applies a restored value; throws a `StateError` to refuse the checkpoint. */
  restore(value: unknown): void;
}

/**
 * A map of keys to values kept by the store, for state whose values are plain data (dedup's
 * first-seen times, a repartition reader's positions): a `set` or `delete` is recorded; a value
 * changed in place must be reported with {@link MapTable.changed}.
 */
export interface MapTable<V> {
  readonly size: number;
  get(key: string): V | undefined;
  has(key: string): boolean;
  set(key: string, value: V): void;
  delete(key: string): void;
  /** Removes every entry (each becomes a delete in the next snapshot). */
  clear(): void;
  /** The value under `key` was changed in place. */
  changed(key: string): void;
  keys(): IterableIterator<string>;
  entries(): IterableIterator<[string, V]>;
}

/** How a {@link MapTable} is stored: under `prefix + key`. */
export interface MapTableSpec<V> {
  readonly prefix: string;
  /** The stored form of a value; the value itself when omitted. */
  encode?(value: V): unknown;
  /** Checks and decodes a stored value; throws a `StateError` when it is not one. */
  decode(value: unknown, key: string): V;
}

/**
 * Bookkeeping the store keeps on an entry that the operator holds in its own structures (a
 * window's state): the entry itself is the dirty marker, so recording a change costs a field
 * comparison for an entry already changed in this snapshot period.
 */
export interface TrackedEntry {
  /** The snapshot period in which the entry was last recorded as changed; 0 for never. */
  mark: number;
  /** The last snapshot wrote it under {@link TrackedEntry.stateKey}, so removing it needs a delete. */
  persisted: boolean;
  /** Its state key, made by the table's layout when first needed; `undefined` after it moved. */
  stateKey: string | undefined;
}

/**
 * A table of entries the operator keeps in its own index structures (a window operator's
 * buckets, session lists, sliding timestamps). The operator reports changes; the table records
 * them and writes them at the next snapshot.
 */
export interface EntryTable<E extends TrackedEntry> {
  /** Whether changes are being recorded (after a first snapshot or a restore). */
  readonly tracking: boolean;
  /** The entry is new or changed: write it at the next snapshot. */
  changed(entry: E): void;
  /** The entry is gone: delete it if a checkpoint holds it. */
  removed(entry: E): void;
  /** The entry's state key changes (a session extended in place): its old key is removed. */
  moved(entry: E): void;
}

/** How an {@link EntryTable}'s entries are stored and restored. */
export interface EntryTableSpec<E extends TrackedEntry, R> {
  readonly prefix: string;
  /** The entry's full state key (starting with `prefix`). */
  keyOf(entry: E): string;
  /** The entry's stored value (plain data). */
  valueOf(entry: E): unknown;
  /** Visits every live entry (for full snapshots). */
  forEach(visit: (entry: E) => void): void;
  /** Parses a stored key and value; throws when they are not one of this table's. */
  decode(key: string, value: unknown): R;
  /** Rebuilds the live entry of a decoded record, in the operator's structures. */
  restore(record: R): E;
}

/** A reader of an older layout of an operator's state (see {@link KeyedStateStore.legacy}). */
export interface LegacyLayoutSpec {
  /** Every key of the old layout starts with it, e.g. `w1/`. */
  readonly prefix: string;
  /**
   * Maps one old entry to the cell (by its key) or table (by its prefix) that holds it now, and
   * the value in that cell's or table's current stored form.
   * @returns `[currentKey, currentValue]`; throws a `StateError` for an entry that cannot be read exactly.
   */
  translate(key: string, value: unknown): [string, unknown];
}
