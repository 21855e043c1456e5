/**
 * sum(selector, { scale }): decimals summed as integer units. Exact, so money totals print without
 * float noise and do not depend on order, batching or merges; values are rounded to the scale half
 * away from zero; what cannot be represented is a RangeError, never a wrong total.
 */
import fc from 'fast-check';
import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { boundedOutOfOrderness, from, fromArray, session, sum, tumbling } from '../../src/index.js';
import { MAX_DECIMAL_UNITS } from '../../src/windowing/aggregators/decimal-sum.js';
import type { Aggregator } from '../../src/windowing/index.js';

function fold<T, A, R>(agg: Aggregator<T, A, R>, values: readonly T[], start = agg.create()): A {
  let acc = start;
  for (const v of values) acc = agg.add(acc, v);
  return acc;
}

const cents = () => sum((x: number) => x, { scale: 2 });

/** The decimal text of an integer number of cents, as a person writes it: -4520 → '-45.2'. */
function centsText(total: bigint): string {
  const negative = total < 0n;
  const digits = (negative ? -total : total).toString().padStart(3, '0');
  const text = `${digits.slice(0, -2)}.${digits.slice(-2)}`.replace(/\.?0+$/, '');
  return `${negative && text !== '0' ? '-' : ''}${text}`;
}

/** Whole cents, as a money column holds them: the double nearest to n / 100. */
const money = fc.integer({ min: -10_000_000, max: 10_000_000 }).map((n) => n / 100);

describe('sum({ scale })', () => {
  it('prints money without float noise, where the exactly rounded float sum cannot', () => {
    // The exact sum of the doubles -44.19 and -1.01, rounded once, is the double next to -45.2.
    const float = sum((x: number) => x);
    expect(String(float.result(fold(float, [-44.19, -1.01])))).toBe('-45.199999999999996');
    expect(String(cents().result(fold(cents(), [-44.19, -1.01])))).toBe('-45.2');
    expect(String(float.result(fold(float, [0.1, 0.2])))).toBe('0.30000000000000004');
    expect(String(cents().result(fold(cents(), [0.1, 0.2])))).toBe('0.3');
    expect(cents().result(cents().create())).toBe(0);
    expect(Object.is(cents().result(fold(cents(), [0.25, -0.25])), 0)).toBe(true);
  });

  it('equals the decimal sum of the values, printed digit for digit, whatever the order, split and merge', () => {
    fc.assert(
      fc.property(fc.array(money, { maxLength: 60 }), fc.nat(), fc.nat(), (values, seed, cut) => {
        const expected = values.reduce((total, x) => total + BigInt(Math.round(x * 100)), 0n);
        const agg = cents();
        const whole = agg.result(fold(agg, values));
        expect(String(whole)).toBe(centsText(expected));
        // Another arrival order, split in two and merged (sessions, partial aggregates).
        const shuffled = [...values].sort((a, b) => ((a * 7919 + seed) % 13) - ((b * 7919 + seed) % 13));
        const at = values.length === 0 ? 0 : cut % (values.length + 1);
        const merged = agg.merge(fold(agg, shuffled.slice(0, at)), fold(agg, shuffled.slice(at)));
        expect(agg.result(merged)).toBe(whole);
        // Checkpointed mid-stream, then continued.
        expect(agg.result(fold(agg, shuffled.slice(at), deserialize(serialize(fold(agg, shuffled.slice(0, at))))))).toBe(whole);
      }),
    );
  });

  it('retracts exactly: adding then retracting values is the identity', () => {
    fc.assert(
      fc.property(fc.array(money), fc.array(money), (kept, removed) => {
        const agg = cents();
        let acc = fold(agg, [...kept, ...removed]);
        for (const x of removed) acc = agg.retract!(acc, x);
        expect(acc).toBe(fold(agg, kept));
      }),
    );
  });

  it('rounds each value to the scale, half away from zero, by its exact binary value', () => {
    const one = (x: number, scale = 2) => {
      const agg = sum((v: number) => v, { scale });
      return agg.result(agg.add(agg.create(), x));
    };
    expect(one(0.125)).toBe(0.13); // 0.125 is exact in binary: a true tie
    expect(one(-0.125)).toBe(-0.13);
    expect(one(1.005)).toBe(1); // the double 1.005 is 1.00499999999999989…
    expect(one(2.675)).toBe(2.67); // 2.67499999999999982…
    expect(one(0.30000000000000004)).toBe(0.3);
    expect(one(1e-9)).toBe(0);
    expect(Object.is(one(-1e-9), 0)).toBe(true);
    expect(one(2.5, 0)).toBe(3);
    expect(one(-2.5, 0)).toBe(-3);
    expect(one(0.1234567, 4)).toBe(0.1235);
    expect(one(123.456789012345, 12)).toBe(123.456789012345);
  });

  it('holds totals up to 15 digits exactly, and refuses to go beyond instead of rounding', () => {
    const agg = cents();
    const top = MAX_DECIMAL_UNITS / 100; // 9,999,999,999,999.99
    const full = fold(agg, [top]);
    expect(String(agg.result(full))).toBe('9999999999999.99');
    expect(String(agg.result(fold(agg, [-top])))).toBe('-9999999999999.99');
    expect(() => agg.add(full, 0.01)).toThrow(
      new RangeError(
        'sum({ scale: 2 }): the total would be 10000000000000, beyond ±9999999999999.99, the most a decimal sum at this scale holds exactly (15 digits)',
      ),
    );
    expect(agg.result(full)).toBe(top); // the total is a number: a refused add leaves it as it was
    expect(() => agg.merge(full, fold(agg, [1]))).toThrow(RangeError);
    expect(() => agg.retract!(fold(agg, [-top]), 1)).toThrow(RangeError);
    expect(() => agg.add(agg.create(), 1e13)).toThrow(/: 10000000000000 is beyond ±9999999999999\.99/);
    // A total may pass through large values as long as it stays within 15 digits.
    expect(agg.result(fold(agg, [top, -top, top]))).toBe(top);
  });

  it('refuses values a decimal cannot hold, naming them', () => {
    const agg = cents();
    expect(() => agg.add(0, Number.NaN)).toThrow(new RangeError('sum({ scale: 2 }): a decimal sum takes finite numbers, got NaN'));
    expect(() => agg.add(0, Infinity)).toThrow(/got Infinity/);
    expect(() => agg.add(0, '12.50' as never)).toThrow(/got string 12\.50/);
  });

  it('validates the scale and the options at the call site', () => {
    for (const scale of [-1, 1.5, 16, Number.NaN, '2']) {
      expect(() => sum((x: number) => x, { scale: scale as number })).toThrow(RangeError);
    }
    expect(() => sum((x: number) => x, { scale: 16 })).toThrow(
      'sum: option "scale" must be an integer from 0 to 15 (decimal places), got 16',
    );
    expect(() => sum((x: number) => x, { decimals: 2 } as never)).toThrow(/sum: unknown option "decimals" \(known: scale\)/);
    expect(
      sum((x: number) => x, {}).result(
        fold(
          sum((x: number) => x, {}),
          [0.1, 0.2],
        ),
      ),
    ).toBe(0.30000000000000004);
  });
});

describe('sum({ scale }) in windows', () => {
  it('gives the same money totals whatever the batching, in tumbling and merging session windows', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 600_000 }), fare: money }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 8 }),
        async (trips, batchSize) => {
          const run = async (assigner: ReturnType<typeof tumbling> | ReturnType<typeof session>, size: number) => {
            const { items } = await from(fromArray(trips, { batchSize: size }))
              .withTimestamps((t) => t.at, boundedOutOfOrderness('10m'))
              .window(assigner)
              .aggregate(sum((t: { fare: number }) => t.fare, { scale: 2 }))
              .collect();
            return items.map((r) => [r.window.start, r.window.end, String(r.value)]);
          };
          for (const assigner of [tumbling('1m'), session('30s')]) {
            const all = await run(assigner, trips.length + 1);
            expect(await run(assigner, batchSize)).toEqual(all);
          }
          const total = trips.reduce((t, x) => t + BigInt(Math.round(x.fare * 100)), 0n);
          const hourly = await run(tumbling('1h'), batchSize);
          expect(hourly.map((r) => r[2])).toEqual(trips.length === 0 ? [] : [centsText(total)]);
        },
      ),
      { numRuns: 40 },
    );
  });
});
