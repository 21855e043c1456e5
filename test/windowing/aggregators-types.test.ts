import { describe, expect, expectTypeOf, it } from 'vitest';
import { from, fromArray, tumbling } from '../../src/index.js';
import type { Aggregator, Stream, WindowResult } from '../../src/index.js';
import { avg, collect, combineAggregators, count, max, min, reduce, sum } from '../../src/windowing/index.js';

type Trip = { zone: string; fare: number; at: number };

// Checked by `tsc --noEmit -p .`: result types follow from the aggregators, records from the stream.
describe('aggregator types', () => {
  it('infer results from selectors', () => {
    expectTypeOf(count()).toMatchTypeOf<Aggregator<unknown, number, number>>();
    expectTypeOf(sum((t: Trip) => t.fare).result).returns.toEqualTypeOf<number>();
    expectTypeOf(avg((t: Trip) => t.fare).result).returns.toEqualTypeOf<number | null>();
    expectTypeOf(max((t: Trip) => t.zone).result).returns.toEqualTypeOf<string | null>();
    expectTypeOf(min((t: Trip) => t.fare).result).returns.toEqualTypeOf<number | null>();
    expectTypeOf(collect((t: Trip) => t.zone).result).returns.toEqualTypeOf<string[]>();
    expectTypeOf(reduce((a: number, b: number) => a + b, 0).result).returns.toEqualTypeOf<number | null>();
    const combined = combineAggregators({ n: count<Trip>(), revenue: sum((t: Trip) => t.fare) });
    expectTypeOf(combined.result).returns.toEqualTypeOf<{ n: number; revenue: number }>();
    // @ts-expect-error the selector must return a number
    sum((t: Trip) => t.zone);
    expect(combined.result(combined.create())).toEqual({ n: 0, revenue: 0 });
  });

  it('take the record type from the stream inside .aggregate({ … })', () => {
    const results = from(fromArray<Trip>([]))
      .withTimestamps((t) => t.at)
      .keyBy((t) => t.zone)
      .window(tumbling('5m'))
      .aggregate({ trips: count(), revenue: sum((t) => t.fare), top: max((t) => t.fare), zones: collect((t) => t.zone) });
    expectTypeOf(results).toEqualTypeOf<
      Stream<WindowResult<string, { trips: number; revenue: number; top: number | null; zones: string[] }>, null>
    >();
    expect(results).toBeDefined();
  });
});
