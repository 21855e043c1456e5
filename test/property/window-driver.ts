import type { LateRecord, WindowResult } from '../../src/core/window.js';
import { splitBatches, type KeyedEvent } from '../../src/testing/index.js';
import type { Aggregator, WindowAssigner, WindowOptions } from '../../src/windowing/types.js';
import { windowOperator } from '../../src/windowing/window-operator.js';

/** Collects the `seq` of every event, order-insensitively: the exact membership of a window. */
export const seqs: Aggregator<KeyedEvent, number[], number[]> = {
  create: () => [],
  add: (acc, e) => {
    acc.push(e.seq);
    return acc;
  },
  merge: (a, b) => {
    for (const x of b) a.push(x);
    return a;
  },
  result: (acc) => [...acc].sort((x, y) => x - y),
};

/** Integer sum of event values (exact, so pane arithmetic can be checked with ===). */
export const valueSum: Aggregator<KeyedEvent, number, number> = {
  create: () => 0,
  add: (acc, e) => acc + e.value,
  merge: (a, b) => a + b,
  result: (acc) => acc,
};

export interface DriveOptions<R> {
  assigner: WindowAssigner;
  options?: WindowOptions;
  aggregator: Aggregator<KeyedEvent, any, R>;
  /** The watermark after each batch is `maxSeen - delay - 1`. */
  delay: number;
  sizes: number[];
}

export interface Driven<R> {
  results: WindowResult<string, R>[];
  late: LateRecord<KeyedEvent>[];
  /** Watermarks forwarded by the operator, in order. */
  watermarks: number[];
}

/**
 * Drives a window operator as a bounded pipeline with `boundedOutOfOrderness(delay)` would: one
 * batch at a time, the watermark after each batch, `+Infinity` at the end.
 */
export function drive<R>(arrival: readonly KeyedEvent[], o: DriveOptions<R>): Driven<R> {
  const op = windowOperator({ assigner: o.assigner, ...o.options }, o.aggregator);
  const driven: Driven<R> = { results: [], late: [], watermarks: [] };
  const out = {
    emit: (b: { values: WindowResult[] }) => {
      for (const r of b.values) driven.results.push(r as WindowResult<string, R>);
    },
    watermark: (w: number) => {
      driven.watermarks.push(w);
    },
    late: (l: LateRecord) => {
      driven.late.push(l as LateRecord<KeyedEvent>);
    },
    deadLetter: () => {
      throw new Error('no record of a generated input is a dead letter');
    },
  };
  let maxSeen = -Infinity;
  let position = 0;
  for (const batch of splitBatches(arrival, o.sizes)) {
    const times = batch.map((e) => e.time);
    op.processBatch({ values: batch, times, keys: batch.map((e) => e.key), positions: batch.map(() => position++), partition: 0 }, out);
    for (const t of times) if (t > maxSeen) maxSeen = t;
    op.processWatermark!(maxSeen - o.delay - 1, out);
  }
  op.processWatermark!(Infinity, out);
  return driven;
}

/** `key|start|end` of a result or oracle row. */
export function windowId(r: { key: unknown; window: { start: number; end: number } }): string {
  return `${JSON.stringify(r.key)}|${r.window.start}|${r.window.end}`;
}

/** The last non-retraction pane of every (key, window), by window id. */
export function lastPanes<R>(results: readonly WindowResult<string, R>[]): Map<string, WindowResult<string, R>> {
  const last = new Map<string, WindowResult<string, R>>();
  for (const r of results) if (!r.retraction) last.set(windowId(r), r);
  return last;
}

/** Windows whose latest emission is a retraction (sessions merged away in retracting mode). */
export function retractedWindows(results: readonly WindowResult[]): Set<string> {
  const state = new Map<string, boolean>();
  for (const r of results) state.set(windowId(r), r.retraction === true);
  return new Set([...state].filter(([, retracted]) => retracted).map(([id]) => id));
}
