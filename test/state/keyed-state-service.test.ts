import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StateError } from '../../src/core/errors.js';
import type { EntryTable, MapTable, StateCell, TrackedEntry } from '../../src/core/keyed-state.js';
import type { StateWriter } from '../../src/core/operator.js';
import { keyedState, type KeyedStateService } from '../../src/state/keyed-state-service.js';

/** A checkpoint store: a full snapshot replaces it, an incremental one applies puts and deletes. */
class Store implements StateWriter {
  readonly map = new Map<string, unknown>();
  puts = 0;
  deletes = 0;
  put(key: string, value: unknown): void {
    this.puts++;
    this.map.set(key, structuredClone(value));
  }
  delete(key: string): void {
    this.deletes++;
    this.map.delete(key);
  }
  snapshot(state: KeyedStateService, full: boolean): void {
    if (full) this.map.clear();
    state.snapshot(this, full);
  }
  sorted(): Array<[string, unknown]> {
    return [...this.map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

/** An entry an operator keeps in its own structure, as window states are. */
interface Item extends TrackedEntry {
  name: string;
  version: number;
  value: number;
}

/** A small stateful "operator": a counter cell, a map table and an entry table with its own index. */
class Model {
  readonly state = keyedState('model', '1');
  counter = 0;
  readonly cell: StateCell;
  readonly counts: MapTable<number>;
  /** The operator's own index of its entries: name → item. */
  readonly items = new Map<string, Item>();
  readonly table: EntryTable<Item>;

  constructor() {
    this.cell = this.state.cell({
      key: '1/c',
      value: () => ({ counter: this.counter }),
      restore: (v) => (this.counter = (v as { counter: number }).counter),
    });
    this.counts = this.state.map<number>({ prefix: '1/n/', decode: (v) => v as number });
    this.table = this.state.entries<Item, { name: string; version: number; value: number }>({
      prefix: '1/e/',
      keyOf: (e) => `1/e/${e.name}/${e.version}`,
      valueOf: (e) => e.value,
      forEach: (visit) => this.items.forEach(visit),
      decode: (key, value) => {
        const [, , name, version] = key.split('/');
        return { name, version: Number(version), value: value as number };
      },
      restore: (r) => {
        const item: Item = { ...r, mark: 0, persisted: false, stateKey: undefined };
        this.items.set(r.name, item);
        return item;
      },
    });
  }

  /** What the checkpoint of this live state holds, computed the obvious way. */
  live(): Array<[string, unknown]> {
    const out: Array<[string, unknown]> = [['1/c', { counter: this.counter }]];
    for (const [k, v] of this.counts.entries()) out.push([`1/n/${k}`, v]);
    for (const item of this.items.values()) out.push([`1/e/${item.name}/${item.version}`, item.value]);
    return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

type Op =
  | { kind: 'tick' }
  | { kind: 'count'; key: string; by: number }
  | { kind: 'uncount'; key: string }
  | { kind: 'clear' }
  | { kind: 'put'; name: string; value: number }
  | { kind: 'bump'; name: string }
  | { kind: 'move'; name: string }
  | { kind: 'remove'; name: string }
  | { kind: 'snapshot'; full: boolean };

const names = fc.constantFrom('a', 'b', 'c', 'd', 'e');
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.constant({ kind: 'tick' as const }),
  fc.record({ kind: fc.constant('count' as const), key: names, by: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('uncount' as const), key: names }),
  fc.constant({ kind: 'clear' as const }),
  fc.record({ kind: fc.constant('put' as const), name: names, value: fc.integer() }),
  fc.record({ kind: fc.constant('bump' as const), name: names }),
  fc.record({ kind: fc.constant('move' as const), name: names }),
  fc.record({ kind: fc.constant('remove' as const), name: names }),
  fc.record({ kind: fc.constant('snapshot' as const), full: fc.boolean() }),
);

function apply(m: Model, o: Op, store: Store): void {
  switch (o.kind) {
    case 'tick':
      m.counter++;
      m.cell.changed();
      break;
    case 'count':
      m.counts.set(o.key, (m.counts.get(o.key) ?? 0) + o.by);
      break;
    case 'uncount':
      m.counts.delete(o.key);
      break;
    case 'clear':
      m.counts.clear();
      break;
    case 'put': {
      const item = m.items.get(o.name);
      if (item) {
        item.value = o.value;
        m.table.changed(item);
      } else {
        const created: Item = { name: o.name, version: 0, value: o.value, mark: 0, persisted: false, stateKey: undefined };
        m.items.set(o.name, created);
        m.table.changed(created);
      }
      break;
    }
    case 'bump': {
      const item = m.items.get(o.name);
      if (item) {
        item.value++;
        m.table.changed(item);
      }
      break;
    }
    case 'move': {
      // The entry's key changes, as a session extended in place does.
      const item = m.items.get(o.name);
      if (item) {
        m.table.moved(item);
        item.version++;
        m.table.changed(item);
      }
      break;
    }
    case 'remove': {
      const item = m.items.get(o.name);
      if (item) {
        m.items.delete(o.name);
        m.table.removed(item);
      }
      break;
    }
    case 'snapshot':
      store.snapshot(m.state, o.full);
      break;
  }
}

describe('the keyed-state service', () => {
  it('incremental snapshots applied in order equal the live state, and a restore continues from them (property)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.array(op, { maxLength: 30 }), (first, second) => {
        const m = new Model();
        const store = new Store();
        for (const o of first) {
          apply(m, o, store);
          if (o.kind === 'snapshot') expect(store.sorted()).toEqual(m.live());
        }
        store.snapshot(m.state, false);
        expect(store.sorted()).toEqual(m.live());
        // A restored model writes only what changes after the restore, onto the same store.
        const r = new Model();
        r.state.restore(store.sorted());
        expect(r.live()).toEqual(m.live());
        for (const o of second) {
          apply(r, o, store);
          if (o.kind === 'snapshot') expect(store.sorted()).toEqual(r.live());
        }
        store.snapshot(r.state, false);
        expect(store.sorted()).toEqual(r.live());
      }),
      { numRuns: 300 },
    );
  });

  it('deletes a checkpointed key when a new entry took it and then moved away before the next snapshot', () => {
    const m = new Model();
    const store = new Store();
    apply(m, { kind: 'put', name: 'a', value: 0 }, store);
    store.snapshot(m.state, false);
    // The entry under 1/e/a/0 is removed, a new one takes the same key, then moves to 1/e/a/1.
    for (const o of [
      { kind: 'remove', name: 'a' },
      { kind: 'put', name: 'a', value: 0 },
      { kind: 'move', name: 'a' },
    ] as Op[])
      apply(m, o, store);
    store.snapshot(m.state, false);
    expect(store.sorted()).toEqual(m.live());
    expect(store.map.has('1/e/a/0')).toBe(false);
  });

  it('records nothing before the first snapshot: that one writes everything', () => {
    const m = new Model();
    for (let i = 0; i < 100; i++) m.counts.set(`k${i}`, i);
    for (let i = 0; i < 100; i++) m.counts.delete(`k${i}`);
    m.counts.set('kept', 1);
    const store = new Store();
    store.snapshot(m.state, false);
    expect(store.deletes).toBe(0);
    expect(store.sorted()).toEqual(m.live());
  });

  it('writes nothing for an entry that was created and removed between two snapshots', () => {
    const m = new Model();
    const store = new Store();
    store.snapshot(m.state, true);
    const puts = store.puts;
    for (let i = 0; i < 10; i++) {
      apply(m, { kind: 'put', name: 'a', value: i }, store);
      apply(m, { kind: 'move', name: 'a' }, store);
      apply(m, { kind: 'remove', name: 'a' }, store);
    }
    store.snapshot(m.state, false);
    expect(store.puts - puts).toBe(0);
    expect(store.deletes).toBe(0);
  });

  it('reads an older layout through its reader and rewrites it at the next snapshot', () => {
    const m = new Model();
    m.state.legacy({
      prefix: '0/',
      translate: (key, value) => (key === '0/c' ? ['1/c', { counter: value }] : [`1/e/${key.slice(2)}/0`, value]),
    });
    m.state.restore([
      ['0/c', 5],
      ['0/x', 42],
    ]);
    expect(m.live()).toEqual([
      ['1/c', { counter: 5 }],
      ['1/e/x/0', 42],
    ]);
    const store = new Store();
    store.map.set('0/c', 5);
    store.map.set('0/x', 42);
    store.snapshot(m.state, false);
    expect(store.sorted()).toEqual(m.live());
  });

  it('refuses a key no table claims, a value a table cannot read, and state without its required cell', () => {
    const refuse = (entries: Array<[string, unknown]>, code: string, message: RegExp, required = false) => {
      const state = keyedState('op', '3');
      state.cell({ key: '3/m', required, value: () => 0, restore: () => undefined });
      state.map<number>({
        prefix: '3/i/',
        decode: (v, key) => {
          if (typeof v !== 'number') throw new StateError('STATE_CORRUPT', `bad value under ${key}`);
          return v;
        },
      });
      expect(() => state.restore(entries)).toThrow(StateError);
      try {
        state.restore(entries);
      } catch (error) {
        expect((error as StateError).code).toBe(code);
        expect((error as Error).message).toMatch(message);
      }
    };
    refuse([['3/x', 1]], 'STATE_INCOMPATIBLE', /^op: unknown state entry "3\/x" \(expected layout 3\)/);
    refuse([['3/i/a', 'one']], 'STATE_CORRUPT', /bad value under 3\/i\/a/);
    refuse([['3/i/a', 1]], 'STATE_CORRUPT', /^op: checkpoint has state but no 3\/m entry$/, true);
  });
});
