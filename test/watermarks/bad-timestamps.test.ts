/**
 * A timestamp is validated once, by withTimestamps, before the watermark sees it: a value that is
 * not a safe integer of epoch milliseconds is a dead letter there and never moves the watermark,
 * so it cannot make the records after it late.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../src/core/dead-letter.js';
import { Metrics } from '../../src/core/metrics.js';
import type { Output } from '../../src/core/operator.js';
import { RepartitionReadOperator, type IncomingRecord } from '../../src/kafka/repartition-operators.js';
import type { LateRecord, WindowResult } from '../../src/core/window.js';
import { from } from '../../src/pipeline/stream.js';
import { toArray } from '../../src/sinks/index.js';
import { fromArray } from '../../src/sources/index.js';
import { badTimestampReason, boundedOutOfOrderness, PartitionWatermarks } from '../../src/watermarks/index.js';
import { count, tumbling } from '../../src/windowing/index.js';

interface Event {
  at: unknown;
  n: number;
}

async function countPerSecond(events: Event[], batchSize: number) {
  const out = toArray<WindowResult<null, number>>();
  const late = toArray<LateRecord<Event>>();
  const dead = toArray<DeadLetter>();
  await from(fromArray(events, { batchSize }))
    .withTimestamps((e) => e.at as number, boundedOutOfOrderness(500))
    .window(tumbling(1000))
    .aggregate(count())
    .late(late)
    .deadLetters(dead)
    .to(out)
    .run();
  return { results: out.items.map((r) => [r.window.start, r.value, r.pane.index]), late: late.items, dead: dead.items };
}

const UNSAFE = [2 ** 53, 2 ** 53 + 2, 1e300, -(2 ** 53 + 2), -1e300, Number.MAX_VALUE];

describe('bad timestamps never move the watermark', () => {
  it.each(UNSAFE)(
    'an integer timestamp beyond the safe range (%d) is a dead letter at withTimestamps; nothing after it is late',
    async (bad) => {
      const events: Event[] = [];
      for (let i = 0; i < 40; i++) events.push({ at: 1_000 + i * 100, n: i });
      const withBad = [...events.slice(0, 10), { at: bad, n: -1 }, ...events.slice(10)];
      const clean = await countPerSecond(events, 1);
      const dirty = await countPerSecond(withBad, 1);
      expect(dirty.late).toEqual([]);
      expect(dirty.results).toEqual(clean.results);
      expect(dirty.dead).toHaveLength(1);
      expect(dirty.dead[0]).toMatchObject({
        raw: { at: bad, n: -1 },
        position: { partition: 0, offset: 10 },
        operator: expect.stringMatching(/withTimestamps/),
      });
      expect(dirty.dead[0].reason).toBe(
        `bad timestamp: ${bad} is not a safe integer of epoch milliseconds (it must lie within ±${Number.MAX_SAFE_INTEGER})`,
      );
    },
  );

  it('property: any mix of bad timestamps leaves results, late records and the watermark as without them', async () => {
    const badValue = fc.oneof(
      fc.constantFrom<unknown>(...UNSAFE, Number.NaN, Infinity, -Infinity, 1.5, '1000', null, undefined, 10n, new Date(5_000)),
      fc.integer({ min: 0, max: 1_000 }).map((k) => (k + 1) * 2 ** 53),
      fc.object(),
    );
    const events = fc.array(
      fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 0, max: 20_000 }).map((at) => ({ good: true as const, at })) },
        { weight: 1, arbitrary: badValue.map((at) => ({ good: false as const, at })) },
      ),
      { maxLength: 60 },
    );
    await fc.assert(
      fc.asyncProperty(events, fc.integer({ min: 1, max: 8 }), async (drawn, batchSize) => {
        const all: Event[] = drawn.map((e, n) => ({ at: e.at, n }));
        const good = all.filter((_, i) => drawn[i].good);
        const dirty = await countPerSecond(all, batchSize);
        // The same arrival order without the bad records, in the same batches minus those records:
        // the watermark after each batch is what the good records alone make it.
        const clean = await countPerSecond(good, 1);
        const cleanBatched = await countPerSecondBatchedLike(all, drawn, batchSize);
        expect(dirty.results).toEqual(cleanBatched.results);
        expect(dirty.late.map((l) => l.record)).toEqual(cleanBatched.late.map((l) => l.record));
        expect(dirty.dead.map((d) => d.position?.offset)).toEqual(all.flatMap((e, i) => (drawn[i].good ? [] : [i])));
        expect(dirty.dead.every((d) => d.reason.startsWith('bad timestamp'))).toBe(true);
        // Sanity: no bad record is ever counted.
        const total = (r: { results: unknown[][] }) => r.results.filter((x) => x[2] === 0).reduce((s, x) => s + (x[1] as number), 0);
        expect(total(dirty) + dirty.late.length).toBe(good.length);
        expect(total(clean) + clean.late.length).toBe(good.length);
      }),
      { numRuns: 60 },
    );
  });
});

/**
 * Runs the good records alone, cut into the same batches as `all` was: a batch the bad records
 * emptied is skipped (the watermark does not move without a record either).
 */
async function countPerSecondBatchedLike(all: Event[], drawn: Array<{ good: boolean }>, batchSize: number) {
  const out = toArray<WindowResult<null, number>>();
  const late = toArray<LateRecord<Event>>();
  const batches: Event[][] = [];
  for (let i = 0; i < all.length; i += batchSize) {
    const batch = all.slice(i, i + batchSize).filter((_, j) => drawn[i + j].good);
    if (batch.length > 0) batches.push(batch);
  }
  await from(fromArray(batches, { batchSize: 1 }))
    .flatMap((b) => b)
    .withTimestamps((e) => e.at as number, boundedOutOfOrderness(500))
    .window(tumbling(1000))
    .aggregate(count())
    .late(late)
    .to(out)
    .run();
  return { results: out.items.map((r) => [r.window.start, r.value, r.pane.index]), late: late.items };
}

describe('badTimestampReason', () => {
  it('accepts every safe integer and nothing else', () => {
    expect(badTimestampReason(0)).toBeUndefined();
    expect(badTimestampReason(-0)).toBeUndefined();
    expect(badTimestampReason(Number.MAX_SAFE_INTEGER)).toBeUndefined();
    expect(badTimestampReason(Number.MIN_SAFE_INTEGER)).toBeUndefined();
    expect(badTimestampReason(Number.MAX_SAFE_INTEGER + 1)).toMatch(/^bad timestamp: 9007199254740992 is not a safe integer/);
    expect(badTimestampReason(1e300)).toMatch(/^bad timestamp: 1e\+300 is not a safe integer/);
  });

  it('names what it got, for any value, without throwing', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(badTimestampReason(Number.NaN)).toBe('bad timestamp: expected an integer of epoch milliseconds, got NaN');
    expect(badTimestampReason(1.5)).toBe('bad timestamp: expected an integer of epoch milliseconds, got 1.5');
    expect(badTimestampReason('2024-01-01')).toBe('bad timestamp: expected an integer of epoch milliseconds, got the string "2024-01-01"');
    expect(badTimestampReason(new Date(0))).toMatch(/a Date object \(use date\.getTime\(\)\)$/);
    expect(badTimestampReason(5n)).toMatch(/the bigint 5n \(use Number\(t\)\)$/);
    expect(badTimestampReason(Object.create(null))).toMatch(/got \{\}$/);
    expect(badTimestampReason(proxy)).toMatch(/got a Proxy that cannot be read/);
  });
});

describe('PartitionWatermarks', () => {
  it('ignores a maximum that is not a safe integer, whichever stage reports it', () => {
    const w = new PartitionWatermarks(0, undefined);
    w.observe(0, 1_000, 0);
    for (const bad of [...UNSAFE, Infinity, Number.NaN, 1.5]) w.observe(0, bad, 0);
    expect(w.current([0])).toBe(999);
    expect(w.partitionWatermark(0)).toBe(999);
    w.observe(0, 2_000, 0);
    expect(w.current([0])).toBe(1_999);
  });
});

describe('the stage after a repartition', () => {
  it('an event time restored from a message header beyond the safe range does not move its watermark', () => {
    const op = new RepartitionReadOperator(boundedOutOfOrderness(0), { known: [0] });
    const watermarks: number[] = [];
    const out: Output<unknown> = { emit: () => {}, watermark: (w) => watermarks.push(w), late: () => {}, deadLetter: () => {} };
    op.open({ uid: '1-repartitioned', now: () => 0, sourcePartitions: () => [0], metrics: new Metrics() });
    const message = (time: number, originPosition: number): IncomingRecord => ({
      value: time,
      time,
      originPartition: 0,
      originPosition,
      originSeq: 0,
    });
    op.processBatch({ values: [message(1_000, 0)], positions: [0], partition: 0 }, out);
    op.processBatch({ values: [message(1e300, 1)], positions: [1], partition: 0 }, out);
    op.processBatch({ values: [message(2 ** 53 + 2, 2)], positions: [2], partition: 0 }, out);
    op.processBatch({ values: [message(2_000, 3)], positions: [3], partition: 0 }, out);
    expect(watermarks).toEqual([999, 1_999]);
  });
});
