import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batchOf } from '../../src/core/batch.js';
import { PipelineError, StateError } from '../../src/core/errors.js';
import type { Operator, Output } from '../../src/core/operator.js';
import type { Source, SourcePoll } from '../../src/core/source.js';
import type { WindowResult } from '../../src/core/window.js';
import { from, union, type Stream } from '../../src/pipeline/stream.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { fromArray } from '../../src/sources/array-source.js';
import { fromIterable } from '../../src/sources/iterable-source.js';
import { levelState } from '../../src/state/level-state.js';
import { memoryState } from '../../src/state/memory-state.js';
import { boundedOutOfOrderness, monotonic } from '../../src/watermarks/watermark-strategy.js';
import { count, sum } from '../../src/windowing/aggregators/index.js';
import { tumbling } from '../../src/windowing/tumbling.js';
import { runStoppingAtCheckpoint, stopAndResume, stoppingAfter } from './stopping-after.js';

interface Event {
  src: string;
  key: string;
  t: number;
  v: number;
}

const events = (src: string, n: number, step: number, disorder = 0): Event[] =>
  Array.from({ length: n }, (_, i) => ({ src, key: `k${i % 3}`, t: i * step - ((i * 37) % (disorder + 1)), v: i }));

/** Passes records on and records every watermark it sees. */
function watermarkProbe(seen: number[]): Operator {
  return {
    name: 'probe',
    processBatch: (batch, out: Output) => out.emit(batch),
    processWatermark: (time, out: Output) => {
      seen.push(time);
      out.watermark(time);
    },
  };
}

describe('union', () => {
  it('merges every record of every input, each input with its own operators before the merge', async () => {
    const out = toArray<Event>();
    const a = from(fromArray(events('a', 50, 10), { batchSize: 7 })).withTimestamps((e) => e.t, monotonic());
    const b = from(fromArray(events('b', 30, 20), { batchSize: 3 }))
      .withTimestamps((e) => e.t, monotonic())
      .map((e) => ({ ...e, v: -e.v }));
    const c = from(fromArray(events('c', 10, 5))).withTimestamps((e) => e.t, monotonic());
    const summary = await union(a, b).union(c).to(out).run();
    expect(summary.records).toBe(90);
    const bySource = (src: string) => out.items.filter((e) => e.src === src);
    expect(bySource('a')).toEqual(events('a', 50, 10));
    expect(bySource('b')).toEqual(events('b', 30, 20).map((e) => ({ ...e, v: -e.v })));
    expect(bySource('c')).toEqual(events('c', 10, 5));
  });

  it('has the minimum of its inputs’ watermarks, and an input that ended no longer holds it back', async () => {
    const seen: number[] = [];
    const a = from(fromArray(events('a', 10, 100), { batchSize: 1 })).withTimestamps((e) => e.t, monotonic());
    const b = from(fromArray(events('b', 5, 100), { batchSize: 1 })).withTimestamps((e) => e.t, monotonic());
    await union(a, b)
      .process(() => watermarkProbe(seen))
      .to(toArray())
      .run();
    // Inputs alternate a0 b0 a1 b1 …: the union follows the slower one; once b ended, a alone.
    expect(seen).toEqual([-1, 99, 199, 299, 399, 499, 599, 699, 799, 899, Infinity]);
  });

  it('fires windows on the merged watermark: a window waits for the slower input', async () => {
    const out = toArray<WindowResult<string, { n: number; v: number }>>();
    const a = from(fromArray(events('a', 100, 10, 30), { batchSize: 9 })).withTimestamps((e) => e.t, boundedOutOfOrderness(30));
    const b = from(fromArray(events('b', 60, 17, 30), { batchSize: 4 })).withTimestamps((e) => e.t, boundedOutOfOrderness(30));
    const late = toArray();
    await union(a, b)
      .keyBy((e) => e.key)
      .window(tumbling(100))
      .aggregate({ n: count(), v: sum((e: Event) => e.v) })
      .late(late)
      .to(out)
      .run();
    expect(late.items).toEqual([]);
    const all = [...events('a', 100, 10, 30), ...events('b', 60, 17, 30)];
    const expected = new Map<string, { n: number; v: number }>();
    for (const e of all) {
      const id = `${e.key}@${Math.floor(e.t / 100) * 100}`;
      const acc = expected.get(id) ?? { n: 0, v: 0 };
      expected.set(id, { n: acc.n + 1, v: acc.v + e.v });
    }
    expect(new Map(out.items.map((r) => [`${r.key}@${r.window.start}`, r.value]))).toEqual(expected);
    expect(out.items).toHaveLength(expected.size);
  });

  it('leaves an idle input out of the minimum', async () => {
    let now = 0;
    // One record, then nothing for a long while (processing time advances 100 ms per poll).
    let polls = 0;
    const quiet: Source<Event> = {
      name: 'quiet',
      partitions: () => [0],
      open: () => undefined,
      poll(): SourcePoll<Event> {
        polls++;
        now += 100;
        if (polls === 1) return { kind: 'batch', batch: batchOf([{ src: 'q', key: 'k0', t: 0, v: 0 }]) };
        return polls > 105 ? { kind: 'end' } : { kind: 'idle' };
      },
      position: () => polls,
    };
    const seen: number[] = [];
    const a = from(quiet).withTimestamps((e) => e.t, boundedOutOfOrderness(0, { idleTimeout: '1s' }));
    const b = from(fromArray(events('b', 100, 100), { batchSize: 1 })).withTimestamps((e) => e.t, monotonic());
    await union(a, b)
      .process(() => watermarkProbe(seen))
      .to(toArray())
      .run({ clock: () => now, tickInterval: 100 });
    const finite = seen.filter(Number.isFinite);
    // Without idleness the quiet input would hold the union at -1 until the end.
    expect(Math.max(...finite)).toBeGreaterThan(5000);
    expect(seen.at(-1)).toBe(Infinity);
  });

  it('refuses inputs of different kinds, the same source twice, and a single stream', () => {
    const timed = from(fromArray(events('a', 1, 1))).withTimestamps((e) => e.t);
    const plain = from(fromArray(events('b', 1, 1)));
    expect(() => union(timed, plain as unknown as typeof timed)).toThrow(PipelineError);
    expect(() =>
      union(
        timed.keyBy((e) => e.key),
        timed.keyBy((e) => e.key),
      ),
    ).toThrow(/same source appears twice/);
    expect(() => union(timed)).toThrow(/at least two streams/);
    expect(() =>
      union(
        timed.keyBy((e) => e.key),
        from(fromArray(events('c', 1, 1))).withTimestamps((e) => e.t) as never,
      ),
    ).toThrow(/not keyed/);
  });
});

describe('union checkpoints and restores', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamkit-union-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  type Result = WindowResult<string, { n: number; v: number }>;
  const inputA = events('a', 300, 10, 40);
  const inputB = events('b', 200, 13, 40);

  function pipeline(stopAt: number | undefined, stop: AbortController, batches: [number, number]): Stream<Result> {
    const a = from(stoppingAfter(fromArray(inputA, { batchSize: batches[0] }), stopAt, stop)).withTimestamps(
      (e) => e.t,
      boundedOutOfOrderness(40),
    );
    const b = from(fromArray(inputB, { batchSize: batches[1] })).withTimestamps((e) => e.t, boundedOutOfOrderness(40));
    return union(a, b)
      .keyBy((e) => e.key)
      .window(tumbling(50))
      .aggregate({ n: count(), v: sum((e: Event) => e.v) });
  }

  const text = (r: Result) => `${r.id} ${JSON.stringify(r.value)}`;

  it('a restore from a stop at any point gives the output of a run never stopped', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 3, max: 20 }),
        fc.integer({ min: 3, max: 20 }),
        async (stopAt, ba, bb) => {
          const { whole, resumed, stopped, restored } = await stopAndResume(
            (at, stop) => pipeline(at, stop, [ba, bb]),
            stopAt,
            join(dir, `run-${++runs}`),
            '1h',
          );
          // A stop that came after both inputs were read is a normal end.
          if (stopped.stopped) expect(restored.restoredFrom).toBeDefined();
          // Every record read exactly once over the two runs: no input replayed, none skipped.
          expect(stopped.records + restored.records).toBe(inputA.length + inputB.length);
          expect(resumed.map(text).sort()).toEqual(whole.map(text).sort());
        },
      ),
      { numRuns: 12 },
    );
  });

  it('asynchronous inputs stopped at any checkpoint and restored are read exactly once, also a batch answered between two polls', async () => {
    const values = (src: string, n: number) => Array.from({ length: n }, (_, i) => `${src}${i}`);
    async function* slowly(items: string[]) {
      for (const item of items) {
        await Promise.resolve();
        yield item;
      }
    }
    const all = [...values('a', 200), ...values('b', 150)].sort();
    const pipeline = () =>
      union(from(fromIterable(slowly(values('a', 200)), { batchSize: 7 })), from(fromIterable(slowly(values('b', 150)), { batchSize: 5 })));
    for (const cut of [1, 2, 3, 5, 8, 13]) {
      const state = memoryState();
      const first = await runStoppingAtCheckpoint(pipeline(), state, 20, cut);
      expect(first.summary.stopped).toBe(true);
      const second = toArray<string>();
      await pipeline().to(second).run({ state });
      expect([...first.items, ...second.items].sort()).toEqual(all);
    }
  });

  it('refuses a checkpoint taken with a different number of inputs', async () => {
    const state = join(dir, 'changed');
    const stop = new AbortController();
    await pipeline(5, stop, [10, 10])
      .to(toArray())
      .run({ state: levelState(state), checkpointEvery: '1h', signal: stop.signal });
    const a = from(fromArray(inputA)).withTimestamps((e) => e.t, boundedOutOfOrderness(40));
    const b = from(fromArray(inputB)).withTimestamps((e) => e.t, boundedOutOfOrderness(40));
    const c = from(fromArray(inputB)).withTimestamps((e) => e.t, boundedOutOfOrderness(40));
    const job = union(a, b, c)
      .keyBy((e) => e.key)
      .window(tumbling(50))
      .aggregate({ n: count(), v: sum((e: Event) => e.v) })
      .to(toArray())
      .run({ state: levelState(state), checkpointEvery: '1h' });
    await expect(job).rejects.toThrow(StateError);
    await expect(job).rejects.toThrow(/positions of 2 sources, this union reads 3/);
  });
});

describe('union inputs that end', () => {
  it('a withTimestamps after the merge stops waiting for an input once it ended: its watermark moves while the long input runs', async () => {
    // A long input and a short one; after the merge the records are stamped again. Once the short
    // input ended, only the long one's partitions count, so windows fire as the long one is read,
    // not all at its end.
    let pulled = 0;
    function* long(): Generator<Event> {
      for (const e of events('long', 2_000, 10)) {
        pulled++;
        yield e;
      }
    }
    const pulledAtResult: number[] = [];
    const sink = toArray<WindowResult<string, number>>();
    const write = sink.write.bind(sink);
    sink.write = (items) => {
      for (let i = 0; i < items.length; i++) pulledAtResult.push(pulled);
      return write(items);
    };
    const merged = union(
      from(fromIterable(long(), { batchSize: 50 })).withTimestamps((e) => e.t, monotonic()),
      from(fromArray(events('short', 5, 10), { batchSize: 5 })).withTimestamps((e) => e.t, monotonic()),
    )
      .map((e) => ({ ...e, t: e.t + 1 }))
      .withTimestamps((e) => e.t, monotonic());
    // Merged once more (as a join or lookup merges its inputs): the stamp above reads the
    // partitions of both inputs of the first union, the short one's after it ended too.
    await union(
      merged,
      from(fromArray(events('other', 3, 10), { batchSize: 3 })).withTimestamps((e) => e.t + 1, monotonic()),
    )
      .keyBy((e) => e.key)
      .window(tumbling(1_000))
      .aggregate(count())
      .to(sink)
      .run({ batchSize: 50 });
    expect(sink.items.reduce((n, r) => n + r.value, 0)).toBe(2_008);
    // The first windows fired long before the last record of the long input was read.
    expect(Math.min(...pulledAtResult)).toBeLessThan(500);
  });
});
