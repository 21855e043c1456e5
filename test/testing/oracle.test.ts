import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchWindows, compareKeys, keyedEvents, type KeyedEvent } from '../../src/testing/index.js';
import { collect, count, global, hopping, session, sliding, sum, tumbling } from '../../src/windowing/index.js';

type E = { k: string; t: number; v: number };
const e = (k: string, t: number, v = 1): E => ({ k, t, v });
const opts = { keyOf: (x: E) => x.k, timeOf: (x: E) => x.t };
const byKey = { keyOf: (x: KeyedEvent) => x.key, timeOf: (x: KeyedEvent) => x.time };

describe('batchWindows', () => {
  it('tumbling: one result per non-empty (key, window), sorted by key then start', () => {
    const events = [e('b', 12, 5), e('a', 3, 1), e('a', 9, 2), e('a', 10, 4), e('b', -1, 7)];
    expect(batchWindows(events, { ...opts, assigner: tumbling(10), aggregator: sum((x: E) => x.v) })).toEqual([
      { key: 'a', window: { start: 0, end: 10 }, value: 3 },
      { key: 'a', window: { start: 10, end: 20 }, value: 4 },
      { key: 'b', window: { start: -10, end: 0 }, value: 7 },
      { key: 'b', window: { start: 10, end: 20 }, value: 5 },
    ]);
  });

  it('without keyOf every record has the key null', () => {
    expect(batchWindows([e('a', 1), e('b', 2)], { timeOf: (x: E) => x.t, assigner: tumbling(10), aggregator: count() })).toEqual([
      { key: null, window: { start: 0, end: 10 }, value: 2 },
    ]);
  });

  it('hopping: a record counts in every window covering it, hop not dividing size included', () => {
    const result = batchWindows([e('a', 9)], { ...opts, assigner: hopping(10, 4), aggregator: count() });
    expect(result.map((r) => r.window)).toEqual([
      { start: 0, end: 10 },
      { start: 4, end: 14 },
      { start: 8, end: 18 },
    ]);
  });

  it('hopping and tumbling enumeration agrees with the assigners', () => {
    fc.assert(
      fc.property(
        keyedEvents({ timeRange: [-500, 500] }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: -39, max: 39 }),
        ({ events }, hop, extra, rawOffset) => {
          const assigner = hopping(hop + extra, hop, { offset: rawOffset % hop });
          const expected = new Map<string, number>();
          for (const ev of events) {
            for (const w of assigner.assignWindows(ev.time)) {
              const id = `${ev.key}|${w.start}|${w.end}`;
              expected.set(id, (expected.get(id) ?? 0) + ev.value);
            }
          }
          const actual = batchWindows(events, { ...byKey, assigner, aggregator: sum((x: KeyedEvent) => x.value) });
          expect(new Map(actual.map((r) => [`${r.key}|${r.window.start}|${r.window.end}`, r.value]))).toEqual(expected);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('session: sorted times merge when intervals overlap or touch', () => {
    const events = [e('a', 20), e('a', 0), e('a', 5), e('a', 11), e('b', 3)];
    expect(batchWindows(events, { ...opts, assigner: session(5), aggregator: count() })).toEqual([
      // [0,5) touches [5,10); [11,16) does not touch [5,10); [20,25) does not touch [11,16)
      { key: 'a', window: { start: 0, end: 10 }, value: 2 },
      { key: 'a', window: { start: 11, end: 16 }, value: 1 },
      { key: 'a', window: { start: 20, end: 25 }, value: 1 },
      { key: 'b', window: { start: 3, end: 8 }, value: 1 },
    ]);
    // A record bridging two sessions joins them into one.
    expect(batchWindows([...events, e('a', 16)], { ...opts, assigner: session(5), aggregator: count() })[1]).toEqual({
      key: 'a',
      window: { start: 11, end: 25 },
      value: 3,
    });
  });

  it('session: no two results of a key touch, and every record is in exactly one', () => {
    fc.assert(
      fc.property(keyedEvents({ timeRange: [0, 2000] }), fc.integer({ min: 1, max: 200 }), ({ events }, gap) => {
        const results = batchWindows(events, { ...byKey, assigner: session(gap), aggregator: count() });
        for (let i = 1; i < results.length; i++) {
          if (results[i].key === results[i - 1].key) expect(results[i].window.start).toBeGreaterThan(results[i - 1].window.end);
        }
        expect(results.reduce((n, r) => n + (r.value as number), 0)).toBe(events.length);
      }),
      { numRuns: 100 },
    );
  });

  it("sliding: Kafka's windows, one per distinct start, each holding the records in it", () => {
    const events = [e('a', 0, 1), e('a', 5, 10), e('a', 20, 100)];
    expect(batchWindows(events, { ...opts, assigner: sliding(10), aggregator: sum((x: E) => x.v) })).toEqual([
      { key: 'a', window: { start: -9, end: 1 }, value: 1 },
      { key: 'a', window: { start: -4, end: 6 }, value: 11 },
      { key: 'a', window: { start: 1, end: 11 }, value: 10 },
      { key: 'a', window: { start: 11, end: 21 }, value: 100 },
    ]);
  });

  it('sliding: every window is non-empty and its count is the number of times inside it', () => {
    fc.assert(
      fc.property(keyedEvents({ timeRange: [0, 300], keys: 2 }), fc.integer({ min: 1, max: 60 }), ({ events }, size) => {
        for (const r of batchWindows(events, { ...byKey, assigner: sliding(size), aggregator: count() })) {
          const inside = events.filter((x) => x.key === r.key && r.window.start <= x.time && x.time < r.window.end).length;
          expect(r.value).toBe(inside);
          expect(inside).toBeGreaterThan(0);
          expect(r.window.end - r.window.start).toBe(size);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('global: one window per key over all records', () => {
    const r = batchWindows([e('b', 5), e('a', -1e12), e('a', 1e12)], { ...opts, assigner: global(), aggregator: count() });
    expect(r).toEqual([
      { key: 'a', window: { start: Number.MIN_SAFE_INTEGER, end: Number.MAX_SAFE_INTEGER }, value: 2 },
      { key: 'b', window: { start: Number.MIN_SAFE_INTEGER, end: Number.MAX_SAFE_INTEGER }, value: 1 },
    ]);
  });

  it('calendar windows follow the assigner: a 23-hour New York day', () => {
    const ny = tumbling('1d', { timeZone: 'America/New_York' });
    const t = Date.UTC(2024, 2, 10, 12);
    const [r] = batchWindows([e('a', t)], { ...opts, assigner: ny, aggregator: count() });
    expect(r.window.end - r.window.start).toBe(23 * 3_600_000);
  });

  it('aggregates in input order and does not depend on it for order-free aggregates', () => {
    const events = [e('a', 1, 1), e('a', 2, 2), e('a', 3, 3)];
    expect(batchWindows([...events].reverse(), { ...opts, assigner: tumbling(10), aggregator: collect((x: E) => x.v) })[0].value).toEqual([
      3, 2, 1,
    ]);
    fc.assert(
      fc.property(keyedEvents(), ({ events, arrival }) => {
        const spec = { ...byKey, assigner: hopping(300, 100), aggregator: sum((x: KeyedEvent) => x.value) };
        expect(batchWindows(arrival, spec)).toEqual(batchWindows(events, spec));
      }),
      { numRuns: 100 },
    );
  });

  it('groups keys as the window operator does: equal objects are one key, NaN and null two', () => {
    const events = [
      { k: { zone: 1 } as unknown, t: 1 },
      { k: { zone: 1 }, t: 2 },
      { k: NaN, t: 3 },
      { k: null, t: 4 },
      { k: { id: 5n }, t: 5 },
    ];
    const result = batchWindows(events, { keyOf: (x) => x.k, timeOf: (x) => x.t, assigner: tumbling(10), aggregator: count() });
    expect(result.map((r) => [r.key, r.value])).toEqual([
      [null, 1],
      [NaN, 1],
      [{ id: 5n }, 1],
      [{ zone: 1 }, 2],
    ]);
  });

  it('compareKeys is a total order over mixed key types', () => {
    // (Array.prototype.sort moves undefined to the end by itself, so it is left out here.)
    const keys: unknown[] = ['b', 3n, { z: 1 }, false, 2, null, 'a', [1], -1n];
    expect([...keys].sort(compareKeys)).toEqual([null, false, 2, -1n, 3n, 'a', 'b', [1], { z: 1 }]);
    expect(compareKeys(undefined, null)).toBe(0);
    expect(compareKeys(undefined, 0)).toBeLessThan(0);
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.bigInt())), (xs) => {
        const once = [...xs].sort(compareKeys);
        expect([...once].reverse().sort(compareKeys)).toEqual(once);
      }),
    );
  });

  it('sorts keys with a total order: null, numbers numerically, then strings', () => {
    const keys = [10, 'b', 2, null, 'a', -1];
    expect([...keys].sort(compareKeys)).toEqual([null, -1, 2, 10, 'a', 'b']);
    const r = batchWindows(
      keys.map((k, i) => ({ k, t: i })),
      { keyOf: (x: { k: unknown }) => x.k, timeOf: (x: { t: number }) => x.t, assigner: global(), aggregator: count() },
    );
    expect(r.map((x) => x.key)).toEqual([null, -1, 2, 10, 'a', 'b']);
  });
});
