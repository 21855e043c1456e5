import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../../src/core/batch.js';
import { encodeKey } from '../../src/core/key-encoding.js';
import type { Output } from '../../src/core/operator.js';
import type { WindowResult } from '../../src/core/window.js';
import { count, sum } from '../../src/windowing/aggregators/index.js';
import { hopping } from '../../src/windowing/hopping.js';
import { session } from '../../src/windowing/session.js';
import { sliding } from '../../src/windowing/sliding.js';
import { afterCount, onWatermark } from '../../src/windowing/triggers.js';
import { tumbling } from '../../src/windowing/tumbling.js';
import type { WindowAssigner } from '../../src/windowing/types.js';
import { windowOperator } from '../../src/windowing/window-operator.js';

const ASSIGNERS: Record<string, () => WindowAssigner> = {
  tumbling: () => tumbling(10),
  hopping: () => hopping(10, 5),
  sliding: () => sliding(10),
  session: () => session(5),
};

function collector(results: WindowResult<unknown, unknown>[]): Output<WindowResult<unknown, unknown>> {
  return { emit: (b) => results.push(...b.values), watermark: () => undefined, late: () => undefined, deadLetter: () => undefined };
}

describe('the window operator query hook', () => {
  for (const [kind, assigner] of Object.entries(ASSIGNERS)) {
    it(`${kind}: every open window holds the value of its latest pane, and the key's windows are the ones it emitted`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.constantFrom('a', 'b', 7), fc.integer({ min: 0, max: 60 })), { minLength: 1, maxLength: 40 }),
          fc.integer({ min: 1, max: 5 }),
          (records, batchSize) => {
            // An early pane after every record: each pane holds its window's value so far.
            const op = windowOperator({ assigner: assigner(), trigger: onWatermark({ early: afterCount(1) }) }, count());
            const results: WindowResult<unknown, unknown>[] = [];
            const out = collector(results);
            for (let i = 0; i < records.length; i += batchSize) {
              const part = records.slice(i, i + batchSize);
              const batch: Batch = {
                values: part.map(([key]) => key),
                keys: part.map(([key]) => key),
                times: part.map(([, t]) => t),
                positions: part.map((_, j) => i + j),
                partition: 0,
              };
              op.processBatch(batch, out);
            }
            const latest = new Map<string, WindowResult<unknown, unknown>>();
            for (const r of results) latest.set(`${encodeKey(r.key)}|${r.window.start}|${r.window.end}`, r);
            const query = op.stateQuery!;
            const keys = [...(query.keys() as Iterable<unknown>)];
            expect(new Set(keys)).toEqual(new Set(records.map(([key]) => key)));
            for (const key of keys) {
              const open = query.get(key) as Array<{ window: { start: number; end: number }; value: unknown; fired: boolean }>;
              expect(open.length).toBeGreaterThan(0);
              expect(open.map((w) => w.window.start)).toEqual([...open.map((w) => w.window.start)].sort((x, y) => x - y));
              for (const w of open) {
                const pane = latest.get(`${encodeKey(key)}|${w.window.start}|${w.window.end}`);
                expect(pane?.value).toEqual(w.value);
                expect(w.fired).toBe(true);
              }
            }
            expect(query.get('never')).toBeUndefined();
          },
        ),
        { numRuns: 80 },
      );
    });
  }

  it('an unkeyed window holds one key, null; discarding mode shows what came since the last pane', () => {
    const op = windowOperator(
      { assigner: tumbling(10), mode: 'discarding', trigger: onWatermark({ early: afterCount(2) }) },
      sum((x: number) => x),
    );
    const results: WindowResult<unknown, unknown>[] = [];
    op.processBatch({ values: [1, 2, 4], times: [0, 1, 2], positions: [0, 1, 2], partition: 0 }, collector(results));
    expect(results.map((r) => r.value)).toEqual([3]);
    expect([...(op.stateQuery!.keys() as Iterable<unknown>)]).toEqual([null]);
    expect(op.stateQuery!.get(null)).toEqual([{ window: { start: 0, end: 10 }, value: 4, fired: true }]);
  });
});
