import { StateError } from '../core/errors.js';
import { decodeKey, encodeKey } from '../core/key-encoding.js';
import type { MapTable } from '../core/keyed-state.js';
import type { KeyedStateService } from '../state/keyed-state-service.js';
import { TimerHeap } from '../state/timer-heap.js';
import { LAST_WRITE_PREFIX, listPrefix, mapEntryKey, mapPrefix, splitMapEntryKey, valuePrefix } from './process-state-layout.js';
import type { ListState, MapState, StateDescriptors, ValueState } from './state-descriptors.js';
import { checkStateValue } from './state-value-check.js';

/** One declared state's storage. */
type Slot =
  | { kind: 'value'; name: string; table: MapTable<unknown> }
  | { kind: 'list'; name: string; table: MapTable<unknown[]> }
  | { kind: 'map'; name: string; table: MapTable<unknown>; index: Map<string, Map<string, unknown>> };

/**
 * The per-key state of a keyed process function, in the tables of its keyed-state service (layout
 * in `process-state-layout.ts`): the handles `ctx.state` holds, bound to the current key; a count
 * of state entries per key (the keys with state); the keys' last write times and their expiry by
 * event time (`ttl`); and the journal that undoes a failed call's changes.
 *
 * Invariant: `entries.get(k)` is the number of value, list and map entries key `k` holds, and a
 * key with none is absent.
 */
export class ProcessKeyedState {
  /** The handles of `ctx.state`, bound to {@link ProcessKeyedState.keyText}. */
  readonly handles: Record<string, ValueState<unknown> | MapState<unknown, unknown> | ListState<unknown>> = {};
  /** The key being processed (its text) and the event time its writes count at (TTL). */
  keyText = '';
  writeTime = -Infinity;
  private readonly slots: Slot[] = [];
  private readonly entries = new Map<string, number>();
  /** Key text → event time of its last write (only with `ttl`). */
  private readonly lastWrite: MapTable<number> | undefined;
  /**
   * At most one expiry per key, at or before its `lastWrite + ttl`: a key written again keeps its
   * entry, which is moved to the new expiry when it comes due (as Flink's cleanup timers), so the
   * heap holds one entry per key however often keys are written.
   */
  private readonly expiries = new TimerHeap<string>();
  private readonly scheduled = new Set<string>();
  /** Undo steps of the call in progress, newest last; undefined outside a call. */
  private journal: Array<() => void> | undefined;
  /** The one journal array, reused by every call (a call allocates only its undo steps). */
  private readonly steps: Array<() => void> = [];

  constructor(
    service: KeyedStateService,
    descriptors: StateDescriptors,
    private readonly ttl: number | undefined,
  ) {
    for (const name of Object.keys(descriptors)) {
      const kind = descriptors[name].kind;
      if (kind === 'value') {
        const slot: Slot = { kind, name, table: service.map<unknown>({ prefix: valuePrefix(name), decode: (v) => v }) };
        this.slots.push(slot);
        this.handles[name] = this.valueHandle(slot);
      } else if (kind === 'list') {
        const slot: Slot = { kind, name, table: service.map<unknown[]>({ prefix: listPrefix(name), decode: decodeList }) };
        this.slots.push(slot);
        this.handles[name] = this.listHandle(slot);
      } else {
        const slot: Slot = { kind, name, table: service.map<unknown>({ prefix: mapPrefix(name), decode: (v) => v }), index: new Map() };
        this.slots.push(slot);
        this.handles[name] = this.mapHandle(slot);
      }
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

  /** Number of keys that hold state. */
  get keysWithState(): number {
    return this.entries.size;
  }

  /** The texts of the keys that hold state. */
  keyTexts(): IterableIterator<string> {
    return this.entries.keys();
  }

  /**
   * What key `keyText` holds, by state name, as copies: a value state's value, a list state's
   * elements, a map state's `[mapKey, value]` entries in map key order. States the key holds
   * nothing in are left out; `undefined` for a key without state.
   */
  stateOf(keyText: string): Record<string, unknown> | undefined {
    if (!this.entries.has(keyText)) return undefined;
    const out: Record<string, unknown> = {};
    for (const slot of this.slots) {
      if (slot.kind === 'map') {
        const entries = sortedEntries(slot.index.get(keyText));
        if (entries.length > 0)
          out[slot.name] = entries.map(([mapKeyText, mapKey]) => [mapKey, slot.table.get(mapEntryKey(keyText, mapKeyText))]);
      } else {
        const value = slot.table.get(keyText);
        if (value !== undefined) out[slot.name] = slot.kind === 'list' ? [...(value as unknown[])] : value;
      }
    }
    return out;
  }

  /** Entries in the expiry queue: at most one per key with a last write. */
  get expiriesQueued(): number {
    return this.expiries.size;
  }

  /** The earliest pending expiry (`+Infinity` for none). */
  nextExpiry(): number {
    return this.expiries.peekTime();
  }

  /**
   * Clears the state of every key whose last write is `time - ttl` or earlier, for the expiries
   * due at `time` (the caller passes times in order).
   */
  expireAt(time: number): void {
    const lastWrite = this.lastWrite!;
    while (this.expiries.size > 0 && this.expiries.peekTime() === time) {
      const keyText = this.expiries.pop()!.ref;
      this.scheduled.delete(keyText);
      const written = lastWrite.get(keyText);
      if (written === undefined) continue;
      if (written + this.ttl! > time) {
        this.schedule(keyText, written + this.ttl!);
        continue;
      }
      lastWrite.delete(keyText);
      this.clearKey(keyText);
    }
  }

  /** Starts recording undo steps (a user call begins). */
  begin(): void {
    this.steps.length = 0;
    this.journal = this.steps;
  }

  /** Keeps the call's changes. */
  commit(): void {
    this.journal = undefined;
    this.steps.length = 0;
  }

  /** Undoes the call's changes, newest first. */
  rollback(): void {
    const journal = this.journal;
    this.journal = undefined;
    if (journal) for (let i = journal.length - 1; i >= 0; i--) journal[i]();
    this.steps.length = 0;
  }

  /** Records an undo step of the call in progress (timers use it too). */
  onUndo(step: () => void): void {
    this.journal?.push(step);
  }

  /** Removes every key's state (the end of the input). */
  clearAll(): void {
    for (const slot of this.slots) {
      slot.table.clear();
      if (slot.kind === 'map') slot.index.clear();
    }
    this.lastWrite?.clear();
    this.expiries.clear();
    this.scheduled.clear();
    this.entries.clear();
  }

  /** Rebuilds what is derived from the restored tables: map indexes, entry counts, expiries. */
  afterRestore(): void {
    this.entries.clear();
    for (const slot of this.slots) {
      if (slot.kind === 'map') {
        slot.index.clear();
        for (const entryKey of slot.table.keys()) {
          const { keyText, mapKeyText } = splitMapEntryKey(entryKey);
          let keyMap = slot.index.get(keyText);
          if (!keyMap) slot.index.set(keyText, (keyMap = new Map()));
          keyMap.set(mapKeyText, decodeMapKey(mapKeyText, slot.name));
          this.count(keyText, 1);
        }
      } else {
        for (const keyText of slot.table.keys()) this.count(keyText, 1);
      }
    }
    this.expiries.clear();
    this.scheduled.clear();
    if (this.lastWrite) for (const [keyText, written] of this.lastWrite.entries()) this.schedule(keyText, written + this.ttl!);
  }

  private clearKey(keyText: string): void {
    for (const slot of this.slots) {
      if (slot.kind === 'map') {
        const keyMap = slot.index.get(keyText);
        if (!keyMap) continue;
        for (const mapKeyText of keyMap.keys()) slot.table.delete(mapEntryKey(keyText, mapKeyText));
        slot.index.delete(keyText);
      } else {
        slot.table.delete(keyText);
      }
    }
    this.entries.delete(keyText);
  }

  private schedule(keyText: string, time: number): void {
    this.expiries.push(time, 0, keyText);
    this.scheduled.add(keyText);
  }

  private count(keyText: string, by: number): void {
    const n = (this.entries.get(keyText) ?? 0) + by;
    if (n === 0) this.entries.delete(keyText);
    else this.entries.set(keyText, n);
  }

  /** Records a write of the current key at the current write time (TTL). */
  private touch(): void {
    const lastWrite = this.lastWrite;
    if (!lastWrite) return;
    const keyText = this.keyText;
    const old = lastWrite.get(keyText);
    if (old !== undefined && old >= this.writeTime) return;
    lastWrite.set(keyText, this.writeTime);
    if (!this.scheduled.has(keyText)) this.schedule(keyText, this.writeTime + this.ttl!);
    // An expiry scheduled by an undone write finds the old time (or none) and moves (or drops).
    this.journal?.push(() => (old === undefined ? lastWrite.delete(keyText) : lastWrite.set(keyText, old)));
  }

  /** Sets (or with `undefined`, removes) an entry of a value or list table, counting and journaling. */
  private put<V>(table: MapTable<V>, keyText: string, value: V | undefined): void {
    const had = table.has(keyText);
    const old = table.get(keyText);
    if (value === undefined) {
      if (!had) return;
      table.delete(keyText);
      this.count(keyText, -1);
    } else {
      table.set(keyText, value);
      if (!had) this.count(keyText, 1);
    }
    this.journal?.push(() => this.put(table, keyText, had ? old : undefined));
  }

  private valueHandle(slot: Slot & { kind: 'value' }): ValueState<unknown> {
    const where = `state ${slot.name}.set`;
    return {
      get: () => slot.table.get(this.keyText),
      set: (value) => {
        checkStateValue(value, where);
        this.put(slot.table, this.keyText, value);
        this.touch();
      },
      clear: () => this.put(slot.table, this.keyText, undefined),
    };
  }

  private listHandle(slot: Slot & { kind: 'list' }): ListState<unknown> {
    const add = `state ${slot.name}.add`;
    const update = `state ${slot.name}.update`;
    return {
      // A list handed out is frozen: an append then copies it, so what the caller holds (or
      // emitted) never changes under it, and the caller cannot change the state behind its back.
      get: () => {
        const list = slot.table.get(this.keyText);
        return list === undefined ? EMPTY : Object.freeze(list);
      },
      add: (element) => {
        checkStateValue(element, add);
        const keyText = this.keyText;
        const list = slot.table.get(keyText);
        if (list === undefined || Object.isFrozen(list)) {
          this.put(slot.table, keyText, list === undefined ? [element] : [...list, element]);
        } else {
          // Appended in place (a buffer grows by one element, not by a copy); undone by truncation.
          const length = list.length;
          list.push(element);
          slot.table.changed(keyText);
          this.journal?.push(() => {
            // Handed out (frozen) since: the state goes back to a copy of the prefix.
            if (Object.isFrozen(list)) slot.table.set(keyText, list.slice(0, length));
            else {
              list.length = length;
              slot.table.changed(keyText);
            }
          });
        }
        this.touch();
      },
      update: (elements) => {
        if (!Array.isArray(elements)) throw new TypeError(`${update}: expected an array of elements`);
        for (const element of elements) checkStateValue(element, update);
        this.put(slot.table, this.keyText, elements.length === 0 ? undefined : [...elements]);
        this.touch();
      },
      clear: () => this.put(slot.table, this.keyText, undefined),
    };
  }

  private mapHandle(slot: Slot & { kind: 'map' }): MapState<unknown, unknown> {
    const where = `state ${slot.name}`;
    const sizeOf = () => slot.index.get(this.keyText)?.size ?? 0;
    const current = () => this.keyText;
    const keyMapOf = () => slot.index.get(this.keyText);
    const setEntry = (keyText: string, mapKeyText: string, mapKey: unknown, value: unknown) => {
      let keyMap = slot.index.get(keyText);
      const entryKey = mapEntryKey(keyText, mapKeyText);
      const had = keyMap?.has(mapKeyText) ?? false;
      const old = had ? slot.table.get(entryKey) : undefined;
      const oldMapKey = keyMap?.get(mapKeyText);
      if (value === undefined) {
        if (!had) return;
        slot.table.delete(entryKey);
        keyMap!.delete(mapKeyText);
        if (keyMap!.size === 0) slot.index.delete(keyText);
        this.count(keyText, -1);
      } else {
        if (!keyMap) slot.index.set(keyText, (keyMap = new Map()));
        keyMap.set(mapKeyText, had ? oldMapKey : mapKey);
        slot.table.set(entryKey, value);
        if (!had) this.count(keyText, 1);
      }
      this.journal?.push(() => setEntry(keyText, mapKeyText, oldMapKey, had ? old : undefined));
    };
    return {
      get: (mapKey) => {
        const keyMap = keyMapOf();
        return keyMap === undefined ? undefined : slot.table.get(mapEntryKey(this.keyText, mapKeyTextOf(mapKey, `${where}.get`)));
      },
      has: (mapKey) => keyMapOf()?.has(mapKeyTextOf(mapKey, `${where}.has`)) ?? false,
      set: (mapKey, value) => {
        const mapKeyText = mapKeyTextOf(mapKey, `${where}.set`);
        checkStateValue(value, `${where}.set`);
        setEntry(this.keyText, mapKeyText, mapKey, value);
        this.touch();
      },
      delete: (mapKey) => setEntry(this.keyText, mapKeyTextOf(mapKey, `${where}.delete`), undefined, undefined),
      get size() {
        return sizeOf();
      },
      entries: function* () {
        const keyText = current();
        for (const [mapKeyText, mapKey] of sortedEntries(slot.index.get(keyText))) {
          yield [mapKey, slot.table.get(mapEntryKey(keyText, mapKeyText))] as [unknown, unknown];
        }
      },
      keys: function* () {
        for (const [, mapKey] of sortedEntries(slot.index.get(current()))) yield mapKey;
      },
      values: function* () {
        const keyText = current();
        for (const [mapKeyText] of sortedEntries(slot.index.get(keyText))) yield slot.table.get(mapEntryKey(keyText, mapKeyText));
      },
      clear: () => {
        const keyText = this.keyText;
        for (const mapKeyText of [...(slot.index.get(keyText)?.keys() ?? [])]) setEntry(keyText, mapKeyText, undefined, undefined);
      },
    };
  }
}

const EMPTY: readonly never[] = Object.freeze([]);

/**
 * A key's map entries (map key text, map key) in ascending order of the texts: the same order in
 * every run and after a restore (insertion order is not: a restore reads entries in key order),
 * and the order a range scan of a disk-resident store returns them in. A copy, so the caller may
 * change the map while iterating.
 */
function sortedEntries(keyMap: Map<string, unknown> | undefined): Array<[string, unknown]> {
  if (keyMap === undefined) return [];
  const entries = [...keyMap];
  if (entries.length > 1) entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return entries;
}

function decodeList(value: unknown, key: string): unknown[] {
  if (!Array.isArray(value)) throw new StateError('STATE_CORRUPT', `process: the state entry ${JSON.stringify(key)} is not a list`);
  return value;
}

function mapKeyTextOf(mapKey: unknown, where: string): string {
  try {
    return encodeKey(mapKey);
  } catch (error) {
    throw new TypeError(`${where}: ${(error as Error).message}`, { cause: error });
  }
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
