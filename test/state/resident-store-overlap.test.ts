import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Level } from 'level';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncodedChanges, StateWriter } from '../../src/core/state-writer.js';
import { ResidentMemory } from '../../src/state/resident-memory.js';
import { ResidentStore } from '../../src/state/resident-store.js';
import { statePrefix } from '../../src/state/state-key.js';

type Op =
  | { kind: 'put'; key: string; value: unknown }
  | { kind: 'delete'; key: string }
  | { kind: 'get'; key: string }
  | { kind: 'snapshot' }
  | { kind: 'written' }
  | { kind: 'failed' };

const KEYS = ['a', 'b', 'c', 'd/1', 'd/2'];
const valueArb = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 4 }),
  fc.record({ s: fc.integer(), e: fc.integer(), t: fc.string({ maxLength: 3 }) }),
  fc.array(fc.integer(), { maxLength: 3 }),
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('put' as const), key: fc.constantFrom(...KEYS), value: valueArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.constantFrom(...KEYS) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('get' as const), key: fc.constantFrom(...KEYS) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'snapshot' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'written' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'failed' as const }) },
);

const overlapping: Op[] = [
  { kind: 'put', key: 'a', value: 1 },
  { kind: 'snapshot' },
  { kind: 'put', key: 'a', value: 2 },
  { kind: 'snapshot' },
  { kind: 'written' },
  { kind: 'written' },
];

let dir: string;
let db: Level<Buffer, Buffer>;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'streamkit-resident-overlap-'));
  db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
});
afterAll(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

describe('ResidentStore with several snapshots in flight', () => {
  it('reads the newest value of every key, and caches each key at most once, whatever snapshots are in flight, written or failed', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), fc.constantFrom(1, 700, 1 << 20), async (ops, budget) => {
        // Each run its own operator prefix: a fresh, empty key range.
        const prefix = statePrefix(`overlap#${run++}`, 0);
        const memory = new ResidentMemory(budget);
        const store = new ResidentStore('overlap#0', prefix, db, memory);
        const model = new Map<string, unknown>();
        const flights: EncodedChanges[] = [];
        for (const op of ops) {
          switch (op.kind) {
            case 'put':
              store.put(op.key, op.value);
              model.set(op.key, op.value);
              break;
            case 'delete':
              store.delete(op.key);
              model.delete(op.key);
              break;
            case 'get':
              expect(store.get(op.key)).toEqual(model.get(op.key));
              break;
            case 'snapshot': {
              let log: EncodedChanges | undefined;
              const writer: StateWriter = { put() {}, delete() {}, writeEncoded: (changes) => (log = changes) };
              store.snapshot(writer);
              flights.push(log!);
              break;
            }
            case 'written': {
              const log = flights.shift();
              if (!log) break;
              const batch = db.batch();
              for (const { key, value } of log.changes()) {
                const stored = Buffer.concat([prefix, key]);
                if (value === undefined) batch.del(stored);
                else batch.put(stored, Buffer.from(value));
              }
              await batch.write();
              store.written();
              break;
            }
            case 'failed':
              if (flights.shift()) store.failed();
              break;
          }
          const stats = memory.stats();
          expect(stats.cachedEntries).toBeLessThanOrEqual(KEYS.length);
          expect(stats.cachedBytes).toBeGreaterThanOrEqual(0);
          expect(stats.cachedBytes).toBeLessThanOrEqual(budget);
        }
        for (const key of KEYS) expect(store.get(key)).toEqual(model.get(key));
        // Every cached entry is some key's only one: changing every key takes them all out of the cache.
        for (const key of KEYS) store.put(key, 0);
        expect(memory.stats()).toMatchObject({ cachedEntries: 0, cachedBytes: 0 });
      }),
      // A key changed in two snapshots in flight at once, both written: its older change must not be cached.
      { numRuns: 300, examples: [[overlapping, 1 << 20]] },
    );
  });
});
