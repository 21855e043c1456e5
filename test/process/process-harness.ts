import type { DeadLetter } from '../../src/core/dead-letter.js';
import { Metrics } from '../../src/core/metrics.js';
import type { Output } from '../../src/core/operator.js';
import { KeyedProcessOperator, type ProcessOptions, type ProcessSpec, type StateDescriptors } from '../../src/process/index.js';
import { MapStateWriter } from '../windowing/operator-harness.js';

/** One input record: key, event time, value (default: the time). */
export type Rec = readonly [key: unknown, time: number, value?: unknown];

/**
 * Drives a keyed process operator as the runtime does (batches, watermarks, ticks on a virtual
 * clock) and records what it outputs: `events` in order, `E <time> <value>` per emitted record,
 * `W <w>` per forwarded watermark, `D <reason>` per dead letter.
 */
export class ProcessHarness<U = unknown> {
  readonly emitted: Array<{ value: U; time: number; position: number }> = [];
  readonly dead: DeadLetter[] = [];
  readonly events: string[] = [];
  readonly metrics = new Metrics();
  readonly op: KeyedProcessOperator<unknown, U>;
  clock = 0;
  private position = 0;
  readonly out: Output<U>;

  constructor(spec: ProcessSpec<any, any, StateDescriptors, U>, options?: ProcessOptions, uid = '1-process') {
    this.op = new KeyedProcessOperator<unknown, U>(spec, options);
    this.out = {
      emit: (b) => {
        if (b.keys !== undefined) throw new Error('a process operator emits unkeyed records');
        for (let i = 0; i < b.values.length; i++) {
          this.emitted.push({ value: b.values[i], time: b.times![i], position: b.positions[i] });
          this.events.push(`E ${b.times![i]} ${JSON.stringify(b.values[i])}`);
        }
      },
      watermark: (w) => this.events.push(`W ${w}`),
      late: () => {
        throw new Error('a process operator has no late output');
      },
      deadLetter: (d) => {
        this.dead.push(d);
        this.events.push(`D ${d.reason}`);
      },
    };
    this.op.open({ uid, now: () => this.clock, sourcePartitions: () => [0], metrics: this.metrics });
  }

  /** Sends one batch. */
  add(...records: Rec[]): this {
    const values = records.map((r) => (r.length > 2 ? r[2] : r[1]));
    this.op.processBatch(
      {
        values,
        times: records.map((r) => r[1]),
        keys: records.map((r) => r[0]),
        positions: records.map(() => this.position++),
        partition: 0,
      },
      this.out,
    );
    return this;
  }

  watermark(w: number): this {
    this.op.processWatermark(w, this.out);
    return this;
  }

  tick(now: number): this {
    this.clock = now;
    this.op.onTick(now, this.out);
    return this;
  }

  /** Emitted values, in order. */
  values(): U[] {
    return this.emitted.map((e) => e.value);
  }

  /** A full snapshot into a new store. */
  snapshot(store = new MapStateWriter(), full = true): MapStateWriter {
    this.op.snapshotState(store, full);
    return store;
  }
}
