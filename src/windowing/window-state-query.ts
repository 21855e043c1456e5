import { keyIdentity } from '../core/key-encoding.js';
import type { KeyedStateQuery } from '../core/state-query.js';
import type { Window } from '../core/window.js';
import type { WindowAggregator } from './window-aggregator.js';
import type { WindowLayout } from './window-layout.js';
import type { WindowState } from './window-state.js';

/** One open window of a key, as a query returns it. */
export interface OpenWindow<R = unknown> {
  window: Window;
  /**
   * The aggregate so far: what the next pane would hold (in `discarding` mode, only what came
   * since the last pane).
   */
  value: R;
  /** Whether the window already emitted a pane (early, on-time or late). */
  fired: boolean;
}

/**
 * The window operator's query hook: per key, its open windows (aligned, session or sliding) in
 * order of start, with their current aggregate. A window that fired and was dropped is no longer
 * open; an unkeyed window operator holds one key, `null`.
 * @param layout the layout that keeps the windows.
 * @param agg the operator's aggregator (its `result` makes each value).
 * @example windowStateQuery(layout, agg).get('zone-7') // [{ window: { start: 0, end: 300000 }, value: 3, fired: false }]
 */
export function windowStateQuery(layout: WindowLayout, agg: WindowAggregator): KeyedStateQuery {
  return {
    get(key) {
      const kid = keyIdentity(key);
      const open: WindowState[] = [];
      layout.forEachWindowOf(kid, (ws) => {
        if (ws.alive) open.push(ws);
      });
      return openWindows(open, agg);
    },
    keys() {
      const keys = new Map<unknown, unknown>();
      layout.forEachWindow((ws) => {
        if (ws.alive && !keys.has(ws.kid)) keys.set(ws.kid, ws.key);
      });
      return keys.values();
    },
  };
}

/**
 * A key's live window states as a query returns them, in order of start; `undefined` when there
 * is none.
 * @param open the key's live window states (sorted here).
 * @param agg the operator's aggregator (its `result` makes each value).
 * @example openWindows([ws], agg) // [{ window: { start: 0, end: 10 }, value: 3, fired: false }]
 */
export function openWindows(open: WindowState[], agg: WindowAggregator): OpenWindow[] | undefined {
  if (open.length === 0) return undefined;
  open.sort((a, b) => a.start - b.start || a.end - b.end);
  return open.map((ws): OpenWindow => ({ window: { start: ws.start, end: ws.end }, value: agg.result(ws.acc), fired: ws.index > 0 }));
}
