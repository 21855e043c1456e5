/**
 * One checkpoint of a running job, from its snapshot to its record, as numbered steps:
 *
 *   1. snapshot      (source stage) at a batch boundary: every operator's state and the source
 *                    position, as of the same instant; values are encoded the moment they are put.
 *   2. barrier       (source stage) queued to the sink stage behind every result produced before
 *                    the snapshot, and before any produced after it.
 *   3. flush sinks   (sink stage) every sink makes what was written before the barrier durable.
 *   4. write state   the backend writes state, checkpoint id and positions atomically.
 *   5. commit source the source commits the positions (Kafka: consumer-group offsets).
 *   6. record        metrics, the run's summary, the `checkpoint.completed` event; waiters resume.
 *
 * Each step checks the status the step before left and marks its own; a step that fails marks the
 * checkpoint failed and no later step runs. A failure before step 4 leaves the previous checkpoint
 * as the one a restart restores, and nothing is committed: positions reach the source (step 5)
 * only after the state that matches them is durable (step 4).
 */
import { describeError, StreamkitError } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import type { RunSummary, RuntimeEvent } from '../core/runtime-event.js';
import type { Sink } from '../core/sink.js';
import type { Source } from '../core/source.js';
import type { CheckpointData, OperatorStateChanges, StateBackend } from '../core/state-backend.js';
import type { TaskCheckpoint, TaskStateBackend } from '../core/task-state-backend.js';
import { EncodedStateValue } from '../state/state-change-collector.js';
import type { JobFailure } from './job-failure.js';
import type { OperatorGraph } from './operator-graph.js';
import type { PartitionTasks } from './partition-tasks.js';
import type { SinkCalls } from './sink-calls.js';
import { METRICS } from '../core/metric-catalogue.js';

/** The steps of a checkpoint, in the order they run. */
export const CHECKPOINT_STEPS = ['snapshot', 'barrier', 'flush sinks', 'write state', 'commit source positions', 'record'] as const;

/** One of {@link CHECKPOINT_STEPS}. */
export type CheckpointStep = (typeof CHECKPOINT_STEPS)[number];

/** The last step a checkpoint completed, or `failed`. */
export type CheckpointStatus = 'snapshotted' | 'barrier-sent' | 'sinks-flushed' | 'state-written' | 'committed' | 'completed' | 'failed';

/** Where checkpoints are written: one backend for the whole job, or one task per source partition. */
export type CheckpointStore = { perTask: false; backend: StateBackend } | { perTask: true; backend: TaskStateBackend };

/** What a snapshot (step 1) reads. */
export interface CheckpointScope {
  source: Source<unknown>;
  /** The job's operators, when its state is checkpointed as one. */
  graph: OperatorGraph;
  /** The partition tasks, when state follows partitions: each task snapshots its own operators and position. */
  tasks?: PartitionTasks;
}

/** What the steps after the barrier (3–6) act on. */
export interface CheckpointTargets {
  sinks: readonly Sink<any>[];
  sinkCalls: SinkCalls;
  store: CheckpointStore;
  source: Source<unknown>;
  metrics: Metrics;
  summary: RunSummary;
  now: () => number;
  emit: (event: RuntimeEvent) => void;
  /** The job's failure: once it is raised, no further step begins. */
  failure: JobFailure;
}

/** A checkpoint in flight: its snapshot, its status, and the steps still to run. */
export class Checkpoint {
  private current: CheckpointStatus = 'snapshotted';
  /** The step running now (for a stop that waits on it to name it). */
  private running: CheckpointStep | undefined;
  private readonly waiters: Array<() => void> = [];
  /** With a task per partition, the tasks whose state step 4 wrote: step 5 commits only their positions. */
  private writtenTasks: ReadonlySet<string> | undefined;

  private constructor(
    /** State changes and the source position as of the snapshot; `operators` is empty when `tasks` holds them. */
    readonly data: CheckpointData,
    /** Each partition task's changes and position, when state follows partitions. */
    readonly tasks: Map<string, TaskCheckpoint> | undefined,
    /** Processing time right after the snapshot: `checkpoint_duration_seconds` runs from here to the record. */
    readonly startedAt: number,
  ) {}

  /**
   * Step 1, at a batch boundary, synchronously: nothing may run between the last batch pushed
   * through the operators and this snapshot. `full` asks every operator for its whole state (the
   * first checkpoint of a run) instead of what changed since the previous one.
   */
  static snapshot(id: number, scope: CheckpointScope, full: boolean, now: () => number): Checkpoint {
    const data: CheckpointData = {
      id,
      sourcePosition: scope.source.position(),
      operators: scope.tasks ? new Map() : scope.graph.snapshot(full),
      ...(scope.graph.hasPendingWatermark() ? { unfinishedWatermark: true } : {}),
    };
    const tasks = scope.tasks?.snapshot();
    return new Checkpoint(data, tasks, now());
  }

  get id(): number {
    return this.data.id;
  }

  get status(): CheckpointStatus {
    return this.current;
  }

  /** Step 2: queues the barrier to the sink stage with `send`, behind what was produced before the snapshot. */
  async sendBarrier(send: (checkpoint: Checkpoint) => Promise<void>): Promise<void> {
    this.expect('barrier', 'snapshotted');
    // Marked before the send: the sink stage may take the barrier and begin step 3 before `send` returns.
    this.current = 'barrier-sent';
    try {
      await send(this);
    } catch (error) {
      this.current = 'failed';
      throw error;
    }
  }

  /** Steps 3 to 6, in order, in the sink stage once everything before the barrier is written. */
  async complete(targets: CheckpointTargets): Promise<void> {
    await this.flushSinks(targets);
    await this.writeState(targets);
    await this.commitSource(targets);
    this.record(targets);
  }

  /** Step 3: every sink flushes, so what was written before the barrier is durable. */
  async flushSinks({ sinks, sinkCalls, failure }: CheckpointTargets): Promise<void> {
    await this.run('flush sinks', 'barrier-sent', 'sinks-flushed', failure, () => sinkCalls.flushAll(sinks));
  }

  /** Step 4: the backend writes the snapshot's state and positions in one atomic write. */
  async writeState({ store, failure }: CheckpointTargets): Promise<void> {
    await this.run('write state', 'sinks-flushed', 'state-written', failure, async () => {
      try {
        if (store.perTask) this.writtenTasks = new Set(await store.backend.write(this.id, this.tasks!));
        else await store.backend.write(this.data);
      } catch (error) {
        throw new StreamkitError(
          'CHECKPOINT_FAILED',
          `checkpoint ${this.id} could not be written to ${store.backend.name} state: ${describeError(error)}`,
          { cause: error, retriable: true },
        );
      }
    });
  }

  /** Step 5: the source commits the positions the durable state matches (Kafka: the group's offsets). */
  async commitSource({ source, failure }: CheckpointTargets): Promise<void> {
    await this.run('commit source positions', 'state-written', 'committed', failure, async () => {
      await source.commit?.(this.data.sourcePosition, this.writtenTasks);
    });
  }

  /**
   * Step 6: the run's summary and metrics count the checkpoint, the `checkpoint.completed` event
   * goes out, and whoever waits for the checkpoint resumes. The checkpoint is complete before the
   * event is emitted: an event listener that throws fails the job, not the durable checkpoint.
   */
  record({ metrics, summary, now, emit }: CheckpointTargets): void {
    this.expect('record', 'committed');
    summary.checkpoints++;
    const durationMs = now() - this.startedAt;
    metrics.inc(METRICS.checkpointsCompleted);
    metrics.set(METRICS.checkpointDuration, {}, durationMs / 1000);
    metrics.set(METRICS.checkpointLastCompleted, {}, now() / 1000);
    const { entries, bytes } = this.size();
    metrics.set(METRICS.checkpointEntries, {}, entries);
    metrics.set(METRICS.checkpointSize, {}, bytes);
    metrics.inc(METRICS.checkpointWritten, {}, bytes);
    this.current = 'completed';
    emit({ type: 'checkpoint.completed', id: this.id, durationMs, entries });
    for (const resume of this.waiters.splice(0)) resume();
  }

  /** Resolves once the checkpoint is recorded; rejects with the job's failure if the job fails first. */
  whenComplete(failure: JobFailure): Promise<void> {
    if (this.current === 'completed') return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onFailure = () => reject(failure.error);
      if (failure.failed) return onFailure();
      failure.signal.addEventListener('abort', onFailure, { once: true });
      this.waiters.push(() => {
        failure.signal.removeEventListener('abort', onFailure);
        resolve();
      });
    });
  }

  /** What the checkpoint is doing now (`checkpoint 4 to write state`), or `undefined` between steps. */
  describeRunning(): string | undefined {
    return this.running === undefined ? undefined : `checkpoint ${this.id} to ${this.running}`;
  }

  /** Entries and encoded bytes the checkpoint writes, over every operator (and task). */
  private size(): { entries: number; bytes: number } {
    let entries = 0;
    let bytes = 0;
    const operatorChanges: Iterable<OperatorStateChanges> = this.tasks
      ? [...this.tasks.values()].flatMap((t) => [...t.operators.values()])
      : this.data.operators.values();
    for (const changes of operatorChanges) {
      entries += changes.puts.size + changes.deletes.size;
      for (const [key, value] of changes.puts) bytes += key.length + (value instanceof EncodedStateValue ? value.bytes.length : 0);
      for (const encoded of changes.encoded ?? []) {
        entries += encoded.entries;
        bytes += encoded.bytes;
      }
    }
    return { entries, bytes };
  }

  /** Runs one step: checks the status it needs and that the job has not failed, then marks the status it leaves. */
  private async run(
    step: CheckpointStep,
    needs: CheckpointStatus,
    leaves: CheckpointStatus,
    failure: JobFailure,
    action: () => Promise<void>,
  ): Promise<void> {
    this.expect(step, needs);
    if (failure.failed) {
      this.current = 'failed';
      throw new StreamkitError('CHECKPOINT_FAILED', `checkpoint ${this.id} abandoned before step "${step}": the job failed`, {
        cause: failure.error,
      });
    }
    this.running = step;
    try {
      await action();
    } catch (error) {
      this.current = 'failed';
      throw error;
    } finally {
      this.running = undefined;
    }
    this.current = leaves;
  }

  private expect(step: CheckpointStep, needs: CheckpointStatus): void {
    if (this.current !== needs) {
      throw new Error(`checkpoint ${this.id}: step "${step}" needs status "${needs}", but the checkpoint is "${this.current}"`);
    }
  }
}
