/**
 * Records travel between stages as batches of parallel arrays rather than one envelope object per
 * record: `values[i]`, `times[i]`, `keys[i]` and `positions[i]` describe record `i`. Operators that
 * drop records compact every array they carry; operators that only change values reuse the others.
 */
export interface Batch<T = unknown> {
  values: T[];
  /** Event time per record, set by `withTimestamps` (and by window operators on their results). */
  times?: number[];
  /** Key per record, set by `keyBy`. */
  keys?: unknown[];
  /** Position of each record in its source partition (array index, file line, Kafka offset). */
  positions: number[];
  /** The source partition every record of this batch came from. */
  partition: number;
}

/** Makes a batch of `values` whose positions run from `firstPosition`. */
export function batchOf<T>(values: T[], partition = 0, firstPosition = 0): Batch<T> {
  const positions = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) positions[i] = firstPosition + i;
  return { values, positions, partition };
}

/** Keeps the records whose index is flagged in `keep`, in order, across every parallel array. */
export function compactBatch<T>(batch: Batch<T>, keep: Uint8Array, kept: number): Batch<T> {
  if (kept === batch.values.length) return batch;
  const values = new Array<T>(kept);
  const positions = new Array<number>(kept);
  const times = batch.times ? new Array<number>(kept) : undefined;
  const keys = batch.keys ? new Array<unknown>(kept) : undefined;
  let j = 0;
  for (let i = 0; i < keep.length; i++) {
    if (!keep[i]) continue;
    values[j] = batch.values[i];
    positions[j] = batch.positions[i];
    if (times) times[j] = batch.times![i];
    if (keys) keys[j] = batch.keys![i];
    j++;
  }
  return { values, positions, times, keys, partition: batch.partition };
}
