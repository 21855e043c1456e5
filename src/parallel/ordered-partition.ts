import type { BatchFrame } from './exchange-frame.js';
import { keyGroupOf, workerForKeyGroup } from './key-groups.js';

/** What the source produced right after a batch, as a run at parallelism 1 would see it next. */
export interface AfterBatch {
  /** The watermark, when it advanced after the batch. */
  readonly watermark?: number;
  /** The checkpoint whose barrier was taken after the batch. */
  readonly checkpointId?: number;
  /** True after the last batch. */
  readonly end?: boolean;
}

/**
 * The sending side of the ordered exchange: splits one source batch into the {@link BatchFrame}s
 * an upstream worker sends to the keyed workers, one per keyed worker, each with the batch's
 * records whose key groups that worker owns (`workerForKeyGroup`), in batch order, possibly none,
 * and what followed the batch at the source. Every keyed worker gets a frame, empty or not: it is
 * how that worker learns the batch is over and reads the next batch's channel.
 *
 * @example
 * const partitioner = new OrderedPartitioner(keyedWorkers, 128);
 * const groups = keyGroupsOf(trips, (trip) => trip.zone, 128);
 * const frames = partitioner.partition(b, trips, times, groups, { watermark });
 * for (const [worker, frame] of frames.entries()) await senders[worker].send(frame);
 */
export class OrderedPartitioner {
  /** The keyed worker of each key group, computed once. */
  private readonly workerOfGroup: Uint16Array;

  /**
   * @param parallelism the number of keyed workers.
   * @param maxParallelism the number of key groups.
   * @throws RangeError when an argument is out of range (see `workerForKeyGroup`).
   */
  constructor(
    readonly parallelism: number,
    readonly maxParallelism: number,
  ) {
    workerForKeyGroup(0, parallelism, maxParallelism); // checks both counts before the table is sized by one
    this.workerOfGroup = new Uint16Array(maxParallelism);
    for (let g = 0; g < maxParallelism; g++) this.workerOfGroup[g] = workerForKeyGroup(g, parallelism, maxParallelism);
  }

  /**
   * The frames of batch `batch` for keyed workers 0 … parallelism − 1, in that order.
   * @param values the batch's records, in the order the source read them.
   * @param times the event time of each record.
   * @param keyGroups the key group of each record (see {@link keyGroupsOf}).
   * @param after the watermark, barrier and end that followed the batch at the source.
   * @throws RangeError for a bad batch number, arrays of different lengths, a key group out of
   * range, or a bad watermark or checkpoint id.
   */
  partition<T>(
    batch: number,
    values: readonly T[],
    times: readonly number[],
    keyGroups: ArrayLike<number>,
    after: AfterBatch = {},
  ): BatchFrame<T>[] {
    if (!Number.isSafeInteger(batch) || batch < 0) throw new RangeError(`batch must be a non-negative integer, got ${batch}`);
    if (times.length !== values.length || keyGroups.length !== values.length) {
      throw new RangeError(
        `values, times and keyGroups must have the same length, got ${values.length}, ${times.length} and ${keyGroups.length}`,
      );
    }
    checkAfter(after);
    const parts = Array.from({ length: this.parallelism }, () => ({ values: [] as T[], times: [] as number[] }));
    for (let i = 0; i < values.length; i++) {
      const group = keyGroups[i];
      const worker = Number.isInteger(group) ? this.workerOfGroup[group] : undefined;
      if (worker === undefined) {
        throw new RangeError(`keyGroups[${i}] must be an integer from 0 to ${this.maxParallelism - 1}, got ${group}`);
      }
      parts[worker].values.push(values[i]);
      parts[worker].times.push(times[i]);
    }
    return parts.map(({ values: workerValues, times: workerTimes }) => {
      const frame: { -readonly [K in keyof BatchFrame<T>]: BatchFrame<T>[K] } = {
        kind: 'batch',
        batch,
        values: workerValues,
        times: workerTimes,
      };
      // Absent fields stay absent: a structured clone keeps an `undefined` property.
      if (after.watermark !== undefined) frame.watermark = after.watermark;
      if (after.checkpointId !== undefined) frame.checkpointId = after.checkpointId;
      if (after.end) frame.end = true;
      return frame;
    });
  }
}

/**
 * The key group of each value, by {@link keyGroupOf} of the key `keyOf` gives it.
 * @example keyGroupsOf(trips, (trip) => trip.zone, 128) // Uint16Array [17, 93, …]
 */
export function keyGroupsOf<T>(values: readonly T[], keyOf: (value: T) => unknown, maxParallelism: number): Uint16Array {
  const groups = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) groups[i] = keyGroupOf(keyOf(values[i]), maxParallelism);
  return groups;
}

function checkAfter(after: AfterBatch): void {
  if (after.watermark !== undefined && (typeof after.watermark !== 'number' || Number.isNaN(after.watermark))) {
    throw new RangeError(`after.watermark must be a number, got ${String(after.watermark)}`);
  }
  if (after.checkpointId !== undefined && (!Number.isSafeInteger(after.checkpointId) || after.checkpointId < 0)) {
    throw new RangeError(`after.checkpointId must be a non-negative integer, got ${String(after.checkpointId)}`);
  }
}
