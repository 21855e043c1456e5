import type { ResidentState } from '../core/resident-state.js';
import {
  RESIDENT_BUCKET_PREFIX,
  RESIDENT_COUNT_PREFIX,
  RESIDENT_LAST_WRITE_PREFIX,
  RESIDENT_SCHEDULED_PREFIX,
  residentPrefix,
} from './process-state-layout.js';
import { sortedEntries, type EntryCounts, type KeySet, type MapSlot, type ProcessStorage, type SlotTable } from './process-storage.js';
import type { StateDescriptors } from './state-descriptors.js';
import { TimerBuckets, type TimerBucketsMeta } from './timer-buckets.js';

/** What {@link ResidentProcessStorage} keeps in the operator's progress entry. */
export interface ResidentStorageMeta {
  /** Keys holding state. */
  keys: number;
  expiries: TimerBucketsMeta;
}

/** A value or list state: one store entry per key, `<prefix><key>`. */
class StoreTable<V> implements SlotTable<V> {
  constructor(
    private readonly store: ResidentState,
    private readonly prefix: string,
  ) {}
  get(keyText: string): V | undefined {
    return this.store.get(this.prefix + keyText) as V | undefined;
  }
  has(keyText: string): boolean {
    return this.store.get(this.prefix + keyText) !== undefined;
  }
  set(keyText: string, value: V): void {
    this.store.put(this.prefix + keyText, value);
  }
  delete(keyText: string): void {
    this.store.delete(this.prefix + keyText);
  }
  changed(keyText: string, value: V): void {
    // The value read may have been evicted since: put the changed object itself.
    this.store.put(this.prefix + keyText, value);
  }
}

/** A key's map as stored: map key text → [map key, value]. */
type StoredMap = Map<string, [mapKey: unknown, value: unknown]>;

/**
 * A map state: a key's whole map in one store entry, so `size`, `has` and the ordered entries
 * are one read (the store has no synchronous range scan), and a key's map is written whole when
 * it changed.
 */
class StoreMapSlot implements MapSlot {
  constructor(
    private readonly store: ResidentState,
    private readonly prefix: string,
  ) {}
  private read(keyText: string): StoredMap | undefined {
    return this.store.get(this.prefix + keyText) as StoredMap | undefined;
  }
  size(keyText: string): number {
    return this.read(keyText)?.size ?? 0;
  }
  has(keyText: string, mapKeyText: string): boolean {
    return this.read(keyText)?.has(mapKeyText) ?? false;
  }
  mapKey(keyText: string, mapKeyText: string): unknown {
    return this.read(keyText)?.get(mapKeyText)?.[0];
  }
  get(keyText: string, mapKeyText: string): unknown {
    return this.read(keyText)?.get(mapKeyText)?.[1];
  }
  sorted(keyText: string): Array<[string, unknown]> {
    const map = this.read(keyText);
    if (map === undefined) return [];
    const keys = new Map<string, unknown>();
    for (const [mapKeyText, [mapKey]] of map) keys.set(mapKeyText, mapKey);
    return sortedEntries(keys);
  }
  set(keyText: string, mapKeyText: string, mapKey: unknown, value: unknown): void {
    const map = this.read(keyText) ?? new Map();
    map.set(mapKeyText, [mapKey, value]);
    this.store.put(this.prefix + keyText, map);
  }
  delete(keyText: string, mapKeyText: string): void {
    const map = this.read(keyText);
    if (!map?.delete(mapKeyText)) return;
    if (map.size === 0) this.store.delete(this.prefix + keyText);
    else this.store.put(this.prefix + keyText, map);
  }
  deleteAll(keyText: string): void {
    this.store.delete(this.prefix + keyText);
  }
}

/**
 * Entry counts per key in the store (`r1/n/<key>`), and the number of keys with state in memory
 * (kept in the progress entry): exact, without a heap entry per key.
 */
class StoreEntryCounts implements EntryCounts {
  size = 0;
  constructor(private readonly store: ResidentState) {}
  has(keyText: string): boolean {
    return this.store.get(RESIDENT_COUNT_PREFIX + keyText) !== undefined;
  }
  count(keyText: string, by: number): void {
    const key = RESIDENT_COUNT_PREFIX + keyText;
    const old = (this.store.get(key) as number | undefined) ?? 0;
    const n = old + by;
    if (n === 0) {
      this.store.delete(key);
      this.size--;
    } else {
      this.store.put(key, n);
      if (old === 0) this.size++;
    }
  }
  drop(keyText: string): void {
    const key = RESIDENT_COUNT_PREFIX + keyText;
    if (this.store.get(key) === undefined) return;
    this.store.delete(key);
    this.size--;
  }
}

/** A set of key texts as store entries `<prefix><key>` → 1. */
class StoreKeySet implements KeySet {
  constructor(
    private readonly store: ResidentState,
    private readonly prefix: string,
  ) {}
  has(keyText: string): boolean {
    return this.store.get(this.prefix + keyText) !== undefined;
  }
  add(keyText: string): void {
    this.store.put(this.prefix + keyText, 1);
  }
  delete(keyText: string): void {
    this.store.delete(this.prefix + keyText);
  }
}

/**
 * The resident storage of a keyed process function (layout `r1` in `process-state-layout.ts`):
 * every per-key entry in the backend's `ResidentState`, read and written one key at a time; in
 * memory only the number of keys with state and the expiry buckets' numbers.
 */
export class ResidentProcessStorage implements ProcessStorage {
  readonly counts: StoreEntryCounts;
  readonly lastWrite: SlotTable<number> | undefined;
  readonly scheduled: StoreKeySet;
  readonly expiries: TimerBuckets;
  private readonly prefixes: string[] = [RESIDENT_COUNT_PREFIX, RESIDENT_LAST_WRITE_PREFIX, RESIDENT_SCHEDULED_PREFIX];

  constructor(
    private readonly store: ResidentState,
    descriptors: StateDescriptors,
    ttl: number | undefined,
  ) {
    this.counts = new StoreEntryCounts(store);
    this.lastWrite = ttl === undefined ? undefined : new StoreTable<number>(store, RESIDENT_LAST_WRITE_PREFIX);
    this.scheduled = new StoreKeySet(store, RESIDENT_SCHEDULED_PREFIX);
    this.expiries = new TimerBuckets(store, `${RESIDENT_BUCKET_PREFIX}x/`, 'r1/q/x');
    for (const name of Object.keys(descriptors)) this.prefixes.push(residentPrefix(descriptors[name].kind, name));
  }

  value(name: string): SlotTable<unknown> {
    return new StoreTable<unknown>(this.store, residentPrefix('value', name));
  }
  list(name: string): SlotTable<unknown[]> {
    return new StoreTable<unknown[]>(this.store, residentPrefix('list', name));
  }
  map(name: string): MapSlot {
    return new StoreMapSlot(this.store, residentPrefix('map', name));
  }

  /** Deletes every state entry by prefix (LevelDB drops the ranges at the next checkpoint). */
  clearAll(): void {
    for (const prefix of this.prefixes) this.store.deletePrefix(prefix);
    this.store.deletePrefix(`${RESIDENT_BUCKET_PREFIX}x/`);
    this.expiries.clear();
    this.counts.size = 0;
  }

  save(): ResidentStorageMeta {
    return { keys: this.counts.size, expiries: this.expiries.save() };
  }

  restore(meta: ResidentStorageMeta): void {
    this.counts.size = meta.keys;
    this.expiries.restore(meta.expiries);
  }

  /** The texts of the keys holding state, read from the store (for queryable state). */
  async *keyTexts(): AsyncIterable<string> {
    for await (const key of this.store.keys(RESIDENT_COUNT_PREFIX)) yield key.slice(RESIDENT_COUNT_PREFIX.length);
  }
}
