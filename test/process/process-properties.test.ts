import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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

/** What an operator put out, in order. */
type Item = { value: unknown; time: number } | { watermark: number } | { dead: number; reason: string };

/** Runs `steps[from..]` through `op`, collecting what it emits, forwards and dead-letters; `after(i)` follows step i. */
function play(op: KeyedProcessOperator<KeyedEvent, unknown>, steps: Step[], sink: Item[], after?: (i: number) => void, from = 0): void {
  const out: Output<unknown> = {
    emit: (b) => {
      for (let i = 0; i < b.values.length; i++) sink.push({ value: b.values[i], time: b.times![i] });
    },
    watermark: (w) => sink.push({ watermark: w }),
    late: () => {
      throw new Error('a process operator has no late output');
    },
    deadLetter: (d) => sink.push({ dead: (d.raw as KeyedEvent).seq, reason: d.reason }),
  };
  for (let i = from; i < steps.length; i++) {
    const s = steps[i];
    if ('batch' in s) {
      const b = s.batch;
      op.processBatch(
        { values: b, times: b.map((e) => e.time), keys: b.map((e) => e.key), positions: b.map((e) => e.seq), partition: 0 },
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
        const sink: Item[] = [];
        play(op, stepsOf(sample.arrival, sizes, d), sink);
        const fired: Array<{ key: string; time: number }> = [];
        let before = -Infinity;
        for (const item of sink) {
          if ('watermark' in item) before = item.watermark;
          else {
            expect(item).not.toHaveProperty('dead');
            const { key, time, watermark } = (item as { value: { key: string; time: number; watermark: number } }).value;
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
        const sink: Item[] = [];
        play(op, stepsOf(sample.arrival, sizes, delay), sink);
        const emitted = sink.filter((s) => 'value' in s);
        expect(sink.filter((s) => 'dead' in s)).toEqual([]);
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
          const whole: Item[] = [];
          play(make(), steps, whole);
          // The spec rejects some records on purpose: their dead letters are part of the output.

          const cut = 1 + (cutSeed % steps.length);
          const first = make();
          const store = new MapStateWriter();
          const split: Item[] = [];
          let snapshots = 0;
          let kept = { emitted: 0, next: 0 };
          play(first, steps.slice(0, cut), split, (i) => {
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
          const replayed: Item[] = [];
          play(second, steps, replayed, undefined, kept.next);
          expect([...split.slice(0, kept.emitted), ...replayed]).toEqual(whole);
        },
      ),
      { numRuns: 300 },
    );
  });
});
