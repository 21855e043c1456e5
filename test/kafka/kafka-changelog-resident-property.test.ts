import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaChangelog, type KafkaChangelogState } from '../../src/kafka/changelog/index.js';
import type { ResidentState } from '../../src/core/resident-state.js';
import { StateChangeCollector } from '../../src/state/state-change-collector.js';
import { brokers, uniqueName } from './kafka-test-utils.js';

const UID = 'store#0';
const KEYS = ['a/1', 'a/2', 'a/3', 'b/1', 'b/2', 'c/1', 'c/22', 'ab'];
const PREFIXES = ['a/', 'b/', 'c/', 'a'];

type Op = { kind: 'put'; key: string; value: number } | { kind: 'delete'; key: string } | { kind: 'deletePrefix'; prefix: string };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('put' as const), key: fc.constantFrom(...KEYS), value: fc.integer() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.constantFrom(...KEYS) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deletePrefix' as const), prefix: fc.constantFrom(...PREFIXES) }) },
);

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'streamkit-changelog-property-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** What a store reads back: every key it lists, with its value. */
async function readBack(store: ResidentState): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  for await (const key of store.keys('')) out.set(key, store.get(key));
  return out;
}

describe('kafkaChangelog({ memory, dir }): a task restored from its local store or rebuilt from the changelog reads as written', () => {
  it('puts, deletes and range deletes over several checkpoints (property, real broker and LevelDB)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { maxLength: 12 }), { minLength: 1, maxLength: 4 }), async (checkpoints) => {
        const topic = uniqueName('property');
        const task = `${topic}/0`;
        const options = { brokers, topic: `${topic}.changelog`, partitions: 1, logLevel: 'nothing', memory: 64 } as const;
        const dir = await tempDir();
        const open = async (at: string): Promise<KafkaChangelogState> => {
          const state = kafkaChangelog({ ...options, dir: at });
          await state.open();
          return state;
        };
        const model = new Map<string, unknown>();
        const writer = await open(dir);
        try {
          const { generation } = (await writer.acquire([task])).get(task)!;
          const store = writer.residentState(task, UID)!;
          for (const [i, ops] of checkpoints.entries()) {
            // A prefix deleted is retired until the checkpoint that deletes it is written.
            const retired: string[] = [];
            for (const o of ops) {
              if (o.kind === 'deletePrefix') {
                store.deletePrefix(o.prefix);
                retired.push(o.prefix);
                for (const key of model.keys()) if (key.startsWith(o.prefix)) model.delete(key);
              } else if (o.kind === 'delete') {
                store.delete(o.key);
                model.delete(o.key);
              } else if (!retired.some((p) => o.key.startsWith(p))) {
                store.put(o.key, { v: o.value });
                model.set(o.key, { v: o.value });
              }
            }
            const collector = new StateChangeCollector(UID, false);
            store.snapshot(collector);
            const changes = { ...collector.changes(), resident: true, fingerprint: { kind: 'test' } };
            const written = await writer.write(i + 1, new Map([[task, { generation, position: i, operators: new Map([[UID, changes]]) }]]));
            expect(written).toEqual([task]);
            expect(await readBack(store)).toEqual(model);
          }
          await writer.release([task]);
        } finally {
          await writer.close();
        }
        // The same directory: used as it is. Another one: rebuilt from the changelog.
        for (const [at, how] of [
          [dir, 'reused'],
          [await tempDir(), 'rebuilt'],
        ] as const) {
          const reader = await open(at);
          try {
            const restored = (await reader.acquire([task])).get(task)!.restored!;
            expect(restored.checkpointId).toBe(checkpoints.length);
            expect(restored.fingerprints?.get(UID)).toEqual({ kind: 'test' });
            expect(reader.localRestores().get(task)).toBe(how);
            expect(await readBack(reader.residentState(task, UID)!)).toEqual(model);
          } finally {
            await reader.close();
          }
        }
      }),
      { numRuns: 15 },
    );
  }, 180_000);

  it('a fenced owner writes nothing, and its local store, behind the checkpoints of the new owner, is rebuilt when it takes the task back', async () => {
    const topic = uniqueName('fenced');
    const task = `${topic}/0`;
    const options = { brokers, topic: `${topic}.changelog`, partitions: 1, logLevel: 'nothing', memory: 64 } as const;
    const [dirA, dirB] = [await tempDir(), await tempDir()];
    const checkpoint = (generation: number, store: ResidentState, position: number) => {
      const collector = new StateChangeCollector(UID, false);
      store.snapshot(collector);
      const changes = { ...collector.changes(), resident: true, fingerprint: { kind: 'test' } };
      return new Map([[task, { generation, position, operators: new Map([[UID, changes]]) }]]);
    };
    const a = kafkaChangelog({ ...options, dir: dirA });
    const b = kafkaChangelog({ ...options, dir: dirB });
    await a.open();
    await b.open();
    try {
      const ga = (await a.acquire([task])).get(task)!.generation;
      const storeA = a.residentState(task, UID)!;
      storeA.put('a/1', 1);
      storeA.put('b/1', 1);
      expect(await a.write(1, checkpoint(ga, storeA, 10))).toEqual([task]);

      // B takes the task over: it fences A, and rebuilds from A's checkpoint.
      const gb = (await b.acquire([task])).get(task)!.generation;
      expect(b.localRestores().get(task)).toBe('rebuilt');
      const storeB = b.residentState(task, UID)!;
      expect(await readBack(storeB)).toEqual(
        new Map([
          ['a/1', 1],
          ['b/1', 1],
        ]),
      );
      storeB.deletePrefix('a/');
      storeB.put('c/1', 2);
      expect(await b.write(2, checkpoint(gb, storeB, 20))).toEqual([task]);

      // A, fenced, cannot write: neither to the changelog nor to its local store.
      storeA.put('a/2', 3);
      expect(await a.write(3, checkpoint(ga, storeA, 30))).toEqual([]);
      await a.release([task]);
      await b.release([task]);

      // A takes the task back: its local store is behind B's checkpoint, so it is rebuilt.
      const restored = (await a.acquire([task])).get(task)!.restored!;
      expect(a.localRestores().get(task)).toBe('rebuilt');
      expect(restored).toMatchObject({ checkpointId: 2, position: 20 });
      expect(await readBack(a.residentState(task, UID)!)).toEqual(
        new Map([
          ['b/1', 1],
          ['c/1', 2],
        ]),
      );
    } finally {
      await a.close();
      await b.close();
    }
  }, 60_000);
});
