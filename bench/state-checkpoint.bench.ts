/**
 * Checkpoint cost of the LevelDB state backend, and the cost of checkpointing a running pipeline.
 * Run: `node --import tsx bench/state-checkpoint.bench.ts [keys] [events]` (defaults 1,000,000 and 300,000;
 * keys 0 skips the backend part, events 0 the pipeline part).
 * Figures are ratios within one run on one machine (bench/BENCHMARKS.md rules), never asserted.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import type { RunOptions } from '../src/runtime/runtime.js';
import type { Sink } from '../src/core/sink.js';
import { from } from '../src/pipeline/stream.js';
import { fromArray } from '../src/sources/array-source.js';
import { levelState, type LevelStateBackend } from '../src/state/level-state.js';
import { memoryState } from '../src/state/memory-state.js';
import type { CheckpointData } from '../src/core/state-backend.js';
import { StateChangeCollector } from '../src/state/state-change-collector.js';
import { boundedOutOfOrderness } from '../src/watermarks/watermark-strategy.js';
import { count, sum } from '../src/windowing/aggregators/index.js';
import { tumbling } from '../src/windowing/tumbling.js';

const KEYS = Number(process.argv[2] ?? 1_000_000);
const EVENTS = Number(process.argv[3] ?? 300_000);
const CHANGED = 10_000;
const root = await mkdtemp(join(tmpdir(), 'streamkit-bench-state-'));

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(join(dir, name))).size;
  return total;
}

/** One operator's checkpoint of `keys` window-like accumulators, encoded as the runtime encodes them. */
function checkpointOf(id: number, keys: number, full: boolean, offset = 0): CheckpointData {
  const writer = new StateChangeCollector('4-window', full);
  for (let i = 0; i < keys; i++) {
    const k = (i * 7919 + offset) % KEYS;
    writer.put(`1/w/zone-${k % 265}/${1_700_000_000_000 + k * 300_000}`, { sum: k * 1.5, count: k, compensation: 0 });
  }
  return { id, sourcePosition: { offset: id * 1000 }, operators: new Map([['4-window', writer.changes()]]) };
}

// CPU time per run (process-wide, LevelDB's threads included) next to wall time: on a shared
// machine other processes stretch wall time, much less the CPU a run itself burns.
const cpuMs = new Map<string, number[]>();
const measured = (name: string, fn: () => Promise<void>) => async () => {
  const before = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(before);
  let runs = cpuMs.get(name);
  if (!runs) cpuMs.set(name, (runs = []));
  runs.push((used.user + used.system) / 1000);
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
let fullDir = '';
let fullBytes = 0;
let backend: LevelStateBackend | undefined;
let checkpointId = 1;

const state = new Bench({ name: `levelState, ${KEYS.toLocaleString('en')} keys`, time: 0, iterations: 3, warmup: false });
state
  .add(
    `full checkpoint of ${KEYS.toLocaleString('en')} keys (encode + one atomic batch + fsync)`,
    measured('full', async () => {
      await backend!.write(checkpointOf(checkpointId++, KEYS, true));
    }),
    {
      beforeEach: async () => {
        fullDir = join(root, `full-${checkpointId}`);
        backend = levelState(fullDir);
        await backend.open();
      },
      afterEach: async () => {
        await backend!.close();
        fullBytes = await dirBytes(fullDir);
      },
    },
  )
  .add(
    `incremental checkpoint, ${CHANGED.toLocaleString('en')} of ${KEYS.toLocaleString('en')} keys changed`,
    measured('incremental', async () => {
      await backend!.write(checkpointOf(checkpointId++, CHANGED, false, checkpointId));
    }),
    {
      beforeAll: async () => {
        backend = levelState(fullDir);
        await backend.open();
      },
      afterAll: async () => {
        await backend!.close();
      },
    },
  )
  .add(
    `restore (open) of ${KEYS.toLocaleString('en')} keys`,
    measured('restore', async () => {
      const reader = levelState(fullDir);
      const restored = await reader.open();
      let n = 0;
      for (const entries of restored!.operators.values()) for (const _ of entries) n++;
      if (n !== KEYS) throw new Error(`restored ${n} keys, expected ${KEYS}`);
      await reader.close();
    }),
  );
if (KEYS > 0) {
  await state.run();
  console.log(state.name);
  console.table(state.table());
  console.log(`on disk after a full checkpoint: ${(fullBytes / 1e6).toFixed(1)} MB (${(fullBytes / KEYS).toFixed(1)} bytes/key)`);
  for (const name of ['full', 'incremental', 'restore'])
    console.log(`CPU per ${name} run (median): ${median(cpuMs.get(name) ?? [NaN]).toFixed(0)} ms`);
}

// Throughput of one pipeline (dedup + keyed tumbling windows), checkpoints off and on, same run.
interface Trip {
  id: string;
  zone: number;
  t: number;
  fare: number;
}
const trips: Trip[] = [];
for (let i = 0; i < EVENTS; i++) {
  const id = i % 20 === 19 ? `trip-${i - 1}` : `trip-${i}`;
  trips.push({ id, zone: (i * 31) % 265, t: 1_700_000_000_000 + i * 20 - ((i * 7) % 3000), fare: (i % 50) + 2.5 });
}
const counting = (): Sink<unknown> & { n: number } => ({
  name: 'count',
  n: 0,
  write(items) {
    this.n += items.length;
  },
});
const job = (options: RunOptions) =>
  from(fromArray(trips))
    .withTimestamps((t) => t.t, boundedOutOfOrderness('5s'))
    .dedup((t) => t.id, { within: '1h' })
    .keyBy((t) => t.zone)
    .window(tumbling('5m'))
    .aggregate({ trips: count(), revenue: sum((t: Trip) => t.fare) })
    .to(counting())
    .run(options);

let runDir = 0;
const tasks: Array<[string, () => Promise<void>]> = [
  ['checkpoints off', async () => void (await job({}))],
  [
    'memoryState, checkpoint every 10,000 records',
    async () => void (await job({ state: memoryState(), checkpointEvery: { records: 10_000 } })),
  ],
  [
    'levelState, checkpoint every 10,000 records',
    async () => void (await job({ state: levelState(join(root, `run-${runDir++}`)), checkpointEvery: { records: 10_000 } })),
  ],
  [
    "levelState, checkpoint every '1s'",
    async () => void (await job({ state: levelState(join(root, `run-${runDir++}`)), checkpointEvery: '1s' })),
  ],
];
const throughput = new Bench({
  name: `pipeline throughput, ${EVENTS.toLocaleString('en')} events`,
  time: 0,
  iterations: 3,
  warmupIterations: 1,
});
for (const [name, fn] of tasks) throughput.add(name, measured(name, fn));
if (EVENTS > 0) await throughput.run();
console.log(throughput.name);
const meanMs = (task: (typeof throughput.tasks)[number]) => ('latency' in task.result ? task.result.latency.mean : NaN);
const baseWall = meanMs(throughput.tasks[0]);
const baseCpu = median(cpuMs.get(tasks[0][0]) ?? [NaN]);
if (EVENTS > 0)
  console.table(
    throughput.tasks.map((task) => {
      const wall = meanMs(task);
      const cpu = median(cpuMs.get(task.name) ?? [NaN]);
      return {
        task: task.name,
        'events/s (wall)': Math.round(EVENTS / (wall / 1000)),
        'events per CPU-s': Math.round(EVENTS / (cpu / 1000)),
        'wall vs off': (baseWall / wall).toFixed(2),
        'CPU vs off': (baseCpu / cpu).toFixed(2),
      };
    }),
  );
await rm(root, { recursive: true, force: true });
