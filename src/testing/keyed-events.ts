import type { Arbitrary } from 'fast-check';
import { fastCheck } from './fast-check.js';

/** A generated event: integer `value`s keep sums exact; `seq` is unique per generated input. */
export interface KeyedEvent<K = string> {
  key: K;
  time: number;
  value: number;
  seq: number;
}

/** A generated input: the events in event-time order and the order in which they arrive. */
export interface KeyedEventsSample<K = string> {
  /** Sorted by `time`, then `seq`. */
  events: KeyedEvent<K>[];
  /** The same objects in arrival order. */
  arrival: KeyedEvent<K>[];
}

/** Options of {@link keyedEvents}. */
export interface KeyedEventsOptions<K = string> {
  /** The keys to draw from (default `['a', 'b', 'c']`), or how many keys `'k0'`, `'k1'`, … */
  keys?: readonly K[] | number;
  /** Inclusive range of event times in ms (default `[0, 10_000]`). */
  timeRange?: readonly [number, number];
  /** Largest disorder in ms: an arriving record is at most this much older than the newest seen (default 100). */
  maxDisorder?: number;
  /** Inclusive range of integer values (default `[-1000, 1000]`). */
  valueRange?: readonly [number, number];
  minLength?: number;
  /** Default 80. */
  maxLength?: number;
  /**
   * Deliberate late arrivals: each record, with probability about `fraction`, is held back a
   * further `1..maxExtraDelay` ms beyond `maxDisorder`, so it may arrive after the watermark
   * passed it. Which ones are late follows from the arrival order (`batchWindowsWithLateness`).
   */
  late?: { fraction: number; maxExtraDelay: number };
}

/**
 * A fast-check arbitrary of keyed, out-of-order event streams. Without `late`, every record
 * arrives before `boundedOutOfOrderness(maxDisorder)`'s watermark (`maxSeen - maxDisorder - 1`)
 * passes it: for every record, every record that arrived before it is at most `maxDisorder` ms newer.
 * @param options keys, time range, disorder, value range, lengths, late arrivals.
 * @throws RangeError for an empty key set, a reversed range or a negative disorder; `StreamkitError`
 *   `DEPENDENCY_MISSING` without fast-check installed.
 * @example
 * fc.assert(fc.property(keyedEvents({ keys: 3, maxDisorder: 50 }), ({ events, arrival }) => {
 *   // run `arrival` through the pipeline, compare with batchWindows(events, …)
 * }))
 * @see batchWindows, batchSizes
 */
export function keyedEvents<K = string>(options: KeyedEventsOptions<K> = {}): Arbitrary<KeyedEventsSample<K>> {
  const keys = (
    typeof options.keys === 'number' ? Array.from({ length: options.keys }, (_, i) => `k${i}`) : (options.keys ?? ['a', 'b', 'c'])
  ) as K[];
  if (keys.length === 0) throw new RangeError('keyedEvents: keys must hold at least one key');
  const [tMin, tMax] = options.timeRange ?? [0, 10_000];
  if (!(Number.isSafeInteger(tMin) && Number.isSafeInteger(tMax) && tMin <= tMax)) {
    throw new RangeError(`keyedEvents: timeRange must be [min, max] safe integers with min <= max, got [${tMin}, ${tMax}]`);
  }
  const maxDisorder = options.maxDisorder ?? 100;
  if (!(Number.isSafeInteger(maxDisorder) && maxDisorder >= 0)) {
    throw new RangeError(`keyedEvents: maxDisorder must be an integer >= 0, got ${maxDisorder}`);
  }
  const [vMin, vMax] = options.valueRange ?? [-1000, 1000];
  if (!(Number.isSafeInteger(vMin) && Number.isSafeInteger(vMax) && vMin <= vMax)) {
    throw new RangeError(`keyedEvents: valueRange must be [min, max] safe integers with min <= max, got [${vMin}, ${vMax}]`);
  }
  const late = options.late;
  if (late && !(late.fraction >= 0 && late.fraction <= 1 && Number.isSafeInteger(late.maxExtraDelay) && late.maxExtraDelay >= 1)) {
    throw new RangeError('keyedEvents: late must be { fraction in [0, 1], maxExtraDelay: integer >= 1 }');
  }
  const fc = fastCheck();
  const lateScale = 1_000_000;
  const draft = fc.record({
    key: fc.constantFrom(...keys),
    time: fc.integer({ min: tMin, max: tMax }),
    value: fc.integer({ min: vMin, max: vMax }),
    delay: fc.integer({ min: 0, max: maxDisorder }),
    lateDraw: late ? fc.integer({ min: 0, max: lateScale - 1 }) : fc.constant(lateScale),
    extra: late ? fc.integer({ min: 1, max: late.maxExtraDelay }) : fc.constant(0),
    tie: fc.integer(),
  });
  return fc.array(draft, { minLength: options.minLength ?? 0, maxLength: options.maxLength ?? 80 }).map((drafts) => {
    const withArrival = drafts.map((d, seq) => {
      const heldBack = late !== undefined && d.lateDraw < late.fraction * lateScale;
      // Arrival order by time + delay bounds disorder: q before r implies t_q <= t_r + delay_r - delay_q.
      const arrivesAt = d.time + (heldBack ? maxDisorder + d.extra : d.delay);
      const event: KeyedEvent<K> = { key: d.key, time: d.time, value: d.value, seq };
      return { event, arrivesAt, tie: d.tie };
    });
    const arrival = [...withArrival]
      .sort((a, b) => a.arrivesAt - b.arrivesAt || a.tie - b.tie || a.event.seq - b.event.seq)
      .map((x) => x.event);
    const events = withArrival.map((x) => x.event).sort((a, b) => a.time - b.time || a.seq - b.seq);
    return { events, arrival };
  });
}
