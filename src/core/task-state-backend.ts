import type { Metrics } from './metrics.js';
import type { StateFingerprint } from './operator.js';
import type { ResidentState } from './resident-state.js';
import type { OperatorStateChanges } from './state-backend.js';

/**
 * One task's share of a checkpoint: the operator state of the task that reads one source
 * partition, and that partition's position as of the barrier.
 */
export interface TaskCheckpoint {
  /** The ownership `acquire` handed out; a checkpoint taken under an older one is not written. */
  generation: number;
  /** The partition's resume position (Kafka: the next offset); `undefined` if nothing was read yet. */
  position: number | undefined;
  /** Changes per operator uid, as in `CheckpointData.operators`. */
  operators: Map<string, OperatorStateChanges>;
}

/** What `acquire` gives for one task: this ownership's generation and the state to restore, if any. */
export interface AcquiredTask {
  generation: number;
  restored?: RestoredTask;
}

/** A task's last committed checkpoint, as loaded when its partition is assigned. */
export interface RestoredTask {
  checkpointId: number;
  position: number | undefined;
  /** The whole state per operator uid, in key order. */
  operators: Map<string, Iterable<[string, unknown]>>;
  /** As `RestoredCheckpoint.fingerprints`: per uid; `undefined` for a task written before fingerprints existed. */
  fingerprints?: Map<string, StateFingerprint>;
}

/**
 * Where per-partition state lives when keyed state must follow partitions between instances
 * (`kafkaChangelog()`): each source partition is a task with its own operators and its own
 * checkpointed state, which any instance can load when the partition moves to it.
 *
 * Tasks are named by the source (`topic/partition`), so names mean the same in every instance.
 */
export interface TaskStateBackend {
  readonly name: string;
  /** Tells the runtime to run one task per source partition with this backend. */
  readonly perTask: true;
  open(): Promise<void>;
  /**
   * Takes over these tasks: makes sure an earlier owner can no longer write their state (fencing),
   * then loads the last committed checkpoint of each (none for a task never checkpointed). A task
   * acquired again (it came back in a rebalance) gets a new generation.
   */
  acquire(tasks: readonly string[]): Promise<Map<string, AcquiredTask>>;
  /**
   * Writes one checkpoint of the given tasks. Each task's state and position are written
   * atomically; a task this instance lost meanwhile (fenced by a new owner, released, or acquired
   * again since the barrier) is skipped, since its owner restores from what was committed before.
   * @returns the tasks whose checkpoint was written.
   */
  write(checkpointId: number, tasks: Map<string, TaskCheckpoint>): Promise<string[]>;
  /** Gives tasks up (their partitions were revoked). */
  release(tasks: readonly string[]): Promise<void>;
  close(): Promise<void>;
  /**
   * The store of operator `uid`'s keyed state in an acquired `task`, when the backend keeps state
   * on disk (`kafkaChangelog({ memory, dir })`); absent or `undefined` when state lives in the heap.
   * Called after `acquire`, once per operator of the task.
   */
  residentState?(task: string, uid: string): ResidentState | undefined;
  /** As `StateBackend.attach`: joins the running job, once, after `open`. */
  attach?(job: { requestCheckpoint: () => void; metrics: Metrics }): void;
}

/** True for a backend that runs a task per partition. */
export function isTaskStateBackend(state: unknown): state is TaskStateBackend {
  return typeof state === 'object' && state !== null && (state as { perTask?: unknown }).perTask === true;
}
