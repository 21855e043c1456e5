import { encodeKey } from '../core/key-encoding.js';
import { HeapProcessStorage, type MapSlot, type ProcessStorage, type SlotTable } from './process-storage.js';
import type { ListState, MapState, StateDescriptors, ValueState } from './state-descriptors.js';
import { checkStateValue } from './state-value-check.js';

/** One declared state's storage. */
type Slot =
  | { kind: 'value'; name: string; table: SlotTable<unknown> }
  | { kind: 'list'; name: string; table: SlotTable<unknown[]> }
  | { kind: 'map'; name: string; entries: MapSlot };

/**
 * The per-key state of a keyed process function, in a {@link ProcessStorage} (the heap's
 * keyed-state service, layout in `process-state-layout.ts`, or the backend's resident store): the
 * handles `ctx.state` holds, bound to the current key; a count of state entries per key (the keys
 * with state); the keys' last write times and their expiry by event time (`ttl`); and the journal
 * that undoes a failed call's changes.
 *
 * Invariant: `counts` holds for each key the number of value, list and map entries it holds, and
 * a key with none is absent.
 */
export class ProcessKeyedState {
  /** The handles of `ctx.state`, bound to {@link ProcessKeyedState.keyText}. */
  readonly handles: Record<string, ValueState<unknown> | MapState<unknown, unknown> | ListState<unknown>> = {};
  /** The key being processed (its text) and the event time its writes count at (TTL). */
  keyText = '';
  writeTime = -Infinity;
  private readonly slots: Slot[] = [];
  /**
   * At most one expiry per key (`storage.scheduled`), at or before its `lastWrite + ttl`: a key
   * written again keeps its entry, which is moved to the new expiry when it comes due (as Flink's
   * cleanup timers), so the queue holds one entry per key however often keys are written.
   */
  /** Undo steps of the call in progress, newest last; undefined outside a call. */
  private journal: Array<() => void> | undefined;
  /** The one journal array, reused by every call (a call allocates only its undo steps). */
  private readonly steps: Array<() => void> = [];

  constructor(
    readonly storage: ProcessStorage,
    descriptors: StateDescriptors,
    private readonly ttl: number | undefined,
  ) {
    for (const name of Object.keys(descriptors)) {
      const kind = descriptors[name].kind;
      if (kind === 'value') {
        const slot: Slot = { kind, name, table: storage.value(name) };
        this.slots.push(slot);
        this.handles[name] = this.valueHandle(slot);
      } else if (kind === 'list') {
        const slot: Slot = { kind, name, table: storage.list(name) };
        this.slots.push(slot);
        this.handles[name] = this.listHandle(slot);
      } else {
        const slot: Slot = { kind, name, entries: storage.map(name) };
        this.slots.push(slot);
        this.handles[name] = this.mapHandle(slot);
      }
    }
  }

  /** Number of keys that hold state. */
  get keysWithState(): number {
    return this.storage.counts.size;
  }

  /**
   * What key `keyText` holds, by state name, as copies: a value state's value, a list state's
   * elements, a map state's `[mapKey, value]` entries in map key order. States the key holds
   * nothing in are left out; `undefined` for a key without state.
   */
  stateOf(keyText: string): Record<string, unknown> | undefined {
    if (!this.storage.counts.has(keyText)) return undefined;
    const out: Record<string, unknown> = {};
    for (const slot of this.slots) {
      if (slot.kind === 'map') {
        const entries = slot.entries.sorted(keyText);
        if (entries.length > 0) out[slot.name] = entries.map(([mapKeyText, mapKey]) => [mapKey, slot.entries.get(keyText, mapKeyText)]);
      } else {
        const value = slot.table.get(keyText);
        if (value !== undefined) out[slot.name] = slot.kind === 'list' ? [...(value as unknown[])] : value;
      }
    }
    return out;
  }

  /** Entries in the expiry queue: at most one per key with a last write. */
  get expiriesQueued(): number {
    return this.storage.expiries.size;
  }

  /** The earliest pending expiry (`+Infinity` for none). */
  nextExpiry(): number {
    return this.storage.expiries.peekTime();
  }

  /**
   * Clears the state of every key whose last write is `time - ttl` or earlier, for the expiries
   * due at `time` (the caller passes times in order).
   */
  expireAt(time: number): void {
    const { lastWrite, expiries, scheduled } = this.storage;
    while (expiries.size > 0 && expiries.peekTime() === time) {
      const keyText = expiries.pop()!;
      scheduled.delete(keyText);
      const written = lastWrite!.get(keyText);
      if (written === undefined) continue;
      if (written + this.ttl! > time) {
        this.schedule(keyText, written + this.ttl!);
        continue;
      }
      lastWrite!.delete(keyText);
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
    this.storage.clearAll();
  }

  /** Rebuilds what is derived from restored heap tables (resident storage derives nothing). */
  afterRestore(): void {
    if (this.storage instanceof HeapProcessStorage) this.storage.afterRestore();
  }

  private clearKey(keyText: string): void {
    for (const slot of this.slots) {
      if (slot.kind === 'map') slot.entries.deleteAll(keyText);
      else slot.table.delete(keyText);
    }
    this.storage.counts.drop(keyText);
  }

  private schedule(keyText: string, time: number): void {
    this.storage.expiries.push(time, keyText);
    this.storage.scheduled.add(keyText);
  }

  /** Records a write of the current key at the current write time (TTL). */
  private touch(): void {
    const lastWrite = this.storage.lastWrite;
    if (!lastWrite) return;
    const keyText = this.keyText;
    const old = lastWrite.get(keyText);
    if (old !== undefined && old >= this.writeTime) return;
    lastWrite.set(keyText, this.writeTime);
    if (!this.storage.scheduled.has(keyText)) this.schedule(keyText, this.writeTime + this.ttl!);
    // An expiry scheduled by an undone write finds the old time (or none) and moves (or drops).
    this.journal?.push(() => (old === undefined ? lastWrite.delete(keyText) : lastWrite.set(keyText, old)));
  }

  /** Sets (or with `undefined`, removes) an entry of a value or list table, counting and journaling. */
  private put<V>(table: SlotTable<V>, keyText: string, value: V | undefined): void {
    const had = table.has(keyText);
    const old = table.get(keyText);
    if (value === undefined) {
      if (!had) return;
      table.delete(keyText);
      this.storage.counts.count(keyText, -1);
    } else {
      table.set(keyText, value);
      if (!had) this.storage.counts.count(keyText, 1);
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
          slot.table.changed(keyText, list);
          this.journal?.push(() => {
            // Handed out (frozen) since: the state goes back to a copy of the prefix.
            if (Object.isFrozen(list)) slot.table.set(keyText, list.slice(0, length));
            else {
              list.length = length;
              slot.table.changed(keyText, list);
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
    const entries = slot.entries;
    const current = () => this.keyText;
    const setEntry = (keyText: string, mapKeyText: string, mapKey: unknown, value: unknown) => {
      const had = entries.has(keyText, mapKeyText);
      const old = had ? entries.get(keyText, mapKeyText) : undefined;
      const oldMapKey = had ? entries.mapKey(keyText, mapKeyText) : undefined;
      if (value === undefined) {
        if (!had) return;
        entries.delete(keyText, mapKeyText);
        this.storage.counts.count(keyText, -1);
      } else {
        entries.set(keyText, mapKeyText, had ? oldMapKey : mapKey, value);
        if (!had) this.storage.counts.count(keyText, 1);
      }
      this.journal?.push(() => setEntry(keyText, mapKeyText, oldMapKey, had ? old : undefined));
    };
    return {
      // A key without a map answers without checking the map key, as it always has.
      get: (mapKey) => (entries.size(this.keyText) === 0 ? undefined : entries.get(this.keyText, mapKeyTextOf(mapKey, `${where}.get`))),
      has: (mapKey) => entries.size(this.keyText) > 0 && entries.has(this.keyText, mapKeyTextOf(mapKey, `${where}.has`)),
      set: (mapKey, value) => {
        const mapKeyText = mapKeyTextOf(mapKey, `${where}.set`);
        checkStateValue(value, `${where}.set`);
        setEntry(this.keyText, mapKeyText, mapKey, value);
        this.touch();
      },
      delete: (mapKey) => setEntry(this.keyText, mapKeyTextOf(mapKey, `${where}.delete`), undefined, undefined),
      get size() {
        return entries.size(current());
      },
      entries: function* () {
        const keyText = current();
        for (const [mapKeyText, mapKey] of entries.sorted(keyText)) yield [mapKey, entries.get(keyText, mapKeyText)] as [unknown, unknown];
      },
      keys: function* () {
        for (const [, mapKey] of entries.sorted(current())) yield mapKey;
      },
      values: function* () {
        const keyText = current();
        for (const [mapKeyText] of entries.sorted(keyText)) yield entries.get(keyText, mapKeyText);
      },
      clear: () => {
        const keyText = this.keyText;
        for (const [mapKeyText] of entries.sorted(keyText)) setEntry(keyText, mapKeyText, undefined, undefined);
      },
    };
  }
}

const EMPTY: readonly never[] = Object.freeze([]);

function mapKeyTextOf(mapKey: unknown, where: string): string {
  try {
    return encodeKey(mapKey);
  } catch (error) {
    throw new TypeError(`${where}: ${(error as Error).message}`, { cause: error });
  }
}
