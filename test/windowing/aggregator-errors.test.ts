import { describe, expect, it } from 'vitest';
import { StreamkitError } from '../../src/core/errors.js';
import { avg, collect, combineAggregators, count, reduce, sum } from '../../src/windowing/aggregators/index.js';
import { global } from '../../src/windowing/global.js';
import { hopping } from '../../src/windowing/hopping.js';
import { session } from '../../src/windowing/session.js';
import { sliding } from '../../src/windowing/sliding.js';
import { afterCount, onWatermark } from '../../src/windowing/triggers.js';
import { tumbling } from '../../src/windowing/tumbling.js';
import type { Aggregator, WindowAssigner, WindowOptions } from '../../src/windowing/types.js';
import { windowOperator } from '../../src/windowing/window-operator.js';
import { Harness, MapStateWriter, type Rec } from './operator-harness.js';
import { boundedOutOfOrderness, from, fromArray, toArray } from '../../src/index.js';
import type { DeadLetter } from '../../src/core/dead-letter.js';
import { METRICS } from '../../src/core/metric-catalogue.js';

/** A record value: `bad` ones make the selectors below throw. */
interface Reading {
  v: number;
  bad?: true;
}

const value = (r: Reading): number => {
  if (r.bad) throw new TypeError(`reading ${r.v} has no value`);
  return r.v;
};
const ok = (key: string, t: number, v = t): Rec => [key, t, { v }];
const bad = (key: string, t: number): Rec => [key, t, { v: t, bad: true }];

function harness(assigner: WindowAssigner, agg: Aggregator, options: WindowOptions = {}): Harness {
  return new Harness(windowOperator({ assigner, ...options }, agg));
}

/** Runs `records` and returns the rows, with and without the bad records. */
function compare(assigner: () => WindowAssigner, agg: () => Aggregator, records: Rec[], options: WindowOptions = {}) {
  const withBad = harness(assigner(), agg(), options);
  for (const r of records) withBad.add(r);
  withBad.watermark(Infinity);
  const clean = harness(assigner(), agg(), options);
  for (const r of records) if (!(r[2] as Reading).bad) clean.add(r);
  clean.watermark(Infinity);
  return { withBad, clean };
}

describe("an aggregator's add that throws on a record", () => {
  const layouts: Array<[string, () => WindowAssigner, WindowOptions]> = [
    ['tumbling', () => tumbling(10), {}],
    ['hopping', () => hopping(10, 5), {}],
    ['session', () => session(5), { allowedLateness: 100 }],
    ['sliding', () => sliding(10), { allowedLateness: 100 }],
    ['global', () => global(), { trigger: afterCount(3) }],
  ];
  // Bad records in every position: the first of a window, one that would extend or bridge
  // sessions, one at a new sliding timestamp and one at a stored one.
  const records: Rec[] = [
    bad('a', 0),
    ok('a', 1),
    ok('a', 3),
    bad('a', 6),
    bad('a', 3),
    ok('a', 12),
    bad('a', 9),
    ok('a', 14),
    ok('b', 2),
    bad('b', 2),
  ];

  for (const [name, assigner, options] of layouts) {
    for (const [agg, make] of [
      ['sum', () => sum(value)],
      [
        '{ n: count(), total: sum }',
        () => combineAggregators({ n: count<Reading>(), total: sum(value), mean: avg(value), all: collect(value) }),
      ],
    ] as const) {
      it(`${name}, ${agg}: sends the record to the dead letters and leaves its windows as if it never came`, () => {
        const { withBad, clean } = compare(assigner, make as () => Aggregator, records, options);
        expect(withBad.rows()).toEqual(clean.rows());
        expect(withBad.late).toEqual(clean.late);
        expect(withBad.dead.map((d) => [d.raw, d.position])).toEqual(
          records.flatMap((r, i) => ((r[2] as Reading).bad ? [[r[2], { partition: 0, offset: i }]] : [])),
        );
        for (const d of withBad.dead) {
          expect(d.operator).toBe('1-window');
          expect(d.reason).toMatch(/^1-window: the aggregator's add threw TypeError: reading \d+ has no value$/);
        }
      });
    }
  }

  it('keeps a combination of aggregators whole: the parts before the one that threw are unchanged', () => {
    // Custom parts (not split into pick and put): the second would throw after the first added.
    const tally: Aggregator<Reading, number, number> = { create: () => 0, add: (a) => a + 1, merge: (a, b) => a + b, result: (a) => a };
    const list: Aggregator<Reading, number[], number[]> = {
      create: () => [],
      add: (acc, r) => (acc.push(value(r)), acc),
      merge: (a, b) => a.concat(b),
      result: (acc) => acc.slice(),
    };
    const h = harness(tumbling(10), combineAggregators({ tally, list, n: count<Reading>() }));
    h.add(ok('a', 1), bad('a', 2), ok('a', 3)).watermark(Infinity);
    expect(h.rows()).toEqual(['"a" [0,10) {"tally":2,"list":[1,3],"n":2} #0 on-time']);
    expect(h.dead).toHaveLength(1);
  });

  it('reduce: a function that throws on a pair dead-letters the record that brought it', () => {
    const h = harness(
      tumbling(10),
      reduce((a: number, b: number) => {
        if (b < 0) throw new RangeError('negative reading');
        return a + b;
      }),
    );
    h.add(['a', 1, 5], ['a', 2, -1], ['a', 3, 7]).watermark(Infinity);
    expect(h.rows()).toEqual(['"a" [0,10) 12 #0 on-time']);
    expect(h.dead.map((d) => d.raw)).toEqual([-1]);
    expect(h.dead[0].reason).toMatch(/RangeError: negative reading/);
  });

  it('a hopping record rejected by the aggregator is not also sent to the late output of its expired windows', () => {
    const h = harness(hopping(10, 5), sum(value));
    h.add(ok('a', 3)).watermark(14);
    h.add(bad('a', 12)).watermark(Infinity);
    expect(h.late).toEqual([]);
    expect(h.dead).toHaveLength(1);
    expect(h.rows()).toEqual(['"a" [-5,5) 3 #0 on-time', '"a" [0,10) 3 #0 on-time']);
  });

  it('a session the rejected record would have bridged stays two sessions, and nothing is retracted', () => {
    const h = harness(session(5), sum(value), { allowedLateness: 100, mode: 'retracting' });
    h.add(ok('a', 0), ok('a', 10)).watermark(20);
    h.add(bad('a', 5)).watermark(Infinity);
    expect(h.rows()).toEqual(['"a" [0,5) 0 #0 on-time', '"a" [10,15) 10 #0 on-time']);
  });

  it('leaves nothing of a rejected record in a checkpoint', () => {
    const h = harness(sliding(10), sum(value));
    const before = new MapStateWriter();
    h.op.snapshotState!(before, true);
    h.add(bad('a', 5));
    h.op.snapshotState!(before, false);
    expect([...before.store.keys()]).toEqual(['w2/m']);
    expect(h.metrics.get(METRICS.windowStateWindows, { operator: '1-window' })).toBe(0);
  });

  it('in a pipeline: the job goes on and the record reaches the dead-letter sink', async () => {
    const out = toArray<{ value: { total: number } }>();
    const dead = toArray<DeadLetter>();
    const summary = await from(
      fromArray([
        { at: 1, v: 2 },
        { at: 2, v: 3, bad: true as const },
        { at: 3, v: 4 },
      ]),
    )
      .withTimestamps((r) => r.at, boundedOutOfOrderness(0))
      .window(tumbling(10))
      .aggregate({ total: sum(value) })
      .deadLetters(dead)
      .to(out)
      .run();
    expect(out.items.map((r) => r.value)).toEqual([{ total: 6 }]);
    expect(dead.items.map((d) => [d.raw, d.position])).toEqual([
      [
        { at: 2, v: 3, bad: true },
        { partition: 0, offset: 1 },
      ],
    ]);
    expect(summary.deadLetters).toBe(1);
  });
});

describe('an aggregator whose merge, result or create throws', () => {
  const failing = (fn: 'merge' | 'result' | 'create'): Aggregator<number, number, number> => ({
    create: () => {
      if (fn === 'create') throw new Error('no accumulator');
      return 0;
    },
    add: (a, x) => a + x,
    merge: (a, b) => {
      if (fn === 'merge') throw new Error('cannot merge');
      return a + b;
    },
    result: (a) => {
      if (fn === 'result') throw new Error('no result');
      return a;
    },
  });

  it('fails the job with an error naming the operator and the function', () => {
    const merging = harness(session(5), failing('merge'));
    merging.add(['a', 0], ['a', 10]);
    expect(() => merging.add(['a', 5])).toThrow(StreamkitError);
    expect(() => merging.add(['a', 5])).toThrow(/^1-window: the aggregator's merge failed: Error: cannot merge$/);
    const result = harness(tumbling(10), failing('result'));
    result.add(['a', 1]);
    expect(() => result.watermark(Infinity)).toThrow(/^1-window: the aggregator's result failed: Error: no result$/);
    const create = harness(tumbling(10), failing('create'));
    let error: unknown;
    try {
      create.add(['a', 1]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StreamkitError);
    expect((error as StreamkitError).code).toBe('USER_FUNCTION_FAILED');
    expect((error as Error).message).toBe("1-window: the aggregator's create failed: Error: no accumulator");
  });

  it('an early pane computed while records are added fails the same way, not as a dead letter', () => {
    const h = harness(tumbling(10), failing('result'), { trigger: onWatermark({ early: afterCount(1) }) });
    expect(() => h.add(['a', 1])).toThrow(/the aggregator's result failed/);
    expect(h.dead).toEqual([]);
  });
});
