import { describe, expect, it } from 'vitest';
import type { WindowResult } from '../../src/core/window.js';
import { boundedOutOfOrderness, from, fromArray, session, sum, toArray, tumbling } from '../../src/index.js';
import { batchWindows, batchWindowsWithLateness, lastPanes, type KeyedEvent } from '../../src/testing/index.js';

const r = (key: string, start: number, index: number, value: number, retraction?: true): WindowResult<string, number> => ({
  key,
  window: { start, end: start + 10 },
  value,
  pane: { index, timing: index === 0 ? 'on-time' : 'late' },
  id: `${key}:${start}:${index}:${retraction ? 1 : 0}`,
  ...(retraction ? { retraction } : {}),
});

describe('lastPanes', () => {
  it('keeps the highest pane per (key, window), skipping retractions, sorted like the oracle', () => {
    const results = [r('b', 0, 0, 1), r('a', 10, 0, 5), r('a', 10, 0, 5, true), r('a', 10, 1, 7), r('a', 0, 0, 2)];
    expect(lastPanes(results)).toEqual([
      { key: 'a', window: { start: 0, end: 10 }, value: 2 },
      { key: 'a', window: { start: 10, end: 20 }, value: 7 },
      { key: 'b', window: { start: 0, end: 10 }, value: 1 },
    ]);
  });

  it('groups results of equal object keys as one key, as the window operator does', () => {
    const at = (key: unknown, index: number, value: number) => ({ ...r('x', 0, index, value), key });
    expect(lastPanes([at({ zone: 1 }, 0, 1), at({ zone: 1 }, 1, 2), at(NaN, 0, 3)])).toEqual([
      { key: NaN, window: { start: 0, end: 10 }, value: 3 },
      { key: { zone: 1 }, window: { start: 0, end: 10 }, value: 2 },
    ]);
  });

  it('leaves out a window whose last result retracts it', () => {
    expect(lastPanes([r('a', 0, 0, 3), r('a', 0, 0, 3, true)])).toEqual([]);
  });

  it('turns late panes of a real pipeline into the lateness oracle', async () => {
    const ev = (time: number, seq: number): KeyedEvent => ({ key: 'k', time, value: seq + 1, seq });
    // 25 moves the watermark to 24: [0,10) is expired for 7 with no lateness, but 20 ms keep it open.
    const arrival = [ev(5, 0), ev(25, 1), ev(7, 2), ev(24, 3)];
    const out = toArray<WindowResult<string, number>>();
    await from(fromArray(arrival, { batchSize: 1 }))
      .withTimestamps((e) => e.time, boundedOutOfOrderness(0))
      .keyBy((e) => e.key)
      .window(tumbling(10), { allowedLateness: 20 })
      .aggregate(sum((e: KeyedEvent) => e.value))
      .to(out)
      .run();
    expect(out.items.some((x) => x.pane.timing === 'late')).toBe(true);
    const expected = batchWindowsWithLateness(arrival, {
      assigner: tumbling(10),
      aggregator: sum((e: KeyedEvent) => e.value),
      keyOf: (e) => e.key,
      timeOf: (e) => e.time,
      maxDelay: 0,
      allowedLateness: 20,
    });
    expect(lastPanes(out.items)).toEqual(expected.results);
    expect(expected.results[0]).toEqual({ key: 'k', window: { start: 0, end: 10 }, value: 4 });
  });

  it('matches the session oracle when a late record bridges sessions in retracting mode', async () => {
    const ev = (time: number, seq: number): KeyedEvent => ({ key: 'k', time, value: 1, seq });
    const arrival = [ev(0, 0), ev(20, 1), ev(40, 2), ev(10, 3)];
    const out = toArray<WindowResult<string, number>>();
    await from(fromArray(arrival, { batchSize: 1 }))
      .withTimestamps((e) => e.time, boundedOutOfOrderness(0))
      .keyBy((e) => e.key)
      .window(session(10), { allowedLateness: 100, mode: 'retracting' })
      .aggregate(sum((e: KeyedEvent) => e.value))
      .to(out)
      .run();
    const expected = batchWindows(arrival, {
      assigner: session(10),
      aggregator: sum((e: KeyedEvent) => e.value),
      keyOf: (e) => e.key,
      timeOf: (e) => e.time,
    });
    expect(expected).toEqual([
      { key: 'k', window: { start: 0, end: 30 }, value: 3 },
      { key: 'k', window: { start: 40, end: 50 }, value: 1 },
    ]);
    expect(lastPanes(out.items)).toEqual(expected);
  });
});
