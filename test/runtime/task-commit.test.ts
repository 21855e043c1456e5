import { describe, expect, it } from 'vitest';
import type { Source, SourceContext, SourcePoll } from '../../src/core/source.js';
import type { AcquiredTask, TaskCheckpoint, TaskStateBackend } from '../../src/core/task-state-backend.js';
import { from } from '../../src/pipeline/stream.js';
import { toArray } from '../../src/sinks/array-sink.js';

/**
 * Two partitions read in turn, a batch of 10 at a time, each held until its task starts. Like
 * `fromKafka`, it commits a partition's offset only when the checkpoint wrote that partition's task.
 */
class TwoPartitions implements Source<number> {
  readonly name = 'two partitions';
  private held = new Set([0, 1]);
  private readonly next = new Map<number, number>();
  private polls = 0;
  /** Offsets committed to the group, by partition. */
  readonly committed = new Map<number, number>();

  constructor(private readonly batches: number) {}

  open(_ctx: SourceContext): void {}
  partitions(): readonly number[] {
    return [0, 1];
  }
  heldPartitions(): readonly number[] {
    return [...this.held];
  }
  taskName(partition: number): string {
    return `t/${partition}`;
  }
  startPartition(partition: number, position: number | undefined): void {
    this.held.delete(partition);
    this.next.set(partition, position ?? 0);
  }
  partitionPosition(partition: number): number | undefined {
    return this.next.get(partition);
  }
  poll(): SourcePoll<number> {
    if (this.polls === this.batches) return { kind: 'end' };
    const partition = this.polls++ % 2;
    const start = this.next.get(partition)!;
    const positions = Array.from({ length: 10 }, (_, i) => start + i);
    this.next.set(partition, start + 10);
    return { kind: 'batch', batch: { values: positions, positions, partition } };
  }
  position(): unknown {
    return Object.fromEntries(this.next);
  }
  commit(position: unknown, tasks?: ReadonlySet<string>): void {
    for (const [p, offset] of Object.entries(position as Record<string, number>)) {
      if (!tasks || tasks.has(this.taskName(Number(p)))) this.committed.set(Number(p), offset);
    }
  }
}

/** Writes every task's checkpoint but `t/1`'s: another instance has fenced this one's ownership of it. */
class FencedFromOneTask implements TaskStateBackend {
  readonly name = 'fenced from t/1';
  readonly perTask = true as const;
  private generations = 0;
  readonly written = new Map<string, number | undefined>();
  async open(): Promise<void> {}
  async acquire(tasks: readonly string[]): Promise<Map<string, AcquiredTask>> {
    return new Map(tasks.map((t) => [t, { generation: ++this.generations }]));
  }
  async write(_id: number, tasks: Map<string, TaskCheckpoint>): Promise<string[]> {
    const written = [...tasks.keys()].filter((t) => t !== 't/1');
    for (const t of written) this.written.set(t, tasks.get(t)!.position);
    return written;
  }
  async release(): Promise<void> {}
  async close(): Promise<void> {}
}

describe('checkpoints with a task per partition', () => {
  it("commits no partition whose task's state the checkpoint did not write", async () => {
    const source = new TwoPartitions(8);
    const backend = new FencedFromOneTask();
    const out = toArray<number>();
    await from(source)
      .map((n) => n)
      .to(out)
      .run({ state: backend, checkpointEvery: { records: 20 } });

    expect(out.items).toHaveLength(80);
    // Partition 0's offset follows its written checkpoints. Partition 1's task was never written:
    // a committed offset for it would let its next owner start past records no checkpoint holds.
    expect(backend.written.get('t/0')).toBe(40);
    expect(source.committed.get(0)).toBe(40);
    expect(source.committed.has(1)).toBe(false);
  });
});
