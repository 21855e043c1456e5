import { describe, expect, it } from 'vitest';
import { median, percentile, sizeSlopeEventsPerSecond, steadyEventsPerSecond } from '../../bench/e2e/stats.js';

describe('steadyEventsPerSecond', () => {
  it('counts only the records read after the first result, over the time after it', () => {
    // 1M records; the first result after 2 s with 10k read; the last at 12 s: 990k in 10 s.
    expect(steadyEventsPerSecond({ records: 1_000_000, wallMs: 12_000, firstResultMs: 2_000, recordsAtFirstResult: 10_000 })).toBe(99_000);
  });

  it('differs from the rate over the whole wall time by the start-up it leaves out', () => {
    const run = { records: 100_000, wallMs: 8_000, firstResultMs: 6_000, recordsAtFirstResult: 1_000 };
    expect(steadyEventsPerSecond(run)).toBe(49_500);
    expect((run.records * 1000) / run.wallMs).toBe(12_500);
  });

  it('is null without a first result, or with nothing after it', () => {
    expect(steadyEventsPerSecond({ records: 10, wallMs: 100 })).toBeNull();
    expect(steadyEventsPerSecond({ records: 10, wallMs: 100, firstResultMs: null, recordsAtFirstResult: 5 })).toBeNull();
    expect(steadyEventsPerSecond({ records: 10, wallMs: 100, firstResultMs: 50, recordsAtFirstResult: null })).toBeNull();
    expect(steadyEventsPerSecond({ records: 10, wallMs: 100, firstResultMs: 100, recordsAtFirstResult: 5 })).toBeNull();
    expect(steadyEventsPerSecond({ records: 10, wallMs: 100, firstResultMs: 50, recordsAtFirstResult: 10 })).toBeNull();
  });
});

describe('sizeSlopeEventsPerSecond', () => {
  it('divides the extra records by the extra wall time, so what both runs pay once cancels', () => {
    // Both runs pay 7 s of start-up; the engine does 100k events/s after it.
    const small = { records: 1_000_000, wallMs: 7_000 + 10_000 };
    const large = { records: 5_000_000, wallMs: 7_000 + 50_000 };
    expect(sizeSlopeEventsPerSecond(small, large)).toBe(100_000);
  });

  it('is null when the larger run was not slower, and refuses sizes in the wrong order', () => {
    expect(sizeSlopeEventsPerSecond({ records: 1, wallMs: 10 }, { records: 2, wallMs: 10 })).toBeNull();
    expect(() => sizeSlopeEventsPerSecond({ records: 2, wallMs: 10 }, { records: 1, wallMs: 20 })).toThrow(RangeError);
  });
});

describe('median and percentile', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });

  it('returns a measured value by nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100, unsorted
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(() => percentile(xs, 0)).toThrow(RangeError);
  });
});
