import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedOutOfOrderness, from, fromArray, toArray, type JoinKind, type LateRecord, type DeadLetter } from '../../src/index.js';
import { batchIntervalJoin, keyedEvents, type KeyedEvent } from '../../src/testing/index.js';

/** A result as text: the sequence numbers of the pair (`-` for null) and its time. */
type Row = string;
const row = (l: KeyedEvent | null, r: KeyedEvent | null, time: number): Row => `${l ? l.seq : '-'}|${r ? r.seq : '-'}@${time}`;

const DISORDER = 30;
const KINDS: JoinKind[] = ['inner', 'left', 'outer'];

interface Case {
  left: KeyedEvent[];
  right: KeyedEvent[];
  leftArrival: KeyedEvent[];
  rightArrival: KeyedEvent[];
  before: number;
  after: number;
  allowedLateness: number;
  kind: JoinKind;
  leftBatch: number;
  rightBatch: number;
  runBatch: number;
}

const sides = (late?: { fraction: number; maxExtraDelay: number }) =>
  fc.record({
    // A narrow time range and few keys: partners at the exact bounds are common.
    l: keyedEvents({ keys: 2, timeRange: [0, 150], maxDisorder: DISORDER, maxLength: 30, late }),
    r: keyedEvents({ keys: 2, timeRange: [0, 150], maxDisorder: DISORDER, maxLength: 30, late }),
    before: fc.integer({ min: 0, max: 25 }),
    after: fc.integer({ min: 0, max: 25 }),
    allowedLateness: fc.integer({ min: 0, max: 20 }),
    kind: fc.constantFrom(...KINDS),
    leftBatch: fc.integer({ min: 1, max: 12 }),
    rightBatch: fc.integer({ min: 1, max: 12 }),
    runBatch: fc.integer({ min: 1, max: 64 }),
  });

function caseOf(s: fc.Arbitrary<any> extends fc.Arbitrary<infer V> ? V : never): Case {
  // The right side's sequence numbers follow the left's, so every record has its own.
  const shift = 1000;
  const right = s.r.events.map((e: KeyedEvent) => ({ ...e, seq: e.seq + shift }));
  const bySeq = new Map(right.map((e: KeyedEvent) => [e.seq, e]));
  return {
    left: s.l.events,
    right,
    leftArrival: s.l.arrival,
    rightArrival: s.r.arrival.map((e: KeyedEvent) => bySeq.get(e.seq + shift)!),
    before: s.before,
    after: s.after,
    allowedLateness: s.allowedLateness,
    kind: s.kind,
    leftBatch: s.leftBatch,
    rightBatch: s.rightBatch,
    runBatch: s.runBatch,
  };
}

async function runJoin(c: Case) {
  const out = toArray<Row>();
  const late = toArray<LateRecord<KeyedEvent>>();
  const dead = toArray<DeadLetter>();
  const left = from(fromArray(c.leftArrival, { batchSize: c.leftBatch }))
    .withTimestamps((e) => e.time, boundedOutOfOrderness(DISORDER))
    .keyBy((e) => e.key);
  const right = from(fromArray(c.rightArrival, { batchSize: c.rightBatch }))
    .withTimestamps((e) => e.time, boundedOutOfOrderness(DISORDER))
    .keyBy((e) => e.key);
  const job = left
    .join(right, { within: { before: c.before, after: c.after }, kind: c.kind, allowedLateness: c.allowedLateness }, (l, r) => ({ l, r }))
    .map(({ l, r }) => row(l, r, Math.max(l?.time ?? -Infinity, r?.time ?? -Infinity)))
    .late(late)
    .deadLetters(dead)
    .to(out)
    .run({ batchSize: c.runBatch });
  await job;
  return { results: out.items, late: late.items, dead: dead.items, metrics: job.metrics };
}

function expected(c: Case): Row[] {
  return batchIntervalJoin(c.left, c.right, {
    within: { before: c.before, after: c.after },
    kind: c.kind,
    leftKey: (e) => e.key,
    rightKey: (e) => e.key,
    leftTime: (e) => e.time,
    rightTime: (e) => e.time,
  }).map((x) => row(x.left, x.right, x.time));
}

const sorted = (rows: Row[]) => [...rows].sort();

describe('interval join against the nested-loop oracle', () => {
  it('emits exactly the oracle: every pair in the bounds once, and for left/outer each unmatched record once', async () => {
    await fc.assert(
      fc.asyncProperty(sides(), async (s) => {
        const c = caseOf(s);
        const { results, late, dead } = await runJoin(c);
        expect(late).toEqual([]);
        expect(dead).toEqual([]);
        expect(sorted(results)).toEqual(sorted(expected(c)));
      }),
      { numRuns: 150 },
    );
  });

  it('with late records: the oracle over the records that were not late, and every record joined, reported unmatched or late', async () => {
    let lateSeen = 0;
    await fc.assert(
      fc.asyncProperty(sides({ fraction: 0.25, maxExtraDelay: 120 }), async (s) => {
        const c = caseOf(s);
        const { results, late, dead, metrics } = await runJoin(c);
        expect(dead).toEqual([]);
        const lateSeqs = new Set(late.map((l) => l.record.seq));
        lateSeen += lateSeqs.size;
        // A record can only be late once its own input's watermark passed its bound: the union's
        // watermark is at most its input's, which lags the newest record of an earlier batch.
        for (const [arrival, ownBound] of [
          [c.leftArrival, c.after],
          [c.rightArrival, c.before],
        ] as const) {
          let newest = -Infinity;
          for (const e of arrival) {
            if (lateSeqs.has(e.seq)) expect(newest - DISORDER - 1).toBeGreaterThanOrEqual(e.time + ownBound + c.allowedLateness);
            newest = Math.max(newest, e.time);
          }
        }
        // The records that were not late join exactly as the oracle says: late ones miss nothing else.
        const onTime = { ...c, left: c.left.filter((e) => !lateSeqs.has(e.seq)), right: c.right.filter((e) => !lateSeqs.has(e.seq)) };
        expect(sorted(results)).toEqual(sorted(expected(onTime)));
        // Accounting per side: each record ends matched, unmatched or late (the join function never throws here).
        const paired = new Set(results.filter((r) => !r.startsWith('-|') && !r.includes('|-@')).flatMap((p) => p.split('@')[0].split('|')));
        for (const [side, input] of [
          ['left', c.left],
          ['right', c.right],
        ] as const) {
          const lateHere = input.filter((e) => lateSeqs.has(e.seq)).length;
          const matched = metrics.get('join_matched', { operator: 'join#0', side });
          const notMatched = metrics.get('join_unmatched', { operator: 'join#0', side });
          expect(matched + notMatched + lateHere).toBe(input.length);
          expect(matched).toBe(input.filter((e) => paired.has(String(e.seq))).length);
        }
      }),
      { numRuns: 200 },
    );
    // The generator does produce late records, so the property above was exercised.
    expect(lateSeen).toBeGreaterThan(0);
  });
});
