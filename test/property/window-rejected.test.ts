import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../src/core/dead-letter.js';
import type { Operator, Output } from '../../src/core/operator.js';
import type { LateRecord, WindowResult } from '../../src/core/window.js';
import { batchSizes, keyedEvents, splitBatches, type KeyedEvent } from '../../src/testing/index.js';
import { combineAggregators, count, sum } from '../../src/windowing/aggregators/index.js';
import { global } from '../../src/windowing/global.js';
import { hopping } from '../../src/windowing/hopping.js';
import { session } from '../../src/windowing/session.js';
import { sliding } from '../../src/windowing/sliding.js';
import { afterCount, onWatermark } from '../../src/windowing/triggers.js';
import { tumbling } from '../../src/windowing/tumbling.js';
import type { Aggregator, WindowAssigner, WindowOptions } from '../../src/windowing/types.js';
import { windowOperator } from '../../src/windowing/window-operator.js';
import { seqs } from './window-driver.js';

const KINDS: Array<[string, () => WindowAssigner, WindowOptions]> = [
  ['tumbling', () => tumbling(50), {}],
  ['hopping', () => hopping(60, 25), {}],
  ['sliding', () => sliding(40), {}],
  ['session', () => session(15), {}],
  ['global', () => global(), { trigger: afterCount(3) }],
];

/** A value the aggregators below refuse: every event whose seq is a multiple of 4. */
const isBad = (e: KeyedEvent) => e.seq % 4 === 0;
const valueOf = (e: KeyedEvent) => {
  if (isBad(e)) throw new RangeError(`event ${e.seq} is malformed`);
  return e.value;
};
const AGGREGATORS: Array<[string, () => Aggregator<KeyedEvent>]> = [
  ['sum', () => sum(valueOf)],
  // A custom part first, then built-in parts whose selector throws.
  ['{ seqs, n, total }', () => combineAggregators({ seqs, n: count<KeyedEvent>(), total: sum(valueOf) })],
];

function collector() {
  const got = { results: [] as string[], late: [] as string[], dead: [] as DeadLetter[] };
  const out: Output<WindowResult> = {
    emit: (b) => got.results.push(...b.values.map((r) => `${r.id} ${JSON.stringify(r.value)} ${r.pane.timing}${r.retraction ? ' R' : ''}`)),
    watermark: () => undefined,
    late: (l: LateRecord) => got.late.push(`${(l.record as KeyedEvent).seq} ${l.window.start} ${l.window.end} ${l.watermark}`),
    deadLetter: (d) => got.dead.push(d),
  };
  return { got, out };
}

function feed(op: Operator<unknown, WindowResult>, out: Output<WindowResult>, batch: KeyedEvent[]): void {
  op.processBatch(
    { values: batch, times: batch.map((e) => e.time), keys: batch.map((e) => e.key), positions: batch.map((e) => e.seq), partition: 0 },
    out,
  );
}

describe("records the aggregator's add rejects", () => {
  it('change nothing: the output equals that of the same stream without them, and each is one dead letter or, when late, one late record', () => {
    const input = fc.record({
      delay: fc.integer({ min: 0, max: 20 }),
      lateness: fc.integer({ min: 0, max: 40 }),
      sample: keyedEvents({ keys: 3, timeRange: [0, 300], maxDisorder: 20, maxLength: 60, late: { fraction: 0.2, maxExtraDelay: 60 } }),
      sizes: batchSizes({ max: 8 }),
      kind: fc.integer({ min: 0, max: KINDS.length - 1 }),
      agg: fc.integer({ min: 0, max: AGGREGATORS.length - 1 }),
      early: fc.boolean(),
      mode: fc.constantFrom('accumulating' as const, 'discarding' as const, 'retracting' as const),
    });
    fc.assert(
      fc.property(input, (p) => {
        const [, assigner, base] = KINDS[p.kind];
        const options: WindowOptions = { allowedLateness: p.lateness, mode: p.mode, ...base };
        if (p.early && options.trigger === undefined) options.trigger = onWatermark({ early: afterCount(2) });
        const make = () => windowOperator({ assigner: assigner(), ...options }, AGGREGATORS[p.agg][1]());
        const withBad = make();
        const clean = make();
        const a = collector();
        const b = collector();
        let maxSeen = -Infinity;
        for (const batch of splitBatches(p.sample.arrival, p.sizes)) {
          feed(withBad, a.out, batch);
          feed(
            clean,
            b.out,
            batch.filter((e) => !isBad(e)),
          );
          for (const e of batch) maxSeen = Math.max(maxSeen, e.time);
          withBad.processWatermark!(maxSeen - p.delay - 1, a.out);
          clean.processWatermark!(maxSeen - p.delay - 1, b.out);
        }
        withBad.processWatermark!(Infinity, a.out);
        clean.processWatermark!(Infinity, b.out);
        expect(a.got.results).toEqual(b.got.results);
        expect(b.got.dead).toEqual([]);
        // A late record never reaches the aggregator, so a bad one that is late for all its
        // windows is reported late like any other; every other bad record is one dead letter.
        const seqOf = (line: string) => Number(line.split(' ')[0]);
        expect(a.got.late.filter((l) => !isBad({ seq: seqOf(l) } as KeyedEvent))).toEqual(b.got.late);
        const lateBad = new Set(a.got.late.map(seqOf).filter((seq) => isBad({ seq } as KeyedEvent)));
        const dead = a.got.dead.map((d) => (d.raw as KeyedEvent).seq);
        expect(dead.filter((seq) => lateBad.has(seq))).toEqual([]);
        expect(
          p.sample.arrival
            .filter(isBad)
            .map((e) => e.seq)
            .filter((seq) => !lateBad.has(seq)),
        ).toEqual(dead);
      }),
      { numRuns: 300 },
    );
  });
});
