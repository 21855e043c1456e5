import { encodeKey } from '../core/key-encoding.js';

/** One timer firing: a key and a time. */
export interface TimerFiring<K> {
  key: K;
  time: number;
}

/** Options of {@link batchTimers}. */
export interface BatchTimersOptions<E, K> {
  keyOf: (event: E) => K;
  /** The event-time timers `onRecord` registers for the event (any number, repeats allowed). */
  timersOf: (event: E) => readonly number[];
}

/**
 * The batch oracle of event-time timers: every (key, time) registered by some record, once,
 * ordered by time and then by key text (`encodeKey`). With a bounded input (the end sets the
 * watermark to `+Infinity`) and no deletes, a keyed process function fires exactly these timers,
 * in this order, whatever the arrival order and batch sizes, when every timer is registered
 * before the watermark reaches its time.
 * @param events the input, in any order.
 * @param options `keyOf` and `timersOf`.
 * @example
 * batchTimers(events, { keyOf: (e) => e.key, timersOf: (e) => [e.time + 10] })
 * // [{ key: 'a', time: 15 }, { key: 'b', time: 15 }, { key: 'a', time: 40 }, …]
 * @see batchRunningTotals, keyedEvents
 */
export function batchTimers<E, K>(events: readonly E[], options: BatchTimersOptions<E, K>): TimerFiring<K>[] {
  const timers = new Map<string, { key: K; keyText: string; time: number }>();
  for (const event of events) {
    const key = options.keyOf(event);
    const keyText = encodeKey(key);
    for (const time of options.timersOf(event)) timers.set(`${time}|${keyText}`, { key, keyText, time });
  }
  return [...timers.values()]
    .sort((a, b) => a.time - b.time || (a.keyText < b.keyText ? -1 : a.keyText > b.keyText ? 1 : 0))
    .map(({ key, time }) => ({ key, time }));
}

/** Options of {@link batchRunningTotals}. */
export interface BatchRunningTotalsOptions<E, K> {
  keyOf: (event: E) => K;
  valueOf: (event: E) => number;
}

/**
 * The batch oracle of a per-key running total: for each record in arrival order, its key and the
 * sum of the values of its key's records up to and including it. A keyed process function that
 * adds each record's value to a `valueState` and emits it must produce exactly this, per key in
 * this order.
 * @param arrival the records in the order they reach the operator.
 * @param options `keyOf` and `valueOf`.
 * @example batchRunningTotals([{ k: 'a', v: 2 }, { k: 'a', v: 3 }], { keyOf: (e) => e.k, valueOf: (e) => e.v })
 * // [{ key: 'a', total: 2 }, { key: 'a', total: 5 }]
 * @see batchTimers
 */
export function batchRunningTotals<E, K>(
  arrival: readonly E[],
  options: BatchRunningTotalsOptions<E, K>,
): Array<{ key: K; total: number }> {
  const totals = new Map<string, number>();
  return arrival.map((event) => {
    const key = options.keyOf(event);
    const keyText = encodeKey(key);
    const total = (totals.get(keyText) ?? 0) + options.valueOf(event);
    totals.set(keyText, total);
    return { key, total };
  });
}
