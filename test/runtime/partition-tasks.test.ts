import { deserialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../../src/core/batch.js';
import { Metrics } from '../../src/core/metrics.js';
import type { Operator, StateFingerprint } from '../../src/core/operator.js';
import { PartitionTasks } from '../../src/runtime/partition-tasks.js';
import { Counter } from './fixtures/counter.js';
import type { Source, SourcePoll } from '../../src/core/source.js';
import type { AcquiredTask, TaskCheckpoint, TaskStateBackend } from '../../src/core/task-state-backend.js';

/** A source whose assignment the test sets, holding new partitions as `fromKafka` does. */
class MovingSource implements Source<number> {
  readonly name = 'moving';
  assigned: number[] = [];
  held = new Set<number>();
  started: Array<[number, number | undefined]> = [];
  positions = new Map<number, number>();
  assign(partitions: number[]): void {
    this.assigned = partitions;
    this.held = new Set(partitions);
  }
  partitions(): readonly number[] {
    return this.assigned;
  }
  heldPartitions(): readonly number[] {
    return [...this.held];
  }
  taskName(partition: number): string {
    return `t/${partition}`;
  }
  startPartition(partition: number, position: number | undefined): void {
    this.held.delete(partition);
    this.started.push([partition, position]);
  }
  partitionPosition(partition: number): number | undefined {
    return this.positions.get(partition);
  }
  open(): void {}
  poll(): SourcePoll<number> {
    return { kind: 'end' };
  }
  position(): unknown {
    return {};
  }
}

/** Keeps each task's last checkpoint, as the changelog does; counts ownership generations. */
class MemoryTasks implements TaskStateBackend {
  readonly name = 'memory tasks';
  readonly perTask = true as const;
  readonly stored = new Map<string, { id: number; position: number | undefined; n: number; fingerprint: StateFingerprint }>();
  readonly owned = new Map<string, number>();
  released: string[] = [];
  private generations = 0;
  async open(): Promise<void> {}
  async acquire(tasks: readonly string[]): Promise<Map<string, AcquiredTask>> {
    const out = new Map<string, AcquiredTask>();
    for (const task of tasks) {
      const generation = ++this.generations;
      this.owned.set(task, generation);
      const s = this.stored.get(task);
      out.set(task, {
        generation,
        restored: s && {
          checkpointId: s.id,
          position: s.position,
          operators: new Map([['counter#0', [['n', s.n]]]]),
          fingerprints: new Map([['counter#0', s.fingerprint]]),
        },
      });
    }
    return out;
  }
  async write(id: number, tasks: Map<string, TaskCheckpoint>): Promise<string[]> {
    const written: string[] = [];
    for (const [task, cp] of tasks) {
      if (this.owned.get(task) !== cp.generation) continue;
      const changes = cp.operators.get('counter#0')!;
      const n = deserialize((changes.puts.get('n') as { bytes: Buffer }).bytes) as number;
      this.stored.set(task, { id, position: cp.position, n, fingerprint: changes.fingerprint! });
      written.push(task);
    }
    return written;
  }
  async release(tasks: readonly string[]): Promise<void> {
    for (const t of tasks) this.owned.delete(t);
    this.released.push(...tasks);
  }
  async close(): Promise<void> {}
}

const counters: Counter[] = [];
const plan = {
  operators: [
    () => {
      const c = new Counter();
      counters.push(c);
      return c as Operator;
    },
  ],
  sinks: [],
};
const batch = (partition: number, n: number): Batch<number> => ({
  values: Array.from({ length: n }, (_, i) => i),
  positions: Array.from({ length: n }, (_, i) => i),
  partition,
});
const noDrain = async () => {};

describe('PartitionTasks', () => {
  it('starts a task per held partition with its restored state and position, each seeing only its partition', async () => {
    const source = new MovingSource();
    const backend = new MemoryTasks();
    backend.stored.set('t/1', { id: 7, position: 40, n: 40, fingerprint: { operator: 'counter' } });
    const tasks = new PartitionTasks(plan, new Metrics(), () => 0, source, backend);
    source.assign([0, 1]);
    expect(tasks.outOfDate()).toBe(true);
    const changes = await tasks.sync(noDrain);
    expect(changes.started).toEqual([
      { name: 't/0', restoredFrom: undefined },
      { name: 't/1', restoredFrom: 7 },
    ]);
    expect(source.started).toEqual([
      [0, undefined],
      [1, 40],
    ]);
    expect(tasks.outOfDate()).toBe(false);
    const [c0, c1] = counters.slice(-2);
    expect([c0.partitions, c1.partitions]).toEqual([[0], [1]]);
    tasks.push(batch(1, 5));
    expect([c0.count, c1.count]).toEqual([0, 45]);
  });

  it('restarts a partition assigned again from its last checkpoint, releases a revoked one, and drops checkpoints of an older ownership', async () => {
    const source = new MovingSource();
    const backend = new MemoryTasks();
    const tasks = new PartitionTasks(plan, new Metrics(), () => 0, source, backend);
    source.assign([0, 1]);
    await tasks.sync(noDrain);
    tasks.push(batch(0, 3));
    source.positions.set(0, 3);
    const before = tasks.snapshot();
    expect(await backend.write(1, before)).toEqual(['t/0', 't/1']);
    tasks.push(batch(0, 2)); // after the checkpoint: recomputed by whoever starts t/0 next

    // A rebalance: 0 comes back (held again), 1 goes away.
    source.assign([0]);
    expect(tasks.hasLeavingTasks()).toBe(true);
    const stale = tasks.snapshot();
    const changes = await tasks.sync(noDrain);
    expect(changes.stopped.sort()).toEqual(['t/0', 't/1']);
    expect(changes.started).toEqual([{ name: 't/0', restoredFrom: 1 }]);
    expect(backend.released).toEqual(['t/1']);
    expect(source.started.at(-1)).toEqual([0, 3]);
    expect(counters.at(-1)!.count).toBe(3);
    // A barrier taken under the earlier ownership writes nothing.
    expect(await backend.write(2, stale)).toEqual([]);
    expect(() => tasks.push(batch(1, 1))).toThrow(/partition 1, which has no task/);
  });
});
