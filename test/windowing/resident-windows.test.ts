import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateError } from '../../src/core/errors.js';
import { Metrics } from '../../src/core/metrics.js';
import type { Operator, Output } from '../../src/core/operator.js';
import type { StateBackend } from '../../src/core/state-backend.js';
import type { LateRecord, WindowResult } from '../../src/core/window.js';
import { from } from '../../src/pipeline/stream.js';
import { toArray } from '../../src/sinks/index.js';
import { fromArray } from '../../src/sources/index.js';
import { levelState } from '../../src/state/level-state.js';
import { memoryState } from '../../src/state/memory-state.js';
import { keyedEvents, type KeyedEvent } from '../../src/testing/index.js';
import { boundedOutOfOrderness } from '../../src/watermarks/index.js';
import {
  afterCount,
  afterProcessingTime,
  count,
  global,
  hopping,
  onWatermark,
  session,
  sliding,
  tumbling,
} from '../../src/windowing/index.js';
import type { AccumulationMode, Trigger, WindowAssigner } from '../../src/windowing/types.js';
import { windowOperator } from '../../src/windowing/window-operator.js';
import { seqs } from '../property/window-driver.js';
import { runStoppingAtCheckpoint, stoppingAfter } from '../pipeline/stopping-after.js';

const TRIGGERS: Trigger[] = [
  onWatermark(),
  onWatermark({ early: afterCount(2) }),
  onWatermark({ early: afterCount(3), late: afterCount(2) }),
  afterCount(2),
];

/** The windows that keep their state on disk with a memory budget. */
const KINDS = ['session', 'tumbling', 'hopping', 'global'] as const;

/** A job's input and its windows' configuration. */
const job = fc.record({
  kind: fc.constantFrom(...KINDS),
  delay: fc.integer({ min: 0, max: 20 }),
  lateness: fc.integer({ min: 0, max: 40 }),
  // The session gap, or the window size. Session timer buckets are a 64th of the gap: long gaps
  // put many timers in one bucket.
  gap: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 64, max: 640 })),
  sample: keyedEvents({
    keys: 6,
    timeRange: [0, 600],
    maxDisorder: 20,
    minLength: 5,
    maxLength: 80,
    late: { fraction: 0.2, maxExtraDelay: 80 },
  }),
  batchSize: fc.integer({ min: 1, max: 16 }),
  trigger: fc.integer({ min: 0, max: TRIGGERS.length - 1 }),
  mode: fc.constantFrom<AccumulationMode>('accumulating', 'discarding', 'retracting'),
});
type Job = typeof job extends fc.Arbitrary<infer J> ? J : never;

/** What a run produced, each result and late record as one line, in the order they came. */
interface Output_ {
  results: string[];
  late: string[];
}

function resultLine(r: WindowResult<string, number[]>): string {
  return `${r.id} ${r.key} [${r.window.start},${r.window.end}) ${JSON.stringify(r.value)} ${r.pane.index} ${r.pane.timing}${r.retraction ? ' retraction' : ''}`;
}

function lateLine(l: LateRecord<KeyedEvent>): string {
  return `${l.record.seq} [${l.window.start},${l.window.end}) ${l.watermark}`;
}

/** The job's windows: global() fires on a count only. */
function windowsOf(p: Job): { assigner: WindowAssigner; trigger: Trigger } {
  switch (p.kind) {
    case 'session':
      return { assigner: session(p.gap), trigger: TRIGGERS[p.trigger] };
    case 'tumbling':
      return { assigner: tumbling(p.gap), trigger: TRIGGERS[p.trigger] };
    case 'hopping':
      return { assigner: hopping(3 * p.gap, p.gap), trigger: TRIGGERS[p.trigger] };
    default:
      return { assigner: global(), trigger: afterCount(1 + p.trigger) };
  }
}

/** The job through the public API, results and late records collected. */
function pipeline(p: Job) {
  const out = toArray<WindowResult<string, number[]>>();
  const late = toArray<LateRecord<KeyedEvent>>();
  const stream = from(fromArray(p.sample.arrival, { batchSize: p.batchSize }))
    .withTimestamps((e) => e.time, boundedOutOfOrderness(p.delay))
    .keyBy((e) => e.key)
    .window(windowsOf(p).assigner, { trigger: windowsOf(p).trigger, allowedLateness: p.lateness, mode: p.mode })
    .aggregate(seqs)
    .late(late);
  const lines = (): Output_ => ({ results: out.items.map(resultLine), late: late.items.map(lateLine) });
  return { stream, out, lines };
}

async function run(p: Job, state: StateBackend, checkpointEvery = 3): Promise<Output_> {
  const { stream, out, lines } = pipeline(p);
  await stream.to(out).run({ state, checkpointEvery: { records: checkpointEvery } });
  return lines();
}

let root: string;
let runs = 0;
const nextDir = (): string => join(root, `run-${++runs}`);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'streamkit-resident-sessions-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('windows resident in levelState(dir, { memory })', () => {
  it('session, tumbling, hopping and global windows give the same results, ids, panes and late records, in the same order, as heap state (tiny and large budgets)', async () => {
    await fc.assert(
      fc.asyncProperty(job, fc.integer({ min: 1, max: 20 }), async (p, every) => {
        const heap = await run(p, memoryState(), every);
        expect(heap.results.length).toBeGreaterThan(0);
        // 1 KB: almost every read misses the cache and checkpoints come early, under memory pressure.
        const tiny = levelState(nextDir(), { memory: 1024 });
        expect(await run(p, tiny, every)).toEqual(heap);
        expect(tiny.residentStats()!.misses).toBeGreaterThan(0);
        const large = levelState(nextDir(), { memory: '256MB' });
        expect(await run(p, large, every)).toEqual(heap);
        expect(large.residentStats()!.hits).toBeGreaterThan(0);
      }),
      { numRuns: 40 },
    );
  });

  it('restore exactly: a job stopped at a checkpoint and resumed emits what an uninterrupted one does', async () => {
    let stopped = 0;
    await fc.assert(
      fc.asyncProperty(
        job,
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom<number | string>(1024, '256MB'),
        async (generated, every, cut, memory) => {
          // Small batches and enough records: most jobs reach the checkpoint they stop at.
          fc.pre(generated.sample.arrival.length >= 20);
          const p = { ...generated, batchSize: 1 + (generated.batchSize % 4) };
          const whole = await run(p, memoryState());
          const dir = nextDir();
          const first = pipeline(p);
          const stop = await runStoppingAtCheckpoint(first.stream, levelState(dir, { memory }), every, cut);
          if (stop.summary.stopped) stopped++;
          const second = pipeline(p);
          await second.stream.to(second.out).run({ state: levelState(dir, { memory }), checkpointEvery: { records: every } });
          // A graceful stop takes a final checkpoint: nothing is replayed, so nothing comes twice.
          const resumed = [...stop.items.map(resultLine), ...second.lines().results];
          expect(resumed.sort()).toEqual([...whole.results].sort());
          expect([...first.lines().late, ...second.lines().late].sort()).toEqual([...whole.late].sort());
        },
      ),
      { numRuns: 30 },
    );
    expect(stopped).toBeGreaterThan(10);
  });

  for (const kind of ['session', 'tumbling'] as const) {
    it(`${kind}: refuse a checkpoint written with the other state layout, saying why`, async () => {
      const p: Job = {
        kind,
        delay: 0,
        lateness: 0,
        gap: 10,
        sample: { events: [], arrival: [0, 5, 30, 70, 200].map((time, seq) => ({ key: `k${seq % 2}`, time, value: 1, seq })) },
        batchSize: 1,
        trigger: 0,
        mode: 'accumulating',
      };
      // Resident first, then heap: the backend refuses to open it without a memory budget.
      const resident = nextDir();
      await runStoppingAtCheckpoint(pipeline(p).stream, levelState(resident, { memory: '1MB' }), 1, 2);
      await expect(run(p, levelState(resident))).rejects.toThrow(StateError);
      await expect(run(p, levelState(resident))).rejects.toThrow(/keeps its state on disk/);
      // Heap first, then resident: the restore refuses the heap layout.
      const heap = nextDir();
      await runStoppingAtCheckpoint(pipeline(p).stream, levelState(heap), 1, 2);
      await expect(run(p, levelState(heap, { memory: '1MB' }))).rejects.toThrow(StateError);
      await expect(run(p, levelState(heap, { memory: '1MB' }))).rejects.toThrow(
        /kept its state on the heap \(the checkpoint was written without levelState\(dir, \{ memory \}\)\) and now keeps it on disk/,
      );
    });
  }

  it('refuse to restore with a trigger that changes where the state is kept', async () => {
    const events = Array.from({ length: 400 }, (_, i) => ({ key: i % 3, time: i * 10 }));
    const make = (trigger: Trigger, at?: number, stop = new AbortController()) =>
      from(stoppingAfter(fromArray(events, { batchSize: 2 }), at, stop))
        .withTimestamps((e) => e.time, boundedOutOfOrderness(0))
        .keyBy((e) => e.key)
        .window(session(1000), { trigger })
        .aggregate(count());
    const dir = nextDir();
    const stop = new AbortController();
    const first = await make(onWatermark(), 20, stop)
      .to(toArray())
      .run({ state: levelState(dir, { memory: '1MB' }), signal: stop.signal, checkpointEvery: { records: 4 } });
    expect(first.stopped).toBe(true);
    // A processing-time trigger keeps session state in the heap, where the checkpoint's resident state cannot go.
    const job = make(onWatermark({ early: afterProcessingTime('1h') }))
      .to(toArray())
      .run({ state: levelState(dir, { memory: '1MB' }) });
    await expect(job).rejects.toThrow(StateError);
    await expect(job).rejects.toThrow(/operator window#0: storage was "disk", now \(none\)/);
  });

  for (const [name, assigner, trigger] of [
    ['session windows with a processing-time trigger', session(10), onWatermark({ early: afterProcessingTime('1h') })],
    ['sliding windows', sliding(10), onWatermark({ early: afterCount(2) })],
  ] as const) {
    it(`${name} keep heap state with a memory budget, with the same results`, async () => {
      const make = () =>
        from(
          fromArray(
            [0, 5, 30, 70, 200].map((time, seq) => ({ key: `k${seq % 2}`, time, value: 1, seq })),
            { batchSize: 2 },
          ),
        )
          .withTimestamps((e) => e.time, boundedOutOfOrderness(0))
          .keyBy((e) => e.key)
          .window(assigner, { trigger })
          .aggregate(seqs);
      const heap = toArray<WindowResult<string, number[]>>();
      await make().to(heap).run();
      const disk = toArray<WindowResult<string, number[]>>();
      const state = levelState(nextDir(), { memory: '1MB' });
      await make()
        .to(disk)
        .run({ state, checkpointEvery: { records: 2 } });
      expect(disk.items.map(resultLine)).toEqual(heap.items.map(resultLine));
      expect(state.residentStats()!.hits + state.residentStats()!.misses).toBe(0);
    });
  }
});

describe('queryable state of resident windows', () => {
  for (const assigner of [session(5), tumbling(10), hopping(10, 5)]) {
    it(`${assigner.description}: lists the same keys and open windows as the heap layout`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.constantFrom('a', 'b', 7, null), fc.integer({ min: 0, max: 60 })), { minLength: 1, maxLength: 40 }),
          async (records) => {
            const backend = levelState(nextDir(), { memory: 1024 });
            await backend.open();
            try {
              const make = () => windowOperator({ assigner, trigger: onWatermark({ early: afterCount(2) }) }, seqs);
              const heap = opened(make());
              const resident = opened(make(), () => backend.residentState('w'));
              const out: Output = { emit: () => undefined, watermark: () => undefined, late: () => undefined, deadLetter: () => undefined };
              for (const op of [heap, resident]) {
                op.processBatch(
                  {
                    values: records.map(([key], seq) => ({ key, time: 0, value: 0, seq })),
                    keys: records.map(([key]) => key),
                    times: records.map(([, t]) => t),
                    positions: records.map((_, i) => i),
                    partition: 0,
                  },
                  out,
                );
              }
              const heapKeys = [...(heap.stateQuery!.keys() as Iterable<unknown>)];
              const residentKeys: unknown[] = [];
              for await (const key of resident.stateQuery!.keys() as AsyncIterable<unknown>) residentKeys.push(key);
              expect(new Set(residentKeys)).toEqual(new Set(heapKeys));
              for (const key of [...heapKeys, 'absent']) expect(resident.stateQuery!.get(key)).toEqual(heap.stateQuery!.get(key));
            } finally {
              await backend.close();
            }
          },
        ),
        { numRuns: 30 },
      );
    });
  }
});

function opened(op: Operator<unknown, WindowResult>, residentState?: () => ReturnType<StateBackend['residentState'] & object>) {
  op.open!({ uid: 'w', now: () => 0, sourcePartitions: () => [0], metrics: new Metrics(), residentState });
  return op;
}
