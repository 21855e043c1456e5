import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { from } from '../../src/pipeline/stream.js';
import type { WindowResult } from '../../src/core/window.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { fromArray } from '../../src/sources/array-source.js';
import { memoryState } from '../../src/state/memory-state.js';
import { boundedOutOfOrderness } from '../../src/watermarks/watermark-strategy.js';
import { count, sum } from '../../src/windowing/aggregators/index.js';
import { session } from '../../src/windowing/session.js';
import { tumbling } from '../../src/windowing/tumbling.js';

interface Event {
  id: string;
  key: string;
  t: number;
  v: number;
}

type Result = WindowResult<string, { n: number; total: number }>;

/** Random events with some redelivered copies (same id, same time), in random order. */
const eventsArb = fc
  .array(fc.record({ key: fc.constantFrom('a', 'b', 'c'), t: fc.integer({ min: 0, max: 20_000 }), v: fc.integer({ min: -50, max: 50 }) }), {
    minLength: 20,
    maxLength: 250,
  })
  .chain((base) =>
    fc.tuple(
      fc.constant(base),
      fc.array(fc.nat(), { maxLength: 30 }),
      fc.array(fc.integer({ min: -3000, max: 3000 }), { minLength: base.length, maxLength: base.length }),
    ),
  )
  .map(([base, copies, jitter]) => {
    const events: Event[] = base.map((e, i) => ({ ...e, id: `e${i}` }));
    if (events.length > 0) for (const c of copies) events.push({ ...events[c % base.length] });
    // Arrival order: event time plus jitter, so some records arrive late.
    const arrival = events.map((e, i) => ({ e, at: e.t + (jitter[i % Math.max(1, jitter.length)] ?? 0), i }));
    arrival.sort((x, y) => x.at - y.at || x.i - y.i);
    return arrival.map((a) => a.e);
  });

const configArb = fc.record({
  batchSize: fc.integer({ min: 1, max: 17 }),
  every: fc.integer({ min: 1, max: 25 }),
  cut: fc.integer({ min: 1, max: 4 }),
  windows: fc.constantFrom('tumbling', 'session'),
  lateness: fc.constantFrom(0, 1000, 5000),
});

function pipeline(
  events: Event[],
  config: { batchSize: number; windows: string; lateness: number },
  out: ReturnType<typeof toArray<Result>>,
) {
  return from(fromArray(events, { batchSize: config.batchSize }))
    .withTimestamps((e) => e.t, boundedOutOfOrderness(1500))
    .dedup((e) => e.id, { within: '10s' })
    .keyBy((e) => e.key)
    .window(config.windows === 'tumbling' ? tumbling(2000) : session(700), { allowedLateness: config.lateness })
    .aggregate({ n: count(), total: sum((e: Event) => e.v) })
    .to(out);
}

function upsertById(items: Result[]): Map<string, Result> {
  const out = new Map<string, Result>();
  for (const item of items) out.set(item.id, item);
  return out;
}

describe('restore equivalence', () => {
  it('a run stopped after checkpoint k and restored ends with the same results, after upsert by id, as an uninterrupted run (property)', async () => {
    let restoredRuns = 0;
    await fc.assert(
      fc.asyncProperty(eventsArb, configArb, async (events, config) => {
        const whole = toArray<Result>();
        await pipeline(events, config, whole).run({ state: memoryState(), checkpointEvery: { records: config.every } });

        // The same pipeline, stopped once checkpoint `cut` completes, then a new runtime sharing
        // the state object restores it and finishes. Results past the checkpoint are written twice.
        const state = memoryState();
        const first = toArray<Result>();
        // One credit: the source waits on the sinks, so it is still mid-input when the barrier completes.
        const job = pipeline(events, config, first).run({
          state,
          credits: 1,
          checkpointEvery: { records: config.every },
          onEvent: (event) => {
            if (event.type === 'checkpoint.completed' && event.id === config.cut) job.stop();
          },
        });
        const stopped = await job;
        const second = toArray<Result>();
        const resumed = await pipeline(events, config, second).run({ state, checkpointEvery: { records: config.every } });
        if (stopped.stopped) {
          restoredRuns++;
          expect(resumed.restoredFrom).toBeGreaterThanOrEqual(config.cut);
        }

        expect(upsertById([...first.items, ...second.items])).toEqual(upsertById(whole.items));
      }),
      { numRuns: 200 },
    );
    // Most generated inputs are long enough to be cut: the property is about restores, not full runs.
    expect(restoredRuns).toBeGreaterThan(20);
  });

  it('restores a run stopped mid-input without losing or doubling a result', async () => {
    const events: Event[] = [];
    // Every tenth record redelivers the one before it, 50 ms later.
    for (let i = 0; i < 400; i++) events.push({ id: `e${i % 10 === 9 ? i - 1 : i}`, key: `k${i % 3}`, t: i * 50, v: i });
    const config = { batchSize: 7, windows: 'tumbling', lateness: 0 };
    const whole = toArray<Result>();
    await pipeline(events, config, whole).run({ state: memoryState(), checkpointEvery: { records: 20 } });

    const state = memoryState();
    const first = toArray<Result>();
    const job = pipeline(events, config, first).run({
      state,
      credits: 1,
      checkpointEvery: { records: 20 },
      onEvent: (e) => e.type === 'checkpoint.completed' && e.id === 5 && job.stop(),
    });
    const stopped = await job;
    expect(stopped.stopped).toBe(true);
    const second = toArray<Result>();
    const resumed = await pipeline(events, config, second).run({ state, checkpointEvery: { records: 20 } });
    expect(resumed.restoredFrom).toBeGreaterThanOrEqual(5);
    expect(resumed.records).toBeLessThan(events.length);
    expect(upsertById([...first.items, ...second.items])).toEqual(upsertById(whole.items));
    // The 40 redelivered records were dropped, whichever run met them.
    const totalCount = [...upsertById(whole.items).values()].filter((r) => r.pane.timing === 'on-time').reduce((n, r) => n + r.value.n, 0);
    expect(totalCount).toBe(360);
  });
});
