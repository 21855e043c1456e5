import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Batch } from '../../src/core/batch.js';
import { StateError } from '../../src/core/errors.js';
import { METRICS } from '../../src/core/metric-catalogue.js';
import type { Operator, OperatorContext, Output, StateWriter } from '../../src/core/operator.js';
import type { ResidentState } from '../../src/core/resident-state.js';
import { fromArray } from '../../src/sources/array-source.js';
import { from } from '../../src/pipeline/stream.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { levelState } from '../../src/state/level-state.js';
import { stopAndResume, stoppingAfter } from '../pipeline/stopping-after.js';

/**
 * Counts records per key and emits `key:count` for each: its counts live in the resident store
 * when the backend offers one, else in a heap `Map` checkpointed whole. Either way the output is
 * the same; the test compares them.
 */
class KeyCounter implements Operator<string, string> {
  readonly name = 'key-counter';
  private store: ResidentState | undefined;
  private readonly heap = new Map<string, number>();
  /** How many entries a restore handed over. */
  static restoredEntries = 0;
  static resident = 0;

  open(ctx: OperatorContext): void {
    this.store = ctx.residentState?.();
    if (this.store) KeyCounter.resident++;
  }

  processBatch(batch: Batch<string>, out: Output<string>): void {
    const values = batch.values.map((key) => {
      const count = ((this.store ? (this.store.get(`c/${key}`) as number | undefined) : this.heap.get(key)) ?? 0) + 1;
      if (this.store) this.store.put(`c/${key}`, count);
      else this.heap.set(key, count);
      return `${key}:${count}`;
    });
    out.emit({ ...batch, values });
  }

  snapshotState(writer: StateWriter): void {
    if (this.store) this.store.snapshot(writer);
    else for (const [key, count] of this.heap) writer.put(key, count);
  }

  restoreState(entries: Iterable<[string, unknown]>): void {
    for (const [key, count] of entries) {
      KeyCounter.restoredEntries++;
      this.heap.set(key, count as number);
    }
  }
}

const counted = (keys: string[], at?: number, stop?: AbortController) => {
  const source = fromArray(keys, { batchSize: 7 });
  return from(at === undefined ? source : stoppingAfter(source, at, stop!)).process(() => new KeyCounter());
};

describe('a job with resident state (levelState(dir, { memory }))', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'streamkit-resident-run-'));
    KeyCounter.restoredEntries = 0;
    KeyCounter.resident = 0;
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('gives the results of heap state, checkpointing early when changes fill a quarter of the budget', async () => {
    const keys = Array.from({ length: 3_000 }, (_, i) => `key-${(i * 7919) % 1_000}`);
    const heap = toArray<string>();
    await counted(keys).to(heap).run();
    const resident = toArray<string>();
    const job = counted(keys)
      .to(resident)
      .run({ state: levelState(join(root, 'a'), { memory: '32KB' }), checkpointEvery: '1h' });
    const summary = await job;
    expect(KeyCounter.resident).toBe(1);
    expect(resident.items).toEqual(heap.items);
    // An hour-long interval never comes due: every checkpoint but the last was asked for by memory pressure.
    expect(summary.checkpoints).toBeGreaterThan(3);
    expect(job.metrics.get(METRICS.statePressureCheckpoints)).toBe(summary.checkpoints - 1);
    // 1,000 keys do not fit 32 KB: evicted counts are read back from LevelDB.
    expect(job.metrics.get(METRICS.stateCacheMisses)).toBeGreaterThan(1_000);
    // Every record reads its key once, from memory or from LevelDB.
    expect(job.metrics.get(METRICS.stateCacheHits) + job.metrics.get(METRICS.stateCacheMisses)).toBe(keys.length);
    expect(job.metrics.get(METRICS.stateReadBytes)).toBeGreaterThan(0);
  });

  it('stops at a checkpoint and resumes without loading its state, equal to an uninterrupted run', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 60, maxLength: 300 }),
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom<number | string>(1, '1MB'),
        async (ids, stopAt, memory) => {
          const keys = ids.map((id) => `k${id}`);
          const dir = join(root, `p${Math.random().toString(36).slice(2)}`);
          KeyCounter.restoredEntries = 0;
          const { whole, resumed } = await stopAndResume((at, stop) => counted(keys, at, stop), stopAt, dir, { records: 5 }, { memory });
          expect(resumed).toEqual(whole);
          expect(KeyCounter.restoredEntries).toBe(0);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('refuses to restore a heap checkpoint of an operator that now keeps its state on disk, saying what changed', async () => {
    const dir = join(root, 'switch');
    await counted(['a', 'b', 'a'])
      .to(toArray())
      .run({ state: levelState(dir), checkpointEvery: { records: 1 } });
    const error = await counted(['a'])
      .to(toArray())
      .run({ state: levelState(dir, { memory: '1MB' }) })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(StateError);
    expect((error as StateError).code).toBe('STATE_INCOMPATIBLE');
    expect((error as Error).message).toMatch(
      /"key-counter#0" kept its state on the heap .*without levelState\(dir, \{ memory \}\).* and now keeps it on disk/,
    );
  });

  it("runs twice with one levelState object: the second run starts with a fresh cache over the first run's state", async () => {
    const state = levelState(join(root, 'twice'), { memory: '4KB' });
    const keys = Array.from({ length: 400 }, (_, i) => `k${i % 50}`);
    const first = toArray<string>();
    await counted(keys.slice(0, 200))
      .to(first)
      .run({ state, checkpointEvery: { records: 10 } });
    const second = toArray<string>();
    // The second run's source starts over: its array source restores the position it reached.
    await counted(keys)
      .to(second)
      .run({ state, checkpointEvery: { records: 10 } });
    const whole = toArray<string>();
    await counted(keys).to(whole).run();
    expect([...first.items, ...second.items]).toEqual(whole.items);
  });
});
