import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../../src/core/batch.js';
import type { Operator, Output, StateWriter } from '../../src/core/operator.js';
import type { LateRecord, WindowResult } from '../../src/core/window.js';
import { batchSizes, keyedEvents, splitBatches, type KeyedEvent } from '../../src/testing/index.js';
import { global } from '../../src/windowing/global.js';
import { hopping } from '../../src/windowing/hopping.js';
import { session } from '../../src/windowing/session.js';
import { sliding } from '../../src/windowing/sliding.js';
import { afterCount, onWatermark } from '../../src/windowing/triggers.js';
import { tumbling } from '../../src/windowing/tumbling.js';
import type { Trigger, WindowAssigner } from '../../src/windowing/types.js';
import { windowOperator } from '../../src/windowing/window-operator.js';
import { seqs } from './window-driver.js';

type Step = { batch: KeyedEvent[] } | { watermark: number };

const ASSIGNERS: Array<() => WindowAssigner> = [
  () => tumbling(50),
  () => hopping(60, 25),
  () => sliding(40),
  () => session(15),
  () => global(),
];
const TRIGGERS: Trigger[] = [
  onWatermark(),
  onWatermark({ early: afterCount(2) }),
  onWatermark({ early: afterCount(3), late: afterCount(2) }),
  afterCount(2),
];

/** A checkpoint store: full snapshots replace it, incremental ones apply puts and deletes. */
class Store implements StateWriter {
  readonly map = new Map<string, unknown>();
  put(key: string, value: unknown): void {
    this.map.set(key, structuredClone(value));
  }
  delete(key: string): void {
    this.map.delete(key);
  }
  entries(): Array<[string, unknown]> {
    return [...this.map].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, structuredClone(v)]);
  }
}

function play(
  op: Operator<unknown, WindowResult>,
  steps: Step[],
  sink: { results: string[]; late: string[] },
  after?: (i: number) => void,
  from = 0,
): void {
  const out: Output<WindowResult> = {
    emit: (b) => {
      for (const r of b.values) sink.results.push(`${r.id} ${JSON.stringify(r.value)} ${r.pane.timing}`);
    },
    watermark: () => {},
    late: (l: LateRecord) => {
      sink.late.push(`${(l.record as KeyedEvent).seq} ${l.window.start} ${l.window.end} ${l.watermark}`);
    },
    deadLetter: () => {
      throw new Error('unexpected dead letter');
    },
  };
  for (let i = from; i < steps.length; i++) {
    const s = steps[i];
    if ('batch' in s) {
      const b: Batch<unknown> = {
        values: s.batch,
        times: s.batch.map((e) => e.time),
        keys: s.batch.map((e) => e.key),
        positions: s.batch.map((e) => e.seq),
        partition: 0,
      };
      op.processBatch(b, out);
    } else op.processWatermark!(s.watermark, out);
    after?.(i);
  }
}

/** A generated stream, the operator's configuration, and when to snapshot. */
const restoreInput = fc.record({
  delay: fc.integer({ min: 0, max: 20 }),
  lateness: fc.integer({ min: 0, max: 40 }),
  sample: keyedEvents({
    keys: 3,
    timeRange: [0, 400],
    maxDisorder: 20,
    minLength: 10,
    maxLength: 50,
    late: { fraction: 0.2, maxExtraDelay: 60 },
  }),
  sizes: batchSizes({ max: 8 }),
  assigner: fc.integer({ min: 0, max: ASSIGNERS.length - 1 }),
  trigger: fc.integer({ min: 0, max: TRIGGERS.length - 1 }),
  mode: fc.constantFrom('accumulating' as const, 'discarding' as const, 'retracting' as const),
  snapshotEvery: fc.integer({ min: 1, max: 4 }),
  cut: fc.nat(),
});
type RestoreInput = typeof restoreInput extends fc.Arbitrary<infer I> ? I : never;

/** The batches of the input, each followed by the watermark `boundedOutOfOrderness(delay)` sets, then +Infinity. */
function stepsOf(p: RestoreInput): Step[] {
  const steps: Step[] = [];
  let maxSeen = -Infinity;
  for (const batch of splitBatches(p.sample.arrival, p.sizes)) {
    steps.push({ batch });
    for (const e of batch) maxSeen = Math.max(maxSeen, e.time);
    steps.push({ watermark: maxSeen - p.delay - 1 });
  }
  steps.push({ watermark: Infinity });
  return steps;
}

/** global() fires only on a count (or processing time, which a restore does not replay). */
function triggerOf(p: RestoreInput, assigner: WindowAssigner): Trigger {
  return assigner.kind === 'global' ? afterCount(3) : TRIGGERS[p.trigger];
}

describe('snapshot and restore at any point', () => {
  it('gives the same remaining output as an uninterrupted run, for every kind, trigger and mode', () => {
    fc.assert(
      fc.property(restoreInput, (p) => {
        const steps = stepsOf(p);
        const assigner = ASSIGNERS[p.assigner]();
        const trigger = triggerOf(p, assigner);
        const make = () => windowOperator({ assigner: ASSIGNERS[p.assigner](), trigger, allowedLateness: p.lateness, mode: p.mode }, seqs);

        const whole = { results: [] as string[], late: [] as string[] };
        play(make(), steps, whole);

        const cut = 1 + (p.cut % steps.length);
        const first = make();
        const store = new Store();
        const split = { results: [] as string[], late: [] as string[] };
        let snapshots = 0;
        let kept = { results: 0, late: 0, next: 0 };
        play(first, steps.slice(0, cut), split, (i) => {
          if ((i + 1) % p.snapshotEvery === 0 || i === cut - 1) {
            const full = snapshots === 0;
            if (full) store.map.clear();
            first.snapshotState!(store, full);
            snapshots++;
            kept = { results: split.results.length, late: split.late.length, next: i + 1 };
          }
        });
        // As after a crash: output after the last snapshot is lost and its input replayed.
        const second = make();
        second.restoreState!(store.entries());
        const replayed = { results: [] as string[], late: [] as string[] };
        play(second, steps, replayed, undefined, kept.next);
        expect([...split.results.slice(0, kept.results), ...replayed.results].sort()).toEqual([...whole.results].sort());
        expect([...split.late.slice(0, kept.late), ...replayed.late]).toEqual(whole.late);
      }),
      { numRuns: 300 },
    );
  });
});

describe('incremental snapshots', () => {
  it('applied in order, equal a full snapshot of the live state at every checkpoint (every kind, trigger and mode)', () => {
    fc.assert(
      fc.property(restoreInput, (p) => {
        const steps = stepsOf(p);
        const assigner = ASSIGNERS[p.assigner]();
        const trigger = triggerOf(p, assigner);
        const op = windowOperator({ assigner, trigger, allowedLateness: p.lateness, mode: p.mode }, seqs);
        const store = new Store();
        let first = true;
        play(op, steps, { results: [], late: [] }, (i) => {
          if ((i + 1) % p.snapshotEvery !== 0) return;
          op.snapshotState!(store, first);
          first = false;
          // A full snapshot now writes exactly what the store holds (and changes nothing to track).
          const full = new Store();
          op.snapshotState!(full, true);
          expect(store.entries()).toEqual(full.entries());
        });
      }),
      { numRuns: 200 },
    );
  });
});
