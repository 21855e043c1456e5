import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeKey } from '../../src/core/key-encoding.js';
import {
  DEFAULT_MAX_PARALLELISM,
  MAX_KEY_GROUPS,
  hashKeyText,
  keyGroupOf,
  keyGroupRange,
  workerForKeyGroup,
} from '../../src/parallel/key-groups.js';
import { murmur3x8632Bytes } from '../../src/windowing/murmur3.js';

/** maxParallelism and a parallelism it allows. */
const sizes = fc
  .integer({ min: 1, max: MAX_KEY_GROUPS })
  .chain((max) => fc.tuple(fc.constant(max), fc.integer({ min: 1, max: Math.min(max, 512) })));

/** Keys as keyBy returns them: scalars, Dates, and arrays and plain objects of these. */
const key = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.bigInt(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.date(),
  fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.string(), fc.integer()), { maxKeys: 3 }),
);

describe('keyGroupRange and workerForKeyGroup (Flink KeyGroupRangeAssignment)', () => {
  it('ranges of all workers partition [0, maxParallelism) in order, sizes differing by at most one', () => {
    fc.assert(
      fc.property(sizes, ([max, parallelism]) => {
        let next = 0;
        const lengths: number[] = [];
        for (let w = 0; w < parallelism; w++) {
          const { start, end } = keyGroupRange(w, parallelism, max);
          expect(start).toBe(next);
          expect(end).toBeGreaterThanOrEqual(start);
          lengths.push(end - start + 1);
          next = end + 1;
        }
        expect(next).toBe(max);
        expect(Math.max(...lengths) - Math.min(...lengths)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });

  it('gives each key group to the worker whose range holds it', () => {
    fc.assert(
      fc.property(
        sizes.chain(([max, p]) => fc.tuple(fc.constant(max), fc.constant(p), fc.integer({ min: 0, max: max - 1 }))),
        ([max, parallelism, group]) => {
          const worker = workerForKeyGroup(group, parallelism, max);
          const { start, end } = keyGroupRange(worker, parallelism, max);
          expect(group).toBeGreaterThanOrEqual(start);
          expect(group).toBeLessThanOrEqual(end);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("matches Flink's ranges for 128 key groups", () => {
    expect([0, 1, 2].map((w) => keyGroupRange(w, 3, 128))).toEqual([
      { start: 0, end: 42 },
      { start: 43, end: 85 },
      { start: 86, end: 127 },
    ]);
    expect(keyGroupRange(0, 1, DEFAULT_MAX_PARALLELISM)).toEqual({ start: 0, end: 127 });
    expect(keyGroupRange(127, 128, 128)).toEqual({ start: 127, end: 127 });
    expect([42, 43, 85, 86].map((g) => workerForKeyGroup(g, 3, 128))).toEqual([0, 1, 1, 2]);
  });

  it('refuses arguments out of range with RangeErrors that name the rule', () => {
    expect(() => keyGroupRange(0, 1, 0)).toThrow(/maxParallelism must be an integer from 1 to 32768, got 0/);
    expect(() => keyGroupRange(0, 1, 32_769)).toThrow(RangeError);
    expect(() => keyGroupRange(0, 1, 1.5)).toThrow(RangeError);
    expect(() => keyGroupRange(0, 0, 128)).toThrow(/parallelism must be an integer from 1 to maxParallelism \(128\), got 0/);
    expect(() => keyGroupRange(0, 129, 128)).toThrow(RangeError);
    expect(() => keyGroupRange(3, 3, 128)).toThrow(/workerIndex must be an integer in \[0, parallelism\) = \[0, 3\), got 3/);
    expect(() => keyGroupRange(-1, 3, 128)).toThrow(RangeError);
    expect(() => workerForKeyGroup(128, 3, 128)).toThrow(/keyGroup must be an integer in \[0, maxParallelism\) = \[0, 128\), got 128/);
    expect(() => workerForKeyGroup(0, 4, 2)).toThrow(RangeError);
    expect(() => keyGroupOf('a', 0)).toThrow(RangeError);
    expect(() => keyGroupOf('a', NaN)).toThrow(RangeError);
  });
});

describe('keyGroupOf', () => {
  it('is pinned: MurmurHash3 x86 32-bit (seed 0) of the key text, modulo the groups', () => {
    // The reference's hashes of these texts: "hello" 0x248bfa47, "abc" 0xb3dd93fa.
    expect(hashKeyText('hello')).toBe(0x248bfa47);
    expect(hashKeyText('abc')).toBe(0xb3dd93fa);
    // Keys hash their encodeKey text: the string "zone-7" is the text "\"zone-7\"".
    const pinned = ['zone-7', 7, 186, 'trip-1', { vendor: 2, zone: 186 }, [1, 'a'], null, 12n, new Date(0)].map((k) => [
      encodeKey(k),
      keyGroupOf(k, 128),
      keyGroupOf(k, 32_768),
    ]);
    expect(pinned).toEqual([
      ['"zone-7"', 60, 572],
      ['7', 40, 1576],
      ['186', 80, 2768],
      ['"trip-1"', 14, 15886],
      ['{"vendor":2,"zone":186}', 101, 21349],
      ['[1,"a"]', 4, 132],
      ['null', 18, 31122],
      ['12n', 47, 21295],
      ['Date(0)', 66, 5186],
    ]);
  });

  it('hashes any text as its UTF-8 bytes (the ASCII path without an encoder gives the same hash)', () => {
    const utf8 = new TextEncoder();
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme', maxLength: 300 })), (text) => {
        const bytes = utf8.encode(text);
        expect(hashKeyText(text)).toBe(murmur3x8632Bytes(bytes, bytes.length));
      }),
      { numRuns: 500 },
    );
    expect(hashKeyText('x'.repeat(1000))).toBe(murmur3x8632Bytes(utf8.encode('x'.repeat(1000)), 1000));
  });

  it('is the same for equal keys: one text, one group (-0 and 0, NaN and NaN, equal objects)', () => {
    fc.assert(
      fc.property(key, fc.integer({ min: 1, max: MAX_KEY_GROUPS }), (k, max) => {
        const group = keyGroupOf(k, max);
        expect(group).toBeGreaterThanOrEqual(0);
        expect(group).toBeLessThan(max);
        expect(Number.isInteger(group)).toBe(true);
        expect(keyGroupOf(structuredClone(k), max)).toBe(group);
        expect(hashKeyText(encodeKey(k)) % max).toBe(group);
      }),
      { numRuns: 500 },
    );
    expect(keyGroupOf(-0, 128)).toBe(keyGroupOf(0, 128));
    expect(keyGroupOf(NaN, 128)).toBe(keyGroupOf(Number.NaN, 128));
    expect(keyGroupOf({ a: 1, b: 'x' }, 128)).toBe(keyGroupOf({ a: 1, b: 'x' }, 128));
  });

  it('spreads many keys roughly uniformly over the key groups', () => {
    for (const keys of [Array.from({ length: 128_000 }, (_, i) => `trip-${i}`), Array.from({ length: 128_000 }, (_, i) => i)]) {
      const counts = new Array<number>(128).fill(0);
      for (const k of keys) counts[keyGroupOf(k, 128)]++;
      // 1,000 keys expected per group; a chi-square far above 127 degrees of freedom would mean a skew.
      const chiSquare = counts.reduce((sum, c) => sum + (c - 1000) ** 2 / 1000, 0);
      expect(chiSquare).toBeLessThan(200);
      expect(Math.min(...counts)).toBeGreaterThan(850);
      expect(Math.max(...counts)).toBeLessThan(1150);
    }
  });

  it('refuses keys that have no text', () => {
    expect(() => keyGroupOf(new Map(), 128)).toThrow(/cannot be a key/);
    expect(() => keyGroupOf(() => 1, 128)).toThrow(/cannot be a key/);
  });
});
