import { parseDuration, type Duration } from '../core/duration.js';
import { checkOptions } from '../core/options.js';

/**
 * How a partition's watermark follows its records: `W = (largest timestamp seen) - maxDelay - 1`.
 * Strategies are immutable values.
 */
export interface WatermarkStrategy {
  readonly maxDelay: number;
  /** A partition with no record for this long (processing time) is idle; undefined = never idle. */
  readonly idleTimeout?: number;
  readonly description: string;
}

export interface WatermarkStrategyOptions {
  /** Marks a partition idle after this much processing time without records, so it stops holding the watermark back. */
  idleTimeout?: Duration;
}

/**
 * Watermarks for records that arrive at most `maxDelay` behind the largest timestamp seen.
 * @example from(fromArray(trips)).withTimestamps(t => t.pickupTs, boundedOutOfOrderness('30s'))
 * @see monotonic
 */
export function boundedOutOfOrderness(maxDelay: Duration, options: WatermarkStrategyOptions = {}): WatermarkStrategy {
  checkOptions('boundedOutOfOrderness', options, ['idleTimeout']);
  const delay = parseDuration(maxDelay, 'boundedOutOfOrderness(maxDelay)');
  const idleTimeout = options.idleTimeout === undefined ? undefined : parseDuration(options.idleTimeout, 'idleTimeout');
  if (idleTimeout !== undefined && idleTimeout <= 0) throw new RangeError('idleTimeout must be greater than 0');
  return Object.freeze({ maxDelay: delay, idleTimeout, description: `boundedOutOfOrderness(${delay}ms)` });
}

/**
 * Watermarks for records in timestamp order per partition (`maxDelay = 0`).
 * @example from(fromArray(readings)).withTimestamps(r => r.at, monotonic())
 */
export function monotonic(options: WatermarkStrategyOptions = {}): WatermarkStrategy {
  return { ...boundedOutOfOrderness(0, options), description: 'monotonic()' };
}
