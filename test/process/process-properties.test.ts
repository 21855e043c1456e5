import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeKey } from '../../src/core/key-encoding.js';
import type { Output } from '../../src/core/operator.js';
import { keyedProcess, KeyedProcessOperator, listState, mapState, valueState } from '../../src/process/index.js';
import { batchRunningTotals, batchSizes, batchTimers, keyedEvents, splitBatches, type KeyedEvent } from '../../src/testing/index.js';
import { MapStateWriter } from '../windowing/operator-harness.js';

type Step = { batch: KeyedEvent[] } | { watermark: number };

/** The batches of `arrival`, each followed by the watermark `boundedOutOfOrderness(delay)` sets, then +Infinity. */
function stepsOf(arrival: readonly KeyedEvent[], sizes: number[], delay: number): Step[] {
  const steps: Step[] = [];
  let maxSeen = -Infinity;
  for (const batch of splitBatches(arrival, sizes)) {
    steps.push({ batch });
    for (const e of batch) maxSeen = Math.max(maxSeen, e.time);
    steps.push({ watermark: maxSeen - delay - 1 });
  }
  steps.push({ watermark: Infinity });
  return steps;
}

/** Runs `steps[from..to)` through `op`, collecting what it emits and the watermarks it forwards. */
function play(
  op: KeyedProcessOperator<KeyedEvent, unknown>,
  steps: Step[],
  sink: unknown[],
  from = 0,
  to = steps.length,
  after?: (i: number) => void,
): void {
  const out: Output<unknown> = {
    emit: (b) => {
      for (let i = 0; i < b.values.length; i++) sink.push({ value: b.values[i], time: b.times![i] });
    },
    watermark: (w) => sink.push({ watermark: w }),
    late: () => {
      throw new Error('no late output');
    },
    deadLetter: (d) => {
      throw new Error(`unexpected dead letter: ${d.reason}`);
    },
  };
  for (let i = from; i < to; i++) {
    const s = steps[i];
    if ('batch' in s) {
      op.processBatch(
        {
          values: s.batch,
          times: s.batch.map((e) => e.time),
          keys: s.batch.map((e) => e.key),
          positions: s.batch.map((e) => e.seq),
          partition: 0,
        },
        out,
      );
    } else op.processWatermark(s.watermark, out);
    after?.(i);
  }
}

/** Two timers per record, so keys share times and records repeat (key, time) pairs. */
const timersOf = (e: KeyedEvent) => [e.time + (Math.abs(e.value) % 40), e.time - (e.time % 25) + 25];

const input = fc.record({
  delay: fc.integer({ min: 0, max: 30 }),
  sample: keyedEvents({ keys: 4, timeRange: [0, 600], maxDisorder: 30, maxLength: 60 }),
  sizes: batchSizes({ max: 9 }),
});

describe('keyed process functions against the batch oracles', () => {
  it('event-time timers fire exactly once per key and time, in timestamp order, once the watermark passes them (property)', () => {
    fc.assert(
      fc.property(input, ({ delay, sample, sizes }) => {
        // keyedEvents' records arrive before a watermark of delay >= maxDisorder passes them.
        const d = Math.max(delay, 30);
        const op = new KeyedProcessOperator<KeyedEvent, unknown>({
          onRecord(e, ctx) {
            for (const t of timersOf(e)) ctx.timers.atEventTime(t);
          },
          onTimer(time, ctx) {
            ctx.emit({ key: ctx.key, time, watermark: ctx.watermark });
          },
        });
        const sink: Array<{ value?: { key: string; time: number; watermark: number }; watermark?: number }> = [];
        play(op, stepsOf(sample.arrival, sizes, d), sink);
        const fired: Array<{ key: string; time: number }> = [];
        let before = -Infinity;
        for (const item of sink) {
          if (item.watermark !== undefined) before = item.watermark;
          else {
            const { key, time, watermark } = item.value!;
            // Due: the watermark reached it; and not late: the advance that fired it was the first to reach it.
            expect(watermark).toBeGreaterThanOrEqual(time);
            expect(before).toBeLessThan(time);
            fired.push({ key, time });
          }
        }
        expect(fired).toEqual(batchTimers(sample.events, { keyOf: (e) => e.key, timersOf }));
        expect(op.timersPending).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('a per-key running total in valueState equals the oracle, for any batch sizes (property)', () => {
    fc.assert(
      fc.property(input, ({ delay, sample, sizes }) => {
        const op = keyedProcess({
          state: { total: valueState<number>() },
          onRecord(e: KeyedEvent, ctx) {
            const total = (ctx.state.total.get() ?? 0) + e.value;
            ctx.state.total.set(total);
            ctx.emit({ key: ctx.key, total });
          },
        });
        const sink: Array<{ value?: unknown; time?: number }> = [];
        play(op, stepsOf(sample.arrival, sizes, delay), sink);
        const emitted = sink.filter((s) => s.value !== undefined);
        expect(emitted.map((s) => s.value)).toEqual(batchRunningTotals(sample.arrival, { keyOf: (e) => e.key, valueOf: (e) => e.value }));
        expect(emitted.map((s) => s.time)).toEqual(sample.arrival.map((e) => e.time));
      }),
      { numRuns: 200 },
    );
  });
});

/** Every feature at once: value, map and list state, timers of both kinds of use, TTL. */
function fullOperator(ttl: number | undefined) {
  return keyedProcess(
    {
      state: { total: valueState<number>(), byBucket: mapState<number, number>(), recent: listState<number>() },
      onRecord(e: KeyedEvent, ctx) {
        const s = ctx.state;
        s.total.set((s.total.get() ?? 0) + e.value);
        const bucket = Math.floor(e.time / 100);
        s.byBucket.set(bucket, (s.byBucket.get(bucket) ?? 0) + 1);
        if (e.value % 3 === 0) s.byBucket.delete(bucket - 1);
        s.recent.add(e.seq);
        if (s.recent.get().length > 3) s.recent.update(s.recent.get().slice(-3));
        ctx.timers.atEventTime(e.time + 50);
        if (e.value % 5 === 0) ctx.timers.deleteEventTime(e.time + 50 - (e.time % 7));
        if (e.value % 7 === 0) throw new Error('rejected');
        ctx.emit({ seq: e.seq, total: s.total.get() });
      },
      onTimer(time, ctx) {
        const s = ctx.state;
        ctx.emit({ key: ctx.key, time, total: s.total.get(), buckets: [...s.byBucket.entries()], recent: s.recent.get() });
        if (time % 2 === 0) s.total.set((s.total.get() ?? 0) + 1);
      },
    },
    { ttl },
  );
}

describe('keyed process functions: snapshot and restore at any point', () => {
  it('give the same remaining output as an uninterrupted run, with incremental snapshots and TTL (property)', () => {
    fc.assert(
      fc.property(
        input,
        fc.nat(),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom(undefined, 80, 300),
        ({ delay, sample, sizes }, cutSeed, every, ttl) => {
          const steps = stepsOf(sample.arrival, sizes, delay);
          const make = () => fullOperator(ttl);
          const dead: unknown[] = [];
          const whole: unknown[] = [];
          playLenient(make(), steps, whole, dead);

          const cut = 1 + (cutSeed % steps.length);
          const first = make();
          const store = new MapStateWriter();
          const split: unknown[] = [];
          let snapshots = 0;
          let kept = { emitted: 0, next: 0 };
          playLenient(first, steps.slice(0, cut), split, [], (i) => {
            if ((i + 1) % every === 0 || i === cut - 1) {
              const full = snapshots === 0;
              if (full) store.reset();
              first.snapshotState(store, full);
              snapshots++;
              kept = { emitted: split.length, next: i + 1 };
            }
          });
          // As after a crash: output after the last snapshot is lost and its input replayed.
          const second = make();
          second.restoreState(store.entries());
          const replayed: unknown[] = [];
          playLenient(second, steps, replayed, [], undefined, kept.next);
          expect([...split.slice(0, kept.emitted), ...replayed]).toEqual(whole);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** As `play`, but dead letters are collected (the spec rejects some records on purpose). */
function playLenient(
  op: KeyedProcessOperator<KeyedEvent, unknown>,
  steps: Step[],
  sink: unknown[],
  dead: unknown[],
  after?: (i: number) => void,
  from = 0,
): void {
  const out: Output<unknown> = {
    emit: (b) => {
      for (let i = 0; i < b.values.length; i++) sink.push([b.times![i], b.values[i]]);
    },
    watermark: (w) => sink.push(['W', w]),
    late: () => {
      throw new Error('no late output');
    },
    deadLetter: (d) => {
      dead.push(d.raw);
      sink.push(['D', encodeKey((d.raw as KeyedEvent).seq), d.reason]);
    },
  };
  for (let i = from; i < steps.length; i++) {
    const s = steps[i];
    if ('batch' in s) {
      op.processBatch(
        {
          values: s.batch,
          times: s.batch.map((e) => e.time),
          keys: s.batch.map((e) => e.key),
          positions: s.batch.map((e) => e.seq),
          partition: 0,
        },
        out,
      );
    } else op.processWatermark(s.watermark, out);
    after?.(i);
  }
}
