import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../../src/core/batch.js';
import type { DeadLetter } from '../../src/core/dead-letter.js';
import { PipelineError } from '../../src/core/errors.js';
import { Metrics } from '../../src/core/metrics.js';
import type { OperatorContext, Output } from '../../src/core/operator.js';
import { dedup, DedupOperator } from '../../src/delivery/dedup.js';
import { memoryState } from '../../src/state/memory-state.js';
import { EncodedStateValue, StateChangeCollector } from '../../src/state/state-change-collector.js';
import { deserialize } from 'node:v8';

interface Event {
  id: string;
  t: number;
  n: number;
}

class Collect implements Output<Event> {
  readonly values: Event[] = [];
  readonly watermarks: number[] = [];
  readonly deadLetters: DeadLetter[] = [];
  emit(batch: Batch<Event>): void {
    expect(batch.times).toHaveLength(batch.values.length);
    batch.values.forEach((v, i) => expect(batch.times![i]).toBe(v.t));
    this.values.push(...batch.values);
  }
  watermark(time: number): void {
    this.watermarks.push(time);
  }
  late(): void {
    throw new Error('dedup never emits late records');
  }
  deadLetter(letter: DeadLetter): void {
    this.deadLetters.push(letter);
  }
}

function context(metrics = new Metrics()): OperatorContext {
  return { uid: '2-dedup', now: () => 0, sourcePartitions: () => [0], metrics };
}

function batch(events: Event[], from = 0): Batch<Event> {
  return { values: events, times: events.map((e) => e.t), positions: events.map((_, i) => from + i), partition: 0 };
}

function ev(id: string, t: number, n = 0): Event {
  return { id, t, n };
}

/** Feeds batches, each followed by the watermark `max time so far - delay - 1`, then +Infinity. */
function drive(op: DedupOperator<Event>, batches: Event[][], delay: number, out = new Collect(), startMax = -Infinity): Collect {
  let max = startMax;
  for (const b of batches) {
    op.processBatch(batch(b), out);
    for (const e of b) max = Math.max(max, e.t);
    op.processWatermark(max - delay - 1, out);
  }
  return out;
}

describe('dedup', () => {
  it('validates its options at the call site', () => {
    expect(() => dedup((e: Event) => e.id, { within: '1 hour' })).toThrow(/dedup within: cannot parse duration "1 hour"/);
    expect(() => dedup((e: Event) => e.id, { within: 0 })).toThrow(RangeError);
    expect(() => dedup((e: Event) => e.id, { within: '1h', widthin: 3 } as never)).toThrow(/unknown option "widthin"/);
    expect(() => dedup('id' as never, { within: '1h' })).toThrow(/idOf must be a function/);
    expect(dedup((e: Event) => e.id, { within: '1h30m' }).within).toBe(5_400_000);
  });

  it('fails with a PipelineError naming withTimestamps when records carry no event time', () => {
    const op = dedup((e: Event) => e.id, { within: '1m' });
    op.open(context());
    expect(op.requiresTimestamps).toBe(true);
    const untimed: Batch<Event> = { values: [ev('a', 1)], positions: [0], partition: 0 };
    expect(() => op.processBatch(untimed, new Collect())).toThrow(PipelineError);
    expect(() => DedupOperator.checkPlacement(false)).toThrow(/call \.withTimestamps\(timeOf, strategy\) before \.dedup/);
    expect(() => DedupOperator.checkPlacement(true)).not.toThrow();
  });

  it('drops an id seen within `within` of event time, in and across batches, and counts it', () => {
    const metrics = new Metrics();
    const op = dedup((e: Event) => e.id, { within: 100 });
    op.open(context(metrics));
    const out = drive(
      op,
      [[ev('a', 1000, 1), ev('b', 1000, 2), ev('a', 1000, 3)], [ev('a', 1099, 4), ev('a', 901, 5), ev('b', 1100, 6)], [ev('a', 1100, 7)]],
      1000,
    );
    // a@1099 and a@901 are 99 ms from a@1000; b@1100 is exactly 100 ms away: a new occurrence.
    expect(out.values.map((e) => e.n)).toEqual([1, 2, 6, 7]);
    expect(metrics.get('dedup_dropped', { operator: '2-dedup' })).toBe(3);
    expect(op.droppedCount).toBe(3);
  });

  it('forgets ids once the watermark passes firstSeen + within, without a scan per watermark', () => {
    const metrics = new Metrics();
    // within 6400 ms: buckets of 100 ms, so expiries on a bucket's edge are forgotten exactly then.
    const op = dedup((e: Event) => e.id, { within: 6400 });
    op.open(context(metrics));
    const out = new Collect();
    op.processBatch(batch([ev('a', 0), ev('b', 500), ev('c', 9000)]), out);
    expect(op.size).toBe(3);
    op.processWatermark(6399, out);
    expect(op.size).toBe(3);
    op.processWatermark(6400, out);
    expect(op.size).toBe(2);
    op.processWatermark(6950, out);
    expect(op.size).toBe(1);
    expect(metrics.get('dedup_ids', { operator: '2-dedup' })).toBe(1);
    op.processWatermark(Infinity, out);
    expect(op.size).toBe(0);
    expect(out.watermarks).toEqual([6399, 6400, 6950, Infinity]);
  });

  it('treats an id whose expiry the watermark passed as unseen even before its bucket is swept', () => {
    const op = dedup((e: Event) => e.id, { within: 6400 }); // buckets of 100 ms
    op.open(context());
    const out = new Collect();
    op.processBatch(batch([ev('a', 0, 1)]), out);
    op.processBatch(batch([ev('b', 50, 2)]), out);
    op.processWatermark(6450, out); // b's bucket (6400, 6500] is not wholly passed, so b is still stored
    expect(op.size).toBe(1);
    // b@6449 is late and 6399 ms from b@50, but b@50 expired at W 6450: not a duplicate.
    op.processBatch(batch([ev('b', 6449, 3), ev('b', 6460, 4)]), out);
    expect(out.values.map((e) => e.n)).toEqual([1, 2, 3]);
  });

  it('sends a record whose id cannot be read to dead letters with its position, and keeps going', () => {
    const op = dedup(
      (e: Event) =>
        e.id === 'bad'
          ? ({} as string)
          : e.id === 'boom'
            ? (() => {
                throw new Error('no id');
              })()
            : e.id,
      { within: 10 },
    );
    op.open(context());
    const out = new Collect();
    op.processBatch(batch([ev('x', 1, 1), ev('bad', 1, 2), ev('boom', 1, 3), ev('x', 2, 4), ev('y', 2, 5)], 40), out);
    expect(out.values.map((e) => e.n)).toEqual([1, 5]);
    expect(out.deadLetters.map((d) => [d.operator, d.position?.offset])).toEqual([
      ['2-dedup', 41],
      ['2-dedup', 42],
    ]);
    expect(out.deadLetters[0].reason).toMatch(/string, number or bigint, got object/);
    expect(out.deadLetters[1].reason).toMatch(/no id/);
  });

  it('compares ids by their string form', () => {
    const op = dedup((e: { id: string | number | bigint; t: number }) => e.id, { within: 10 });
    op.open(context());
    const kept: unknown[] = [];
    op.processBatch(
      {
        values: [
          { id: 5, t: 1 },
          { id: '5', t: 1 },
          { id: 5n, t: 1 },
          { id: 6, t: 1 },
        ],
        times: [1, 1, 1, 1],
        positions: [0, 1, 2, 3],
        partition: 0,
      },
      {
        emit: (b) => kept.push(...b.values.map((v) => v.id)),
        watermark: () => undefined,
        late: () => undefined,
        deadLetter: () => undefined,
      },
    );
    expect(kept).toEqual([5, 6]);
  });

  it('writes only the ids that changed since the previous snapshot, deletes included', () => {
    const op = dedup((e: Event) => e.id, { within: 6400 });
    op.open(context());
    const out = new Collect();
    op.processBatch(batch([ev('a', 0), ev('b', 3200)]), out);
    const first = new StateChangeCollector('2-dedup', false);
    op.snapshotState(first, false);
    // The first snapshot writes everything: nothing was checkpointed before.
    expect([...first.changes().puts.keys()].sort()).toEqual(['1/i/a', '1/i/b', '1/m']);
    const idle = new StateChangeCollector('2-dedup', false);
    op.snapshotState(idle, false);
    expect(idle.size).toBe(0);
    op.processBatch(batch([ev('c', 7000)]), out);
    op.processWatermark(6400, out);
    const second = new StateChangeCollector('2-dedup', false);
    op.snapshotState(second, false);
    expect([...second.changes().puts.keys()]).toEqual(['1/m', '1/i/c']);
    expect([...second.changes().deletes]).toEqual(['1/i/a']);
    const full = new StateChangeCollector('2-dedup', true);
    op.snapshotState(full, true);
    expect([...full.changes().puts.keys()].sort()).toEqual(['1/i/b', '1/i/c', '1/m']);
    const restored = dedup((e: Event) => e.id, { within: 6400 });
    restored.restoreState([...full.changes().puts].map(([k, v]) => [k, deserialize((v as EncodedStateValue).bytes)]));
    expect(restored.size).toBe(2);
    expect(() => restored.restoreState([['b', 1]])).toThrow(/unknown state entry "b"/);
  });

  const eventsArb = (ids: number, maxTime: number) =>
    fc.array(fc.record({ id: fc.integer({ min: 0, max: ids - 1 }).map((i) => `id-${i}`), t: fc.integer({ min: 0, max: maxTime }) }), {
      maxLength: 120,
    });

  it('never drops a record unless an earlier one with its id lies within `within` (property)', () => {
    fc.assert(
      fc.property(
        eventsArb(8, 2000),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 300 }),
        (raw, within, size, delay) => {
          const events = raw.map((e, n) => ({ ...e, n }));
          const op = dedup((e: Event) => e.id, { within });
          op.open(context());
          const batches: Event[][] = [];
          for (let i = 0; i < events.length; i += size) batches.push(events.slice(i, i + size));
          const out = drive(op, batches, delay);
          const kept = new Set(out.values.map((e) => e.n));
          for (const e of events) {
            if (kept.has(e.n)) continue;
            const witness = events.some((o) => o.n < e.n && o.id === e.id && Math.abs(o.t - e.t) < within);
            expect(witness, `record ${e.n} dropped without a duplicate`).toBe(true);
          }
          expect(op.droppedCount).toBe(events.length - kept.size);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps exactly the first copy of every record replayed while on time (property)', () => {
    // Copies of one event share its time, as redelivered events do; the watermark never passes a
    // record before it arrives, so every copy is on time.
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 120 }),
        fc.integer({ min: 1, max: 3000 }),
        (times, picks, within) => {
          const originals = times.map((t, i) => ev(`e${i}`, t));
          const stream: Event[] = [...originals, ...picks.map((p) => originals[p % originals.length])].map((e, n) => ({ ...e, n }));
          stream.sort((a, b) => a.t - b.t || a.n - b.n);
          const op = dedup((e: Event) => e.id, { within });
          op.open(context());
          const out = new Collect();
          let i = 0;
          while (i < stream.length) {
            const t = stream[i].t;
            const group: Event[] = [];
            while (i < stream.length && stream[i].t === t) group.push(stream[i++]);
            op.processBatch(batch(group), out);
            op.processWatermark(t - 1, out);
          }
          const firstOf = new Map<string, number>();
          for (const e of stream) if (!firstOf.has(e.id)) firstOf.set(e.id, e.n);
          expect(out.values.map((e) => e.n)).toEqual(stream.filter((e) => firstOf.get(e.id) === e.n).map((e) => e.n));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('restored from any checkpoint, goes on exactly as if never stopped (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        eventsArb(12, 3000),
        fc.integer({ min: 1, max: 800 }),
        fc.integer({ min: 1, max: 10 }),
        fc.nat(),
        fc.nat(),
        async (raw, within, size, cutSeed, fullSeed) => {
          const events = raw.map((e, n) => ({ ...e, n }));
          const batches: Event[][] = [];
          for (let i = 0; i < events.length; i += size) batches.push(events.slice(i, i + size));
          const delay = 200;
          const whole = drive(new DedupOperator<Event>((e) => e.id, { within }), batches, delay).values.map((e) => e.n);

          // Checkpoint after every batch (incremental, sometimes full) until the cut; a new operator
          // restores the last one and replays the rest.
          const cut = batches.length === 0 ? 0 : cutSeed % (batches.length + 1);
          const state = memoryState();
          await state.open();
          const first = new DedupOperator<Event>((e) => e.id, { within });
          first.open(context());
          const before = new Collect();
          let max = -Infinity;
          for (let b = 0; b < cut; b++) {
            drive(first, [batches[b]], delay, before, max);
            for (const e of batches[b]) max = Math.max(max, e.t);
            const writer = new StateChangeCollector('2-dedup', (fullSeed >> b) % 3 === 0);
            first.snapshotState(writer, writer.full);
            await state.write({ id: b + 1, sourcePosition: b + 1, operators: new Map([['2-dedup', writer.changes()]]) });
          }
          const restored = await state.open();
          const second = new DedupOperator<Event>((e) => e.id, { within });
          second.open(context());
          second.restoreState(restored?.operators.get('2-dedup') ?? []);
          const after = new Collect();
          drive(second, batches.slice(cut), delay, after, max);
          expect([...before.values, ...after.values].map((e) => e.n)).toEqual(whole);
        },
      ),
      { numRuns: 150 },
    );
  });
});
