import type { Metrics } from '../core/metrics.js';
import type { Output } from '../core/operator.js';
import type { PaneInfo, PaneTiming, WindowResult } from '../core/window.js';
import { resultId } from './result-id.js';
import { keyTextOf, windowOf, type WindowState } from './window-state.js';
import { METRICS } from '../core/metric-catalogue.js';

/**
 * Results share frozen `window` and `pane` values (windows are values: copy one to change it):
 * most panes are a first pane, and most windows hold many keys, so most results allocate neither.
 */
const FIRST_PANES: Readonly<Record<PaneTiming, PaneInfo>> = {
  early: Object.freeze({ index: 0, timing: 'early' }),
  'on-time': Object.freeze({ index: 0, timing: 'on-time' }),
  late: Object.freeze({ index: 0, timing: 'late' }),
};

function paneInfo(index: number, timing: PaneTiming): PaneInfo {
  return index === 0 ? FIRST_PANES[timing] : Object.freeze({ index, timing });
}

/**
 * Pane emission: turns a window's pane into a {@link WindowResult} (its value, frozen window and
 * pane info, and deterministic id), a retraction of its previous pane, or a late record, and
 * hands what one batch, watermark or tick produced downstream as one batch, with the number of
 * windows it holds (`window_state_windows`). Its panes are counted as the operator's `records_out`,
 * its late records as `records_late`, where they leave the operator: counted once.
 *
 * Results carry `times[i] = window.end - 1` (a window's results belong to its last instant) and no
 * keys; they are not source records, so their positions are -1.
 * @example
 * emitter.pane(ws, 42, 'on-time');
 * emitter.flush(out, liveWindows);
 */
export class PaneEmitter<R> {
  private values: WindowResult<unknown, R>[] = [];
  private times: number[] = [];
  private labels = { operator: '' };
  private metrics: Metrics | undefined;
  /** Where late records go: the output of the call being served. */
  out: Output<WindowResult<unknown, R>> | undefined;

  /** Results made since the last flush. */
  get size(): number {
    return this.values.length;
  }

  /** Labels the metrics with the operator's uid. */
  open(uid: string, metrics: Metrics): void {
    this.labels = { operator: uid };
    this.metrics = metrics;
  }

  /** Emits pane `ws.index` of `ws` with `value` (the window's bookkeeping is the caller's). */
  pane(ws: WindowState, value: R, timing: PaneTiming): void {
    this.values.push({
      key: ws.key,
      window: windowOf(ws),
      value,
      pane: paneInfo(ws.index, timing),
      id: resultId(keyTextOf(ws), ws.start, ws.end, ws.index, false),
    });
    this.times.push(ws.end - 1);
  }

  /** Emits a retraction of the previous pane of `ws`: its value, pane info and a retraction id. */
  retraction(ws: WindowState): void {
    const index = ws.index - 1;
    this.values.push({
      key: ws.key,
      window: windowOf(ws),
      value: ws.last as R,
      pane: paneInfo(index, ws.lastTiming!),
      id: resultId(keyTextOf(ws), ws.start, ws.end, index, true),
      retraction: true,
    });
    this.times.push(ws.end - 1);
  }

  /** Sends a record dropped from the expired window `[start, end)` to the late output. */
  late(record: unknown, start: number, end: number, watermark: number): void {
    this.out!.late({ record, window: { start, end }, watermark });
  }

  /** Hands the results made since the last flush downstream and updates the metrics. */
  flush(out: Output<WindowResult<unknown, R>>, liveWindows: number): void {
    const n = this.values.length;
    const metrics = this.metrics;
    if (metrics) {
      metrics.set(METRICS.windowStateWindows, this.labels, liveWindows);
    }
    if (n === 0) return;
    const values = this.values;
    const times = this.times;
    this.values = [];
    this.times = [];
    // Results are not source records: they have no source position.
    const positions = new Array<number>(n).fill(-1);
    out.emit({ values, times, positions, partition: 0 });
  }
}
