import { describe, expect, it } from 'vitest';
import { compact, duration, int, megabytes, niceTicks, rate, ratio } from '../../bench/report/units.js';

describe('report number formatting', () => {
  it('writes rates and sizes in plain units without float noise', () => {
    expect(rate(98_765)).toBe('99k events/s');
    expect(rate(100_000)).toBe('100k events/s');
    expect(rate(1_234_567)).toBe('1.2M events/s');
    expect(rate(3_868_205_390)).toBe('3.9G events/s');
    expect(compact(950)).toBe('950');
    expect(compact(1500)).toBe('1.5k');
    expect(compact(2000)).toBe('2k');
    expect(compact(0.25)).toBe('0.3');
  });

  it('writes memory as MB, and GB from a thousand MB on', () => {
    expect(megabytes(1163.0025)).toBe('1.2 GB');
    expect(megabytes(1000)).toBe('1 GB');
    expect(megabytes(399.6)).toBe('400 MB');
  });

  it('writes durations as ms or seconds with one decimal', () => {
    expect(duration(412.4)).toBe('412 ms');
    expect(duration(6_870)).toBe('6.9 s');
    expect(duration(7_000)).toBe('7 s');
    expect(duration(152_319)).toBe('152 s');
  });

  it('writes ratios with two decimals, three below 0.1', () => {
    expect(ratio(3, 2)).toBe('1.50×');
    expect(ratio(1, 64)).toBe('0.016×');
    expect(int(1234567.4)).toBe('1,234,567');
  });
});

describe('niceTicks', () => {
  it('steps by 1, 2 or 5 times a power of ten from 0 past the maximum', () => {
    expect(niceTicks(1163.0025, 4)).toEqual([0, 500, 1000, 1500]);
    expect(niceTicks(98_765, 4)).toEqual([0, 50_000, 100_000]);
    expect(niceTicks(100, 4)).toEqual([0, 50, 100]);
  });

  it('gives ticks whose labels carry no float noise', () => {
    for (const max of [0.3, 0.7, 1.1, 3.3, 17.9, 0.07]) {
      for (const t of niceTicks(max, 4)) expect(String(t)).toMatch(/^\d+(\.\d{1,3})?$/);
    }
    expect(niceTicks(0.3, 3)).toEqual([0, 0.1, 0.2, 0.3]);
  });

  it('covers every value', () => {
    for (const max of [1, 9.99, 12, 999, 1001, 123_456]) {
      const ticks = niceTicks(max, 4);
      expect(ticks[0]).toBe(0);
      expect(ticks[ticks.length - 1]).toBeGreaterThanOrEqual(max);
      expect(ticks.length).toBeLessThanOrEqual(7);
    }
  });
});
