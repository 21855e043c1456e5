import { describe, expect, expectTypeOf, it } from 'vitest';
import { count, from, fromArray, sum, toArray, tumbling } from '../../src/index.js';

describe('aggregate() types', () => {
  it('types selectors of a lone aggregator and of named aggregators from the stream', async () => {
    const windowed = from(
      fromArray([
        { fare: 2, at: 0 },
        { fare: 3, at: 1 },
      ]),
    )
      .withTimestamps((t) => t.at)
      .window(tumbling('1m'));
    const lone = windowed.aggregate(sum((t) => t.fare));
    const named = windowed.aggregate({ revenue: sum((t) => t.fare), trips: count() });
    const out = toArray();
    await named
      .map((r) => {
        expectTypeOf(r.value.revenue).toEqualTypeOf<number>();
        expectTypeOf(r.value.trips).toEqualTypeOf<number>();
        return r.value.revenue / r.value.trips;
      })
      .to(out)
      .run();
    expect(out.items).toEqual([2.5]);
    const total = toArray<number>();
    await lone
      .map((r) => r.value)
      .to(total)
      .run();
    expect(total.items).toEqual([5]);
  });
});
