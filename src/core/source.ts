import type { Batch } from './batch.js';
import type { DeadLetter } from './dead-letter.js';
import type { Metrics } from './metrics.js';

/** A source's resumable position, JSON-serializable (array index, file byte offset, Kafka offsets). */
export type SourcePosition = unknown;

export interface SourceContext {
  /** Position to resume from, when restoring a checkpoint. */
  restoreFrom?: SourcePosition;
  /** Preferred number of records per batch. */
  batchSize: number;
  /** Processing-time clock (injected, so tests run in virtual time). */
  now(): number;
  /**
   * Raised when the job stops (`stop()`, a stop signal) or fails. A `poll` that is waiting for
   * data should then resolve promptly (with `idle`, or with what it has): the runtime waits for
   * it only briefly, then takes its final checkpoint at the position of the last batch `poll`
   * returned. `commit` is still called after it is raised.
   */
  signal: AbortSignal;
  /**
   * Asks for a checkpoint at the next batch boundary (a Kafka source losing partitions in a
   * rebalance, so the next owner starts where this one stopped). Absent when no state is configured.
   */
  requestCheckpoint?(): void;
  /**
   * The job's metrics, for what only the source knows (Kafka: `kafka_consumer_lag{topic, partition}`).
   * Optional so sources opened outside a job, in tests, need not pass one.
   */
  metrics?: Metrics;
  /**
   * Set when the job runs a task per partition (`kafkaChangelog()` state): a partition newly
   * assigned to this instance hands out no record until `startPartition` is called for it, so its
   * task's state is restored first.
   */
  holdNewPartitions?: boolean;
}

/** What a source answers when asked for more. */
export type SourcePoll<T> =
  | { kind: 'batch'; batch: Batch<T>; deadLetters?: DeadLetter[]; endedInputs?: readonly number[] }
  /** Nothing available right now (an unbounded source waiting); the runtime polls again soon. */
  | { kind: 'idle'; deadLetters?: DeadLetter[]; endedInputs?: readonly number[] }
  | { kind: 'end'; deadLetters?: undefined };

/**
 * A pull-based source: the runtime asks for the next batch only when it holds a credit, so a slow
 * pipeline makes the source stop pulling (Kafka: pause its partitions).
 */
export interface Source<T = unknown> {
  readonly name: string;
  /** Partitions this source reads, for per-partition watermarks; may change (Kafka rebalances). */
  partitions(): readonly number[];
  open(ctx: SourceContext): void | Promise<void>;
  poll(): SourcePoll<T> | Promise<SourcePoll<T>>;
  /**
   * The position after the last batch returned by `poll`. It must not cover a batch before `poll`
   * has returned it: a checkpoint may be taken while a `poll` is still pending.
   */
  position(): SourcePosition;
  /**
   * A name of a partition that means the same in every instance (Kafka: `topic/partition`). Sources
   * that implement it, `startPartition` and `partitionPosition` can run a task per partition.
   */
  taskName?(partition: number): string;
  /**
   * Starts handing out a held partition's records from `position` (a task's restored position), or
   * from where the source would have started without one (`undefined`).
   */
  startPartition?(partition: number, position: number | undefined): void;
  /** Assigned partitions held until `startPartition` (newly assigned, or assigned again in a rebalance). */
  heldPartitions?(): readonly number[];
  /** The resume position of one partition after the last batch returned by `poll`. */
  partitionPosition?(partition: number): number | undefined;
  /**
   * For a source over several inputs (`union`): the partitions of input `input`, as this source
   * numbers them. Such a source reports each input that ended in its polls' `endedInputs`, before
   * it ends itself, so that input no longer holds the watermark back.
   */
  inputPartitions?(input: number): readonly number[];
  /**
   * Called once a checkpoint holding `position` is complete (Kafka commits offsets here).
   * @param tasks - with a task per partition: the tasks whose state the checkpoint wrote. Only
   *   their partitions may be committed: a task whose state was not written (its ownership moved,
   *   or was taken again, since the barrier) resumes from its last written checkpoint, and a
   *   committed position past it would be taken for progress that state does not hold.
   */
  commit?(position: SourcePosition, tasks?: ReadonlySet<string>): void | Promise<void>;
  close?(): void | Promise<void>;
}
