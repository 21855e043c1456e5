import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  afterCount,
  boundedOutOfOrderness,
  count,
  from,
  fromArray,
  global,
  hopping,
  session,
  sliding,
  sum,
  toArray,
  tumbling,
} from '../../src/index.js';
import type { DeadLetter } from '../../src/index.js';
import type { WindowAssigner } from '../../src/index.js';
import { batchWindows, compareResults, keyedEvents, type KeyedEvent } from '../../src/testing/index.js';

const H = 3_600_000;
const DAY = 24 * H;

/** Runs `arrival` through a keyed windowed sum and returns the last pane per (key, window), sorted. */
async function pipeline(arrival: KeyedEvent[], assigner: WindowAssigner, maxDelay: number, batchSize: number) {
  const { items } = await from(fromArray(arrival, { batchSize }))
    .withTimestamps((e) => e.time, boundedOutOfOrderness(maxDelay))
    .keyBy((e) => e.key)
    .window(assigner)
    .aggregate({ total: sum((e: KeyedEvent) => e.value) })
    .collect();
  const last = new Map<string, { key: unknown; window: { start: number; end: number }; value: unknown }>();
  for (const r of items)
    last.set(`${String(r.key)}|${r.window.start}|${r.window.end}`, { key: r.key, window: r.window, value: r.value.total });
  return [...last.values()].sort(compareResults);
}

describe('calendar assigners in a pipeline', () => {
  // Spans the 2024 spring-forward and fall-back days of both zones, in hours.
  const springNY = Date.UTC(2024, 2, 9);
  const fallLondon = Date.UTC(2024, 9, 26);

  it('windowed sums over DST days equal the batch oracle, whatever the disorder and batching', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(springNY, fallLondon),
        fc.constantFrom<[string, () => WindowAssigner]>(
          ['1d New York', () => tumbling('1d', { timeZone: 'America/New_York' })],
          ['1h New York', () => tumbling('1h', { timeZone: 'America/New_York' })],
          ['1d London', () => tumbling('1d', { timeZone: 'Europe/London' })],
          ['6h/1h London', () => hopping('6h', '1h', { timeZone: 'Europe/London' })],
        ),
        keyedEvents({ keys: 2, timeRange: [0, 3 * DAY], maxDisorder: 2 * H, maxLength: 40 }),
        fc.integer({ min: 1, max: 8 }),
        async (base, [, make], sample, batchSize) => {
          const shift = (e: KeyedEvent): KeyedEvent => ({ ...e, time: e.time + base });
          const arrival = sample.arrival.map(shift);
          const events = sample.events.map(shift);
          const actual = await pipeline(arrival, make(), 2 * H, batchSize);
          const expected = batchWindows(events, {
            assigner: make(),
            aggregator: sum((e: KeyedEvent) => e.value),
            keyOf: (e) => e.key,
            timeOf: (e) => e.time,
          });
          expect(actual).toEqual(expected);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a 23-hour and a 25-hour day come out with their true bounds', async () => {
    const ev = (time: number, seq: number): KeyedEvent => ({ key: 'a', time, value: 1, seq });
    const spring = Date.UTC(2024, 2, 10, 12);
    const fall = Date.UTC(2024, 10, 3, 12);
    const results = await pipeline([ev(spring, 0), ev(fall, 1)], tumbling('1d', { timeZone: 'America/New_York' }), 0, 1);
    expect(results.map((r) => (r.window.end - r.window.start) / H)).toEqual([23, 25]);
  });
});

describe('windows at the edge of the safe-integer range', () => {
  const MAX = Number.MAX_SAFE_INTEGER;
  const MIN = Number.MIN_SAFE_INTEGER;

  it.each<[string, () => WindowAssigner]>([
    ['tumbling', () => tumbling(999)],
    ['hopping', () => hopping(1000, 300)],
    ['session', () => session(999)],
    ['sliding', () => sliding(999)],
  ])(
    '%s: a record whose windows would end beyond ±(2^53 − 1) is a dead letter, never a window with a rounded bound',
    async (_, assigner) => {
      const times = [MIN, MIN + 5000, MAX - 5000, MAX - 500, MAX];
      const dead = toArray<DeadLetter>();
      const { items } = await from(fromArray(times, { batchSize: 1 }))
        .withTimestamps((t) => t, boundedOutOfOrderness(1_000_000))
        .window(assigner())
        .aggregate(count())
        .deadLetters(dead)
        .collect();
      for (const { window } of items) {
        expect(Number.isSafeInteger(window.start) && Number.isSafeInteger(window.end)).toBe(true);
        expect(window.end - window.start).toBeGreaterThan(0);
      }
      const placed = new Set(items.map((r) => r.window.start));
      expect(placed.size).toBeGreaterThan(0);
      // Every record is accounted for: in a window, or a dead letter saying why.
      const rejected = dead.items.map((d) => d.raw as number);
      for (const t of times) {
        const inWindow = items.some((r) => r.window.start <= t && t < r.window.end);
        expect(inWindow !== rejected.includes(t)).toBe(true);
      }
      expect(rejected).toContain(MAX);
      expect(rejected).not.toContain(MIN + 5000);
      expect(rejected).not.toContain(MAX - 5000);
      for (const letter of dead.items)
        expect(letter.reason).toMatch(/window#0: event time -?\d+ is too close to the edge of the safe-integer range/);
    },
  );

  it('a global window takes every safe time below its end', async () => {
    const dead = toArray<DeadLetter>();
    const { items } = await from(fromArray([MIN, 0, MAX - 1]))
      .withTimestamps((t) => t)
      .window(global(), { trigger: afterCount(3) })
      .aggregate(count())
      .deadLetters(dead)
      .collect();
    expect(dead.items).toEqual([]);
    expect(items.at(-1)!.value).toBe(3);
  });
});
