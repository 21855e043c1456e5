import type { EntryTable, EntryTableSpec, TrackedEntry } from '../core/keyed-state.js';
import type { StateWriter } from '../core/operator.js';
import type { StatePart } from './state-part.js';

/**
 * The keyed-state service's table of entries that an operator keeps in its own structures (see
 * {@link EntryTable}). Changes are recorded on the entries themselves (`mark`) and in one map
 * from state key to entry, or to `null` for a delete; an entry that is created and removed
 * between two snapshots costs the checkpoint nothing.
 *
 * Invariant while tracking: `dirty` holds exactly the state keys whose checkpointed value differs
 * from the live state: live entries changed since the last snapshot (`mark === epoch`), and keys
 * a checkpoint holds whose entry is gone (`null`).
 * @example
 * const windows = state.entries({ prefix: 'w2/a/', keyOf, valueOf, forEach, decode, restore });
 * windows.changed(ws);
 */
export class TrackedEntryTable<E extends TrackedEntry, R> implements EntryTable<E>, StatePart {
  tracking = false;
  private epoch = 1;
  private readonly dirty = new Map<string, E | null>();

  constructor(readonly spec: EntryTableSpec<E, R>) {}

  /** The entry's state key, made once. */
  keyOf(entry: E): string {
    return entry.stateKey ?? (entry.stateKey = this.spec.keyOf(entry));
  }

  changed(entry: E): void {
    if (!this.tracking || entry.mark === this.epoch) return;
    entry.mark = this.epoch;
    const key = this.keyOf(entry);
    // A new entry under a key whose checkpointed value awaits its delete: the checkpoint holds a
    // value under this entry's key, so removing or moving the entry must delete it.
    if (this.dirty.get(key) === null) entry.persisted = true;
    this.dirty.set(key, entry);
  }

  removed(entry: E): void {
    if (!this.tracking) return;
    if (entry.persisted) this.dirty.set(this.keyOf(entry), null);
    else if (entry.mark === this.epoch) this.dirty.delete(this.keyOf(entry));
    entry.persisted = false;
  }

  moved(entry: E): void {
    this.removed(entry);
    entry.stateKey = undefined;
    entry.mark = 0;
  }

  track(epoch: number): void {
    this.tracking = true;
    this.epoch = epoch;
  }

  writeAll(writer: StateWriter): void {
    this.spec.forEach((entry) => {
      writer.put(this.keyOf(entry), this.spec.valueOf(entry));
      entry.persisted = true;
    });
    this.dirty.clear();
  }

  writeChanges(writer: StateWriter): void {
    for (const [key, entry] of this.dirty) {
      if (entry === null) writer.delete(key);
      else {
        writer.put(key, this.spec.valueOf(entry));
        entry.persisted = true;
      }
    }
    this.dirty.clear();
  }

  restoreEntry(key: string, value: unknown, rewrite: boolean): boolean {
    const entry = this.spec.restore(this.spec.decode(key, value));
    // A key that does not come back as this entry's key (an older layout) is rewritten.
    if (!rewrite && this.keyOf(entry) === key) {
      entry.persisted = true;
      return false;
    }
    entry.mark = this.epoch;
    this.dirty.set(this.keyOf(entry), entry);
    return true;
  }
}
