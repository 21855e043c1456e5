import { keyIdentity } from '../core/key-encoding.js';
import type { LateRecord, Window } from '../core/window.js';
import type { Aggregator, WindowAssigner } from '../windowing/types.js';
import { compareResults, type BatchWindowResult } from './batch-windows.js';

/** Options of {@link batchWindowsWithLateness}. */
export interface BatchWindowsWithLatenessOptions<E, K, R> {
  /** A non-merging, data-independent assigner: tumbling, hopping or global. */
  assigner: WindowAssigner;
  aggregator: Aggregator<E, any, R>;
  keyOf?: (event: E) => K;
  timeOf: (event: E) => number;
  /** The `maxDelay` of `boundedOutOfOrderness` (0 for `monotonic()`). */
  maxDelay: number;
  /** The window's `allowedLateness` in ms (default 0). */
  allowedLateness?: number;
}

/** What a pipeline must produce when records may arrive late. */
export interface BatchWindowsWithLateness<E, K, R> {
  /** The last accumulating pane of every (key, window), over the records not dropped. */
  results: BatchWindowResult<K, R>[];
  /** One entry per (record, expired window), in arrival order. */
  late: LateRecord<E>[];
}

/**
 * Watermarks as `boundedOutOfOrderness(maxDelay)` sets them when records arrive one per batch:
 * the watermark in force when `arrival[i]` arrives is `max(time of arrival[0..i-1]) - maxDelay - 1`
 * (`-Infinity` before the first record).
 * @param times event times in arrival order.
 * @param maxDelay the strategy's bound in ms.
 * @example watermarksBefore([10, 5, 20], 2) // [-Infinity, 7, 7]
 */
export function watermarksBefore(times: readonly number[], maxDelay: number): number[] {
  const out = new Array<number>(times.length);
  let maxSeen = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < times.length; i++) {
    out[i] = maxSeen - maxDelay - 1;
    if (times[i] > maxSeen) maxSeen = times[i];
  }
  return out;
}

/**
 * The batch oracle for inputs with late records, fed one record per batch (`batchSize: 1`): a
 * record is dropped from a window, into the late output, when the watermark before it has
 * reached `window.end - 1 + allowedLateness` (the window expired); otherwise it counts. Session
 * and sliding windows depend on the other records and are not supported here.
 * @param arrival the records in arrival order.
 * @param options assigner, aggregator, key and time functions, `maxDelay`, `allowedLateness`.
 * @throws RangeError for a session or sliding assigner.
 * @example
 * const { results, late } = batchWindowsWithLateness(sample.arrival, {
 *   assigner: tumbling(100), aggregator: sum((e: KeyedEvent) => e.value),
 *   keyOf: e => e.key, timeOf: e => e.time, maxDelay: 10 })
 * @see keyedEvents, batchWindows, watermarksBefore
 */
export function batchWindowsWithLateness<E, K = null, R = unknown>(
  arrival: readonly E[],
  options: BatchWindowsWithLatenessOptions<E, K, R>,
): BatchWindowsWithLateness<E, K, R> {
  const { assigner, aggregator, timeOf, maxDelay } = options;
  if (assigner.kind === 'session' || assigner.kind === 'sliding') {
    throw new RangeError(`batchWindowsWithLateness: assigner must be tumbling, hopping or global, got ${assigner.kind}`);
  }
  const allowedLateness = options.allowedLateness ?? 0;
  const keyOf = options.keyOf ?? (() => null as K);
  const watermarks = watermarksBefore(arrival.map(timeOf), maxDelay);
  // Keys compare as the window operator compares them (`keyIdentity`): objects by value.
  const byKey = new Map<unknown, { key: K; windows: Map<string, { window: Window; acc: unknown }> }>();
  const late: LateRecord<E>[] = [];
  arrival.forEach((record, i) => {
    const key = keyOf(record);
    const id = keyIdentity(key);
    let group = byKey.get(id);
    if (!group) byKey.set(id, (group = { key, windows: new Map() }));
    const windows = group.windows;
    for (const window of assigner.assignWindows(timeOf(record))) {
      if (watermarks[i] >= window.end - 1 + allowedLateness) {
        late.push({ record, window, watermark: watermarks[i] });
        continue;
      }
      const id = `${window.start}:${window.end}`;
      let entry = windows.get(id);
      if (!entry) windows.set(id, (entry = { window, acc: aggregator.create() }));
      entry.acc = aggregator.add(entry.acc, record);
    }
  });
  const results: BatchWindowResult<K, R>[] = [];
  for (const { key, windows } of byKey.values()) {
    for (const { window, acc } of windows.values()) results.push({ key, window, value: aggregator.result(acc) });
  }
  return { results: results.sort(compareResults), late };
}
