/**
 * How a resident operator should read LevelDB: the alternatives for `levelState(dir, { memory })`,
 * per key, over one LevelDB of 1,000,000 keys (`node --import tsx bench/resident-read.bench.ts [keys]`).
 *
 * - `getSync` per key: what the resident store does on a cache miss, inside the synchronous graph;
 * - `await get` per key: one promise per read;
 * - `getMany` of a batch's 1,024 keys, awaited once: a prefetch before each batch;
 * - an iterator over a range of 1,024 neighbouring keys (`nextv`): how a time-ordered range is read;
 * - `getSync` of a key that is not there (a new id): LevelDB has no Bloom filter in classic-level's
 *   defaults, so a miss walks each level's index.
 *
 * Keys are read in random order (cold in the cache of LevelDB's blocks, warm in the OS page cache).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { Bench } from 'tinybench';

const KEYS = Number(process.argv[2] ?? 1_000_000);
const BATCH = 1024;
const dir = await mkdtemp(join(tmpdir(), 'streamkit-resident-read-'));
const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
await db.open();

const keyOf = (i: number): Buffer => Buffer.from(`\u0001dedup#0\u0000\u0000\u0000\u0000\u0000g/0/${i.toString(16).padStart(12, '0')}`);
const value = Buffer.from([0xff, 0x0f, 0x4e, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
process.stderr.write(`writing ${KEYS.toLocaleString('en')} keys…\n`);
for (let from = 0; from < KEYS; from += 10_000) {
  const batch = db.batch();
  for (let i = from; i < Math.min(KEYS, from + 10_000); i++) batch.put(keyOf(i), value);
  await batch.write();
}
// Into sorted tables, as a long-running state directory is (classic-level's compactRange).
await (db as unknown as { compactRange(start: Buffer, end: Buffer): Promise<void> }).compactRange(keyOf(0), keyOf(KEYS));

let seed = 7;
const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) >>> 0) % KEYS) >>> 0;
const randomKeys = (): Buffer[] => Array.from({ length: BATCH }, () => keyOf(random()));

const bench = new Bench({ name: `reading one batch of ${BATCH} keys of ${KEYS.toLocaleString('en')} in LevelDB`, time: 2_000 });
bench
  .add('getSync per key', () => {
    for (const key of randomKeys()) db.getSync(key);
  })
  .add('await get per key', async () => {
    for (const key of randomKeys()) await db.get(key);
  })
  .add('getMany of the batch, awaited once (prefetch)', async () => {
    await db.getMany(randomKeys());
  })
  .add('iterator over 1,024 neighbouring keys (nextv)', async () => {
    const start = random();
    const iterator = db.iterator({ gte: keyOf(start), limit: BATCH });
    await iterator.nextv(BATCH);
    await iterator.close();
  })
  .add('getSync of absent keys', () => {
    for (let i = 0; i < BATCH; i++) db.getSync(keyOf(KEYS + random()));
  });
await bench.run();
console.log(bench.name);
console.table(
  bench.tasks.map((task) => {
    const result = task.result;
    if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
    const median = result.latency.p50 ?? NaN;
    return { read: task.name, 'ms per batch (median)': median.toFixed(2), 'µs per key': ((median * 1000) / BATCH).toFixed(2) };
  }),
);
await db.close();
await rm(dir, { recursive: true, force: true });
