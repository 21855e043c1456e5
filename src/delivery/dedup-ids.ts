import type { StateWriter } from '../core/operator.js';

/**
 * Where a dedup keeps the ids it remembers and the watermark they were advanced to: in the heap
 * (`DedupHeapIds`, checkpointed through the keyed-state service) or on disk in generations of
 * event time (`DedupGenerations`, with `levelState(dir, { memory })`). The operator's loop is the
 * same over both; only how an id is found, kept and forgotten differs.
 * @example
 * const first = ids.current(id, t, ids.watermark - within);
 * if (first === undefined && t > ids.watermark - within) ids.remember(id, t);
 */
export interface DedupIds {
  /** The watermark of the last {@link advance} (restored with the ids). */
  readonly watermark: number;
  /** Ids remembered, for the `dedup_ids` gauge (see each implementation for what it counts). */
  readonly size: number;
  /**
   * The event time `id` is deduplicated against for a record at `t`, or `undefined` when none is
   * still remembered (`> horizon`) or none can make the record a duplicate. An entry the
   * watermark passed counts as gone even before it is swept, so no decision depends on when a
   * sweep ran.
   */
  current(id: string, t: number, horizon: number): number | undefined;
  /** Remembers `id` at `t` (later than its current sighting); call right after `current(id, t, …)`. */
  remember(id: string, t: number): void;
  /** Moves the watermark and forgets what it passed. */
  advance(watermark: number): void;
  /** The event time `id` is remembered at, whatever the record time, or `undefined` (for queries). */
  latest(id: string): number | undefined;
  /** The ids still remembered, each once (for queries). */
  ids(): Iterable<string> | AsyncIterable<string>;
  /** Writes the changes since the previous snapshot (all of the state when `full`, where the ids are in the heap). */
  snapshot(writer: StateWriter, full: boolean): void;
}
