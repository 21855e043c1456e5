import { describe, expect, it } from 'vitest';
import { StateError } from '../../src/core/errors.js';
import type { Operator } from '../../src/core/operator.js';
import type { WindowResult } from '../../src/core/window.js';
import { collect, count, sum } from '../../src/windowing/aggregators/index.js';
import { hopping } from '../../src/windowing/hopping.js';
import { session } from '../../src/windowing/session.js';
import { sliding } from '../../src/windowing/sliding.js';
import { afterCount, onWatermark } from '../../src/windowing/triggers.js';
import { tumbling } from '../../src/windowing/tumbling.js';
import { windowOperator } from '../../src/windowing/window-operator.js';
import {
  alignedStateKey,
  decodeAligned,
  decodeSession,
  decodeSliding,
  decodeTimestamp,
  META_STATE_KEY,
  sessionStateKey,
  slidingStateKey,
  timestampStateKey,
} from '../../src/windowing/window-state-layout.js';
import { W1_CHECKPOINTS } from './fixtures/w1-checkpoints.js';
import { Harness, MapStateWriter } from './operator-harness.js';

describe('window state layout w2', () => {
  it('is pinned: aligned windows by end, sessions and sliding state by key, then time', () => {
    expect(META_STATE_KEY).toBe('w2/m');
    expect(alignedStateKey(0, 60000, '"a"')).toBe('w2/a/800000000000ea60/8000000000000000/"a"');
    expect(alignedStateKey(-10, 0, 'NaN')).toBe('w2/a/8000000000000000/7ffffffffffffff6/NaN');
    expect(sessionStateKey(0, 10, '{"zone":7}')).toBe('w2/s/{"zone":7}/8000000000000000/800000000000000a');
    expect(slidingStateKey(-9, 'Date(0)')).toBe('w2/l/Date(0)/7ffffffffffffff7');
    expect(timestampStateKey(1_700_000_000_000, '12n')).toBe('w2/t/12n/8000018bcfe56800');
  });

  it('reads back every key it writes, whatever the key text holds', () => {
    const value = { a: 3, p: 1, i: 2, o: true, l: 2, lt: 'late' };
    for (const [keyText, key] of [
      ['"a/b"', 'a/b'],
      ['{"p":"/8000000000000000/"}', { p: '/8000000000000000/' }],
      ['NaN', NaN],
      ['Date(-5)', new Date(-5)],
    ] as const) {
      expect(decodeAligned(alignedStateKey(-3, 7, keyText), value)).toEqual({ key, keyText, start: -3, end: 7, stored: value });
      expect(decodeSession(sessionStateKey(-3, 7, keyText), value)).toEqual({ key, keyText, start: -3, end: 7, stored: value });
      expect(decodeSliding(slidingStateKey(-3, keyText), value, 10)).toEqual({ key, keyText, start: -3, end: 7, stored: value });
      expect(decodeTimestamp(timestampStateKey(4, keyText), { a: 1, n: 2 })).toEqual({ key, keyText, time: 4, stored: { a: 1, n: 2 } });
    }
  });

  it('refuses what it cannot read exactly', () => {
    const refused = (entries: Array<[string, unknown]>, code: string, message: RegExp) => {
      const op = windowOperator({ assigner: tumbling(10) }, count());
      let error: unknown;
      try {
        op.restoreState!(entries);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(StateError);
      expect((error as StateError).code).toBe(code);
      expect((error as Error).message).toMatch(message);
    };
    const meta: [string, unknown] = ['w2/m', { watermark: 5, assigner: 'tumbling(10ms)' }];
    refused(
      [meta, ['w2/a/8000000000000014/800000000000000a/"a"', { a: 1, p: 'x', i: 0, o: false }]],
      'STATE_CORRUPT',
      /not a window state/,
    );
    refused([meta, ['w2/a/8000000000000014/800000000000000a/"a', { a: 1, p: 0, i: 0, o: false }]], 'STATE_CORRUPT', /cannot read/);
    refused(
      [meta, ['w2/s/"a"/8000000000000000/800000000000000a', { a: 1, p: 0, i: 0, o: false }]],
      'STATE_INCOMPATIBLE',
      /unknown state entry/,
    );
    refused([['w2/a/8000000000000014/800000000000000a/"a"', { a: 1, p: 0, i: 0, o: false }]], 'STATE_CORRUPT', /no w2\/m entry/);
    refused([['w2/m', { watermark: 5, assigner: 'session(10ms)' }]], 'STATE_INCOMPATIBLE', /written for session\(10ms\) windows/);
    refused([['w1/m', { watermark: 5 }]], 'STATE_CORRUPT', /not \{ watermark, assigner \}/);
    refused(
      [
        ['w1/m', { watermark: 5, assigner: 'tumbling(10ms)' }],
        ['w1/w/100000000000000/10000000000000a/{}', { k: new Map(), s: 0, e: 10, a: 1, p: 1, i: 0, o: false }],
      ],
      'STATE_INCOMPATIBLE',
      /w1 state entry .* holds a key the w2 layout cannot represent \(a Map/,
    );
  });
});

/** The records of the fixture's first part (before its checkpoint), and of a second part after it. */
const KEYS: unknown[] = ['a', 7, { zone: 1, vendor: 'x' }, new Date(Date.UTC(2024, 0, 1)), NaN];
function part1(): Array<[unknown, number]> {
  const recs: Array<[unknown, number]> = [];
  KEYS.forEach((k, i) => {
    for (const t of [1, 4, 12, 13 + i, 26]) recs.push([k, t + i]);
  });
  return recs;
}
function part2(): Array<[unknown, number]> {
  return KEYS.flatMap((k, i): Array<[unknown, number]> => [
    [k, 11 + i],
    [k, 30 + i],
    [k, 3],
  ]);
}

const CONFIGS: Record<keyof typeof W1_CHECKPOINTS, () => Operator<unknown, WindowResult>> = {
  tumbling: () =>
    windowOperator(
      { assigner: tumbling(10), allowedLateness: 20, mode: 'retracting', trigger: onWatermark({ early: afterCount(2) }) },
      sum(),
    ),
  hopping: () => windowOperator({ assigner: hopping(10, 5), allowedLateness: 20 }, collect()),
  session: () => windowOperator({ assigner: session(5), allowedLateness: 20, mode: 'retracting' }, count()),
  sliding: () => windowOperator({ assigner: sliding(8), allowedLateness: 20 }, sum()),
};

const play = (h: Harness, records: Array<[unknown, number]>) => h.add(...records.map(([k, t]) => [k, t] as const));
const sorted = (h: Harness) => h.results.map((r) => `${r.id} ${JSON.stringify(r.value)} ${r.pane.timing}`).sort();

describe('a checkpoint in layout w1', () => {
  for (const name of Object.keys(CONFIGS) as Array<keyof typeof CONFIGS>) {
    it(`${name}: restores exactly, and the next snapshot rewrites it in layout w2`, () => {
      const whole = new Harness(CONFIGS[name]());
      play(whole, part1()).watermark(12);
      play(whole, part2()).watermark(Infinity);

      const before = new Harness(CONFIGS[name]());
      play(before, part1()).watermark(12);
      const restored = new Harness(CONFIGS[name]());
      restored.op.restoreState!(W1_CHECKPOINTS[name]);

      // The first incremental snapshot deletes every w1 key and writes the same state under w2 keys.
      const store = new MapStateWriter();
      for (const [k, v] of W1_CHECKPOINTS[name]) store.store.set(k, v);
      restored.op.snapshotState!(store, false);
      const fresh = new MapStateWriter();
      before.op.snapshotState!(fresh, true);
      expect([...store.store.keys()].every((k) => k.startsWith('w2/'))).toBe(true);
      expect(store.entries()).toEqual(fresh.entries());

      play(restored, part2()).watermark(Infinity);
      expect([...sorted(before), ...sorted(restored)].sort()).toEqual(sorted(whole));
      expect([...before.late, ...restored.late]).toEqual(whole.late);
    });
  }
});
