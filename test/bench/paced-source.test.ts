import { describe, expect, it } from 'vitest';
import { from, toArray } from '../../src/index.js';
import { pacedLines } from '../../bench/e2e/paced-source.js';

describe('pacedLines', () => {
  it('hands out every line once, in order, parsed, with unparseable lines as dead letters', async () => {
    const lines = ['{"v":1}', '{"v":2}', 'not json', '{"v":3}'];
    const ranges: Array<[number, number]> = [];
    // A rate so high that every line has arrived at the first poll: no waiting in a unit test.
    const source = pacedLines(
      lines,
      1e12,
      (l) => JSON.parse(l) as { v: number },
      (a, b) => ranges.push([a, b]),
    );
    const out = toArray<{ v: number }>();
    const dead = toArray();
    const summary = await from(source).deadLetters(dead).to(out).run({ batchSize: 2 });
    expect(out.items.map((r) => r.v)).toEqual([1, 2, 3]);
    expect(dead.items).toHaveLength(1);
    expect(summary.records).toBe(3);
    expect(ranges).toEqual([
      [0, 2],
      [2, 4],
    ]);
    expect(source.stats()).toMatchObject({ records: 4, batches: 2 });
  });

  it('refuses a rate that is not a positive number', () => {
    expect(() => pacedLines([], 0, String)).toThrow(RangeError);
    expect(() => pacedLines([], Number.NaN, String)).toThrow(RangeError);
  });
});
