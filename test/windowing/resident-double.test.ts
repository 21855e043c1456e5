import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/core/metrics.js';
import type { Operator, Output, StateWriter } from '../../src/core/operator.js';
import type { ResidentState } from '../../src/core/resident-state.js';
import type { LateRecord, WindowResult } from '../../src/core/window.js';
import { batchSizes, keyedEvents, splitBatches, type KeyedEvent } from '../../src/testing/index.js';
import { session } from '../../src/windowing/session.js';
import { afterCount, onWatermark } from '../../src/windowing/triggers.js';
import type { Trigger } from '../../src/windowing/types.js';
import { windowOperator } from '../../src/windowing/window-operator.js';
import { seqs } from '../property/window-driver.js';

/** In-memory ResidentState double: every read is a copy, as after an eviction. */
class Double implements ResidentState {
  live = new Map<string, unknown>();
  dirty = new Set<string>();
  constructor(readonly committed = new Map<string, unknown>()) {
    for (const [k, v] of committed) this.live.set(k, structuredClone(v));
  }
  get(key: string): unknown {
    const v = this.live.get(key);
    return v === undefined ? undefined : structuredClone(v);
  }
  put(key: string, value: unknown): void {
    this.live.set(key, structuredClone(value));
    this.dirty.add(key);
  }
  delete(key: string): void {
    this.live.delete(key);
    this.dirty.add(key);
  }
  deletePrefix(): void {
    throw new Error('unused');
  }
  snapshot(writer: StateWriter): void {
    for (const k of this.dirty) {
      if (this.live.has(k)) {
        writer.put(k, this.live.get(k));
        this.committed.set(k, structuredClone(this.live.get(k)));
      } else {
        writer.delete(k);
        this.committed.delete(k);
      }
    }
    this.dirty.clear();
  }
  async *keys(prefix: string): AsyncIterable<string> {
    for (const k of [...this.live.keys()].sort()) if (k.startsWith(prefix)) yield k;
  }
}

type Step = { batch: KeyedEvent[] } | { watermark: number };
const TRIGGERS: Trigger[] = [
  onWatermark(),
  onWatermark({ early: afterCount(2) }),
  onWatermark({ early: afterCount(3), late: afterCount(2) }),
  afterCount(2),
];

function open(op: Operator<unknown, WindowResult>, store?: ResidentState) {
  op.open!({ uid: 'w', now: () => 0, sourcePartitions: () => [0], metrics: new Metrics(), residentState: store ? () => store : undefined });
}

function play(op: Operator<unknown, WindowResult>, steps: Step[], sink: string[], from = 0, to = steps.length) {
  const out: Output<WindowResult> = {
    emit: (b) => {
      for (const r of b.values) sink.push(`${r.id} ${JSON.stringify(r.value)} ${r.pane.timing} ${r.pane.index} ${r.retraction ?? false}`);
    },
    watermark: () => {},
    late: (l: LateRecord) => sink.push(`late ${(l.record as KeyedEvent).seq} ${l.window.start} ${l.window.end} ${l.watermark}`),
    deadLetter: () => {
      throw new Error('dead letter');
    },
  };
  for (let i = from; i < to; i++) {
    const s = steps[i];
    if ('batch' in s)
      op.processBatch(
        {
          values: s.batch,
          times: s.batch.map((e) => e.time),
          keys: s.batch.map((e) => e.key),
          positions: s.batch.map((e) => e.seq),
          partition: 0,
        },
        out,
      );
    else op.processWatermark!(s.watermark, out);
  }
}

const input = fc.record({
  delay: fc.integer({ min: 0, max: 20 }),
  lateness: fc.integer({ min: 0, max: 40 }),
  gap: fc.integer({ min: 1, max: 30 }),
  sample: keyedEvents({
    keys: 4,
    timeRange: [0, 400],
    maxDisorder: 20,
    minLength: 5,
    maxLength: 60,
    late: { fraction: 0.2, maxExtraDelay: 60 },
  }),
  sizes: batchSizes({ max: 8 }),
  trigger: fc.integer({ min: 0, max: TRIGGERS.length - 1 }),
  mode: fc.constantFrom('accumulating' as const, 'discarding' as const, 'retracting' as const),
  cut: fc.nat(),
});

describe('resident sessions (double)', () => {
  it('equal the heap path, also across a snapshot and restore', () => {
    fc.assert(
      fc.property(input, (p) => {
        const steps: Step[] = [];
        let maxSeen = -Infinity;
        for (const batch of splitBatches(p.sample.arrival, p.sizes)) {
          steps.push({ batch });
          for (const e of batch) maxSeen = Math.max(maxSeen, e.time);
          steps.push({ watermark: maxSeen - p.delay - 1 });
        }
        steps.push({ watermark: Infinity });
        const make = () =>
          windowOperator({ assigner: session(p.gap), trigger: TRIGGERS[p.trigger], allowedLateness: p.lateness, mode: p.mode }, seqs);
        const heap = make();
        open(heap);
        const expected: string[] = [];
        play(heap, steps, expected);
        const store = new Double();
        const resident = make();
        open(resident, store);
        const got: string[] = [];
        play(resident, steps, got);
        expect(got).toEqual(expected);

        const cut = p.cut % steps.length;
        const first = make();
        const s1 = new Double();
        open(first, s1);
        const split: string[] = [];
        play(first, steps, split, 0, cut);
        first.snapshotState!({ put: () => {}, delete: () => {} }, true);
        const second = make();
        open(second, new Double(s1.committed));
        second.restoreState!([]);
        play(second, steps, split, cut);
        expect(split).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});
