import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { global } from '../../src/windowing/global.js';
import { hopping } from '../../src/windowing/hopping.js';
import { tumbling } from '../../src/windowing/tumbling.js';
import type { AlignedAssigner } from '../../src/windowing/types.js';
import { newWindowRun } from '../../src/windowing/window-run.js';

const plain = (w: { start: number; end: number }) => ({ start: w.start, end: w.end });

/** windowRun(t) gives assignWindows(t), and every time of its span has exactly those windows. */
function checkRuns(make: () => AlignedAssigner, times: fc.Arbitrary<number>, numRuns = 300, widest = true): void {
  fc.assert(
    fc.property(times, fc.double({ min: 0, max: 1, noNaN: true }), (t, at) => {
      const assigner = make();
      const run = newWindowRun();
      assigner.windowRun(t, run);
      expect(run.windows.map(plain)).toEqual(assigner.assignWindows(t));
      expect(run.from <= t && t < run.until).toBe(true);
      // Another time of the span, and its last one.
      const span = Math.min(run.until - run.from, 10 * 86_400_000);
      for (const u of [run.from + Math.floor(at * (span - 1)), run.from + span - 1]) {
        expect(assigner.assignWindows(u), `t ${t} u ${u}`).toEqual(run.windows.map(plain));
      }
      // Just outside the span the windows differ (the span is as wide as it can be).
      if (widest && run.until < Number.MAX_SAFE_INTEGER) {
        expect(assigner.assignWindows(run.until)).not.toEqual(run.windows.map(plain));
      }
    }),
    { numRuns },
  );
}

describe('windowRun: the windows of a time, and the span of times that share them', () => {
  const times = fc.integer({ min: -1e12, max: 4e12 });
  it('tumbling, with and without offset', () => {
    checkRuns(() => tumbling(300_000), times);
    checkRuns(() => tumbling(10, { offset: -3 }), fc.integer({ min: -100, max: 100 }));
  });

  it('hopping, hop dividing size or not, with offset', () => {
    checkRuns(() => hopping('1h', '5m'), times);
    checkRuns(() => hopping(10, 4), fc.integer({ min: -100, max: 100 }));
    checkRuns(() => hopping(10, 3, { offset: 2 }), fc.integer({ min: -100, max: 100 }));
    checkRuns(() => hopping(7, 7), fc.integer({ min: -100, max: 100 }));
  });

  it('calendar windows in a time zone, across DST changes', () => {
    const nyc = fc.integer({ min: Date.UTC(2024, 2, 9), max: Date.UTC(2024, 2, 12) });
    checkRuns(() => tumbling('1d', { timeZone: 'America/New_York' }), nyc, 100);
    checkRuns(() => tumbling('1h', { timeZone: 'America/New_York' }), nyc, 100);
    // Local hopping windows end at different lengths: their run holds one time only.
    checkRuns(() => hopping('2h', '1h', { timeZone: 'America/New_York' }), nyc, 100, false);
  });

  it('global: one window for all time', () => {
    checkRuns(() => global(), times, 50);
  });

  it('reuses the run it is given: no window objects per record', () => {
    const run = newWindowRun();
    const a = hopping('1h', '5m');
    a.windowRun(0, run);
    const first = run.windows[0];
    a.windowRun(3_600_000, run);
    expect(run.windows[0]).toBe(first);
    expect(run.windows).toHaveLength(12);
  });
});
