import { StateError } from '../core/errors.js';
import { decodeKey } from '../core/key-encoding.js';
import type { MapTable } from '../core/keyed-state.js';
import type { KeyedStateService } from '../state/keyed-state-service.js';
import { TimerHeap } from '../state/timer-heap.js';
import { LAST_WRITE_PREFIX, listPrefix, mapEntryKey, mapPrefix, splitMapEntryKey, valuePrefix } from './process-state-layout.js';
import type { StateDescriptors } from './state-descriptors.js';

/** A value or list state's entries by key text (a subset of `MapTable`). */
export interface SlotTable<V> {
  get(keyText: string): V | undefined;
  has(keyText: string): boolean;
  set(keyText: string, value: V): void;
  delete(keyText: string): void;
  /** The value under `keyText` (`value`, as `get` returned it) was changed in place. */
  changed(keyText: string, value: V): void;
}

/** A map state's entries: per key text, map key text → (map key, value). */
export interface MapSlot {
  size(keyText: string): number;
  has(keyText: string, mapKeyText: string): boolean;
  /** The map key stored with `mapKeyText` (the first one set, or the decoded text after a restore). */
  mapKey(keyText: string, mapKeyText: string): unknown;
  get(keyText: string, mapKeyText: string): unknown;
  /** The key's `[mapKeyText, mapKey]` pairs in ascending order of the texts, as a copy. */
  sorted(keyText: string): Array<[string, unknown]>;
  set(keyText: string, mapKeyText: string, mapKey: unknown, value: unknown): void;
  delete(keyText: string, mapKeyText: string): void;
  /** Removes the key's whole map. */
  deleteAll(keyText: string): void;
}

/** The number of state entries per key (a value or list: 1; a map: one per map key). */
export interface EntryCounts {
  /** Keys holding at least one entry. */
  readonly size: number;
  has(keyText: string): boolean;
  count(keyText: string, by: number): void;
  /** Forgets a key whose state was cleared without counting (TTL expiry). */
  drop(keyText: string): void;
}

/** A queue of key texts by time: the TTL expiries. */
export interface KeyTimeQueue {
  readonly size: number;
  push(time: number, keyText: string): void;
  /** The earliest time (`+Infinity` for none). */
  peekTime(): number;
  /** Removes and returns the key text of the earliest entry. */
  pop(): string | undefined;
}

/** Set of key texts (the keys whose expiry is queued). */
export interface KeySet {
  has(keyText: string): boolean;
  add(keyText: string): void;
  delete(keyText: string): void;
}

/**
 * Where a keyed process function keeps its per-key state: in the heap (the keyed-state service,
 * {@link HeapProcessStorage}) or in the state backend's resident store
 * (`ResidentProcessStorage`). `ProcessKeyedState` runs the same logic over either, so
 * results, TTL and the undo of a failed call do not depend on it.
 */
export interface ProcessStorage {
  value(name: string): SlotTable<unknown>;
  list(name: string): SlotTable<unknown[]>;
  map(name: string): MapSlot;
  readonly counts: EntryCounts;
  /** Key text → event time of its last write (only with `ttl`). */
  readonly lastWrite: SlotTable<number> | undefined;
  /** Keys with an expiry queued: at most one per key. */
  readonly scheduled: KeySet;
  readonly expiries: KeyTimeQueue;
  /** Removes every key's state (the end of the input). */
  clearAll(): void;
}

/** A {@link KeyTimeQueue} on a {@link TimerHeap}. */
export class HeapKeyTimeQueue implements KeyTimeQueue {
  private readonly heap = new TimerHeap<string>();
  get size(): number {
    return this.heap.size;
  }
  push(time: number, keyText: string): void {
    this.heap.push(time, 0, keyText);
  }
  peekTime(): number {
    return this.heap.peekTime();
  }
  pop(): string | undefined {
    return this.heap.pop()?.ref;
  }
  clear(): void {
    this.heap.clear();
  }
}

/** A map state in the heap: one service table entry per map key, and an index of each key's map keys. */
class HeapMapSlot implements MapSlot {
  /** Key text → (map key text → map key). */
  readonly index = new Map<string, Map<string, unknown>>();
  constructor(readonly table: MapTable<unknown>) {}
  size(keyText: string): number {
    return this.index.get(keyText)?.size ?? 0;
  }
  has(keyText: string, mapKeyText: string): boolean {
    return this.index.get(keyText)?.has(mapKeyText) ?? false;
  }
  mapKey(keyText: string, mapKeyText: string): unknown {
    return this.index.get(keyText)?.get(mapKeyText);
  }
  get(keyText: string, mapKeyText: string): unknown {
    return this.index.has(keyText) ? this.table.get(mapEntryKey(keyText, mapKeyText)) : undefined;
  }
  sorted(keyText: string): Array<[string, unknown]> {
    return sortedEntries(this.index.get(keyText));
  }
  set(keyText: string, mapKeyText: string, mapKey: unknown, value: unknown): void {
    let keyMap = this.index.get(keyText);
    if (!keyMap) this.index.set(keyText, (keyMap = new Map()));
    keyMap.set(mapKeyText, mapKey);
    this.table.set(mapEntryKey(keyText, mapKeyText), value);
  }
  delete(keyText: string, mapKeyText: string): void {
    const keyMap = this.index.get(keyText);
    if (!keyMap?.delete(mapKeyText)) return;
    this.table.delete(mapEntryKey(keyText, mapKeyText));
    if (keyMap.size === 0) this.index.delete(keyText);
  }
  deleteAll(keyText: string): void {
    const keyMap = this.index.get(keyText);
    if (!keyMap) return;
    for (const mapKeyText of keyMap.keys()) this.table.delete(mapEntryKey(keyText, mapKeyText));
    this.index.delete(keyText);
  }
}

/** Entry counts in a heap `Map`; a key with none is absent. */
class HeapEntryCounts implements EntryCounts {
  readonly entries = new Map<string, number>();
  get size(): number {
    return this.entries.size;
  }
  has(keyText: string): boolean {
    return this.entries.has(keyText);
  }
  count(keyText: string, by: number): void {
    const n = (this.entries.get(keyText) ?? 0) + by;
    if (n === 0) this.entries.delete(keyText);
    else this.entries.set(keyText, n);
  }
  drop(keyText: string): void {
    this.entries.delete(keyText);
  }
}

/**
 * The heap storage of a keyed process function: tables of its keyed-state service (layout `p1`,
 * `process-state-layout.ts`), snapshotted with it; map indexes, entry counts and the expiry queue
 * are derived, rebuilt on restore.
 */
export class HeapProcessStorage implements ProcessStorage {
  readonly counts = new HeapEntryCounts();
  readonly lastWrite: MapTable<number> | undefined;
  readonly scheduled = new Set<string>();
  readonly expiries = new HeapKeyTimeQueue();
  private readonly values = new Map<string, MapTable<unknown>>();
  private readonly lists = new Map<string, MapTable<unknown[]>>();
  private readonly maps = new Map<string, HeapMapSlot>();

  constructor(
    service: KeyedStateService,
    descriptors: StateDescriptors,
    private readonly ttl: number | undefined,
  ) {
    for (const name of Object.keys(descriptors)) {
      const kind = descriptors[name].kind;
      if (kind === 'value') this.values.set(name, service.map<unknown>({ prefix: valuePrefix(name), decode: (v) => v }));
      else if (kind === 'list') this.lists.set(name, service.map<unknown[]>({ prefix: listPrefix(name), decode: decodeList }));
      else this.maps.set(name, new HeapMapSlot(service.map<unknown>({ prefix: mapPrefix(name), decode: (v) => v })));
    }
    if (ttl !== undefined) {
      this.lastWrite = service.map<number>({
        prefix: LAST_WRITE_PREFIX,
        decode: (v, key) => {
          if (typeof v !== 'number') throw new StateError('STATE_CORRUPT', `process: the state entry ${JSON.stringify(key)} is not a time`);
          return v;
        },
      });
    }
  }

  value(name: string): SlotTable<unknown> {
    return this.values.get(name)!;
  }
  list(name: string): SlotTable<unknown[]> {
    return this.lists.get(name)!;
  }
  map(name: string): MapSlot {
    return this.maps.get(name)!;
  }

  clearAll(): void {
    for (const table of [...this.values.values(), ...this.lists.values()]) table.clear();
    for (const slot of this.maps.values()) {
      slot.table.clear();
      slot.index.clear();
    }
    this.lastWrite?.clear();
    this.expiries.clear();
    this.scheduled.clear();
    this.counts.entries.clear();
  }

  /** The texts of the keys that hold state. */
  keyTexts(): IterableIterator<string> {
    return this.counts.entries.keys();
  }

  /** Rebuilds what is derived from the restored tables: map indexes, entry counts, expiries. */
  afterRestore(): void {
    const counts = this.counts;
    counts.entries.clear();
    for (const [name, slot] of this.maps) {
      slot.index.clear();
      for (const entryKey of slot.table.keys()) {
        const { keyText, mapKeyText } = splitMapEntryKey(entryKey);
        let keyMap = slot.index.get(keyText);
        if (!keyMap) slot.index.set(keyText, (keyMap = new Map()));
        keyMap.set(mapKeyText, decodeMapKey(mapKeyText, name));
        counts.count(keyText, 1);
      }
    }
    for (const table of [...this.values.values(), ...this.lists.values()]) for (const keyText of table.keys()) counts.count(keyText, 1);
    this.expiries.clear();
    this.scheduled.clear();
    if (this.lastWrite) {
      for (const [keyText, written] of this.lastWrite.entries()) {
        this.expiries.push(written + this.ttl!, keyText);
        this.scheduled.add(keyText);
      }
    }
  }
}

/**
 * A key's map entries (map key text, map key) in ascending order of the texts: the same order in
 * every run and after a restore (insertion order is not: a restore reads entries in key order),
 * and the order a range scan of a disk-resident store returns them in. A copy, so the caller may
 * change the map while iterating.
 */
export function sortedEntries(keyMap: ReadonlyMap<string, unknown> | undefined): Array<[string, unknown]> {
  if (keyMap === undefined) return [];
  const entries = [...keyMap];
  if (entries.length > 1) entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return entries;
}

function decodeList(value: unknown, key: string): unknown[] {
  if (!Array.isArray(value)) throw new StateError('STATE_CORRUPT', `process: the state entry ${JSON.stringify(key)} is not a list`);
  return value;
}

function decodeMapKey(mapKeyText: string, name: string): unknown {
  try {
    return decodeKey(mapKeyText);
  } catch (error) {
    throw new StateError(
      'STATE_CORRUPT',
      `process: map state ${name} holds an entry whose map key is not a key text: ${String(error)}`,
      error,
    );
  }
}
