import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { global, GLOBAL_WINDOW, hopping, session, sliding, slidingWindowStarts, tumbling } from '../../src/windowing/index.js';

const mod = (a: number, b: number) => ((a % b) + b) % b;

describe('tumbling', () => {
  it('puts t = start, end - 1 in the window and t = end in the next', () => {
    const a = tumbling('5m');
    expect(a.assignWindows(0)).toEqual([{ start: 0, end: 300_000 }]);
    expect(a.assignWindows(299_999)).toEqual([{ start: 0, end: 300_000 }]);
    expect(a.assignWindows(300_000)).toEqual([{ start: 300_000, end: 600_000 }]);
  });

  it('floors negative timestamps instead of truncating toward zero', () => {
    const a = tumbling(10);
    expect(a.assignWindows(-1)).toEqual([{ start: -10, end: 0 }]);
    expect(a.assignWindows(-10)).toEqual([{ start: -10, end: 0 }]);
    expect(a.assignWindows(-11)).toEqual([{ start: -20, end: -10 }]);
  });

  it('shifts windows by a positive or negative offset', () => {
    expect(tumbling(10, { offset: 3 }).assignWindows(2)).toEqual([{ start: -7, end: 3 }]);
    expect(tumbling(10, { offset: 3 }).assignWindows(3)).toEqual([{ start: 3, end: 13 }]);
    expect(tumbling('1h', { offset: '-15m' }).assignWindows(0)).toEqual([{ start: -900_000, end: 2_700_000 }]);
    expect(tumbling(10, { offset: -3 }).assignWindows(-4)).toEqual([{ start: -13, end: -3 }]);
  });

  it('holds every t in exactly one aligned window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e12, max: 1e12 }),
        fc.integer({ min: 1, max: 1e7 }),
        fc.double({ min: -0.999, max: 0.999, noNaN: true }),
        (t, size, f) => {
          const offset = Math.trunc(f * size);
          const [w] = tumbling(size, { offset }).assignWindows(t);
          expect(w.end - w.start).toBe(size);
          expect(w.start <= t && t < w.end).toBe(true);
          expect(mod(w.start - offset, size)).toBe(0);
        },
      ),
    );
  });

  it('exposes its parameters and a description', () => {
    const a = tumbling('1m', { offset: 5 });
    expect(a).toMatchObject({ kind: 'tumbling', merging: false, size: 60_000, offset: 5, timeZone: undefined });
    expect(a.description).toBe('tumbling(60000ms, offset 5ms)');
    expect(Object.isFrozen(a)).toBe(true);
  });

  it('rejects bad arguments at the call site, naming the option and rule', () => {
    expect(() => tumbling(0)).toThrow(RangeError);
    expect(() => tumbling(0)).toThrow(/tumbling size must be > 0/);
    expect(() => tumbling('5 min')).toThrow(TypeError);
    expect(() => tumbling(-5)).toThrow(/tumbling size/);
    expect(() => tumbling(10, { offset: 10 })).toThrow(/abs\(offset\) < size/);
    expect(() => tumbling(10, { offset: -10 })).toThrow(RangeError);
    expect(() => tumbling(10, { timezone: 'UTC' } as never)).toThrow(/unknown option "timezone"/);
    expect(() => tumbling(10, 'UTC' as never)).toThrow(TypeError);
  });
});

describe('hopping', () => {
  it('returns size/hop windows in ascending order when hop divides size', () => {
    expect(hopping(10, 5).assignWindows(7)).toEqual([
      { start: 0, end: 10 },
      { start: 5, end: 15 },
    ]);
    expect(
      hopping('1h', '15m')
        .assignWindows(0)
        .map((w) => w.start),
    ).toEqual([-2_700_000, -1_800_000, -900_000, 0]);
  });

  it('handles bounds: t = start is in, t = end is out', () => {
    const windows = hopping(10, 5).assignWindows(10);
    expect(windows).toEqual([
      { start: 5, end: 15 },
      { start: 10, end: 20 },
    ]);
  });

  it('handles a hop that does not divide the size', () => {
    // starts ≡ 0 (mod 4) with s <= t < s + 10
    expect(hopping(10, 4).assignWindows(9)).toEqual([
      { start: 0, end: 10 },
      { start: 4, end: 14 },
      { start: 8, end: 18 },
    ]);
    expect(hopping(10, 4).assignWindows(10)).toEqual([
      { start: 4, end: 14 },
      { start: 8, end: 18 },
    ]);
    expect(hopping(10, 4).assignWindows(-1)).toEqual([
      { start: -8, end: 2 },
      { start: -4, end: 6 },
    ]);
  });

  it('applies the offset to the starts', () => {
    expect(hopping(10, 5, { offset: 2 }).assignWindows(1)).toEqual([
      { start: -8, end: 2 },
      { start: -3, end: 7 },
    ]);
  });

  it('equals the set of all starts ≡ offset (mod hop) covering t, by brute force', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e6, max: 1e6 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: -49, max: 49 }),
        (t, hop, extra, rawOffset) => {
          const size = hop + extra - 1;
          const offset = rawOffset % hop;
          const expected = [];
          for (let s = t - size - hop; s <= t + hop; s++) {
            if (mod(s - offset, hop) === 0 && s <= t && t < s + size) expected.push({ start: s, end: s + size });
          }
          expect(hopping(size, hop, { offset }).assignWindows(t)).toEqual(expected);
        },
      ),
    );
  });

  it('rejects hop > size, hop <= 0, |offset| >= hop and unknown options', () => {
    expect(() => hopping(10, 11)).toThrow(/hop <= size/);
    expect(() => hopping(10, 0)).toThrow(/hopping hop must be > 0/);
    expect(() => hopping(10, 5, { offset: 5 })).toThrow(/abs\(offset\) < hop/);
    expect(() => hopping(10, 5, { size: 3 } as never)).toThrow(/unknown option "size"/);
  });

  it('with hop = size behaves as tumbling', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 1, max: 1e6 }), (t, size) => {
        expect(hopping(size, size).assignWindows(t)).toEqual(tumbling(size).assignWindows(t));
      }),
    );
  });
});

describe('sliding', () => {
  it('assigns a record its own window [t - size + 1, t + 1)', () => {
    expect(sliding(10).assignWindows(5)).toEqual([{ start: -4, end: 6 }]);
    expect(sliding('1s')).toMatchObject({ kind: 'sliding', merging: false, size: 1000 });
  });

  it('rejects size <= 0 and extra arguments', () => {
    expect(() => sliding(0)).toThrow(/sliding size must be > 0/);
    expect(() => (sliding as (...a: unknown[]) => unknown)(10, {})).toThrow(TypeError);
  });

  it('slidingWindowStarts: left window for each record, right window when a record follows within size', () => {
    expect(slidingWindowStarts([0, 5], 10)).toEqual([-9, -4, 1]);
    // 20 is more than size after 5: no right window for 5; nothing after 20.
    expect(slidingWindowStarts([20, 5, 0], 10)).toEqual([-9, -4, 1, 11]);
    // A record exactly size later still opens the right window [t+1, t+1+size) containing it.
    expect(slidingWindowStarts([0, 10], 10)).toEqual([-9, 1]);
    expect(slidingWindowStarts([0, 11], 10)).toEqual([-9, 2]);
    // Duplicates: one left window, and equal times do not open a right window.
    expect(slidingWindowStarts([3, 3, 3], 10)).toEqual([-6]);
    expect(slidingWindowStarts([], 10)).toEqual([]);
    expect(() => slidingWindowStarts([1], 0)).toThrow(RangeError);
  });

  it('slidingWindowStarts: every window is non-empty and starts are distinct and sorted', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -200, max: 200 }), { maxLength: 30 }), fc.integer({ min: 1, max: 50 }), (times, size) => {
        const starts = slidingWindowStarts(times, size);
        for (let i = 1; i < starts.length; i++) expect(starts[i]).toBeGreaterThan(starts[i - 1]);
        for (const s of starts) expect(times.some((t) => s <= t && t < s + size)).toBe(true);
        // Kafka's definition, by brute force over both window kinds.
        const expected = new Set<number>();
        for (const t of times) {
          expected.add(t - size + 1);
          if (times.some((u) => u > t && u <= t + size)) expected.add(t + 1);
        }
        expect(starts).toEqual([...expected].sort((a, b) => a - b));
      }),
    );
  });
});

describe('session', () => {
  it('opens [t, t + gap) and is merging', () => {
    const a = session('30m');
    expect(a.assignWindows(1000)).toEqual([{ start: 1000, end: 1000 + 1_800_000 }]);
    expect(a).toMatchObject({ kind: 'session', merging: true, size: 1_800_000, gap: 1_800_000 });
  });

  it('rejects gap <= 0', () => {
    expect(() => session(0)).toThrow(/session gap must be > 0/);
    expect(() => session('nope')).toThrow(TypeError);
  });
});

describe('global', () => {
  it('assigns every time to the one global window', () => {
    const a = global();
    expect(a.assignWindows(-5)).toEqual([GLOBAL_WINDOW]);
    expect(a.assignWindows(Date.UTC(2030, 0, 1))).toEqual([{ start: Number.MIN_SAFE_INTEGER, end: Number.MAX_SAFE_INTEGER }]);
    expect(a).toMatchObject({ kind: 'global', merging: false, size: Number.POSITIVE_INFINITY });
    expect(() => (global as (...a: unknown[]) => unknown)(10)).toThrow(TypeError);
  });
});

describe('size, gap, hop and offset rules', () => {
  it('a negative or infinite length is a RangeError naming the rule, as 0 is', () => {
    const cases: Array<[() => unknown, string]> = [
      [() => tumbling(-1000), 'tumbling size must be > 0, got -1000'],
      [() => tumbling('-5m'), 'tumbling size must be > 0, got "-5m"'],
      [() => tumbling(0), 'tumbling size must be > 0, got 0'],
      [() => tumbling(-Infinity), 'tumbling size must be a finite number of milliseconds, got -Infinity'],
      [() => tumbling(Infinity), 'tumbling size must be a finite number of milliseconds, got Infinity'],
      [() => hopping(10, -5), 'hopping hop must be > 0, got -5'],
      [() => hopping(-10, 5), 'hopping size must be > 0, got -10'],
      [() => hopping('-1h', '5m'), 'hopping size must be > 0, got "-1h"'],
      [() => session(-1), 'session gap must be > 0, got -1'],
      [() => session('-30m'), 'session gap must be > 0, got "-30m"'],
      [() => sliding(-1), 'sliding size must be > 0, got -1'],
      [() => tumbling(10, { offset: Infinity }), 'tumbling offset must be a finite number of milliseconds, got Infinity'],
      [() => hopping(10, 5, { offset: -Infinity }), 'hopping offset must be a finite number of milliseconds, got -Infinity'],
      [() => tumbling(10, { offset: -10 }), 'tumbling: parameters must satisfy abs(offset) < size, got offset -10 ms and size 10 ms'],
      [() => hopping(10, 5, { offset: '-5ms' }), 'hopping: parameters must satisfy abs(offset) < hop, got offset -5 ms and hop 5 ms'],
      [() => hopping(5, 10), 'hopping: parameters must satisfy hop <= size, got hop 10 ms and size 5 ms'],
    ];
    for (const [call, message] of cases) {
      expect(call, message).toThrow(RangeError);
      expect(call).toThrow(message);
    }
  });

  it('a value that is no duration at all stays a TypeError', () => {
    for (const call of [
      () => tumbling(NaN),
      () => tumbling('5 min'),
      () => (tumbling as (s?: unknown) => unknown)(),
      () => session('--5m'),
    ]) {
      expect(call).toThrow(TypeError);
    }
  });
});
