import { keyIdentity } from '../core/key-encoding.js';
import type { Window } from '../core/window.js';
import type { Aggregator, WindowAssigner } from '../windowing/types.js';
import { slidingWindowStarts } from '../windowing/sliding.js';
import { compareKeys } from './compare-keys.js';

/** One expected (key, window) result of the batch oracle. */
export interface BatchWindowResult<K = unknown, R = unknown> {
  key: K;
  window: Window;
  value: R;
}

/** Options of {@link batchWindows}. */
export interface BatchWindowsOptions<E, K, R> {
  assigner: WindowAssigner;
  aggregator: Aggregator<E, any, R>;
  /** The key of a record; omitted, every record has the key `null` (a stream without `keyBy`). */
  keyOf?: (event: E) => K;
  /** The event time of a record in ms. */
  timeOf: (event: E) => number;
}

/**
 * The batch oracle: what a windowed aggregate must produce, computed the slow and obvious way over
 * the whole input at once. Tumbling and hopping windows by enumerating candidate starts (calendar
 * windows with a `timeZone` through the assigner itself), sliding windows through
 * `slidingWindowStarts`, sessions by sorting each key's times and merging touching intervals,
 * global as one window per key. Records are aggregated in input order. Sorted by key
 * (see `compareKeys`), then window start, then end.
 * @param events the whole bounded input.
 * @param options `{ assigner, aggregator, keyOf?, timeOf }`.
 * @returns one `{ key, window, value }` per non-empty (key, window).
 * @example
 * batchWindows(clicks, { assigner: tumbling('1m'), aggregator: count(), keyOf: c => c.page, timeOf: c => c.at })
 * @see keyedEvents, batchWindowsWithLateness
 */
export function batchWindows<E, K = null, R = unknown>(
  events: readonly E[],
  options: BatchWindowsOptions<E, K, R>,
): BatchWindowResult<K, R>[] {
  const { assigner, aggregator, timeOf } = options;
  const keyOf = options.keyOf ?? (() => null as K);
  // Keys compare as the window operator compares them (`keyIdentity`): objects by value.
  const byKey = new Map<unknown, { key: K; list: E[] }>();
  for (const event of events) {
    const key = keyOf(event);
    const id = keyIdentity(key);
    let group = byKey.get(id);
    if (!group) byKey.set(id, (group = { key, list: [] }));
    group.list.push(event);
  }
  const results: BatchWindowResult<K, R>[] = [];
  for (const { key, list } of byKey.values()) {
    const windowsOf = windowFunctionFor(assigner, list.map(timeOf));
    const accs = new Map<string, { window: Window; acc: unknown }>();
    for (const event of list) {
      for (const window of windowsOf(timeOf(event))) {
        const id = `${window.start}:${window.end}`;
        let entry = accs.get(id);
        if (!entry) accs.set(id, (entry = { window, acc: aggregator.create() }));
        entry.acc = aggregator.add(entry.acc, event);
      }
    }
    for (const { window, acc } of accs.values()) results.push({ key, window, value: aggregator.result(acc) });
  }
  return results.sort(compareResults);
}

/**
 * Orders oracle or operator results by key (see `compareKeys`), window start, window end.
 * @example out.items.map(({ key, window, value }) => ({ key, window, value })).sort(compareResults)
 */
export function compareResults(a: { key: unknown; window: Window }, b: { key: unknown; window: Window }): number {
  return compareKeys(a.key, b.key) || a.window.start - b.window.start || a.window.end - b.window.end;
}

/** For one key's record times, a function from a record time to the windows it belongs to. */
function windowFunctionFor(assigner: WindowAssigner, times: number[]): (t: number) => Window[] {
  const extra = assigner as WindowAssigner & { offset?: number; hop?: number; timeZone?: string };
  switch (assigner.kind) {
    case 'tumbling':
    case 'hopping': {
      if (extra.timeZone !== undefined) return (t) => assigner.assignWindows(t);
      const size = assigner.size;
      const hop = assigner.kind === 'hopping' ? extra.hop! : size;
      const offset = extra.offset ?? 0;
      return (t) => {
        const windows: Window[] = [];
        const first = Math.floor((t - size - offset) / hop) - 1;
        const last = Math.floor((t - offset) / hop) + 1;
        for (let k = first; k <= last; k++) {
          const start = offset + k * hop;
          if (start <= t && t < start + size) windows.push({ start, end: start + size });
        }
        return windows;
      };
    }
    case 'sliding': {
      const size = assigner.size;
      const starts = slidingWindowStarts(times, size);
      return (t) => starts.filter((s) => s <= t && t < s + size).map((s) => ({ start: s, end: s + size }));
    }
    case 'session': {
      const gap = assigner.size;
      const sessions: { start: number; end: number }[] = [];
      for (const t of [...times].sort((a, b) => a - b)) {
        const current = sessions[sessions.length - 1];
        // Sorted starts: touching the last session is the only way to touch any.
        if (current && t <= current.end) current.end = Math.max(current.end, t + gap);
        else sessions.push({ start: t, end: t + gap });
      }
      return (t) => sessions.filter((s) => s.start <= t && t < s.end).map((s) => ({ start: s.start, end: s.end }));
    }
    case 'global':
      return (t) => assigner.assignWindows(t);
    default:
      throw new RangeError(`batchWindows: unknown assigner kind ${JSON.stringify((assigner as WindowAssigner).kind)}`);
  }
}
