import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  boundedOutOfOrderness,
  from,
  fromArray,
  toArray,
  union,
  type DeadLetter,
  type JoinKind,
  type LateRecord,
} from '../../src/index.js';
import { batchIntervalJoin, keyedEvents, type KeyedEvent } from '../../src/testing/index.js';

interface Reading {
  id: string;
  key: string;
  t: number;
  /** The join function throws for a pair or an unmatched report that holds a poisoned record. */
  poisoned: boolean;
}

const DELAY = 50;
/** About 30% of the records held back up to 600 ms beyond the watermark delay: many are late. */
const sample = keyedEvents({
  keys: 3,
  timeRange: [0, 1500],
  maxDisorder: DELAY,
  valueRange: [0, 1000],
  minLength: 10,
  maxLength: 50,
  late: { fraction: 0.3, maxExtraDelay: 600 },
});
/** Some records have no valid timestamp (dead letters before the join), some poison the join function. */
const readings = (prefix: string, events: KeyedEvent[]): Reading[] =>
  events.map((e) => ({ id: `${prefix}${e.seq}`, key: e.key, t: e.value % 13 === 0 ? Number.NaN : e.time, poisoned: e.value % 11 === 0 }));

describe('interval join accounting through the public API', () => {
  it('every record of either side ends exactly once: in a pair, reported unmatched, late or a dead letter', async () => {
    let late = 0;
    let dead = 0;
    let unmatched = 0;
    let paired = 0;
    await fc.assert(
      fc.asyncProperty(
        sample,
        sample,
        sample,
        fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 })),
        fc.record({ before: fc.nat(80), after: fc.nat(80) }),
        fc.nat(40),
        fc.constantFrom<JoinKind>('inner', 'left', 'outer'),
        async (a, b, r, [sizeA, sizeB, sizeR], within, allowedLateness, kind) => {
          const leftA = readings('a', a.arrival);
          const leftB = readings('b', b.arrival);
          const right = readings('r', r.arrival);
          const timed = (list: Reading[], batchSize: number) =>
            from(fromArray(list, { batchSize }))
              .withTimestamps((x) => x.t, boundedOutOfOrderness(DELAY))
              .keyBy((x) => x.key);
          const results = toArray<[string | null, string | null]>();
          const lateOut = toArray<LateRecord<Reading>>();
          const deadOut = toArray<DeadLetter>();
          const job = union(timed(leftA, sizeA), timed(leftB, sizeB))
            .join(timed(right, sizeR), { within, allowedLateness, kind }, (l: Reading | null, p: Reading | null) => {
              if (l?.poisoned || p?.poisoned) throw new Error('poisoned');
              return [l?.id ?? null, p?.id ?? null] as [string | null, string | null];
            })
            .late(lateOut)
            .deadLetters(deadOut)
            .to(results)
            .run();
          const summary = await job;

          // How often each record was accounted for, by outcome.
          const inPairs = new Set(results.items.filter(([l, p]) => l !== null && p !== null).flat() as string[]);
          const outcomes = new Map<string, string[]>();
          const count = (id: string, outcome: string) => outcomes.set(id, [...(outcomes.get(id) ?? []), outcome]);
          for (const id of inPairs) count(id, 'paired');
          for (const [l, p] of results.items) if (l === null || p === null) count((l ?? p)!, 'unmatched');
          for (const item of lateOut.items) count(item.record.id, 'late');
          for (const item of deadOut.items) count((item.raw as Reading).id, 'dead');

          // Unmatched records of a side the kind does not report are counted, not emitted.
          const silent = { left: kind === 'inner', right: kind !== 'outer' };
          for (const [side, records] of [
            ['left', [...leftA, ...leftB]],
            ['right', right],
          ] as const) {
            const unaccounted = records.filter((x) => !outcomes.has(x.id));
            for (const x of records) {
              const seen = outcomes.get(x.id);
              if (seen) expect(seen, `${side} record ${JSON.stringify(x)}`).toHaveLength(1);
            }
            const counted = job.metrics.get('join_unmatched', { operator: 'join#0', side }) ?? 0;
            const reported = records.filter((x) => outcomes.get(x.id)?.[0] === 'unmatched').length;
            if (silent[side]) {
              expect(reported).toBe(0);
              expect(unaccounted.length).toBe(counted);
            } else {
              expect(unaccounted, `${side} records accounted for nowhere`).toEqual([]);
              // The metric also counts unmatched records whose report threw (dead letters).
              expect(counted).toBeGreaterThanOrEqual(reported);
            }
            unmatched += unaccounted.length + reported;
          }
          expect(summary.late).toBe(lateOut.items.length);
          expect(summary.deadLetters).toBe(deadOut.items.length);

          // The records neither late nor dead join exactly as the batch oracle says.
          const accepted = (list: Reading[]) => list.filter((x) => !['late', 'dead'].includes(outcomes.get(x.id)?.[0] ?? ''));
          const expected = batchIntervalJoin(accepted([...leftA, ...leftB]), accepted(right), {
            within,
            kind,
            leftKey: (x) => x.key,
            rightKey: (x) => x.key,
            leftTime: (x) => x.t,
            rightTime: (x) => x.t,
          }).map(({ left, right }) => `${left?.id ?? '-'}|${right?.id ?? '-'}`);
          expect(results.items.map(([l, p]) => `${l ?? '-'}|${p ?? '-'}`).sort()).toEqual(expected.sort());
          late += lateOut.items.length;
          dead += deadOut.items.length;
          paired += inPairs.size;
        },
      ),
      { numRuns: 150 },
    );
    // The inputs exercised every outcome.
    expect(late).toBeGreaterThan(100);
    expect(dead).toBeGreaterThan(100);
    expect(unmatched).toBeGreaterThan(100);
    expect(paired).toBeGreaterThan(100);
  });
});
