import type { MapTable, MapTableSpec } from '../core/keyed-state.js';
import type { StateWriter } from '../core/operator.js';
import type { StatePart } from './state-part.js';

/**
 * The keyed-state service's map table (see {@link MapTable}): a `Map` of keys to plain-data
 * values, stored under `prefix + key`, and the set of keys changed since the last snapshot. A
 * changed key is written as its current value, or as a delete when it is gone.
 *
 * Nothing is recorded until the first snapshot or restore: a job that never checkpoints does not
 * remember every key it ever touched, and its first snapshot writes everything anyway.
 * @example
 * const seen = state.map<number>({ prefix: '1/i/', decode: (v) => v as number });
 * seen.set('trip-1', 1_700_000_000_000);
 */
export class TrackedMapTable<V> implements MapTable<V>, StatePart {
  private readonly map = new Map<string, V>();
  private readonly dirty = new Set<string>();
  private tracking = false;

  constructor(readonly spec: MapTableSpec<V>) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  set(key: string, value: V): void {
    this.map.set(key, value);
    if (this.tracking) this.dirty.add(key);
  }

  delete(key: string): void {
    this.map.delete(key);
    if (this.tracking) this.dirty.add(key);
  }

  clear(): void {
    if (this.tracking) for (const key of this.map.keys()) this.dirty.add(key);
    this.map.clear();
  }

  changed(key: string): void {
    if (this.tracking) this.dirty.add(key);
  }

  keys(): IterableIterator<string> {
    return this.map.keys();
  }

  entries(): IterableIterator<[string, V]> {
    return this.map.entries();
  }

  track(): void {
    this.tracking = true;
  }

  writeAll(writer: StateWriter): void {
    const { prefix } = this.spec;
    for (const [key, value] of this.map) writer.put(prefix + key, this.encode(value));
    this.dirty.clear();
  }

  writeChanges(writer: StateWriter): void {
    const { prefix } = this.spec;
    for (const key of this.dirty) {
      const value = this.map.get(key);
      if (value === undefined && !this.map.has(key)) writer.delete(prefix + key);
      else writer.put(prefix + key, this.encode(value as V));
    }
    this.dirty.clear();
  }

  restoreEntry(key: string, value: unknown, rewrite: boolean): boolean {
    const own = key.slice(this.spec.prefix.length);
    this.map.set(own, this.spec.decode(value, key));
    if (rewrite) this.dirty.add(own);
    return false;
  }

  private encode(value: V): unknown {
    return this.spec.encode ? this.spec.encode(value) : value;
  }
}
