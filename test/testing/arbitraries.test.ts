import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  batchSizes,
  batchWindows,
  batchWindowsWithLateness,
  keyedEvents,
  splitBatches,
  watermarksBefore,
  type KeyedEvent,
} from '../../src/testing/index.js';
import { count, global, hopping, session, sliding, sum, tumbling } from '../../src/windowing/index.js';

const byKey = { keyOf: (x: KeyedEvent) => x.key, timeOf: (x: KeyedEvent) => x.time };

/** Largest lag behind the newest time seen, over every arriving record. */
function maxLag(arrival: readonly KeyedEvent[]): number {
  let newest = Number.NEGATIVE_INFINITY;
  let lag = 0;
  for (const x of arrival) {
    newest = Math.max(newest, x.time);
    lag = Math.max(lag, newest - x.time);
  }
  return lag;
}

describe('keyedEvents', () => {
  it('yields time-sorted events and an arrival permutation with bounded disorder', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 0, max: 500 })
          .chain((maxDisorder) =>
            fc.tuple(fc.constant(maxDisorder), keyedEvents({ keys: 4, maxDisorder, timeRange: [-1000, 1000], valueRange: [-5, 5] })),
          ),
        ([maxDisorder, { events, arrival }]) => {
          for (let i = 1; i < events.length; i++) expect(events[i].time).toBeGreaterThanOrEqual(events[i - 1].time);
          expect([...arrival].sort((a, b) => a.seq - b.seq)).toEqual([...events].sort((a, b) => a.seq - b.seq));
          expect(new Set(arrival).size).toBe(arrival.length);
          expect(maxLag(arrival)).toBeLessThanOrEqual(maxDisorder);
          for (const x of events) {
            expect(['k0', 'k1', 'k2', 'k3']).toContain(x.key);
            expect(Number.isInteger(x.value) && x.value >= -5 && x.value <= 5).toBe(true);
            expect(x.time >= -1000 && x.time <= 1000).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('does produce disorder up to the bound, and late arrivals when asked', () => {
    const samples = fc.sample(keyedEvents({ maxDisorder: 50, minLength: 30 }), { numRuns: 50, seed: 7 });
    expect(Math.max(...samples.map((s) => maxLag(s.arrival)))).toBeGreaterThan(0);
    const late = fc.sample(keyedEvents({ maxDisorder: 50, minLength: 30, late: { fraction: 0.3, maxExtraDelay: 500 } }), {
      numRuns: 50,
      seed: 7,
    });
    expect(Math.max(...late.map((s) => maxLag(s.arrival)))).toBeGreaterThan(50);
  });

  it('rejects impossible options', () => {
    expect(() => keyedEvents({ keys: [] })).toThrow(RangeError);
    expect(() => keyedEvents({ timeRange: [10, 0] })).toThrow(/timeRange/);
    expect(() => keyedEvents({ maxDisorder: -1 })).toThrow(/maxDisorder/);
    expect(() => keyedEvents({ late: { fraction: 2, maxExtraDelay: 10 } })).toThrow(/late/);
  });
});

describe('batchSizes and splitBatches', () => {
  it('split input into consecutive batches cycling through the sizes', () => {
    expect(splitBatches([1, 2, 3, 4, 5], [2, 1])).toEqual([[1, 2], [3], [4, 5]]);
    expect(splitBatches([], [3])).toEqual([]);
    expect(() => splitBatches([1], [])).toThrow(RangeError);
    expect(() => splitBatches([1], [0])).toThrow(RangeError);
    fc.assert(
      fc.property(fc.array(fc.integer()), batchSizes({ max: 7 }), (items, sizes) => {
        const batches = splitBatches(items, sizes);
        expect(batches.flat()).toEqual(items);
        batches.forEach((b, i) => {
          expect(b.length).toBeGreaterThan(0);
          if (i < batches.length - 1) expect(b.length).toBe(sizes[i % sizes.length]);
        });
      }),
    );
    expect(() => batchSizes({ min: 0 })).toThrow(RangeError);
  });
});

describe('watermarksBefore and batchWindowsWithLateness', () => {
  it('watermarks trail the newest time seen before each arrival', () => {
    expect(watermarksBefore([10, 5, 20, 1], 2)).toEqual([Number.NEGATIVE_INFINITY, 7, 7, 17]);
  });

  it('drops a record from windows that expired before it arrived, and only those', () => {
    const ev = (time: number, seq: number): KeyedEvent => ({ key: 'a', time, value: 1, seq });
    // maxDelay 0: after 25 arrives the watermark is 24, so [0,10) and [10,20) have expired.
    const arrival = [ev(5, 0), ev(25, 1), ev(7, 2), ev(24, 3)];
    const { results, late } = batchWindowsWithLateness(arrival, { ...byKey, assigner: tumbling(10), aggregator: count(), maxDelay: 0 });
    expect(results).toEqual([
      { key: 'a', window: { start: 0, end: 10 }, value: 1 },
      { key: 'a', window: { start: 20, end: 30 }, value: 2 },
    ]);
    expect(late).toEqual([{ record: arrival[2], window: { start: 0, end: 10 }, watermark: 24 }]);
    // With 20 ms of allowed lateness [0,10) still accepts 7 (expires at watermark 9 + 20).
    const tolerant = batchWindowsWithLateness(arrival, {
      ...byKey,
      assigner: tumbling(10),
      aggregator: count(),
      maxDelay: 0,
      allowedLateness: 20,
    });
    expect(tolerant.late).toEqual([]);
    expect(tolerant.results[0].value).toBe(2);
  });

  it('a hopping record can be late for one window and on time for another', () => {
    const ev = (time: number, seq: number): KeyedEvent => ({ key: 'a', time, value: 1, seq });
    const { late, results } = batchWindowsWithLateness([ev(25, 0), ev(14, 1)], {
      ...byKey,
      assigner: hopping(20, 10),
      aggregator: count(),
      maxDelay: 0,
    });
    expect(late.map((l) => l.window)).toEqual([{ start: 0, end: 20 }]);
    expect(results.find((r) => r.window.start === 10)?.value).toBe(2);
  });

  it('equals batchWindows when disorder stays within maxDelay (no record is late)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }).chain((d) => fc.tuple(fc.constant(d), keyedEvents({ maxDisorder: d, timeRange: [0, 3000] }))),
        fc.constantFrom(tumbling(100), hopping(250, 50), global()),
        ([maxDelay, { events, arrival }], assigner) => {
          const aggregator = sum((x: KeyedEvent) => x.value);
          const withLateness = batchWindowsWithLateness(arrival, { ...byKey, assigner, aggregator, maxDelay });
          expect(withLateness.late).toEqual([]);
          expect(withLateness.results).toEqual(batchWindows(events, { ...byKey, assigner, aggregator }));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('accounts for every (record, window) pair: counted or late', () => {
    fc.assert(
      fc.property(keyedEvents({ maxDisorder: 20, late: { fraction: 0.3, maxExtraDelay: 400 } }), ({ arrival }) => {
        const assigner = hopping(100, 25);
        const { results, late } = batchWindowsWithLateness(arrival, { ...byKey, assigner, aggregator: count(), maxDelay: 20 });
        const pairs = arrival.reduce((n, x) => n + assigner.assignWindows(x.time).length, 0);
        expect(results.reduce((n, r) => n + (r.value as number), 0) + late.length).toBe(pairs);
        for (const l of late) expect(l.watermark).toBeGreaterThanOrEqual(l.window.end - 1);
      }),
      { numRuns: 100 },
    );
  });

  it('rejects data-dependent assigners', () => {
    expect(() => batchWindowsWithLateness([], { ...byKey, assigner: session(10), aggregator: count(), maxDelay: 0 })).toThrow(RangeError);
    expect(() => batchWindowsWithLateness([], { ...byKey, assigner: sliding(10), aggregator: count(), maxDelay: 0 })).toThrow(RangeError);
  });
});
