/**
 * Results are typed end to end: from the README's example to the values a user reads, with no
 * `any` on the way. The `expectTypeOf` lines are checked by `npm run typecheck`; the `expect` lines
 * check at run time that the typed values are the real ones.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  boundedOutOfOrderness,
  count,
  from,
  fromArray,
  max,
  sum,
  toArray,
  tumbling,
  type ArraySink,
  type Collected,
  type LateRecord,
  type RunSummary,
  type WindowResult,
} from '../../src/index.js';

interface Trip {
  zone: number;
  pickupAt: number;
  total: number;
}
const trips: Trip[] = [
  { zone: 161, pickupAt: Date.UTC(2024, 0, 1, 0, 1), total: 22.7 },
  { zone: 161, pickupAt: Date.UTC(2024, 0, 1, 0, 3), total: 14.1 },
  { zone: 132, pickupAt: Date.UTC(2024, 0, 1, 0, 2), total: 80.9 },
];
const FIVE_MINUTES = 300_000;

describe('typed results', () => {
  it("the README's example: collect() resolves with results typed from the stream", async () => {
    const collected = await from(fromArray(trips))
      .withTimestamps((t) => t.pickupAt, boundedOutOfOrderness('30s'))
      .keyBy((t) => t.zone)
      .window(tumbling('5m'), { allowedLateness: '10m' })
      .aggregate({ trips: count(), revenue: sum((t: Trip) => t.total) })
      .collect();
    expectTypeOf(collected).toEqualTypeOf<Collected<WindowResult<number, { trips: number; revenue: number }>>>();
    expectTypeOf(collected.items[0].value.revenue).toEqualTypeOf<number>();
    expectTypeOf(collected.items[0].key).toEqualTypeOf<number>();
    expectTypeOf(collected.summary).toEqualTypeOf<RunSummary>();

    const start = Date.UTC(2024, 0, 1);
    expect(collected.items.map(({ key, window, value, pane }) => ({ key, window, value, pane }))).toEqual([
      { key: 161, window: { start, end: start + FIVE_MINUTES }, value: { trips: 2, revenue: 36.8 }, pane: { index: 0, timing: 'on-time' } },
      { key: 132, window: { start, end: start + FIVE_MINUTES }, value: { trips: 1, revenue: 80.9 }, pane: { index: 0, timing: 'on-time' } },
    ]);
    expect(collected.summary).toMatchObject({ records: 3, results: 2, late: 0, deadLetters: 0 });
  });

  it('collect() types a lone aggregator, a stream without keyBy and a mapped stream', async () => {
    const windowed = from(fromArray(trips))
      .withTimestamps((t) => t.pickupAt)
      .window(tumbling('1h'));
    const highest = await windowed.aggregate(max((t: Trip) => t.total)).collect();
    expectTypeOf(highest.items).toEqualTypeOf<WindowResult<null, number | null>[]>();
    expect(highest.items.map((r) => [r.key, r.value])).toEqual([[null, 80.9]]);

    const zones = await from(fromArray(trips))
      .map((t) => `zone ${t.zone}`)
      .collect();
    expectTypeOf(zones.items).toEqualTypeOf<string[]>();
    expect(zones.items).toEqual(['zone 161', 'zone 161', 'zone 132']);
  });

  it('collect() keeps the stream’s own sinks, late and dead-letter outputs', async () => {
    const mirror = toArray<WindowResult<null, number>>();
    const late = toArray<LateRecord<Trip>>();
    const { items } = await from(fromArray([...trips, { zone: 1, pickupAt: 0, total: 1 }], { batchSize: 1 }))
      .withTimestamps((t) => t.pickupAt)
      .window(tumbling('1h'))
      .aggregate(count())
      .late(late)
      .to(mirror)
      .collect();
    expect(items).toHaveLength(1);
    expect(mirror.items).toEqual(items);
    expect(late.items.map((l) => l.record.zone)).toEqual([1]);
  });

  it('a sink made apart from its stream holds unknown unless given its type, never any', () => {
    expectTypeOf(toArray()).toEqualTypeOf<ArraySink<unknown>>();
    expectTypeOf(toArray<Trip>().items).toEqualTypeOf<Trip[]>();
    // @ts-expect-error: the items of an untyped sink must be narrowed before use
    expect(() => toArray().items[0].value).toThrow(TypeError);
  });
});
