import type { KeyedStateQuery } from '../core/state-query.js';
import type { WindowAggregator } from './window-aggregator.js';

/** Prefix of the window operator's keys when its state is resident (`wr1`: windows, resident, version 1). */
export const RESIDENT_WINDOW_PREFIX = 'wr1/';

/** Key of the operator's progress entry in the resident layouts: its watermark and assigner, and the layout's part. */
export const RESIDENT_META_KEY = `${RESIDENT_WINDOW_PREFIX}m`;

/**
 * What the window operator asks of a layout that keeps its windows in the backend's store
 * ({@link ResidentSessionWindows}, {@link ResidentSlidingWindows}, {@link ResidentAlignedWindows})
 * besides what every layout does:
 * its part of the progress entry, which a restore reads back when the operator opens, and
 * queryable state read from the store.
 * @example
 * store.put(RESIDENT_META_KEY, { watermark, assigner, ...layout.save() });
 */
export interface ResidentWindowLayout {
  /**
   * True when each step of a watermark (`runDue`) ends between whole timers, so that what `save`
   * writes there is the state of the timers run so far and holds every timer still due: a
   * checkpoint may then come between two steps.
   */
  readonly stepsEndBetweenTimers: boolean;
  /** Writes what the layout holds in memory into the store; returns its part of the progress entry. */
  save(): object;
  /** Restores the layout from its part of the progress entry, before any record arrives. */
  restore(meta: object): void;
  /** The operator's query hook, reading the store. */
  query(agg: WindowAggregator): KeyedStateQuery;
}
