import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  boundedOutOfOrderness,
  from,
  fromArray,
  table,
  toArray,
  type DeadLetter,
  type LateRecord,
  type LookupKind,
  type Operator,
} from '../../src/index.js';
import { batchLookupJoin, keyedEvents, type KeyedEvent } from '../../src/testing/index.js';

/** A result as text: the record's sequence number, the row's (`-` for none), and the time. */
type Row = string;
const row = (r: KeyedEvent, version: KeyedEvent | null, time: number): Row => `${r.seq}|${version ? version.seq : '-'}@${time}`;

const DISORDER = 30;
const KINDS: LookupKind[] = ['inner', 'left'];
/** Table rows whose value is a multiple of 5 are deletes: about one in five. */
const isDelete = (e: KeyedEvent) => e.value % 5 === 0;

const cases = (late?: { fraction: number; maxExtraDelay: number }) =>
  fc.record({
    // Few keys, a narrow time range: several versions per key, records at a version's exact time.
    records: keyedEvents({ keys: 3, timeRange: [0, 150], maxDisorder: DISORDER, maxLength: 30, late }),
    rows: keyedEvents({ keys: 3, timeRange: [0, 150], maxDisorder: DISORDER, maxLength: 25, valueRange: [0, 99] }),
    staticTable: fc.boolean(),
    kind: fc.constantFrom(...KINDS),
    allowedLateness: fc.integer({ min: 0, max: 20 }),
    recordBatch: fc.integer({ min: 1, max: 12 }),
    rowBatch: fc.integer({ min: 1, max: 12 }),
    runBatch: fc.integer({ min: 1, max: 64 }),
    // Records are keyed by a key of their own: the lookup key is another one.
    streamKeys: fc.integer({ min: 1, max: 3 }),
  });

type Case = typeof cases extends (...args: any[]) => fc.Arbitrary<infer V> ? V : never;

/** The rows' sequence numbers follow the records', so every input has its own. */
function rowsOf(c: Case): KeyedEvent[] {
  return c.rows.arrival.map((e) => ({ ...e, seq: e.seq + 1000 }));
}

async function runLookup(c: Case) {
  const out = toArray<Row>();
  const keys = toArray<unknown>();
  const late = toArray<LateRecord<KeyedEvent>>();
  const dead = toArray<DeadLetter>();
  const rowStream = from(fromArray(rowsOf(c), { batchSize: c.rowBatch }));
  const rows = table(c.staticTable ? rowStream : rowStream.withTimestamps((e) => e.time, boundedOutOfOrderness(DISORDER)), (e) => e.key, {
    isDelete,
  });
  const job = from(fromArray(c.records.arrival, { batchSize: c.recordBatch }))
    .withTimestamps((e) => e.time, boundedOutOfOrderness(DISORDER))
    .keyBy((e) => e.seq % c.streamKeys)
    .lookup(
      rows,
      (e) => e.key,
      (e, version: KeyedEvent | null) => ({ e, version }),
      {
        kind: c.kind,
        allowedLateness: c.allowedLateness,
      },
    )
    .process((): Operator<{ e: KeyedEvent; version: KeyedEvent | null }, Row> => ({
      name: 'keys',
      processBatch(batch, output) {
        // Each result keeps its record's own stream key.
        batch.keys!.forEach((key, i) => keys.items.push([key, batch.values[i].e.seq % c.streamKeys]));
        // The result's time is the record's: the oracle's time says so.
        output.emit({ ...batch, values: batch.values.map(({ e, version }, i) => row(e, version, batch.times![i])) });
      },
    }))
    .late(late)
    .deadLetters(dead)
    .to(out)
    .run({ batchSize: c.runBatch });
  await job;
  return { results: out.items, keys: keys.items as Array<[unknown, number]>, late: late.items, dead: dead.items, metrics: job.metrics };
}

function expected(c: Case, records: KeyedEvent[]): Row[] {
  return batchLookupJoin(records, rowsOf(c), {
    kind: c.kind,
    keyOf: (e) => e.key,
    timeOf: (e) => e.time,
    rowKey: (e) => e.key,
    rowTime: c.staticTable ? undefined : (e) => e.time,
    isDelete,
  }).map((x) => row(x.record, x.row, x.time));
}

const sorted = (rows: Row[]) => [...rows].sort();

describe('lookup join against the batch oracle', () => {
  it('answers every record with the row version valid at its time, in any arrival order and batch sizes', async () => {
    await fc.assert(
      fc.asyncProperty(cases(), async (c) => {
        const { results, keys, late, dead } = await runLookup(c);
        expect(late).toEqual([]);
        expect(dead).toEqual([]);
        expect(sorted(results)).toEqual(sorted(expected(c, c.records.events)));
        for (const [key, own] of keys) expect(key).toBe(own);
      }),
      { numRuns: 200 },
    );
  });

  it('with late records: the oracle over the records that were not late, and every record answered or late', async () => {
    let lateSeen = 0;
    await fc.assert(
      fc.asyncProperty(cases({ fraction: 0.25, maxExtraDelay: 120 }), async (c) => {
        const { results, late, dead, metrics } = await runLookup(c);
        expect(dead).toEqual([]);
        const lateSeqs = new Set(late.map((l) => l.record.seq));
        lateSeen += lateSeqs.size;
        // A record is late only once its own input's watermark passed it by more than the lateness.
        let newest = -Infinity;
        for (const e of c.records.arrival) {
          if (lateSeqs.has(e.seq)) expect(newest - DISORDER - 1).toBeGreaterThanOrEqual(e.time + c.allowedLateness);
          newest = Math.max(newest, e.time);
        }
        const onTime = c.records.events.filter((e) => !lateSeqs.has(e.seq));
        expect(sorted(results)).toEqual(sorted(expected(c, onTime)));
        const matched = metrics.get('lookup_matched', { operator: 'lookup#0' });
        const unmatched = metrics.get('lookup_unmatched', { operator: 'lookup#0' });
        expect(matched + unmatched + lateSeqs.size).toBe(c.records.events.length);
        expect(matched).toBe(results.filter((r) => !r.includes('|-@')).length);
      }),
      { numRuns: 200 },
    );
    expect(lateSeen).toBeGreaterThan(0);
  });
});
