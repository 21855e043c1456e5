import type { Batch } from '../core/batch.js';
import { StreamkitError } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import { OperatorGraph, type PlanNode } from './operator-graph.js';
import type { RestoreOptions } from './restore-check.js';
import type { Source } from '../core/source.js';
import type { TaskCheckpoint, TaskStateBackend } from '../core/task-state-backend.js';

/** One source partition's task: its own operators, fed only that partition's records. */
interface Task {
  name: string;
  graph: OperatorGraph;
  /** The backend's ownership of the task; checkpoints carry it. */
  generation: number;
  /** True until the first snapshot, which writes the task's whole state. */
  firstSnapshot: boolean;
}

/** What happened to the assignment in one `sync`. */
export interface TaskChanges {
  started: Array<{ name: string; restoredFrom?: number }>;
  stopped: string[];
}

/**
 * The tasks of a job whose keyed state follows partitions (Kafka Streams' model): one operator
 * graph per source partition, created when the partition is assigned to this instance (its state
 * loaded from the {@link TaskStateBackend} first) and dropped when it is revoked.
 *
 * Each task's watermark is its own partition's: a task holds only its partition's keys, and its
 * results then do not depend on which other partitions happen to share the instance.
 */
export class PartitionTasks {
  private readonly tasks = new Map<number, Task>();
  /** The running tasks' graphs, rebuilt when tasks change: the runtime reads them every batch. */
  private running: OperatorGraph[] = [];

  constructor(
    private readonly plan: PlanNode,
    private readonly metrics: Metrics,
    private readonly now: () => number,
    private readonly source: Source<unknown>,
    private readonly backend: TaskStateBackend,
    private readonly restoreOptions: RestoreOptions = {},
  ) {
    if (!source.taskName || !source.startPartition || !source.partitionPosition || !source.heldPartitions) {
      throw new TypeError(
        `${backend.name} state runs a task per source partition, which source ${source.name} does not support (use fromKafka)`,
      );
    }
  }

  /** The graphs of the running tasks. */
  graphs(): readonly OperatorGraph[] {
    return this.running;
  }

  /** True when the source's assignment differs from the running tasks, or holds partitions. */
  outOfDate(): boolean {
    if (this.source.heldPartitions!().length > 0) return true;
    const assigned = this.source.partitions();
    if (assigned.length !== this.tasks.size) return true;
    for (const p of assigned) if (!this.tasks.has(p)) return true;
    return false;
  }

  /** True when a running task's partition was revoked or is held to be started again. */
  hasLeavingTasks(): boolean {
    return this.leaving(new Set(this.source.partitions()), new Set(this.source.heldPartitions!())).length > 0;
  }

  /** Running tasks whose partition is no longer assigned, or is held to be started again. */
  private leaving(assigned: ReadonlySet<number>, held: ReadonlySet<number>): Array<[number, Task]> {
    return [...this.tasks.entries()].filter(([p]) => !assigned.has(p) || held.has(p));
  }

  /**
   * Brings the tasks in line with the source's assignment: `beforeStop` drains a leaving task's
   * output, then it is dropped; partitions the source holds (new, or assigned again by a
   * rebalance, when another instance may have owned them meanwhile) are acquired from the backend,
   * their tasks restored from their last checkpoint, and the source starts them at its position.
   */
  async sync(beforeStop: (graph: OperatorGraph) => Promise<void>): Promise<TaskChanges> {
    const changes: TaskChanges = { started: [], stopped: [] };
    const assigned = new Set(this.source.partitions());
    const held = new Set(this.source.heldPartitions!());
    const leaving = this.leaving(assigned, held);
    for (const [partition, task] of leaving) {
      await beforeStop(task.graph);
      this.tasks.delete(partition);
      changes.stopped.push(task.name);
    }
    const released = leaving.filter(([p]) => !held.has(p)).map(([, t]) => t.name);
    if (released.length > 0) await this.backend.release(released);

    const arriving = [...assigned].filter((p) => !this.tasks.has(p));
    if (arriving.length > 0) await this.start(arriving, changes);
    this.running = [...this.tasks.values()].map((t) => t.graph);
    return changes;
  }

  /** Acquires the partitions' tasks from the backend, restores them and lets the source start them. */
  private async start(arriving: number[], changes: TaskChanges): Promise<void> {
    const names = arriving.map((p) => this.source.taskName!(p));
    const acquired = await this.backend.acquire(names);
    arriving.forEach((partition, i) => {
      const name = names[i];
      const graph = new OperatorGraph(
        this.plan,
        this.metrics.withLabels({ task: name }),
        this.now,
        () => [partition],
        () => [],
        (uid) => this.backend.residentState?.(name, uid),
      );
      const { generation, restored: state } = acquired.get(name)!;
      if (state) graph.restore(state, this.restoreOptions, `task ${name} at checkpoint ${state.checkpointId}`);
      this.tasks.set(partition, { name, graph, generation, firstSnapshot: true });
      this.source.startPartition!(partition, state?.position);
      changes.started.push({ name, restoredFrom: state?.checkpointId });
    });
  }

  push(batch: Batch): void {
    const partition = batch.partition ?? 0;
    const task = this.tasks.get(partition);
    // The source holds a new partition's records until its task has started, and tasks stop only
    // in `sync`, between polls: a polled batch always has its task.
    if (!task)
      throw new StreamkitError(
        'SOURCE_FAILED',
        `${this.source.name} handed out records of partition ${partition}, which has no task on this instance`,
      );
    task.graph.push(batch);
  }

  tick(now: number): void {
    for (const task of this.tasks.values()) task.graph.tick(now);
  }

  endOfInput(): void {
    for (const task of this.tasks.values()) task.graph.endOfInput();
  }

  /** Every task's state changes and position, as of now (a barrier). */
  snapshot(): Map<string, TaskCheckpoint> {
    const out = new Map<string, TaskCheckpoint>();
    for (const [partition, task] of this.tasks) {
      out.set(task.name, {
        generation: task.generation,
        position: this.source.partitionPosition!(partition),
        operators: task.graph.snapshot(task.firstSnapshot),
      });
      task.firstSnapshot = false;
    }
    return out;
  }
}
