import { StateError } from '../core/errors.js';
import type { EntryTableSpec, KeyedStateStore, LegacyLayoutSpec, MapTableSpec, StateCellSpec, TrackedEntry } from '../core/keyed-state.js';
import type { StateWriter } from '../core/operator.js';
import { TrackedEntryTable } from './entry-table.js';
import { TrackedMapTable } from './map-table.js';
import { TrackedCell } from './state-cell.js';
import type { StatePart } from './state-part.js';

/**
 * The incremental keyed-state service: one per stateful operator, behind its
 * `snapshotState(writer, full)` and `restoreState(entries)` (see {@link KeyedStateStore} and
 * docs/architecture.md, "Keyed state"). It owns the record of what changed since the last
 * snapshot for every table and cell of the operator, writes it, and routes a checkpoint's entries
 * back to the tables on restore, reading older layouts through their registered readers.
 *
 * Snapshot periods are numbered (`epoch`); nothing is recorded before the first snapshot or
 * restore, whose snapshot then writes everything.
 * @param owner the operator, named in errors (`window`, `dedup`).
 * @param layout the name of the current layout, named in errors (`w2`).
 * @example
 * const state = keyedState('dedup', '1');
 * const seen = state.map<number>({ prefix: '1/i/', decode: (v) => v as number });
 * state.snapshot(writer, false); // what changed since the previous snapshot
 */
export function keyedState(owner: string, layout: string): KeyedStateService {
  return new KeyedStateService(owner, layout);
}

/** The implementation of {@link KeyedStateStore}; see {@link keyedState}. */
export class KeyedStateService implements KeyedStateStore {
  private readonly cells = new Map<string, TrackedCell>();
  private readonly tables: Array<{ prefix: string; part: StatePart }> = [];
  private readonly legacies: LegacyLayoutSpec[] = [];
  /** Keys of an older layout (or keys that moved) to delete at the next snapshot. */
  private readonly stale = new Set<string>();
  private tracking = false;
  private epoch = 1;

  constructor(
    readonly owner: string,
    readonly layout: string,
  ) {}

  /** Whether changes are being recorded (after a first snapshot or a restore). */
  get isTracking(): boolean {
    return this.tracking;
  }

  cell(spec: StateCellSpec): TrackedCell {
    const cell = new TrackedCell(spec);
    this.cells.set(spec.key, cell);
    return cell;
  }

  map<V>(spec: MapTableSpec<V>): TrackedMapTable<V> {
    const table = new TrackedMapTable(spec);
    this.tables.push({ prefix: spec.prefix, part: table });
    return table;
  }

  entries<E extends TrackedEntry, R>(spec: EntryTableSpec<E, R>): TrackedEntryTable<E, R> {
    const table = new TrackedEntryTable(spec);
    this.tables.push({ prefix: spec.prefix, part: table });
    return table;
  }

  legacy(spec: LegacyLayoutSpec): void {
    this.legacies.push(spec);
  }

  snapshot(writer: StateWriter, full: boolean): void {
    if (full || !this.tracking) {
      for (const cell of this.cells.values()) cell.writeAll(writer);
      for (const { part } of this.tables) part.writeAll(writer);
    } else {
      // Deletes of stale keys first: a put under the same key afterwards must win.
      for (const key of this.stale) writer.delete(key);
      for (const cell of this.cells.values()) cell.writeChanges(writer);
      for (const { part } of this.tables) part.writeChanges(writer);
    }
    this.stale.clear();
    this.epoch++;
    this.startTracking();
  }

  restore(entries: Iterable<[string, unknown]>): void {
    const cellEntries: Array<[TrackedCell, string, string, unknown, boolean]> = [];
    const tableEntries: Array<Array<[string, string, unknown, boolean]>> = this.tables.map(() => []);
    const unknown: string[] = [];
    let count = 0;
    for (const [key, value] of entries) {
      count++;
      let current = key;
      let stored = value;
      let rewrite = false;
      const legacy = this.legacies.find((l) => key.startsWith(l.prefix));
      if (legacy) {
        [current, stored] = legacy.translate(key, value);
        rewrite = true;
      }
      const cell = this.cells.get(current);
      if (cell) {
        cellEntries.push([cell, key, current, stored, rewrite]);
        continue;
      }
      const t = this.tableFor(current);
      if (t < 0) unknown.push(key);
      else tableEntries[t].push([key, current, stored, rewrite]);
    }
    // Cells first: an operator refuses a checkpoint written for something else before anything
    // is applied, and with a better reason than an unknown key.
    const restoredCells = new Set(cellEntries.map(([cell]) => cell));
    for (const [cell, key, current, stored, rewrite] of cellEntries) {
      if (this.apply(cell, key, current, stored, rewrite)) this.stale.add(key);
    }
    if (unknown.length > 0) {
      throw new StateError(
        'STATE_INCOMPATIBLE',
        `${this.owner}: unknown state entry ${JSON.stringify(unknown[0])} (expected layout ${this.layout}); use a new state directory or the same pipeline`,
      );
    }
    for (const cell of this.cells.values()) {
      if (cell.spec.required && !restoredCells.has(cell) && count > 0) {
        throw new StateError('STATE_CORRUPT', `${this.owner}: checkpoint has state but no ${cell.spec.key} entry`);
      }
    }
    this.tables.forEach(({ part }, t) => {
      for (const [key, current, stored, rewrite] of tableEntries[t]) {
        if (this.apply(part, key, current, stored, rewrite)) this.stale.add(key);
      }
    });
    this.startTracking();
  }

  /** Restores one entry; true when its stored key must be deleted at the next snapshot. */
  private apply(part: StatePart, key: string, current: string, stored: unknown, rewrite: boolean): boolean {
    try {
      return part.restoreEntry(current, stored, rewrite) || rewrite;
    } catch (error) {
      if (error instanceof StateError) throw error;
      throw new StateError('STATE_CORRUPT', `${this.owner}: cannot read the state entry ${JSON.stringify(key)}: ${String(error)}`, error);
    }
  }

  private tableFor(key: string): number {
    let best = -1;
    for (let t = 0; t < this.tables.length; t++) {
      const { prefix } = this.tables[t];
      if (key.startsWith(prefix) && (best < 0 || prefix.length > this.tables[best].prefix.length)) best = t;
    }
    return best;
  }

  private startTracking(): void {
    this.tracking = true;
    for (const cell of this.cells.values()) cell.track();
    for (const { part } of this.tables) part.track(this.epoch);
  }
}
