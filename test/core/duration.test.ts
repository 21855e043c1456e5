import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/core/duration.js';

describe('parseDuration', () => {
  it('parses every unit', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1d')).toBe(86_400_000);
  });

  it('sums parts and accepts decimals', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1d2h3m4s5ms')).toBe(86_400_000 + 7_200_000 + 180_000 + 4_000 + 5);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('0ms')).toBe(0);
    // 'ms' must win over 'm' followed by junk.
    expect(parseDuration('5ms')).toBe(5);
    expect(parseDuration('1m5ms')).toBe(60_005);
  });

  it('accepts non-negative finite numbers of ms, rounded to whole ms', () => {
    expect(parseDuration(0)).toBe(0);
    expect(parseDuration(1500)).toBe(1500);
    expect(parseDuration(2.6)).toBe(3);
  });

  it('rejects anything else with a TypeError naming the option and the bad text', () => {
    const bad: unknown[] = [
      '',
      '5',
      '5 min',
      '5M',
      'm',
      '1h 30m',
      ' 5m',
      '-5m',
      '1e3s',
      '5mss',
      '5m!',
      'NaN',
      -1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      null,
      undefined,
      {},
      [],
      new Date(0),
      5n,
    ];
    for (const value of bad) {
      expect(() => parseDuration(value as never, 'window size')).toThrow(TypeError);
      expect(() => parseDuration(value as never, 'window size')).toThrow(/window size/);
    }
    expect(() => parseDuration('5 min')).toThrow(/"5 min"/);
    expect(() => parseDuration(5n as never, 'gap')).toThrow(/gap must be .*got 5/);
  });

  it('agrees with the arithmetic of its parts', () => {
    const units = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 10_000 }), fc.constantFrom(...(Object.keys(units) as (keyof typeof units)[]))), {
          minLength: 1,
          maxLength: 6,
        }),
        (parts) => {
          const text = parts.map(([n, u]) => `${n}${u}`).join('');
          expect(parseDuration(text)).toBe(parts.reduce((ms, [n, u]) => ms + n * units[u], 0));
        },
      ),
    );
  });
});
