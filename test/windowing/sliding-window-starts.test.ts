import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lowerBound, slidingWindowStarts, windowStartsHolding } from '../../src/windowing/sliding-window-starts.js';

describe('windowStartsHolding', () => {
  it("equals the batch rule: the windows of the key's times with t added that hold t (property)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: -50, max: 50 })),
        fc.integer({ min: -60, max: 60 }),
        fc.integer({ min: 1, max: 30 }),
        (raw, t, size) => {
          const times = [...raw].sort((a, b) => a - b);
          const into = [99];
          const idx = windowStartsHolding(times, t, size, into);
          expect(idx).toBe(lowerBound(times, t));
          const expected = slidingWindowStarts([...times, t], size).filter((s) => s <= t && t < s + size);
          expect(into).toEqual(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('gives the record-entering and record-leaving windows of a second record', () => {
    const into: number[] = [];
    expect(windowStartsHolding([0], 5, 10, into)).toBe(1);
    expect(into).toEqual([-4, 1]);
  });
});
