/**
 * The per-access cost of resident state (`levelState(dir, { memory })`): one operator's
 * `ResidentStore` over a LevelDB of 100,000 keys (`node --import tsx bench/resident-store.bench.ts [keys]`).
 *
 * - a hit on a clean cached key, and on a key changed since the last snapshot;
 * - a miss on a key LevelDB holds (read, decoded, admitted to the cache, which evicts), for a
 *   number (a dedup id's time) and for a session window's stored value;
 * - a miss on a key LevelDB does not have (a new key);
 * - a put to a key already changed, and to a cached key (its first change since a checkpoint);
 * - a snapshot of 1,024 changes encoded for the checkpoint, then marked written (they become clean).
 *
 * Every case does 1,024 accesses per iteration; the table gives the median µs per access.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { Level } from 'level';
import { Bench } from 'tinybench';
import type { EncodedChanges, StateWriter } from '../src/core/state-writer.js';
import { ResidentMemory } from '../src/state/resident-memory.js';
import { ResidentStore } from '../src/state/resident-store.js';
import { encodeKeyAfter, statePrefix } from '../src/state/state-key.js';

const KEYS = Number(process.argv[2] ?? 100_000);
const BATCH = 1024;
const UID = 'bench#0';
const dir = await mkdtemp(join(tmpdir(), 'streamkit-resident-store-'));
const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
await db.open();
const prefix = statePrefix(UID, 0);

const numberKey = (i: number): string => `g/0/${i.toString(16).padStart(12, '0')}`;
const sessionKey = (i: number): string => `s/key-${i}`;
const absentKey = (i: number): string => `n/${i}`;
const session = (i: number): unknown => [{ s: 1_704_067_200_000 + i, e: 1_704_069_000_000 + i, id: i, acc: 3 }];

process.stderr.write(`writing ${(2 * KEYS).toLocaleString('en')} keys…\n`);
for (let from = 0; from < KEYS; from += 10_000) {
  const batch = db.batch();
  for (let i = from; i < Math.min(KEYS, from + 10_000); i++) {
    batch.put(encodeKeyAfter(prefix, numberKey(i)), serialize(1_704_067_200_000 + i));
    batch.put(encodeKeyAfter(prefix, sessionKey(i)), serialize(session(i)));
  }
  await batch.write();
}
await (db as unknown as { compactRange(start: Buffer, end: Buffer): Promise<void> }).compactRange(prefix, Buffer.from([0x02]));

let seed = 7;
const random = (): number => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) % KEYS) >>> 0;

/** A writer that takes the encoded changes as the backend does, walking every change once. */
const writer: StateWriter = {
  put() {},
  delete() {},
  writeEncoded(changes: EncodedChanges) {
    for (const change of changes.changes()) void change;
  },
};

// A budget of 64 MB holds every cached key of the hit cases; the miss cases use a store with 256 KB,
// in which nearly every random read misses and evicts.
const big = new ResidentMemory(64 * 1024 * 1024);
const warm = new ResidentStore(UID, prefix, db, big);
for (let i = 0; i < BATCH; i++) warm.get(sessionKey(i));
const changed = new ResidentStore(UID, prefix, db, new ResidentMemory(64 * 1024 * 1024));
for (let i = 0; i < BATCH; i++) changed.put(sessionKey(i), session(i));
const cold = new ResidentStore(UID, prefix, db, new ResidentMemory(256 * 1024));
const snapshotted = new ResidentStore(UID, prefix, db, new ResidentMemory(64 * 1024 * 1024));
let round = 0;

const bench = new Bench({
  name: `resident store over ${(2 * KEYS).toLocaleString('en')} keys in LevelDB, ${BATCH} accesses per iteration`,
  time: 1_500,
});
bench
  .add('hit, clean cached key', () => {
    for (let i = 0; i < BATCH; i++) warm.get(sessionKey(i));
  })
  .add('hit, changed key', () => {
    for (let i = 0; i < BATCH; i++) changed.get(sessionKey(i));
  })
  .add('miss, present key (number)', () => {
    for (let i = 0; i < BATCH; i++) cold.get(numberKey(random()));
  })
  .add('miss, present key (session)', () => {
    for (let i = 0; i < BATCH; i++) cold.get(sessionKey(random()));
  })
  .add('miss, absent key', () => {
    for (let i = 0; i < BATCH; i++) cold.get(absentKey(random()));
  })
  .add('put, changed key', () => {
    for (let i = 0; i < BATCH; i++) changed.put(sessionKey(i), session(i));
  })
  .add('put + snapshot + written, cached keys', () => {
    // Each round changes keys read (cached) by the previous round's written().
    const base = (round++ % 64) * BATCH;
    for (let i = 0; i < BATCH; i++) snapshotted.put(sessionKey(base + i), session(i));
    snapshotted.snapshot(writer);
    snapshotted.written();
  });
await bench.run();
console.log(bench.name);
console.table(
  bench.tasks.map((task) => {
    const result = task.result;
    if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
    const median = result.latency.p50 ?? NaN;
    return { access: task.name, 'µs per access (median)': ((median * 1000) / BATCH).toFixed(3) };
  }),
);
await db.close();
await rm(dir, { recursive: true, force: true });
