import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  boundedOutOfOrderness,
  count,
  from,
  fromArray,
  levelState,
  listState,
  mapState,
  memoryState,
  PipelineError,
  StreamkitError,
  toArray,
  tumbling,
  valueState,
  type DeadLetter,
  type ListState,
  type ListStateDescriptor,
  type MapState,
  type MapStateDescriptor,
  type ValueState,
  type ValueStateDescriptor,
} from '../../src/index.js';
import { batchTimers } from '../../src/testing/index.js';
import { runStoppingAtCheckpoint } from '../pipeline/stopping-after.js';

interface Trip {
  id: number;
  vendor: string;
  zone: number;
  at: number;
  fare: number;
}

interface Alert {
  id: string;
  vendor: string;
  trips: number;
  revenue: number;
  /** How many alerts the vendor had before this one. */
  earlier: number;
  at: number;
}

/** Trips of three vendors about 3 s apart, out of order by up to 2 s; vendor c stops half-way. */
function trips(n: number): Trip[] {
  const out: Trip[] = [];
  for (let i = 0; i < n; i++) {
    const vendor = i < n / 2 ? ['a', 'b', 'c'][i % 3] : ['a', 'b'][i % 2];
    out.push({ id: i, vendor, zone: (i * 7) % 5, at: 1_000_000 + i * 3000 - ((i * 1237) % 2000), fare: 5 + (i % 9) });
  }
  return out;
}

const GAP = 20_000;

/**
 * "No trip for 20 s" per vendor, reporting the trips since the vendor's previous alert: each trip
 * sets a timer 20 s after it; a timer alerts when no buffered trip falls in the 20 s before it
 * (all of them have arrived: the watermark passed the timer).
 */
function alerts(input: Trip[], batchSize: number) {
  return from(fromArray(input, { batchSize }))
    .withTimestamps((t) => t.at, boundedOutOfOrderness('2s'))
    .keyBy((t) => t.vendor)
    .process<{ buffer: ListStateDescriptor<Trip>; alerts: ValueStateDescriptor<number>; zones: MapStateDescriptor<number, number> }, Alert>(
      {
        state: { buffer: listState<Trip>(), alerts: valueState<number>(), zones: mapState<number, number>() },
        onRecord(trip, ctx) {
          ctx.state.buffer.add(trip);
          ctx.timers.atEventTime(ctx.timestamp + GAP);
        },
        onTimer(time, ctx) {
          const s = ctx.state;
          const anchor = time - GAP;
          const buffered = s.buffer.get();
          if (buffered.some((t) => t.at > anchor && t.at <= time)) return;
          const done = buffered.filter((t) => t.at <= anchor);
          if (!done.some((t) => t.at === anchor)) return;
          const earlier = s.alerts.get() ?? 0;
          for (const t of done) s.zones.set(t.zone, (s.zones.get(t.zone) ?? 0) + 1);
          ctx.emit({
            id: `${ctx.key}@${time}`,
            vendor: ctx.key,
            trips: done.length,
            revenue: done.reduce((sum, t) => sum + t.fare, 0),
            earlier,
            at: ctx.timestamp,
          });
          s.alerts.set(earlier + 1);
          s.buffer.update(buffered.filter((t) => t.at > anchor));
        },
      },
      { ttl: '1h' },
    );
}

/** The batch answer: an alert 20 s after each trip of a vendor followed by none of its trips within 20 s. */
function expectedAlerts(input: Trip[]): Array<Omit<Alert, 'vendor'>> {
  const byVendor = new Map<string, Trip[]>();
  for (const t of input) byVendor.set(t.vendor, [...(byVendor.get(t.vendor) ?? []), t]);
  const out: Array<Omit<Alert, 'vendor'>> = [];
  for (const [vendor, ts] of byVendor) {
    ts.sort((x, y) => x.at - y.at);
    let trips = 0;
    let revenue = 0;
    let earlier = 0;
    ts.forEach((t, i) => {
      trips++;
      revenue += t.fare;
      const next = ts[i + 1];
      if (next === undefined || next.at > t.at + GAP) {
        out.push({ id: `${vendor}@${t.at + GAP}`, trips, revenue, earlier: earlier++, at: t.at + GAP });
        trips = 0;
        revenue = 0;
      }
    });
  }
  return out.sort((x, y) => x.at - y.at || (x.id < y.id ? -1 : 1));
}

/** Pauses of 40 s every 97 trips: every vendor has gaps; the input stays within the watermark delay. */
function withPauses(input: Trip[]): Trip[] {
  return input.map((t) => ({ ...t, at: t.at + 40_000 * Math.floor(t.id / 97) }));
}

describe('stream.keyBy(k).process(spec) through the public API', () => {
  it('emits per-key alerts from event-time timers equal to the batch answer, for any batch size', async () => {
    const input = withPauses(trips(300));
    const expected = expectedAlerts(input);
    expect(expected.length).toBeGreaterThan(6);
    for (const batchSize of [1, 7, 64, 1000]) {
      const out = toArray<Alert>();
      await alerts(input, batchSize).to(out).run();
      expect(out.items.map(({ vendor: _, ...alert }) => alert)).toEqual(expected);
    }
  });

  it('types ctx.state from the declarations and the output from the emits', () => {
    const stream = from(fromArray<Trip>([]))
      .withTimestamps((t) => t.at, boundedOutOfOrderness(0))
      .keyBy((t) => t.zone)
      .process({
        state: { n: valueState<number>(), seen: mapState<string, boolean>(), buffer: listState<Trip>() },
        onRecord(trip, ctx) {
          expectTypeOf(trip).toEqualTypeOf<Trip>();
          expectTypeOf(ctx.key).toEqualTypeOf<number>();
          expectTypeOf(ctx.state.n).toEqualTypeOf<ValueState<number>>();
          expectTypeOf(ctx.state.seen).toEqualTypeOf<MapState<string, boolean>>();
          expectTypeOf(ctx.state.buffer).toEqualTypeOf<ListState<Trip>>();
        },
      });
    expectTypeOf(stream).toHaveProperty('to');
  });

  it('continues the pipeline with the emitted records and their times: a window after the process function', async () => {
    const input = trips(90);
    const out = toArray<{ key: null; value: number; window: { start: number; end: number } }>();
    await from(fromArray(input, { batchSize: 10 }))
      .withTimestamps((t) => t.at, boundedOutOfOrderness('2s'))
      .keyBy((t) => t.vendor)
      .process({
        onRecord(trip, ctx) {
          if (trip.fare > 10) ctx.emit(trip.id);
        },
      })
      .window(tumbling('1m'))
      .aggregate(count())
      .to(out as never)
      .run();
    const expected = new Map<number, number>();
    for (const t of input.filter((t) => t.fare > 10)) {
      const start = Math.floor(t.at / 60_000) * 60_000;
      expected.set(start, (expected.get(start) ?? 0) + 1);
    }
    expect(new Map(out.items.map((r) => [r.window.start, r.value]))).toEqual(expected);
  });

  it('dead-letters a record whose onRecord throws, with its state changes undone, and goes on', async () => {
    const out = toArray<number>();
    const dead = toArray<DeadLetter>();
    const summary = await from(fromArray([1, 2, -3, 4].map((v, i) => ({ v, at: i }))))
      .withTimestamps((r) => r.at, boundedOutOfOrderness(0))
      .keyBy(() => 'all')
      .process({
        state: { sum: valueState<number>() },
        onRecord(r, ctx) {
          ctx.state.sum.set((ctx.state.sum.get() ?? 0) + r.v);
          if (r.v < 0) throw new RangeError('negative');
          ctx.emit(ctx.state.sum.get()!);
        },
      })
      .deadLetters(dead)
      .to(out)
      .run();
    expect(out.items).toEqual([1, 3, 7]);
    expect(summary.deadLetters).toBe(1);
    expect(dead.items[0]).toMatchObject({
      reason: 'process#0 onRecord threw RangeError: negative',
      raw: { v: -3, at: 2 },
      position: { offset: 2 },
    });
  });

  it('fails the job with USER_FUNCTION_FAILED when onTimer throws', async () => {
    const run = from(fromArray([{ at: 1 }]))
      .withTimestamps((r) => r.at, boundedOutOfOrderness(0))
      .keyBy(() => 'k')
      .process({
        onRecord(_r, ctx) {
          ctx.timers.atEventTime(10);
        },
        onTimer() {
          throw new Error('timer broke');
        },
      })
      .to(toArray())
      .run();
    await expect(run).rejects.toThrow(StreamkitError);
    await expect(run).rejects.toMatchObject({
      code: 'USER_FUNCTION_FAILED',
      message: expect.stringContaining('process#0: onTimer failed for key "k" at event time 10'),
    });
  });

  it('fires processing-time timers by the injected clock', async () => {
    let now = 0;
    const out = toArray<string>();
    await from(fromArray([{ at: 1 }, { at: 2 }], { batchSize: 1 }))
      .withTimestamps((r) => r.at, boundedOutOfOrderness(0))
      .keyBy((r) => r.at)
      .process({
        onRecord(r, ctx) {
          ctx.timers.atProcessingTime(ctx.timers.currentProcessingTime() + 50);
          now += 100;
        },
        onTimer(time, ctx) {
          ctx.emit(`${ctx.timeDomain} ${ctx.key} ${time}`);
        },
      })
      .to(out)
      .run({ clock: () => now, tickInterval: 1 });
    expect(out.items).toEqual(['processing 1 50', 'processing 2 150']);
  });

  it('refuses a process spec before withTimestamps or keyBy, and bad options, where they are written', () => {
    const spec = { onRecord() {} };
    expect(() =>
      from(fromArray([1]))
        .keyBy((x) => x)
        .process(spec),
    ).toThrow(PipelineError);
    expect(() =>
      from(fromArray([1]))
        .withTimestamps((x) => x, boundedOutOfOrderness(0))
        .process(spec),
    ).toThrow(/call \.keyBy\(…\) before \.process\(\)/);
    expect(() =>
      from(fromArray([1]))
        .withTimestamps((x) => x, boundedOutOfOrderness(0))
        .keyBy((x) => x)
        .process(spec, { ttl: -1 }),
    ).toThrow(/process ttl must be a non-negative finite number/);
  });

  it('keeps the raw operator form of .process(makeOperator)', async () => {
    const out = toArray<number>();
    await from(fromArray([1, 2, 3]))
      .process(() => ({ name: 'double', processBatch: (b, o) => o.emit({ ...b, values: b.values.map((x) => x * 2) }) }))
      .to(out)
      .run();
    expect(out.items).toEqual([2, 4, 6]);
  });
});

describe('process functions: restore equivalence', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamkit-process-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const byId = (items: Alert[]) => new Map(items.map((a) => [a.id, a]));

  it('a run stopped after checkpoint k and restored from LevelDB ends with the same alerts, after upsert by id, as an uninterrupted run', async () => {
    const input = withPauses(trips(600));
    const whole = toArray<Alert>();
    await alerts(input, 13).to(whole).run();
    expect(whole.items.length).toBeGreaterThan(5);

    for (const cut of [1, 4, 9]) {
      const state = levelState(join(dir, `cut-${cut}`));
      const first = toArray<Alert>();
      const job = alerts(input, 13)
        .to(first)
        .run({
          state,
          credits: 1,
          checkpointEvery: { records: 40 },
          onEvent: (e) => e.type === 'checkpoint.completed' && e.id === cut && job.stop(),
        });
      const stopped = await job;
      expect(stopped.stopped).toBe(true);
      const second = toArray<Alert>();
      const resumed = await alerts(input, 13)
        .to(second)
        .run({ state: levelState(join(dir, `cut-${cut}`)), checkpointEvery: { records: 40 } });
      expect(resumed.restoredFrom).toBeGreaterThanOrEqual(cut);
      expect(resumed.records).toBeLessThan(input.length);
      expect(byId([...first.items, ...second.items])).toEqual(byId(whole.items));
    }
  });

  it('restores by .uid(name) wherever the operator moves, and refuses a checkpoint written with another ttl', async () => {
    const input = withPauses(trips(200));
    const counting = (ttl: string, extraStage: boolean) => {
      const timed = from(fromArray(input, { batchSize: 10 })).withTimestamps((t) => t.at, boundedOutOfOrderness('2s'));
      return (extraStage ? timed.dedup((t) => t.id, { within: '1m' }) : timed)
        .keyBy((t) => t.vendor)
        .process(
          {
            state: { n: valueState<number>() },
            onRecord(_t, ctx) {
              ctx.state.n.set((ctx.state.n.get() ?? 0) + 1);
              ctx.emit(`${ctx.key}:${ctx.state.n.get()}`);
            },
          },
          { ttl },
        )
        .uid('vendor-counts');
    };
    const state = memoryState();
    const first = toArray<string>();
    const job = counting('1h', false)
      .to(first)
      .run({
        state,
        credits: 1,
        checkpointEvery: { records: 30 },
        onEvent: (e) => e.type === 'checkpoint.completed' && e.id === 2 && job.stop(),
      });
    await job;
    // A dedup before it now: its state is still found under its id, and the counts go on.
    const second = toArray<string>();
    await counting('1h', true).to(second).run({ state: memoryState() });
    const resumed = toArray<string>();
    const summary = await counting('1h', true).to(resumed).run({ state });
    expect(summary.restoredFrom).toBeGreaterThanOrEqual(2);
    expect([...first.items, ...resumed.items]).toEqual(second.items);
    await expect(counting('2h', false).to(toArray()).run({ state })).rejects.toMatchObject({ code: 'STATE_INCOMPATIBLE' });
  });

  it('timers fire exactly once per key and time across a stop and restore at a random checkpoint (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            key: fc.constantFrom('a', 'b', 'c'),
            at: fc.integer({ min: 0, max: 5000 }),
            offset: fc.integer({ min: 0, max: 300 }),
          }),
          {
            minLength: 10,
            maxLength: 120,
          },
        ),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 5 }),
        async (events, batchSize, every, cut) => {
          const input = [...events].sort((x, y) => x.at - y.at).map((e, i) => ({ ...e, i }));
          const pipeline = () =>
            from(fromArray(input, { batchSize }))
              .withTimestamps((e) => e.at, boundedOutOfOrderness(0))
              .keyBy((e) => e.key)
              .process({
                onRecord(e, ctx) {
                  ctx.timers.atEventTime(e.at + e.offset);
                },
                onTimer(time, ctx) {
                  ctx.emit(`${ctx.key}@${time}`);
                },
              });
          const state = memoryState();
          const first = await runStoppingAtCheckpoint(pipeline(), state, every, cut);
          const second = toArray<string>();
          await pipeline().to(second).run({ state });
          const expected = batchTimers(input, { keyOf: (e) => e.key, timersOf: (e) => [e.at + e.offset] }).map((t) => `${t.key}@${t.time}`);
          // A graceful stop takes a final checkpoint: nothing is replayed, so nothing fires twice.
          expect([...first.items, ...second.items]).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });
});
