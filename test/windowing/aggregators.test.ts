import fc from 'fast-check';
import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { avg, collect, combineAggregators, count, max, min, reduce, sum } from '../../src/windowing/index.js';
import type { Aggregator } from '../../src/windowing/index.js';

function fold<T, A, R>(agg: Aggregator<T, A, R>, values: readonly T[]): A {
  let acc = agg.create();
  for (const v of values) acc = agg.add(acc, v);
  return acc;
}

const run = <T, R>(agg: Aggregator<T, any, R>, values: readonly T[]): R => agg.result(fold(agg, values));

/** The exact sum of doubles, rounded once to nearest-even, via BigInt (a slow, independent reference). */
function referenceSum(values: readonly number[]): number {
  let total = 0n;
  const view = new DataView(new ArrayBuffer(8));
  for (const x of values) {
    view.setFloat64(0, x);
    const bits = view.getBigUint64(0);
    const sign = bits >> 63n ? -1n : 1n;
    const exponent = Number((bits >> 52n) & 0x7ffn);
    const fraction = bits & ((1n << 52n) - 1n);
    // x = mantissa * 2^(shift - 1074), so total counts units of 2^-1074.
    const mantissa = exponent === 0 ? fraction : fraction | (1n << 52n);
    const shift = exponent === 0 ? 0n : BigInt(exponent - 1);
    total += sign * (mantissa << shift);
  }
  const negative = total < 0n;
  let n = negative ? -total : total;
  const length = n.toString(2).length;
  let scale = 0;
  if (length > 53) {
    scale = length - 53;
    const q = n >> BigInt(scale);
    const r = n - (q << BigInt(scale));
    const half = 1n << BigInt(scale - 1);
    n = r > half || (r === half && (q & 1n) === 1n) ? q + 1n : q;
  }
  // Two power-of-two factors keep every intermediate product exact and in range.
  const k = scale - 1074;
  const half = Math.trunc(k / 2);
  const value = Number(n) * 2 ** half * 2 ** (k - half);
  return negative ? -value : value;
}

const doubles = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 });
const wideDoubles = fc.oneof(
  doubles,
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e-300, max: 1e-300 }),
  fc.integer({ min: -1e6, max: 1e6 }),
);

describe('count', () => {
  it('counts, merges, retracts', () => {
    const c = count<string>();
    expect(run(c, [])).toBe(0);
    expect(run(c, ['a', 'b', 'c'])).toBe(3);
    expect(c.result(c.merge(fold(c, ['a']), fold(c, ['b', 'c'])))).toBe(3);
    expect(c.result(c.retract!(fold(c, ['a', 'b']), 'a'))).toBe(1);
    expect(() => (count as (...a: unknown[]) => unknown)((x: unknown) => x)).toThrow(TypeError);
  });
});

describe('sum', () => {
  it('sums with and without a selector; empty is 0', () => {
    expect(run(sum(), [])).toBe(0);
    expect(run(sum(), [1, 2, 3])).toBe(6);
    expect(
      run(
        sum((t: { fare: number }) => t.fare),
        [{ fare: 2.5 }, { fare: 4 }],
      ),
    ).toBe(6.5);
  });

  it('is exactly rounded where naive summation is not', () => {
    expect(run(sum(), [1e100, 1, -1e100])).toBe(1);
    expect(run(sum(), [0.1, 0.2, 0.3])).toBe(0.6);
    expect(run(sum(), [0.1, 0.2, 0.3])).not.toBe(0.1 + 0.2 + 0.3);
    expect(run(sum(), [2 ** 53, 1, 1])).toBe(2 ** 53 + 2);
    expect(run(sum(), [1, 1e-16, 1e-16])).toBe(1.0000000000000002);
    expect(Object.is(run(sum(), [-0]), 0)).toBe(true);
  });

  it('equals the exactly rounded sum (BigInt reference) whatever the order', () => {
    fc.assert(
      fc.property(
        fc
          .array(wideDoubles, { maxLength: 40 })
          .chain((xs) => fc.tuple(fc.constant(xs), fc.shuffledSubarray(xs, { minLength: xs.length, maxLength: xs.length }))),
        ([xs, shuffled]) => {
          const expected = referenceSum(xs);
          expect(run(sum(), xs)).toBe(expected);
          expect(run(sum(), shuffled)).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps infinities and NaN apart from finite partials', () => {
    expect(run(sum(), [1, Infinity, 2])).toBe(Infinity);
    expect(run(sum(), [Infinity, -Infinity])).toBeNaN();
    expect(run(sum(), [1, NaN])).toBeNaN();
    expect(run(sum(), [Number.MAX_VALUE, Number.MAX_VALUE])).toBe(Infinity);
  });

  it('rejects a selector that is not a function', () => {
    expect(() => sum('fare' as never)).toThrow(/sum: selector must be a function/);
  });
});

describe('avg', () => {
  it('is null for nothing and the exact mean otherwise', () => {
    expect(run(avg(), [])).toBeNull();
    expect(run(avg(), [1, 2, 3, 4])).toBe(2.5);
    expect(
      run(
        avg((r: { v: number }) => r.v),
        [{ v: 1e100 }, { v: 3 }, { v: -1e100 }],
      ),
    ).toBe(1);
    const a = avg();
    expect(a.result(a.retract!(a.retract!(fold(a, [5, 7]), 5), 7))).toBeNull();
  });
});

describe('min and max', () => {
  it('pick extremes of numbers, strings and bigints; null when empty', () => {
    expect(run(min(), [])).toBeNull();
    expect(run(max(), [])).toBeNull();
    expect(run(min(), [3, -1, 2])).toBe(-1);
    expect(run(max(), [3, -1, 2])).toBe(3);
    expect(
      run(
        min((s: string) => s),
        ['b', 'a', 'c'],
      ),
    ).toBe('a');
    expect(
      run(
        max((b: bigint) => b),
        [1n, 10n ** 30n, 5n],
      ),
    ).toBe(10n ** 30n);
    expect(
      run(
        max((r: { p: number }) => r.p),
        [{ p: 1 }, { p: 9 }],
      ),
    ).toBe(9);
  });

  it('NaN wins wherever it arrives, so order does not matter', () => {
    expect(run(min(), [NaN, 1])).toBeNaN();
    expect(run(min(), [1, NaN])).toBeNaN();
    expect(run(max(), [1, NaN, 3])).toBeNaN();
  });

  it('offer no retract', () => {
    expect(min().retract).toBeUndefined();
    expect(max().retract).toBeUndefined();
  });
});

describe('collect and reduce', () => {
  it('collect keeps arrival order and returns a copy', () => {
    const c = collect((r: { id: number }) => r.id);
    const acc = fold(c, [{ id: 2 }, { id: 1 }]);
    const out = c.result(acc);
    expect(out).toEqual([2, 1]);
    out.push(99);
    expect(c.result(acc)).toEqual([2, 1]);
    expect(run(collect<number>(), [])).toEqual([]);
    expect(c.retract).toBeUndefined();
  });

  it('reduce without initial is null when empty; with an identity initial, merges do not double it', () => {
    const product = reduce((a: number, b: number) => a * b, 1);
    expect(run(product, [])).toBe(1);
    expect(run(product, [2, 3, 4])).toBe(24);
    expect(product.result(product.merge(fold(product, [2]), fold(product, [3, 4])))).toBe(24);
    const longest = reduce((a: string, b: string) => (b.length > a.length ? b : a));
    expect(run(longest, [])).toBeNull();
    expect(run(longest, ['ab', 'abcd', 'a'])).toBe('abcd');
    expect(longest.result(longest.merge(longest.create(), fold(longest, ['xyz'])))).toBe('xyz');
    expect(() => reduce('+' as never)).toThrow(/reduce: fn must be a function/);
    // An object initial is copied per window, so a mutating fn cannot leak between windows.
    const union = reduce((a: string[], b: string[]) => (a.push(...b), a), [] as string[]);
    const first = fold(union, [['x']]);
    expect(union.result(union.create())).toEqual([]);
    expect(union.result(first)).toEqual(['x']);
  });
});

describe('laws', () => {
  type Case = { name: string; agg: Aggregator<number>; retractable: boolean };
  const cases: Case[] = [
    { name: 'count', agg: count<number>(), retractable: true },
    { name: 'sum', agg: sum(), retractable: true },
    { name: 'avg', agg: avg(), retractable: true },
    { name: 'min', agg: min(), retractable: false },
    { name: 'max', agg: max(), retractable: false },
    { name: 'collect', agg: collect<number>(), retractable: false },
    { name: 'reduce', agg: reduce((a: number, b: number) => a + b, 0), retractable: false },
    { name: 'combined', agg: combineAggregators({ n: count<number>(), total: sum(), mean: avg() }), retractable: true },
  ];

  for (const { name, agg, retractable } of cases) {
    it(`${name}: merging the folds of any split equals folding the whole`, () => {
      const values = name === 'reduce' ? fc.integer({ min: -1e6, max: 1e6 }) : doubles;
      fc.assert(
        fc.property(fc.array(values, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 4 }), (xs, cuts) => {
          const points = [...new Set(cuts.map((c) => c % (xs.length + 1)))].sort((a, b) => a - b);
          const pieces: number[][] = [];
          let at = 0;
          for (const p of [...points, xs.length]) {
            pieces.push(xs.slice(at, p));
            at = p;
          }
          const merged = pieces.map((piece) => fold(agg, piece)).reduce((a, b) => agg.merge(a, b), agg.create());
          expect(agg.result(merged)).toEqual(agg.result(fold(agg, xs)));
        }),
        { numRuns: 150 },
      );
    });

    it(`${name}: accumulators survive a checkpoint (v8 serialize) mid-stream`, () => {
      fc.assert(
        fc.property(fc.array(doubles, { maxLength: 20 }), fc.array(doubles, { maxLength: 20 }), (xs, ys) => {
          let acc = deserialize(serialize(fold(agg, xs)));
          for (const y of ys) acc = agg.add(acc, y);
          expect(agg.result(acc)).toEqual(agg.result(fold(agg, [...xs, ys].flat())));
        }),
        { numRuns: 50 },
      );
    });

    if (retractable) {
      it(`${name}: adding then retracting values is the identity`, () => {
        fc.assert(
          fc.property(
            fc.array(doubles, { maxLength: 20 }),
            fc
              .array(doubles, { maxLength: 20 })
              .chain((ys) => fc.tuple(fc.constant(ys), fc.shuffledSubarray(ys, { minLength: ys.length, maxLength: ys.length }))),
            (xs, [ys, order]) => {
              let acc = fold(agg, xs);
              for (const y of ys) acc = agg.add(acc, y);
              for (const y of order) acc = agg.retract!(acc, y);
              expect(agg.result(acc)).toEqual(agg.result(fold(agg, xs)));
            },
          ),
          { numRuns: 150 },
        );
      });
    } else {
      it(`${name}: offers no retract`, () => {
        expect(agg.retract).toBeUndefined();
      });
    }
  }
});

describe('combineAggregators', () => {
  it('returns named results and retracts only when every part can', () => {
    type Trip = { fare: number };
    const agg = combineAggregators({ trips: count<Trip>(), revenue: sum((t: Trip) => t.fare), top: max((t: Trip) => t.fare) });
    const r = run(agg, [{ fare: 3 }, { fare: 10 }]);
    expect(r).toEqual({ trips: 2, revenue: 13, top: 10 });
    const typed: { trips: number; revenue: number; top: number | null } = r;
    expect(typed.trips).toBe(2);
    expect(agg.retract).toBeUndefined();
    expect(combineAggregators({ trips: count<Trip>() }).retract).toBeTypeOf('function');
  });

  it('rejects an empty spec or a member that is not an aggregator', () => {
    expect(() => combineAggregators({})).toThrow(/at least one aggregator/);
    expect(() => combineAggregators({ x: 5 } as never)).toThrow(/'x' must be an aggregator/);
  });
});
