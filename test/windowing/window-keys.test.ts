import { describe, expect, it } from 'vitest';
import { encodeKey } from '../../src/core/key-encoding.js';
import { count } from '../../src/windowing/aggregators/index.js';
import { hopping } from '../../src/windowing/hopping.js';
import { resultId } from '../../src/windowing/result-id.js';
import { session } from '../../src/windowing/session.js';
import { sliding } from '../../src/windowing/sliding.js';
import { tumbling } from '../../src/windowing/tumbling.js';
import type { WindowAssigner } from '../../src/windowing/types.js';
import { windowOperator } from '../../src/windowing/window-operator.js';
import { Harness, MapStateWriter } from './operator-harness.js';

const harness = (assigner: WindowAssigner = tumbling(10)) => new Harness(windowOperator({ assigner }, count()));

/** Keys JSON gives one text (`null`, or the same ISO string): each must stay its own key. */
const CONFUSED: unknown[] = [null, NaN, Infinity, -Infinity, new Date(0), new Date(0).toISOString(), undefined, 'null'];

describe('keys are told apart by their type-tagged text', () => {
  it('keys null, NaN, ±Infinity, a Date and its ISO string get their own results and ids', () => {
    const h = harness();
    h.add(...CONFUSED.map((key, i) => [key, i] as const)).watermark(Infinity);
    expect(h.results).toHaveLength(CONFUSED.length);
    expect(new Set(h.results.map((r) => r.id)).size).toBe(CONFUSED.length);
    for (const r of h.results) {
      expect(r.value).toBe(1);
      expect(r.id).toBe(resultId(encodeKey(r.key), 0, 10, 0, false));
    }
  });

  for (const [name, assigner] of [
    ['tumbling', () => tumbling(10)],
    ['hopping', () => hopping(10, 5)],
    ['session', () => session(10)],
    ['sliding', () => sliding(10)],
  ] as const) {
    it(`${name}: their counts stay apart through a checkpoint and a restore`, () => {
      const before = harness(assigner());
      before.add(...CONFUSED.map((key) => [key, 1] as const));
      const writer = new MapStateWriter();
      before.op.snapshotState!(writer, true);
      const after = harness(assigner());
      after.op.restoreState!(writer.entries());
      after.add(...CONFUSED.map((key) => [key, 2] as const)).watermark(Infinity);
      const byKey = new Map<string, number>();
      for (const r of after.results)
        if (r.window.start <= 1) byKey.set(encodeKey(r.key), Math.max(byKey.get(encodeKey(r.key)) ?? 0, r.value as number));
      expect([...byKey.keys()].sort()).toEqual(CONFUSED.map(encodeKey).sort());
      for (const n of byKey.values()) expect(n).toBe(2);
    });
  }

  it('treats -0 and 0 as one key, as === and Map do', () => {
    const h = harness();
    h.add([0, 1], [-0, 2]).watermark(Infinity);
    expect(h.rows()).toEqual(['0 [0,10) 2 #0 on-time']);
  });

  it('counts bigint keys and keys holding bigints, which JSON cannot write', () => {
    const h = harness();
    h.add([12n, 1], [12, 2], [{ id: 12n }, 3], [{ id: 12n }, 4]).watermark(Infinity);
    expect(h.results.map((r) => [encodeKey(r.key), r.value])).toEqual([
      ['12n', 1],
      ['12', 1],
      ['{"id":12n}', 2],
    ]);
    expect(h.dead).toEqual([]);
  });

  it('keeps the ids of string and integer keys, pinned by the reference vectors', () => {
    const h = harness(tumbling(60000));
    h.add(['zone-7', 1], [7, 2]).watermark(Infinity);
    expect(h.results.map((r) => r.id)).toEqual([resultId('"zone-7"', 0, 60000, 0, false), resultId('7', 0, 60000, 0, false)]);
  });

  it('sends a record whose key cannot be a key to the dead letters, naming why, and goes on', () => {
    class Zone {
      id = 1;
    }
    const h = harness();
    h.add(['a', 1], [new Map([[1, 1]]), 2], [new Zone(), 3], [() => 1, 4], [Symbol('k'), 5], ['a', 6]).watermark(Infinity);
    expect(h.rows()).toEqual(['"a" [0,10) 2 #0 on-time']);
    expect(h.dead.map((d) => [d.position, d.operator])).toEqual([
      [{ partition: 0, offset: 1 }, '1-window'],
      [{ partition: 0, offset: 2 }, '1-window'],
      [{ partition: 0, offset: 3 }, '1-window'],
      [{ partition: 0, offset: 4 }, '1-window'],
    ]);
    expect(h.dead[0].reason).toMatch(
      /^1-window: the record's key cannot be a key: UnencodableKeyError: a Map \(a class instance\) cannot be a key/,
    );
    expect(h.dead[1].reason).toMatch(/a Zone \(a class instance\)/);
    expect(h.dead[2].reason).toMatch(/a function cannot be a key/);
    expect(h.dead[3].reason).toMatch(/a symbol/);
    expect(h.dead[0].raw).toBe(2);
  });
});
