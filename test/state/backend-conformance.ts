import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { StateChangeCollector } from '../../src/state/state-change-collector.js';
import type { CheckpointData, RestoredCheckpoint, StateBackend } from '../../src/core/state-backend.js';

/** A store under test: `connect()` returns a backend over the same stored checkpoints each time. */
export interface BackendFixture {
  connect(): StateBackend;
  dispose(): Promise<void>;
}

/** A user-defined accumulator: what a custom `Aggregator` might keep. */
interface TopK {
  kind: 'top-k';
  k: number;
  items: Array<{ id: string; score: number }>;
  seen: Map<string, number>;
  tags: Set<string>;
}

/** Every accumulator shape the built-in aggregators keep, plus edge values. */
export const ACCUMULATOR_SHAPES: Array<[string, unknown]> = [
  ['count', 42],
  ['zero', 0],
  ['negative-zero', -0],
  ['nan', NaN],
  ['infinity', -Infinity],
  ['max-safe', Number.MAX_SAFE_INTEGER],
  ['huge', 1.7976931348623157e308],
  ['tiny', 5e-324],
  ['bigint', 12345678901234567890123n],
  ['kahan-sum', { sum: 1e16, compensation: -1.1102230246251565e-16 }],
  ['avg', { sum: 10.5, count: 3 }],
  ['min-max-empty', { min: Infinity, max: -Infinity }],
  ['collect', [1, 'two', { three: 3 }, [4], null]],
  [
    'map',
    new Map<unknown, unknown>([
      ['a', 1],
      [2, 'b'],
      ['nested', new Map([['x', [1, 2]]])],
    ]),
  ],
  ['nested', { a: { b: { c: [{ d: null, e: undefined, f: true }] } } }],
  ['null', null],
  ['string-with-nul', 'left\x00right\x00'],
  ['unicode', 'Zürich 東京 🚕'],
  ['date', new Date(1_700_000_000_000)],
  ['empty-string', ''],
  ['typed-array', new Float64Array([1.5, -0, NaN])],
];

export const USER_ACCUMULATOR: TopK = {
  kind: 'top-k',
  k: 3,
  items: [
    { id: 'x', score: 9.5 },
    { id: 'y', score: -0 },
  ],
  seen: new Map([
    ['x', 1],
    ['y', 2],
  ]),
  tags: new Set(['a', '\x00b']),
};

function checkpoint(
  id: number,
  sourcePosition: unknown,
  operators: Record<string, { puts?: Array<[string, unknown]>; deletes?: string[]; full?: boolean }>,
): CheckpointData {
  const map = new Map<string, { puts: Map<string, unknown>; deletes: Set<string>; full: boolean }>();
  for (const [uid, c] of Object.entries(operators)) {
    const writer = new StateChangeCollector(uid, c.full ?? false);
    for (const key of c.deletes ?? []) writer.delete(key);
    for (const [key, value] of c.puts ?? []) writer.put(key, value);
    map.set(uid, writer.changes());
  }
  return { id, sourcePosition, operators: map };
}

function entriesOf(restored: RestoredCheckpoint | undefined, uid: string): Array<[string, unknown]> {
  const entries = restored?.operators.get(uid);
  return entries ? [...entries] : [];
}

function utf8Sorted(keys: string[]): string[] {
  return [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/**
 * The conformance suite every state backend runs: what the runtime relies on when it checkpoints
 * and restores, whichever backend holds the checkpoints.
 */
export function describeBackendConformance(name: string, makeFixture: () => Promise<BackendFixture>): void {
  describe(`state backend conformance: ${name}`, () => {
    let fixture: BackendFixture | undefined;
    const open: StateBackend[] = [];

    async function connect(): Promise<StateBackend> {
      fixture ??= await makeFixture();
      const backend = fixture.connect();
      open.push(backend);
      return backend;
    }

    async function reopen(backend: StateBackend): Promise<{ backend: StateBackend; restored: RestoredCheckpoint | undefined }> {
      await backend.close();
      const next = await connect();
      return { backend: next, restored: await next.open() };
    }

    afterEach(async () => {
      for (const b of open.splice(0)) await b.close().catch(() => undefined);
      await fixture?.dispose();
      fixture = undefined;
    });

    it('opens an empty store with no checkpoint', async () => {
      const backend = await connect();
      expect(await backend.open()).toBeUndefined();
      expect(typeof backend.name).toBe('string');
    });

    it('round-trips every accumulator shape, the source position and a user-defined accumulator', async () => {
      const backend = await connect();
      await backend.open();
      const position = { partitions: { 0: 17, 2: 9_007_199_254_740_991 }, file: 'in.jsonl', line: -0 };
      await backend.write(checkpoint(1, position, { '3-window': { puts: [...ACCUMULATOR_SHAPES, ['user', USER_ACCUMULATOR]] } }));
      const { restored } = await reopen(backend);
      expect(restored?.id).toBe(1);
      expect(restored?.sourcePosition).toEqual(position);
      const got = new Map(entriesOf(restored, '3-window'));
      for (const [key, value] of ACCUMULATOR_SHAPES) {
        expect(got.has(key), key).toBe(true);
        expect(got.get(key), key).toEqual(value);
      }
      expect(Object.is(got.get('negative-zero'), -0)).toBe(true);
      expect(Number.isNaN(got.get('nan'))).toBe(true);
      expect(got.get('bigint')).toBe(12345678901234567890123n);
      expect(Object.is((got.get('typed-array') as Float64Array)[1], -0)).toBe(true);
      const user = got.get('user') as TopK;
      expect(user).toEqual(USER_ACCUMULATOR);
      expect(Object.is(user.items[1].score, -0)).toBe(true);
      expect(user.seen).toBeInstanceOf(Map);
      expect(user.tags).toBeInstanceOf(Set);
    });

    it('restores entries in UTF-8 key order, keys with \\x00 and non-ASCII included', async () => {
      const backend = await connect();
      await backend.open();
      const keys = ['b', 'a\x00z', 'a', '\x00', 'é', '🚕', '\uffff', 'a\x01', ''];
      await backend.write(checkpoint(1, 0, { op: { puts: keys.map((k, i) => [k, i]) } }));
      const { restored } = await reopen(backend);
      expect(entriesOf(restored, 'op').map(([k]) => k)).toEqual(utf8Sorted(keys));
    });

    it('hands out copies: mutating live state after a snapshot or a restored value does not change the checkpoint', async () => {
      const backend = await connect();
      await backend.open();
      const live = { sum: 1, items: [1] };
      const cp = checkpoint(1, 0, { op: { puts: [['k', live]] } });
      live.sum = 99;
      live.items.push(2);
      await backend.write(cp);
      const first = await reopen(backend);
      const value = entriesOf(first.restored, 'op')[0][1] as { sum: number; items: number[] };
      expect(value).toEqual({ sum: 1, items: [1] });
      value.items.push(3);
      const second = await reopen(first.backend);
      expect(entriesOf(second.restored, 'op')[0][1]).toEqual({ sum: 1, items: [1] });
    });

    it('applies incremental puts and deletes across checkpoints, per operator', async () => {
      let backend = await connect();
      await backend.open();
      await backend.write(
        checkpoint(1, 10, {
          a: {
            puts: [
              ['k1', 1],
              ['k2', 2],
              ['k3', 3],
            ],
          },
          b: { puts: [['k1', 'b1']] },
        }),
      );
      await backend.write(
        checkpoint(2, 20, {
          a: {
            puts: [
              ['k2', 22],
              ['k4', 4],
            ],
            deletes: ['k1'],
          },
        }),
      );
      ({ backend } = await reopen(backend));
      await backend.write(checkpoint(3, 30, { a: { deletes: ['k3', 'never-there'] }, b: { puts: [['k2', 'b2']] } }));
      const { restored } = await reopen(backend);
      expect(restored?.id).toBe(3);
      expect(restored?.sourcePosition).toBe(30);
      expect(entriesOf(restored, 'a')).toEqual([
        ['k2', 22],
        ['k4', 4],
      ]);
      expect(entriesOf(restored, 'b')).toEqual([
        ['k1', 'b1'],
        ['k2', 'b2'],
      ]);
    });

    it('keeps operators apart even when one uid is a prefix of another', async () => {
      const backend = await connect();
      await backend.open();
      await backend.write(checkpoint(1, 0, { a: { puts: [['x', 1]] }, ab: { puts: [['x', 2]] }, 'a-b': { puts: [['x', 3]] } }));
      await backend.write(checkpoint(2, 0, { a: { full: true, puts: [['y', 1]] } }));
      const { restored } = await reopen(backend);
      expect(entriesOf(restored, 'a')).toEqual([['y', 1]]);
      expect(entriesOf(restored, 'ab')).toEqual([['x', 2]]);
      expect(entriesOf(restored, 'a-b')).toEqual([['x', 3]]);
    });

    it("replaces an operator's whole state on a full snapshot", async () => {
      let backend = await connect();
      await backend.open();
      await backend.write(
        checkpoint(1, 0, {
          a: {
            puts: [
              ['old1', 1],
              ['old2', 2],
              ['kept', 0],
            ],
          },
        }),
      );
      await backend.write(
        checkpoint(2, 0, {
          a: {
            full: true,
            puts: [
              ['kept', 'new'],
              ['fresh', 3],
            ],
          },
        }),
      );
      ({ backend } = await reopen(backend));
      await backend.write(checkpoint(3, 0, { a: { puts: [['later', 4]], deletes: ['fresh'] } }));
      await backend.write(checkpoint(4, 0, { a: { full: true, puts: [] }, c: { full: true, puts: [['c', 1]] } }));
      await backend.write(checkpoint(5, 0, { a: { puts: [['after-empty', 5]] } }));
      const { restored } = await reopen(backend);
      expect(entriesOf(restored, 'a')).toEqual([['after-empty', 5]]);
      expect(entriesOf(restored, 'c')).toEqual([['c', 1]]);
    });

    it('keeps the previous checkpoint whole when a write fails', async () => {
      const backend = await connect();
      await backend.open();
      await backend.write(checkpoint(1, 'p1', { a: { puts: [['k', 1]] } }));
      const bad: CheckpointData = {
        id: 2,
        sourcePosition: 'p2',
        operators: new Map([
          [
            'a',
            {
              puts: new Map<string, unknown>([
                ['k', 2],
                ['j', 3],
              ]),
              deletes: new Set<string>(),
              full: false,
            },
          ],
          ['b', { puts: new Map<string, unknown>([['fn', () => 1]]), deletes: new Set<string>(), full: true }],
        ]),
      };
      await expect(backend.write(bad)).rejects.toThrow(/cannot be serialized/);
      const badPosition: CheckpointData = {
        id: 3,
        sourcePosition: Symbol('no'),
        operators: new Map([['a', { puts: new Map([['k', 4]]), deletes: new Set(), full: true }]]),
      };
      await expect(backend.write(badPosition)).rejects.toThrow();
      const { restored } = await reopen(backend);
      expect(restored?.id).toBe(1);
      expect(restored?.sourcePosition).toBe('p1');
      expect(entriesOf(restored, 'a')).toEqual([['k', 1]]);
      expect(restored?.operators.has('b')).toBe(false);
    });

    it('reopens after close as often as asked, and goes on writing', async () => {
      let backend = await connect();
      await backend.open();
      for (let id = 1; id <= 4; id++) {
        await backend.write(checkpoint(id, id * 100, { a: { puts: [[`k${id}`, id]] } }));
        const next = await reopen(backend);
        backend = next.backend;
        expect(next.restored?.id).toBe(id);
        expect(entriesOf(next.restored, 'a')).toHaveLength(id);
      }
    });

    it('rejects an operator uid containing \\x00', async () => {
      const backend = await connect();
      await backend.open();
      await expect(backend.write(checkpoint(1, 0, { 'a\x00b': { puts: [['k', 1]] } }))).rejects.toThrow(TypeError);
    });

    it('matches a model map over random sequences of incremental and full checkpoints (property)', async () => {
      const key = fc.constantFrom('a', 'b', 'c', 'd', 'a\x00', 'é', '');
      const change = fc.record({
        uid: fc.constantFrom('u1', 'u2'),
        full: fc.boolean(),
        puts: fc.array(fc.tuple(key, fc.oneof(fc.integer(), fc.string(), fc.double()))),
        deletes: fc.array(key),
      });
      const steps = fc.array(fc.record({ changes: fc.array(change, { maxLength: 2 }), reopen: fc.boolean() }), {
        minLength: 1,
        maxLength: 6,
      });
      await fc.assert(
        fc.asyncProperty(steps, async (plan) => {
          await fixture?.dispose();
          fixture = undefined;
          let backend = await connect();
          await backend.open();
          const model = new Map<string, Map<string, unknown>>();
          let id = 0;
          for (const step of plan) {
            id++;
            const ops: Record<string, { puts: Array<[string, unknown]>; deletes: string[]; full: boolean }> = {};
            for (const c of step.changes) ops[c.uid] = { puts: c.puts, deletes: c.deletes, full: c.full };
            await backend.write(checkpoint(id, id, ops));
            for (const [uid, c] of Object.entries(ops)) {
              // What a collector makes of the calls: the last put or delete of a key wins.
              let entries = model.get(uid);
              if (!entries || c.full) model.set(uid, (entries = new Map()));
              for (const k of c.deletes) entries.delete(k);
              for (const [k, v] of c.puts) entries.set(k, v);
            }
            if (step.reopen) ({ backend } = await reopen(backend));
          }
          const { restored } = await reopen(backend);
          expect(restored?.id).toBe(id);
          for (const [uid, entries] of model) {
            const keys = utf8Sorted([...entries.keys()]);
            expect(entriesOf(restored, uid)).toEqual(keys.map((k) => [k, entries.get(k)]));
          }
          for (const b of open.splice(0)) await b.close();
        }),
        { numRuns: 25 },
      );
    });
  });
}
