import { keyIdentity } from '../core/key-encoding.js';
import type { Window, WindowResult } from '../core/window.js';
import { compareResults, type BatchWindowResult } from './batch-windows.js';

/**
 * The last pane of every (key, window) among a pipeline's window results, shaped and sorted like
 * the batch oracle's output, so a test can compare them directly: in accumulating mode the last
 * pane of each window must equal `batchWindows(...)`. A retraction replaces the pane it retracts,
 * so a window whose last result is a retraction (a session merged away in `'retracting'` mode) is
 * left out; in other modes a merged-away session stays, as an earlier, smaller result.
 * @param results the `WindowResult`s a sink received, in the order received.
 * @returns `{ key, window, value }` per (key, window), sorted by key, start, end.
 * @example expect(lastPanes(out.items)).toEqual(batchWindows(events, { assigner, aggregator, keyOf, timeOf }))
 * @see batchWindows, compareResults
 */
export function lastPanes<K, V>(results: readonly WindowResult<K, V>[]): BatchWindowResult<K, V>[] {
  // Keys compare as the window operator compares them (`keyIdentity`): objects by value.
  const byKey = new Map<unknown, { key: K; windows: Map<string, { window: Window; last: WindowResult<K, V> }> }>();
  for (const r of results) {
    const identity = keyIdentity(r.key);
    let group = byKey.get(identity);
    if (!group) byKey.set(identity, (group = { key: r.key, windows: new Map() }));
    const windows = group.windows;
    const id = `${r.window.start}:${r.window.end}`;
    const seen = windows.get(id);
    // The retraction of pane i carries index i and comes after it, before pane i + 1.
    if (!seen || r.pane.index >= seen.last.pane.index) {
      windows.set(id, { window: r.window, last: r });
    }
  }
  const out: BatchWindowResult<K, V>[] = [];
  for (const { key, windows } of byKey.values()) {
    for (const { window, last } of windows.values()) {
      if (!last.retraction) out.push({ key, window: { start: window.start, end: window.end }, value: last.value });
    }
  }
  return out.sort(compareResults);
}
