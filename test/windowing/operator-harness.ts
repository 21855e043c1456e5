import { expect } from 'vitest';
import { encodeKey } from '../../src/core/key-encoding.js';
import type { DeadLetter } from '../../src/core/dead-letter.js';
import { Metrics } from '../../src/core/metrics.js';
import type { Operator, Output, StateWriter } from '../../src/core/operator.js';
import type { LateRecord, WindowResult } from '../../src/core/window.js';

/** One input record: key, event time, value. */
export type Rec = readonly [key: unknown, time: number, value?: unknown];

/**
 * Drives a window operator directly, the way the runtime does: batches, watermarks, ticks, with a
 * virtual processing-time clock, and records everything it outputs.
 */
export class Harness {
  readonly results: WindowResult[] = [];
  readonly resultTimes: number[] = [];
  readonly late: LateRecord[] = [];
  readonly dead: DeadLetter[] = [];
  readonly watermarks: number[] = [];
  /** Output in order: `R <row>` per result, `L <time>` per late record, `W <w>` per watermark. */
  readonly events: string[] = [];
  readonly metrics = new Metrics();
  clock = 0;
  private position = 0;
  readonly out: Output<WindowResult>;

  constructor(
    readonly op: Operator<unknown, WindowResult>,
    keyed = true,
  ) {
    this.keyed = keyed;
    this.out = {
      emit: (b) => {
        expect(b.keys).toBeUndefined();
        expect(b.times!.length).toBe(b.values.length);
        for (let i = 0; i < b.values.length; i++) {
          this.results.push(b.values[i]);
          this.events.push(`R ${row(b.values[i])}`);
          this.resultTimes.push(b.times![i]);
        }
      },
      watermark: (w) => {
        this.watermarks.push(w);
        this.events.push(`W ${w}`);
      },
      late: (l) => {
        this.late.push(l);
        this.events.push(`L ${JSON.stringify(l.record)} [${l.window.start},${l.window.end})`);
      },
      deadLetter: (d) => {
        this.dead.push(d);
      },
    };
    op.open?.({ uid: '1-window', now: () => this.clock, sourcePartitions: () => [0], metrics: this.metrics });
  }

  private readonly keyed: boolean;

  /** Sends one batch; a record's value defaults to its time. */
  add(...records: Rec[]): this {
    const values = records.map((r) => (r.length > 2 ? r[2] : r[1]));
    const times = records.map((r) => r[1]);
    const positions = records.map(() => this.position++);
    const batch = this.keyed
      ? { values, times, keys: records.map((r) => r[0]), positions, partition: 0 }
      : { values, times, positions, partition: 0 };
    this.op.processBatch(batch, this.out);
    return this;
  }

  watermark(w: number): this {
    this.op.processWatermark!(w, this.out);
    return this;
  }

  tick(now: number): this {
    this.clock = now;
    this.op.onTick!(now, this.out);
    return this;
  }

  /** Results as compact rows `key start end value index timing [R]`, in emission order. */
  rows(): string[] {
    return this.results.map(row);
  }
}

/** A compact, readable rendering of one result (the key as its text, `encodeKey`). */
export function row(r: WindowResult): string {
  return `${encodeKey(r.key)} [${r.window.start},${r.window.end}) ${JSON.stringify(r.value)} #${r.pane.index} ${r.pane.timing}${r.retraction ? ' R' : ''}`;
}

/** A StateWriter that applies puts and deletes to a Map, as a checkpoint store would. */
export class MapStateWriter implements StateWriter {
  readonly store = new Map<string, unknown>();
  puts = 0;
  deletes = 0;

  put(key: string, value: unknown): void {
    this.puts++;
    this.store.set(key, structuredClone(value));
  }

  delete(key: string): void {
    this.deletes++;
    this.store.delete(key);
  }

  /** Applies a full snapshot: older entries are dropped. */
  reset(): void {
    this.store.clear();
  }

  entries(): Array<[string, unknown]> {
    return [...this.store.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([k, v]) => [k, structuredClone(v)]);
  }
}
