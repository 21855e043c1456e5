/**
 * The ordered exchange's tests share this: a source's batches, the sequence a run at parallelism 1
 * sees, and what the upstream workers send each keyed worker for them.
 */
import type { BatchFrame, ExchangeFrame } from '../../src/parallel/exchange-frame.js';
import { OrderedPartitioner, keyGroupsOf } from '../../src/parallel/ordered-partition.js';

/** A record: `id` numbers the records in source order. */
export interface Trip {
  id: number;
  key: number | string;
}

/** A batch the source read, and what followed it: a watermark step, a barrier, the end. */
export interface SourceBatch {
  records: Array<{ key: number | string; time: number }>;
  watermarkStep?: number;
  barrier: boolean;
  end: boolean;
}

/** What follows each batch at the source: watermarks rise by their steps, barriers count from 1. */
function afterEach(batches: readonly SourceBatch[]): Array<{ watermark?: number; checkpointId?: number; end: boolean }> {
  let watermark = 0;
  let checkpointId = 0;
  return batches.map((b) => ({
    ...(b.watermarkStep === undefined ? {} : { watermark: (watermark += b.watermarkStep) }),
    ...(b.barrier ? { checkpointId: ++checkpointId } : {}),
    end: b.end,
  }));
}

/** The records of each batch, numbered in source order. */
function tripsOf(batches: readonly SourceBatch[]): Array<{ values: Trip[]; times: number[] }> {
  let id = 0;
  return batches.map((b) => ({ values: b.records.map((r) => ({ id: id++, key: r.key })), times: b.records.map((r) => r.time) }));
}

/**
 * What the source loop of a run at parallelism 1 hands its operators: per batch its records, then
 * the watermark, barrier and end after it.
 */
export function parallelismOneSequence(batches: readonly SourceBatch[]): Array<ExchangeFrame<Trip>> {
  const after = afterEach(batches);
  return tripsOf(batches).flatMap(({ values, times }, b): Array<ExchangeFrame<Trip>> => [
    ...(values.length > 0 ? [{ kind: 'records' as const, values, times }] : []),
    ...(after[b].watermark === undefined ? [] : [{ kind: 'watermark' as const, time: after[b].watermark }]),
    ...(after[b].checkpointId === undefined ? [] : [{ kind: 'barrier' as const, checkpointId: after[b].checkpointId }]),
    ...(after[b].end ? [{ kind: 'end' as const }] : []),
  ]);
}

/** A sequence restricted to the records `keep` accepts, records frames left empty dropped. */
export function restrictTo(frames: ReadonlyArray<ExchangeFrame<Trip>>, keep: (trip: Trip) => boolean): Array<ExchangeFrame<Trip>> {
  return frames.flatMap((f): Array<ExchangeFrame<Trip>> => {
    if (f.kind !== 'records') return [f];
    const kept = f.values.flatMap((v, i) => (keep(v) ? [i] : []));
    return kept.length === 0 ? [] : [{ kind: 'records', values: kept.map((i) => f.values[i]), times: kept.map((i) => f.times[i]) }];
  });
}

/**
 * The upstream side of an ordered exchange: batch `firstBatch + i` goes to upstream worker
 * `(firstBatch + i) mod upstream`, which partitions it for the keyed workers.
 */
export function orderedRun(
  batches: readonly SourceBatch[],
  options: { upstream: number; keyed: number; maxParallelism: number; firstBatch?: number },
): { framesOf: (batchIndex: number) => BatchFrame<Trip>[]; channelsTo: (worker: number) => Array<Array<ExchangeFrame<Trip>>> } {
  const { upstream, keyed, maxParallelism, firstBatch = 0 } = options;
  const partitioner = new OrderedPartitioner(keyed, maxParallelism);
  const after = afterEach(batches);
  const perBatch = tripsOf(batches).map(({ values, times }, i) =>
    partitioner.partition(
      firstBatch + i,
      values,
      times,
      keyGroupsOf(values, (t) => t.key, maxParallelism),
      after[i],
    ),
  );
  return {
    framesOf: (batchIndex) => perBatch[batchIndex],
    /** Channel u to keyed worker `worker`: upstream worker u's frames for it, in the order it sends them, then its end. */
    channelsTo: (worker) =>
      Array.from({ length: upstream }, (_, u) => [
        ...perBatch.flatMap((frames, i) => ((firstBatch + i) % upstream === u ? [frames[worker]] : [])),
        { kind: 'end' as const },
      ]),
  };
}
