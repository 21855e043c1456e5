import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeKey } from '../../src/core/key-encoding.js';
import { Metrics } from '../../src/core/metrics.js';
import { compareKeys } from '../../src/core/state-query.js';
import { JobStateQueries } from '../../src/runtime/job-state-queries.js';
import { OperatorGraph, type PlanNode } from '../../src/runtime/operator-graph.js';
import { count } from '../../src/windowing/aggregators/index.js';
import { tumbling } from '../../src/windowing/tumbling.js';
import { windowOperator } from '../../src/windowing/window-operator.js';

const plan: PlanNode = { operators: [{ make: () => windowOperator({ assigner: tumbling(1000) }, count()), uid: 'counts' }], sinks: [] };

/** A task's graph fed `records` (key, time) as one batch. */
function taskGraph(partition: number, records: Array<[unknown, number]>): OperatorGraph {
  const graph = new OperatorGraph(
    plan,
    new Metrics(),
    () => 0,
    () => [partition],
  );
  if (records.length > 0) {
    graph.push({
      values: records.map(([key]) => key),
      keys: records.map(([key]) => key),
      times: records.map(([, t]) => t),
      positions: records.map((_, i) => i),
      partition,
    });
  }
  return graph;
}

/** Per key, the counts of its open 1 s windows: what every task together holds. */
function oracle(records: Array<[unknown, number]>): Map<string, { key: unknown; value: unknown }> {
  const byKey = new Map<string, { key: unknown; counts: Map<number, number> }>();
  for (const [key, t] of records) {
    const text = encodeKey(key);
    const entry = byKey.get(text) ?? { key, counts: new Map<number, number>() };
    const start = Math.floor(t / 1000) * 1000;
    entry.counts.set(start, (entry.counts.get(start) ?? 0) + 1);
    byKey.set(text, entry);
  }
  const out = new Map<string, { key: unknown; value: unknown }>();
  for (const [text, { key, counts }] of byKey) {
    const windows = [...counts]
      .sort(([a], [b]) => a - b)
      .map(([start, n]) => ({ window: { start, end: start + 1000 }, value: n, fired: false }));
    out.set(text, { key, value: windows });
  }
  return out;
}

const keyArb = fc.oneof(
  fc.integer({ min: -5, max: 50 }),
  fc.constantFrom('a', 'b', 'zone-7', ''),
  fc.record({ zone: fc.integer({ min: 0, max: 3 }) }),
);
const recordArb = fc.tuple(keyArb, fc.integer({ min: 0, max: 5_000 })) as fc.Arbitrary<[unknown, number]>;

describe('queries over several partition tasks', () => {
  it('get asks the task that holds the key; entries merge every task in key order, within from, to and limit', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(recordArb, { maxLength: 60 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(10),
        async (records, taskCount, limit) => {
          // Each key lives in one task, as a partitioner puts it.
          const perTask: Array<Array<[unknown, number]>> = Array.from({ length: taskCount }, () => []);
          for (const record of records) perTask[encodeKey(record[0]).length % taskCount].push(record);
          const graphs = perTask.map((rs, p) => taskGraph(p, rs));
          const queries = new JobStateQueries();
          queries.opened(taskGraph(0, []), () => graphs);
          const view = queries.query('counts');
          const expected = oracle(records);
          const ordered = [...expected.values()].sort((a, b) => compareKeys(a.key, b.key));

          for (const { key, value } of expected.values()) expect(await view.get(key)).toEqual(value);
          expect(await view.get('never')).toBeUndefined();
          expect(await view.entries()).toEqual(ordered);
          expect(await view.entries({ limit })).toEqual(ordered.slice(0, limit));
          const inRange = ordered.filter((e) => compareKeys(e.key, 0) >= 0 && compareKeys(e.key, 'b') <= 0);
          expect(await view.keys({ from: 0, to: 'b' })).toEqual(inRange.map((e) => e.key));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reads wait for the job to open, and reject when it failed to', async () => {
    const opened = new JobStateQueries();
    const pending = opened.query('counts').get(1);
    opened.opened(taskGraph(0, []), () => [taskGraph(0, [[1, 10]])]);
    expect(await pending).toEqual([{ window: { start: 0, end: 1000 }, value: 1, fired: false }]);

    const failed = new JobStateQueries();
    const read = failed.query('counts').entries();
    failed.failed(new Error('cannot open the state'));
    await expect(read).rejects.toThrow('cannot open the state');
  });
});

describe('compareKeys', () => {
  it('orders numbers by value, then strings, then booleans, then other keys by their text', () => {
    const keys = ['b', { zone: 1 }, 10, true, 'a', 9n, -1, false, null, 2.5];
    expect([...keys].sort(compareKeys)).toEqual([-1, 2.5, 9n, 10, 'a', 'b', false, true, null, { zone: 1 }]);
  });
});
