import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS } from '../../src/core/metric-catalogue.js';
import {
  boundedOutOfOrderness,
  from,
  fromArray,
  levelState,
  listState,
  mapState,
  memoryState,
  toArray,
  valueState,
  type DeadLetter,
  type StateBackend,
} from '../../src/index.js';
import { TIMER_BUCKET_MS } from '../../src/process/process-state-layout.js';
import { batchSizes, keyedEvents, type KeyedEvent } from '../../src/testing/index.js';
import { stopAndResume, stoppingAfter } from '../pipeline/stopping-after.js';
import { PausedSource } from '../runtime/fixtures/paused-source.js';

/** The shape of a random process function: which features it uses, and how. */
interface Shape {
  ttl: number | undefined;
  /** Timer offsets in ms after the record: several records of a key share some. */
  offsets: number[];
  /** Records with `value % deleteEvery === 0` delete a timer. */
  deleteEvery: number;
  /** Records with `value % throwEvery === 0` throw after changing everything (undone, dead-lettered). */
  throwEvery: number;
  /** Timers at a time `% chainEvery === 0` register one more, `chain` ms later. */
  chainEvery: number;
  chain: number;
  /** The list keeps this many elements. */
  keep: number;
}

const shapes = fc.record({
  ttl: fc.option(fc.integer({ min: 5_000, max: 120_000 }), { nil: undefined }),
  offsets: fc.array(fc.integer({ min: 0, max: 90_000 }), { minLength: 1, maxLength: 3 }),
  deleteEvery: fc.integer({ min: 2, max: 9 }),
  throwEvery: fc.integer({ min: 4, max: 13 }),
  chainEvery: fc.integer({ min: 2, max: 5 }),
  // At least 1 s: a timer that registers its own time again fires for ever (with heap state as
  // well), and a short step would chain thousands of timers up to the end of the input.
  chain: fc.integer({ min: 1_000, max: 3 * TIMER_BUCKET_MS }),
  keep: fc.integer({ min: 1, max: 4 }),
});

/** Values drawn so that the modulo rules above pick some records and not others. */
const events = keyedEvents({
  keys: 5,
  timeRange: [0, 400_000],
  maxDisorder: 20_000,
  valueRange: [0, 60],
  maxLength: 70,
  late: { fraction: 0.1, maxExtraDelay: 60_000 },
});

/** A process function of `shape` over events: value, map and list state, event timers, deletes, throws, TTL. */
function pipeline(arrival: readonly KeyedEvent[], batchSize: number, shape: Shape, at?: number, stop?: AbortController) {
  const source = fromArray([...arrival], { batchSize });
  return from(at === undefined ? source : stoppingAfter(source, at, stop!))
    .withTimestamps((e) => e.time, boundedOutOfOrderness(20_000))
    .keyBy((e) => e.key)
    .process(
      {
        state: { total: valueState<number>(), byBucket: mapState<number, number>(), recent: listState<number>() },
        onRecord(e, ctx) {
          const s = ctx.state;
          s.total.set((s.total.get() ?? 0) + e.value);
          const bucket = Math.floor(e.time / 50_000);
          s.byBucket.set(bucket, (s.byBucket.get(bucket) ?? 0) + 1);
          if (e.value % 4 === 0) s.byBucket.delete(bucket - 1);
          s.recent.add(e.seq);
          if (s.recent.get().length > shape.keep) s.recent.update(s.recent.get().slice(-shape.keep));
          for (const offset of shape.offsets) ctx.timers.atEventTime(e.time - (e.time % 1000) + offset);
          if (e.value % shape.deleteEvery === 0) ctx.timers.deleteEventTime(e.time - (e.time % 1000) + shape.offsets[0]);
          if (e.value % shape.throwEvery === 0) throw new Error(`rejected ${e.seq}`);
          if (e.value % 11 === 0) s.total.clear();
          ctx.emit({ seq: e.seq, late: e.time <= ctx.watermark, total: s.total.get(), size: s.byBucket.size });
        },
        onTimer(time, ctx) {
          const s = ctx.state;
          ctx.emit({ key: ctx.key, time, total: s.total.get(), buckets: [...s.byBucket.entries()], recent: s.recent.get() });
          if (time % 2 === 0) s.total.set((s.total.get() ?? 0) + 1);
          if (time % shape.chainEvery === 0) ctx.timers.atEventTime(time + shape.chain);
          if (time % 7 === 0) s.recent.clear();
        },
      },
      { ttl: shape.ttl },
    );
}

/** Runs the pipeline with `state`, checkpointing every few records: its results and dead letters. */
async function runWith(arrival: readonly KeyedEvent[], batchSize: number, shape: Shape, state: StateBackend, every: number) {
  const out = toArray<unknown>();
  const dead = toArray<DeadLetter>();
  const job = pipeline(arrival, batchSize, shape)
    .deadLetters(dead)
    .to(out)
    .run({ state, checkpointEvery: { records: every } });
  await job;
  return {
    results: out.items,
    dead: dead.items.map((d) => ({ seq: (d.raw as KeyedEvent).seq, reason: d.reason })),
    misses: job.metrics.get(METRICS.stateCacheMisses),
  };
}

describe('a keyed process function with its state on disk (levelState(dir, { memory }))', () => {
  let root: string;
  let n = 0;
  const dir = () => join(root, `s${n++}`);
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'streamkit-process-resident-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('gives the results and dead letters of heap state, with every read missing the cache or with a large cache (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        events,
        shapes,
        batchSizes({ max: 9 }).map((sizes) => sizes[0]),
        fc.integer({ min: 1, max: 30 }),
        async (sample, shape, batchSize, every) => {
          const heap = await runWith(sample.arrival, batchSize, shape, memoryState(), every);
          const tiny = await runWith(sample.arrival, batchSize, shape, levelState(dir(), { memory: 1 }), every);
          const large = await runWith(sample.arrival, batchSize, shape, levelState(dir(), { memory: '256MB' }), every);
          expect(tiny.results).toEqual(heap.results);
          expect(tiny.dead).toEqual(heap.dead);
          expect(large.results).toEqual(heap.results);
          expect(large.dead).toEqual(heap.dead);
          // Every record reads its key's state: with a 1-byte cache, from LevelDB.
          if (sample.arrival.length > 0) expect(tiny.misses).toBeGreaterThan(0);
          expect(heap.results.length + heap.dead.length).toBeGreaterThanOrEqual(sample.arrival.length);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('stops at a checkpoint and resumes from disk, equal to an uninterrupted run (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        events,
        shapes,
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 20 }),
        fc.constantFrom<number | string>(1, '256MB'),
        async (sample, shape, batchSize, stopAt, every, memory) => {
          const make = (at: number | undefined, stop: AbortController) => pipeline(sample.arrival, batchSize, shape, at, stop);
          const { whole, resumed } = await stopAndResume(make, stopAt, dir(), { records: every }, { memory });
          expect(resumed).toEqual(whole);
        },
      ),
      { numRuns: 30 },
    );
  });

  /** Counts per key; a timer far ahead (many buckets) reports the count. */
  const counting = (input: Array<{ key: string; at: number }>, ttl: string | undefined, at?: number, stop?: AbortController) => {
    const source = fromArray(input, { batchSize: 2 });
    return from(at === undefined ? source : stoppingAfter(source, at, stop!))
      .withTimestamps((r) => r.at, boundedOutOfOrderness(0))
      .keyBy((r) => r.key)
      .process(
        {
          state: { n: valueState<number>() },
          onRecord(_r, ctx) {
            ctx.state.n.set((ctx.state.n.get() ?? 0) + 1);
            ctx.timers.atEventTime(ctx.timestamp + 25 * TIMER_BUCKET_MS);
          },
          onTimer(time, ctx) {
            ctx.emit(`${ctx.key}@${time}:${ctx.state.n.get()}`);
          },
        },
        { ttl },
      )
      .uid('counts');
  };
  const rows = Array.from({ length: 40 }, (_, i) => ({ key: `k${i % 7}`, at: i * 3_000 }));

  it('refuses a heap checkpoint of the operator in a resident run, and a resident directory without memory, saying why', async () => {
    const heapDir = dir();
    const stop = new AbortController();
    await counting(rows, undefined, 3, stop)
      .to(toArray())
      .run({ state: levelState(heapDir), checkpointEvery: { records: 4 }, signal: stop.signal });
    await expect(
      counting(rows, undefined)
        .to(toArray())
        .run({ state: levelState(heapDir, { memory: '1MB' }) }),
    ).rejects.toMatchObject({
      code: 'STATE_INCOMPATIBLE',
      message: expect.stringContaining('"counts" kept its state on the heap'),
    });

    const residentDir = dir();
    const again = new AbortController();
    await counting(rows, undefined, 3, again)
      .to(toArray())
      .run({ state: levelState(residentDir, { memory: '1MB' }), checkpointEvery: { records: 4 }, signal: again.signal });
    await expect(
      counting(rows, undefined)
        .to(toArray())
        .run({ state: levelState(residentDir) }),
    ).rejects.toMatchObject({
      code: 'STATE_INCOMPATIBLE',
      message: expect.stringContaining('"counts" keeps its state on disk'),
    });
    // The same checks as heap state: another ttl is refused.
    await expect(
      counting(rows, '1h')
        .to(toArray())
        .run({ state: levelState(residentDir, { memory: '1MB' }) }),
    ).rejects.toMatchObject({ code: 'STATE_INCOMPATIBLE', message: expect.stringContaining('its ttl was none and is now 3600000') });
  });

  it('keeps the keys-with-state and timers gauges exact, as heap state counts them', async () => {
    const gauges = async (state: StateBackend) => {
      const stop = new AbortController();
      const job = counting(rows, '20s', 8, stop)
        .to(toArray())
        .run({ state, checkpointEvery: { records: 5 }, signal: stop.signal });
      await job;
      return [METRICS.processKeys, METRICS.processTimers].map((metric) => job.metrics.get(metric, { operator: 'counts' }));
    };
    const heap = await gauges(memoryState());
    expect(heap[0]).toBeGreaterThan(0);
    expect(heap[1]).toBeGreaterThan(0);
    expect(await gauges(levelState(dir(), { memory: 1 }))).toEqual(heap);
  });

  it('answers queries from the store: a key typed state by name, and the keys with state', async () => {
    const source = new PausedSource<{ zone: number; id: string; fare: number; at: number }>();
    const job = from(source)
      .withTimestamps((r) => r.at, boundedOutOfOrderness('1h'))
      .keyBy((r) => ({ zone: r.zone }))
      .process({
        state: { total: valueState<number>(), ids: listState<string>(), byFare: mapState<number, string>() },
        onRecord(r, ctx) {
          ctx.state.total.set((ctx.state.total.get() ?? 0) + r.fare);
          ctx.state.ids.add(r.id);
          if (r.fare > 2) ctx.state.byFare.set(r.fare, r.id);
        },
      })
      .uid('zone-state')
      .to(toArray())
      .run({ state: levelState(dir(), { memory: 1 }), checkpointEvery: { records: 2 } });
    const state = job.query('zone-state');
    source.push([
      { zone: 1, id: 'a', fare: 5, at: 0 },
      { zone: 1, id: 'b', fare: 1, at: 10 },
      { zone: 2, id: 'c', fare: 2, at: 20 },
      { zone: 1, id: 'd', fare: 3, at: 30 },
    ]);
    await source.drained();
    expect(await state.get({ zone: 1 })).toEqual({
      total: 9,
      ids: ['a', 'b', 'd'],
      byFare: [
        [3, 'd'],
        [5, 'a'],
      ],
    });
    expect(await state.get({ zone: 2 })).toEqual({ total: 2, ids: ['c'] });
    expect(await state.get({ zone: 3 })).toBeUndefined();
    expect(await state.keys()).toEqual([{ zone: 1 }, { zone: 2 }]);
    await job.stop();
  });

  it('fires processing-time timers by the injected clock, as heap state does (they stay in memory)', async () => {
    const fired = async (state?: StateBackend) => {
      let now = 0;
      const out = toArray<string>();
      await from(fromArray([{ at: 1 }, { at: 2 }, { at: 3 }], { batchSize: 1 }))
        .withTimestamps((r) => r.at, boundedOutOfOrderness(0))
        .keyBy((r) => r.at % 2)
        .process({
          state: { n: valueState<number>() },
          onRecord(_r, ctx) {
            ctx.timers.atProcessingTime(ctx.timers.currentProcessingTime() + 50);
            now += 100;
          },
          onTimer(time, ctx) {
            ctx.state.n.set((ctx.state.n.get() ?? 0) + 1);
            ctx.emit(`${ctx.timeDomain} ${ctx.key} ${time} ${ctx.state.n.get()}`);
          },
        })
        .to(out)
        .run({ clock: () => now, tickInterval: 1, state });
      return out.items;
    };
    const heap = await fired();
    expect(heap).toEqual(['processing 1 50 1', 'processing 0 150 1', 'processing 1 250 2']);
    expect(await fired(levelState(dir(), { memory: 1 }))).toEqual(heap);
  });
});
