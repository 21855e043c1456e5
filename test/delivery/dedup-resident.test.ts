import fc from 'fast-check';
import { ClassicLevel } from 'classic-level';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Batch } from '../../src/core/batch.js';
import type { DeadLetter } from '../../src/core/dead-letter.js';
import { Metrics } from '../../src/core/metrics.js';
import type { OperatorContext, Output } from '../../src/core/operator.js';
import type { ResidentState } from '../../src/core/resident-state.js';
import { DedupOperator } from '../../src/delivery/dedup.js';
import type { LevelStateBackend } from '../../src/state/level-state.js';
import { StateChangeCollector } from '../../src/state/state-change-collector.js';
import { StateError } from '../../src/core/errors.js';
import type { StateBackend } from '../../src/core/state-backend.js';
import type { LateRecord, WindowResult } from '../../src/core/window.js';
import { from } from '../../src/pipeline/stream.js';
import { toArray } from '../../src/sinks/index.js';
import { fromArray } from '../../src/sources/index.js';
import { levelState, memoryState } from '../../src/state/index.js';
import { boundedOutOfOrderness } from '../../src/watermarks/index.js';
import { count, tumbling } from '../../src/windowing/index.js';
import { runStoppingAtCheckpoint } from '../pipeline/stopping-after.js';

interface Event {
  id: string;
  t: number;
  n: number;
}

let root: string;
let dirs = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'streamkit-dedup-resident-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
const newDir = () => join(root, `state-${dirs++}`);

/** Ids are read from the record; the id `bad` cannot be, so those records become dead letters. */
function idOf(e: Event): string {
  if (e.id === 'bad') throw new Error('no id');
  return e.id;
}

interface Shape {
  batchSize: number;
  delay: number;
  within: number;
}

/**
 * Dedup then, on a branch, counts in 100 ms windows, so that records dedup lets through behind the
 * watermark come out as late records of the window.
 */
function pipeline(events: Event[], { batchSize, delay, within }: Shape) {
  const kept = toArray<Event>();
  const windows = toArray<WindowResult>();
  const late = toArray<LateRecord<unknown>>();
  const dead = toArray<DeadLetter>();
  const stream = from(fromArray(events, { batchSize }))
    .withTimestamps((e) => e.t, boundedOutOfOrderness(delay))
    .dedup(idOf, { within })
    .branch((s) => s.window(tumbling(100)).aggregate(count()).to(windows))
    .late(late)
    .deadLetters(dead)
    .to(kept);
  return { stream, kept, windows, late, dead };
}

async function outcome(events: Event[], shape: Shape, state: StateBackend, checkpointEvery: number) {
  const { stream, kept, windows, late, dead } = pipeline(events, shape);
  const summary = await stream.run({ state, checkpointEvery: { records: checkpointEvery } });
  return {
    kept: kept.items.map((e) => e.n),
    windows: windows.items.map((w) => [w.window.start, w.value]),
    late: late.items.map((l) => (l.record as Event).n),
    dead: dead.items.map((d) => (d.raw as Event).n),
    duplicates: summary.duplicates,
  };
}

/**
 * Events moving forward in time with jitter (so some arrive behind the watermark), a few ids (so
 * most have duplicates near and far in time), and now and then an id that cannot be read.
 */
const eventsArb = fc
  .array(
    fc.record({
      id: fc.oneof(
        { weight: 12, arbitrary: fc.integer({ min: 0, max: 5 }).map((i) => `id-${i}`) },
        { weight: 1, arbitrary: fc.constant('bad') },
      ),
      step: fc.integer({ min: 0, max: 60 }),
      jitter: fc.integer({ min: -500, max: 500 }),
    }),
    { maxLength: 150 },
  )
  .map((raw) => {
    let base = -1000;
    return raw.map(({ id, step, jitter }, n) => ({ id, t: (base += step) + jitter, n }));
  });

const shapeArb = fc.record({
  batchSize: fc.integer({ min: 1, max: 12 }),
  delay: fc.integer({ min: 0, max: 400 }),
  within: fc.integer({ min: 1, max: 600 }),
});

/** Kept records of a dedup operator driven by hand. */
class Kept implements Output<Event> {
  readonly n: number[] = [];
  emit(batch: Batch<Event>): void {
    this.n.push(...batch.values.map((e) => e.n));
  }
  watermark(): void {}
  late(): void {}
  deadLetter(): void {}
}

const UID = 'dedup#0';

/**
 * A dedup whose store is the real one of `backend`, seen through a spy that fails the test when an
 * id is put under a generation that was deleted (even after the store forgets it was).
 */
function openOnDisk(backend: LevelStateBackend, within: number, deleted: Set<string>): DedupOperator<Event> {
  const real = backend.residentState(UID)!;
  const spy: ResidentState = {
    get: (key) => real.get(key),
    put: (key, value) => {
      for (const prefix of deleted) expect(key.startsWith(prefix), `put ${key} into deleted ${prefix}`).toBe(false);
      real.put(key, value);
    },
    delete: (key) => real.delete(key),
    deletePrefix: (prefix) => {
      deleted.add(prefix);
      real.deletePrefix(prefix);
    },
    snapshot: (writer) => real.snapshot(writer),
    keys: (prefix) => real.keys(prefix),
  };
  const op = new DedupOperator<Event>(idOf, { within });
  const ctx: OperatorContext = { uid: UID, now: () => 0, sourcePartitions: () => [0], metrics: new Metrics(), residentState: () => spy };
  op.open(ctx);
  op.restoreState([]);
  return op;
}

describe('dedup with its ids on disk (levelState({ memory }))', () => {
  it('keeps, drops, lates and dead-letters exactly the records the heap does, whatever the cache size (property)', async () => {
    await fc.assert(
      fc.asyncProperty(eventsArb, shapeArb, fc.integer({ min: 1, max: 40 }), async (events, shape, every) => {
        const heap = await outcome(events, shape, memoryState(), every);
        const tiny = await outcome(events, shape, levelState(newDir(), { memory: '1KB' }), every);
        const roomy = await outcome(events, shape, levelState(newDir(), { memory: '256MB' }), every);
        expect(tiny).toEqual(heap);
        expect(roomy).toEqual(heap);
      }),
      { numRuns: 40 },
    );
  });

  it('decides as the heap does for any watermarks, through checkpoints and a restart, and never writes into a deleted generation (property)', async () => {
    const stepArb = fc.record({
      events: fc.array(fc.record({ id: fc.integer({ min: 0, max: 5 }).map((i) => `id-${i}`), t: fc.integer({ min: -500, max: 3000 }) }), {
        maxLength: 8,
      }),
      // The watermark after the batch: none, or a move by up to 700 (it never goes back).
      advance: fc.option(fc.integer({ min: 0, max: 700 })),
      checkpoint: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { maxLength: 30 }),
        fc.integer({ min: 1, max: 600 }),
        fc.nat(),
        async (steps, within, restartSeed) => {
          const heap = new DedupOperator<Event>(idOf, { within });
          heap.open({ uid: UID, now: () => 0, sourcePartitions: () => [0], metrics: new Metrics() });
          const dir = newDir();
          const deleted = new Set<string>();
          let backend = levelState(dir, { memory: 600, sync: false });
          await backend.open();
          let onDisk = openOnDisk(backend, within, deleted);
          const restartAt = restartSeed % (steps.length + 1);
          const heapKept = new Kept();
          const diskKept = new Kept();
          let watermark = -1000;
          let n = 0;
          let checkpoints = 0;
          let droppedBefore = 0;
          try {
            for (const [i, step] of steps.entries()) {
              if (i === restartAt) {
                // Whatever follows the last checkpoint is replayed from there, as a source would.
                const writer = new StateChangeCollector(UID, false);
                onDisk.snapshotState(writer, false);
                await backend.write({
                  id: ++checkpoints,
                  sourcePosition: checkpoints,
                  operators: new Map([[UID, { ...writer.changes(), resident: true }]]),
                });
                droppedBefore += onDisk.droppedCount;
                await backend.close();
                backend = levelState(dir, { memory: 600, sync: false });
                await backend.open();
                onDisk = openOnDisk(backend, within, deleted);
              }
              const values = step.events.map((e) => ({ ...e, n: n++ }));
              const batch: Batch<Event> = { values, times: values.map((e) => e.t), positions: values.map((e) => e.n), partition: 0 };
              heap.processBatch(batch, heapKept);
              onDisk.processBatch(batch, diskKept);
              if (step.advance !== null) {
                watermark += step.advance;
                heap.processWatermark(watermark, heapKept);
                onDisk.processWatermark(watermark, diskKept);
              }
              if (step.checkpoint) {
                const writer = new StateChangeCollector(UID, false);
                onDisk.snapshotState(writer, true);
                await backend.write({
                  id: ++checkpoints,
                  sourcePosition: checkpoints,
                  operators: new Map([[UID, { ...writer.changes(), resident: true }]]),
                });
              }
            }
            expect(diskKept.n).toEqual(heapKept.n);
            expect(droppedBefore + onDisk.droppedCount).toBe(heap.droppedCount);
            for (const id of ['id-0', 'id-3']) expect(onDisk.stateQuery.get(id)).toEqual(heap.stateQuery.get(id));
            const listed: unknown[] = [];
            for await (const id of onDisk.stateQuery.keys() as AsyncIterable<unknown>) listed.push(id);
            expect(listed.sort()).toEqual([...(heap.stateQuery.keys() as Iterable<unknown>)].sort());
          } finally {
            await backend.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('stopped at a checkpoint and resumed from it, goes on exactly as if never stopped (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        eventsArb,
        shapeArb,
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 6 }),
        async (events, shape, every, cut) => {
          const whole = await outcome(events, shape, memoryState(), every);
          const dir = newDir();
          const first = pipeline(events, shape);
          const stopped = await runStoppingAtCheckpoint(first.stream, levelState(dir, { memory: '1KB' }), every, cut);
          const second = pipeline(events, shape);
          const resumed = await second.stream.run({ state: levelState(dir, { memory: '1KB' }), checkpointEvery: { records: every } });
          expect([...stopped.items, ...second.kept.items].map((e) => e.n)).toEqual(whole.kept);
          expect([...first.late.items, ...second.late.items].map((l) => (l.record as Event).n)).toEqual(whole.late);
          expect([...first.dead.items, ...second.dead.items].map((d) => (d.raw as Event).n)).toEqual(whole.dead);
          expect(stopped.summary.duplicates + resumed.duplicates).toBe(whole.duplicates);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('deletes a generation with one range delete once the watermark has passed it', async () => {
    // within 1000: generations 0..9 of ids seen 0..9999; the final watermark 9499 (delay 500)
    // has passed every generation up to 7 ((gen + 2) * 1000 <= 9499).
    const events = Array.from({ length: 200 }, (_, n) => ({ id: `id-${n}`, t: n * 50, n }));
    const dir = newDir();
    const { stream, kept } = pipeline(events, { batchSize: 10, delay: 500, within: 1000 });
    // Stop before the end of input, whose watermark would pass everything.
    const stopped = await runStoppingAtCheckpoint(stream, levelState(dir, { memory: '1KB' }), 20, 9);
    expect(stopped.summary.stopped).toBe(true);
    const generations = await storedGenerations(dir);
    const watermark = Math.max(...kept.items.map((e) => e.t)) - 500 - 1;
    expect(generations.length).toBeGreaterThan(0);
    for (const gen of generations) expect((gen + 2) * 1000).toBeGreaterThan(watermark);
    expect(Math.min(...generations)).toBe(Math.floor((watermark - 1000) / 1000));
  });

  it('refuses a heap-layout checkpoint with state on disk, and the other way round, saying why', async () => {
    const events = Array.from({ length: 100 }, (_, n) => ({ id: `id-${n % 30}`, t: n * 10, n }));
    const shape = { batchSize: 10, delay: 50, within: 200 };
    const heapDir = newDir();
    await runStoppingAtCheckpoint(pipeline(events, shape).stream, levelState(heapDir), 20, 2);
    const onDisk = pipeline(events, shape).stream.run({ state: levelState(heapDir, { memory: '1KB' }) });
    const refusal = await onDisk.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(StateError);
    expect((refusal as StateError).code).toBe('STATE_INCOMPATIBLE');
    expect((refusal as StateError).message).toMatch(/"dedup#0".*written \(?(with|without) levelState\(dir, \{ memory \}\)/);

    const residentDir = newDir();
    await runStoppingAtCheckpoint(pipeline(events, shape).stream, levelState(residentDir, { memory: '1KB' }), 20, 2);
    const onHeap = pipeline(events, shape).stream.run({ state: levelState(residentDir) });
    const back = await onHeap.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(back).toBeInstanceOf(StateError);
    expect((back as StateError).message).toMatch(/"dedup#0".*written \(?(with|without) levelState\(dir, \{ memory \}\)/);
  });
});

/** The dedup generations whose keys the state directory holds, read from LevelDB directly. */
async function storedGenerations(dir: string): Promise<number[]> {
  const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer', createIfMissing: false });
  const generations = new Set<number>();
  try {
    for await (const key of db.keys()) {
      const match = /g\/(-?\d+)\//.exec(key.toString('latin1'));
      if (match) generations.add(Number(match[1]));
    }
  } finally {
    await db.close();
  }
  return [...generations].sort((a, b) => a - b);
}
