import { parseDuration, type Duration } from '../core/duration.js';
import type { StateBackend } from '../core/state-backend.js';
import type { TaskStateBackend } from '../core/task-state-backend.js';
import { Checkpoint, type CheckpointScope } from './checkpoint.js';
import type { JobFailure } from './job-failure.js';

/** When checkpoints are due: every `intervalMs` of processing time, or every `records` source records. */
export type CheckpointPolicy = { intervalMs: number; records?: undefined } | { records: number; intervalMs?: undefined };

/**
 * The checkpoint policy of `run({ state, checkpointEvery })`; `undefined` when no state is configured.
 * @throws TypeError for `checkpointEvery` without `state` or a duration that does not parse;
 *   RangeError for `{ records }` that is not a positive integer.
 */
export function checkpointPolicyOf(
  state: StateBackend | TaskStateBackend | undefined,
  checkpointEvery: Duration | { records: number } | undefined,
): CheckpointPolicy | undefined {
  if (!state) {
    if (checkpointEvery !== undefined) {
      throw new TypeError('checkpointEvery needs a state backend: pass run({ state: memoryState() | levelState(dir), checkpointEvery })');
    }
    return undefined;
  }
  const every = checkpointEvery ?? '5s';
  if (typeof every === 'object') {
    if (!Number.isInteger(every.records) || every.records < 1) {
      throw new RangeError(`checkpointEvery.records must be a positive integer, got ${every.records}`);
    }
    return { records: every.records };
  }
  return { intervalMs: parseDuration(every, 'checkpointEvery') };
}

/**
 * Decides in the source stage when a checkpoint is due, numbers checkpoints, and takes their first
 * two steps (snapshot, barrier). Without a policy (no state configured) it never takes one.
 */
export class CheckpointCoordinator {
  private lastId: number;
  private lastAt: number;
  private recordsSince = 0;
  private requested = false;
  /** The first checkpoint of a run writes every operator's whole state; later ones only changes. */
  private full = true;
  /** The last checkpoint taken, until it is recorded. */
  private last: Checkpoint | undefined;

  constructor(
    private readonly policy: CheckpointPolicy | undefined,
    /** The checkpoint the job restored from (0 for none): ids keep rising from it. */
    restoredId: number,
    private readonly scope: CheckpointScope,
    private readonly sendBarrier: (checkpoint: Checkpoint) => Promise<void>,
    private readonly failure: JobFailure,
    private readonly now: () => number,
  ) {
    this.lastId = restoredId;
    this.lastAt = now();
  }

  /** True when the job keeps checkpoints (it has state). */
  get keepsCheckpoints(): boolean {
    return this.policy !== undefined;
  }

  /** Asks for a checkpoint at the next batch boundary (a Kafka source losing partitions). */
  request(): void {
    this.requested = true;
  }

  /** Counts records read, for a `{ records }` policy. */
  recordsRead(n: number): void {
    this.recordsSince += n;
  }

  /** Keeps ids rising past `id`: a partition task restored from a checkpoint an earlier owner took further. */
  raiseIdTo(id: number): void {
    this.lastId = Math.max(this.lastId, id);
  }

  /** True when the policy (or a request) says a checkpoint is due. */
  due(): boolean {
    const policy = this.policy;
    if (!policy) return false;
    if (this.requested) return true;
    return policy.records !== undefined ? this.recordsSince >= policy.records : this.now() - this.lastAt >= policy.intervalMs;
  }

  /**
   * Step 1 of a checkpoint, now: call it at a batch boundary, with no await since the last batch
   * was pushed. `undefined` when the job keeps no checkpoints.
   */
  snapshot(): Checkpoint | undefined {
    if (!this.policy) return undefined;
    const checkpoint = Checkpoint.snapshot(++this.lastId, this.scope, this.full, this.now);
    this.last = checkpoint;
    this.full = false;
    this.requested = false;
    this.lastAt = checkpoint.startedAt;
    this.recordsSince = 0;
    return checkpoint;
  }

  /** Step 2: queues the barrier; with `untilComplete`, waits until the sink stage recorded the checkpoint. */
  async send(checkpoint: Checkpoint, untilComplete = false): Promise<void> {
    const completed = untilComplete ? checkpoint.whenComplete(this.failure) : undefined;
    // A rejection before the barrier is queued must not go unhandled; `await completed` sees it.
    completed?.catch(() => undefined);
    await checkpoint.sendBarrier(this.sendBarrier);
    await completed;
  }

  /**
   * Takes a checkpoint if one is due (or `force`); with `untilComplete`, waits until it is recorded.
   * A checkpoint asked for (state on disk whose changes filled their share of the memory budget, a
   * Kafka source losing partitions) first waits until the one before it is recorded: the changes
   * of state on disk stay in memory until their checkpoint is written, and when writes fall behind
   * (LevelDB compacting a large store on a busy machine) checkpoint after checkpoint would pile
   * them up. Waiting holds the job back instead, as backpressure from the disk.
   */
  async checkpointIfDue(force: boolean, untilComplete = false): Promise<void> {
    if (!this.policy || !(force || this.due())) return;
    if (this.requested && !force) {
      await this.lastRecorded();
      if (this.failure.failed) return;
    }
    await this.send(this.snapshot()!, untilComplete);
  }

  /** Resolves once the last checkpoint taken is recorded (or the job failed). */
  private async lastRecorded(): Promise<void> {
    const last = this.last;
    if (last === undefined || last.status === 'completed' || last.status === 'failed') return;
    await last.whenComplete(this.failure).catch(() => undefined);
  }
}
