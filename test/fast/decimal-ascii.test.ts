import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DECIMAL_MAX_LENGTH, writeDecimal } from '../../src/fast/decimal-ascii.js';

const text = (x: number): string => {
  const bytes = new Uint8Array(DECIMAL_MAX_LENGTH);
  return Buffer.from(bytes.subarray(0, writeDecimal(bytes, 0, x))).toString('latin1');
};

describe('writeDecimal', () => {
  it('writes what String writes: integers, money, and any other double', () => {
    for (const x of [
      0,
      -0,
      1,
      -1,
      7,
      1_704_085_200_000,
      2 ** 53,
      -(2 ** 53),
      0.1,
      0.07,
      22.23,
      -5.5,
      0.3 + 0.6,
      1.005,
      999_999_999.99,
      1e9 + 0.5,
      1e21,
      1e-7,
      NaN,
      Infinity,
    ]) {
      expect(text(x)).toBe(String(x));
    }
    fc.assert(
      fc.property(fc.integer({ min: -1e11, max: 1e11 }), (cents) => {
        expect(text(cents / 100)).toBe(String(cents / 100));
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.double(), (x) => {
        expect(text(x)).toBe(String(x));
      }),
      { numRuns: 5000 },
    );
  });
});
