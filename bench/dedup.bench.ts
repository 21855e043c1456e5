/**
 * Cost of `dedup` per record: the lookup, the insert, and expiry as the watermark advances; with
 * its ids in the heap and on disk (`levelState(dir, { memory })`, checkpointed every 100 batches).
 * Run: `node --import tsx bench/dedup.bench.ts [records]` (default 1,000,000).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import type { Batch } from '../src/core/batch.js';
import { Metrics } from '../src/core/metrics.js';
import type { Output } from '../src/core/operator.js';
import { dedup } from '../src/delivery/dedup.js';
import { levelState } from '../src/state/level-state.js';
import { StateChangeCollector } from '../src/state/state-change-collector.js';

const RECORDS = Number(process.argv[2] ?? 1_000_000);
const BATCH = 1024;

interface Trip {
  tripId: string;
  t: number;
}

// 5% redelivered copies of a recent trip, 10 trips per second of event time.
const batches: Batch<Trip>[] = [];
for (let from = 0; from < RECORDS; from += BATCH) {
  const values: Trip[] = [];
  for (let i = from; i < Math.min(RECORDS, from + BATCH); i++) {
    const original = i % 20 === 19 ? i - 7 : i;
    values.push({ tripId: `trip-${original}`, t: 1_700_000_000_000 + original * 100 });
  }
  batches.push({ values, times: values.map((v) => v.t), positions: values.map((_, k) => from + k), partition: 0 });
}

let kept = 0;
const out: Output<Trip> = {
  emit: (b) => (kept += b.values.length),
  watermark: () => undefined,
  late: () => undefined,
  deadLetter: () => undefined,
};

function runDedup(within: string, checkpointEvery: number): void {
  const op = dedup((t: Trip) => t.tripId, { within });
  op.open({ uid: '2-dedup', now: () => 0, sourcePartitions: () => [0], metrics: new Metrics() });
  let n = 0;
  for (const batch of batches) {
    op.processBatch(batch, out);
    op.processWatermark(batch.times![batch.times!.length - 1] - 1000, out);
    if (checkpointEvery > 0 && ++n % checkpointEvery === 0) op.snapshotState(new StateChangeCollector('2-dedup', false), false);
  }
}

/** The same run with the ids on disk behind a `memory` cache, a checkpoint written every `checkpointEvery` batches. */
async function runDedupOnDisk(within: string, memory: string, checkpointEvery: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'streamkit-dedup-bench-'));
  const backend = levelState(dir, { memory, sync: false });
  await backend.open();
  try {
    const op = dedup((t: Trip) => t.tripId, { within });
    const store = backend.residentState('dedup#0');
    op.open({ uid: 'dedup#0', now: () => 0, sourcePartitions: () => [0], metrics: new Metrics(), residentState: () => store });
    let n = 0;
    for (const batch of batches) {
      op.processBatch(batch, out);
      op.processWatermark(batch.times![batch.times!.length - 1] - 1000, out);
      if (++n % checkpointEvery === 0) {
        const writer = new StateChangeCollector('dedup#0', false);
        op.snapshotState(writer, false);
        await backend.write({ id: n, sourcePosition: n, operators: new Map([['dedup#0', { ...writer.changes(), resident: true }]]) });
      }
    }
  } finally {
    await backend.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const bench = new Bench({
  name: `dedup, ${RECORDS.toLocaleString('en')} records, 5% duplicates`,
  time: 0,
  iterations: 5,
  warmupIterations: 1,
});
bench
  .add("within '1h' (36,000 ids live)", () => runDedup('1h', 0))
  .add("within '1d' (every id stays live)", () => runDedup('1d', 0))
  .add("within '1h', incremental snapshot every 100 batches", () => runDedup('1h', 100))
  .add("within '1h', ids on disk, memory '64MB', checkpoint every 100 batches", () => runDedupOnDisk('1h', '64MB', 100))
  .add("within '1h', ids on disk, memory '1MB', checkpoint every 4 batches", () => runDedupOnDisk('1h', '1MB', 4));
await bench.run();
console.log(bench.name);
console.table(
  bench.tasks.map((task) => {
    const mean = 'latency' in task.result ? task.result.latency.mean : NaN;
    return { task: task.name, 'records/s': Math.round(RECORDS / (mean / 1000)), 'ns/record': Math.round((mean * 1e6) / RECORDS) };
  }),
);
if (kept === 0) throw new Error('nothing kept');
