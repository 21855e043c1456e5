import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateError } from '../../src/core/errors.js';
import { Metrics } from '../../src/core/metrics.js';
import type { ResidentState } from '../../src/core/resident-state.js';
import { inspectLevelState, levelState, type LevelStateBackend } from '../../src/state/level-state.js';
import { StateChangeCollector } from '../../src/state/state-change-collector.js';

const UID = 'counter#0';

/** Takes a checkpoint of the one resident operator, as the runtime does: snapshot, then write. */
async function checkpoint(backend: LevelStateBackend, store: ResidentState, id: number): Promise<void> {
  const writer = new StateChangeCollector(UID, false);
  store.snapshot(writer);
  await backend.write({ id, sourcePosition: { at: id }, operators: new Map([[UID, { ...writer.changes(), resident: true }]]) });
}

async function open(dir: string, memory: number | string): Promise<{ backend: LevelStateBackend; store: ResidentState }> {
  const backend = levelState(dir, { memory });
  await backend.open();
  return { backend, store: backend.residentState(UID)! };
}

type Op =
  | { kind: 'put'; key: string; value: number }
  | { kind: 'delete'; key: string }
  | { kind: 'get'; key: string }
  | { kind: 'deletePrefix'; prefix: string }
  | { kind: 'checkpoint' }
  | { kind: 'restart' };

const KEYS = ['a/1', 'a/2', 'a/3', 'b/1', 'b/2', 'c/1', 'c/22', 'd'];
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('put' as const), key: fc.constantFrom(...KEYS), value: fc.integer() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.constantFrom(...KEYS) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('get' as const), key: fc.constantFrom(...KEYS) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deletePrefix' as const), prefix: fc.constantFrom('a/', 'b/', 'c/') }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'checkpoint' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
);

describe('resident state in levelState(dir, { memory })', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'streamkit-resident-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reads what was written, through eviction, checkpoints, range deletes and restarts (tiny and huge budgets)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), fc.constantFrom(1, 600, '256MB'), async (ops, memory) => {
        const dir = join(root, `p${run++}`);
        let { backend, store } = await open(dir, memory);
        // The live model, and the model as of the last checkpoint (what a restart must see).
        let live = new Map<string, number>();
        let durable = new Map<string, number>();
        const retired = new Set<string>();
        let id = 0;
        try {
          for (const op of ops) {
            switch (op.kind) {
              case 'put':
                if ([...retired].some((p) => op.key.startsWith(p))) {
                  expect(() => store.put(op.key, op.value)).toThrow(StateError);
                } else {
                  store.put(op.key, op.value);
                  live.set(op.key, op.value);
                }
                break;
              case 'delete':
                store.delete(op.key);
                live.delete(op.key);
                break;
              case 'get':
                expect(store.get(op.key)).toBe(live.get(op.key));
                break;
              case 'deletePrefix':
                store.deletePrefix(op.prefix);
                retired.add(op.prefix);
                for (const key of [...live.keys()]) if (key.startsWith(op.prefix)) live.delete(key);
                break;
              case 'checkpoint':
                await checkpoint(backend, store, ++id);
                durable = new Map(live);
                // Once a checkpoint cleared a retired range, only the contract keeps it retired.
                retired.clear();
                break;
              case 'restart':
                await backend.close();
                ({ backend, store } = await open(dir, memory));
                live = new Map(durable);
                retired.clear();
                break;
            }
          }
          for (const key of KEYS) expect(store.get(key)).toBe(live.get(key));
          const listed: string[] = [];
          for await (const key of store.keys('')) listed.push(key);
          expect(listed).toEqual([...live.keys()].sort());
        } finally {
          await backend.close();
        }
      }),
      { numRuns: 60 },
    );
  });

  it('keeps the cache within the budget and reads evicted keys back from LevelDB', async () => {
    const { backend, store } = await open(join(root, 'evict'), '64KB');
    try {
      for (let i = 0; i < 5_000; i++) store.put(`k/${i}`, { i, text: 'x'.repeat(20) });
      await checkpoint(backend, store, 1);
      for (let i = 0; i < 5_000; i++) expect(store.get(`k/${i}`)).toEqual({ i, text: 'x'.repeat(20) });
      const stats = backend.residentStats()!;
      expect(stats.cachedBytes).toBeLessThanOrEqual(64 * 1024);
      expect(stats.misses).toBeGreaterThan(4_000);
      expect(stats.readBytes).toBeGreaterThan(0);
    } finally {
      await backend.close();
    }
  });

  it('asks for a checkpoint when changes fill a quarter of the budget', async () => {
    const backend = levelState(join(root, 'pressure'), { memory: '16KB' });
    await backend.open();
    let requests = 0;
    backend.attach({ requestCheckpoint: () => requests++, metrics: new Metrics() });
    const store = backend.residentState(UID)!;
    try {
      // About 160 estimated bytes each: 20 fill 3.2 KB of the 4 KB that make a quarter of 16 KB.
      for (let i = 0; i < 20; i++) store.put(`k/${i}`, i);
      expect(requests).toBe(0);
      for (let i = 20; i < 400; i++) store.put(`k/${i}`, i);
      expect(requests).toBe(1);
      await checkpoint(backend, store, 1);
      for (let i = 400; i < 800; i++) store.put(`k/${i}`, i);
      expect(requests).toBe(2);
    } finally {
      await backend.close();
    }
  });

  it('restores without reading the entries, and clears deleted ranges on disk', async () => {
    const dir = join(root, 'lazy');
    let { backend, store } = await open(dir, '1MB');
    for (let i = 0; i < 2_000; i++) store.put(`g/${i % 2}/${i}`, i);
    await checkpoint(backend, store, 1);
    store.deletePrefix('g/0/');
    expect(store.get('g/0/0')).toBeUndefined();
    expect(store.get('g/1/1')).toBe(1);
    await checkpoint(backend, store, 2);
    await backend.close();

    const inspected = await inspectLevelState(dir);
    expect(inspected?.operators).toEqual([expect.objectContaining({ uid: UID, entries: 1_000 })]);

    backend = levelState(dir, { memory: '1MB' });
    const restored = await backend.open();
    store = backend.residentState(UID)!;
    try {
      expect(restored?.id).toBe(2);
      expect([...restored!.operators.get(UID)!]).toEqual([]);
      expect(backend.residentStats()!.misses).toBe(0);
      expect(store.get('g/1/1999')).toBe(1999);
      expect(store.get('g/0/0')).toBeUndefined();
      expect(backend.residentStats()!.misses).toBe(2);
    } finally {
      await backend.close();
    }
  });

  it('refuses to open resident state without a memory budget, saying why', async () => {
    const dir = join(root, 'refuse');
    const { backend, store } = await open(dir, '1MB');
    store.put('k', 1);
    await checkpoint(backend, store, 1);
    await backend.close();
    const error = await levelState(dir)
      .open()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(StateError);
    expect((error as StateError).code).toBe('STATE_INCOMPATIBLE');
    expect((error as Error).message).toMatch(/keeps its state on disk.*memory budget/);
  });

  it('checks the memory option', () => {
    expect(() => levelState(join(root, 'x'), { memory: '64 megs' })).toThrow(/levelState memory must be a positive number of bytes/);
    expect(() => levelState(join(root, 'x'), { memory: 0 })).toThrow(TypeError);
    expect(levelState(join(root, 'x'), { memory: '1.5MB' })).toBeDefined();
  });
});
