import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  boundedOutOfOrderness,
  from,
  fromArray,
  levelState,
  table,
  toArray,
  type DeadLetter,
  type LateRecord,
  type LookupKind,
} from '../../src/index.js';
import type { StateBackend } from '../../src/core/state-backend.js';
import { keyedEvents, type KeyedEvent } from '../../src/testing/index.js';
import { PausedSource } from '../runtime/fixtures/paused-source.js';
import { runRates, type Ride, type Row } from './resident-join-pipelines.js';

const KINDS: LookupKind[] = ['inner', 'left'];
/** Table rows whose value is a multiple of 5 are deletes. */
const isDelete = (e: KeyedEvent) => e.value % 5 === 0;

describe('lookup join with its table versions and held records resident in LevelDB', () => {
  let dir: string;
  let runs = 0;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamkit-resident-lookup-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('answers what the heap lookup answers, in the same order, with the same late records, counts and gauges', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .oneof(
            // Times spread over minutes: held records and prunes span several buckets.
            fc.constant({ span: 400_000, disorder: 20_000 }),
            // A narrow range: many records and versions at one time, ties in arrival order.
            fc.constant({ span: 150, disorder: 30 }),
          )
          .chain(({ span, disorder }) =>
            fc.record({
              disorder: fc.constant(disorder),
              records: keyedEvents({
                keys: 3,
                timeRange: [0, span],
                maxDisorder: disorder,
                maxLength: 40,
                late: { fraction: 0.2, maxExtraDelay: 3 * disorder },
              }),
              rows: keyedEvents({ keys: 3, timeRange: [0, span], maxDisorder: disorder, maxLength: 30, valueRange: [0, 99] }),
              staticTable: fc.boolean(),
              kind: fc.constantFrom(...KINDS),
              allowedLateness: fc.constantFrom(0, disorder / 4, disorder * 4),
              recordBatch: fc.integer({ min: 1, max: 12 }),
              rowBatch: fc.integer({ min: 1, max: 12 }),
              every: fc.integer({ min: 1, max: 20 }),
            }),
          ),
        fc.constantFrom<number | string>(1, 300, '256MB'),
        async (c, memory) => {
          const rowsIn = c.rows.arrival.map((e) => ({ ...e, seq: e.seq + 1000 }));
          const run = async (state: StateBackend) => {
            const out = toArray<string>();
            const late = toArray<LateRecord<KeyedEvent>>();
            const dead = toArray<DeadLetter>();
            const rowStream = from(fromArray(rowsIn, { batchSize: c.rowBatch }));
            const rows = table(
              c.staticTable ? rowStream : rowStream.withTimestamps((e) => e.time, boundedOutOfOrderness(c.disorder)),
              (e) => e.key,
              {
                isDelete,
              },
            );
            const job = from(fromArray(c.records.arrival, { batchSize: c.recordBatch }))
              .withTimestamps((e) => e.time, boundedOutOfOrderness(c.disorder))
              .lookup(
                rows,
                (e) => e.key,
                (e, version: KeyedEvent | null) => `${e.seq}|${version ? version.seq : '-'}`,
                {
                  kind: c.kind,
                  allowedLateness: c.allowedLateness,
                },
              )
              .late(late)
              .deadLetters(dead)
              .to(out)
              .run({ state, checkpointEvery: { records: c.every } });
            await job;
            const metrics = ['lookup_matched', 'lookup_unmatched', 'lookup_table_keys', 'lookup_table_versions', 'lookup_held'].map((m) =>
              job.metrics.get(m, { operator: 'lookup#0' }),
            );
            return { results: out.items, late: late.items.map((x) => x.record.seq), dead: dead.items, metrics };
          };
          const heap = await run(levelState(join(dir, `heap-${++runs}`)));
          const resident = await run(levelState(join(dir, `resident-${runs}`), { memory }));
          expect(resident).toEqual(heap);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('answers queries from LevelDB while it runs, and restores from the meta entry alone', async () => {
    const state = join(dir, 'query');
    const start = (rows: PausedSource<Row>, rides: PausedSource<Ride>) => runRates(state, rows, rides);
    const rows = new PausedSource<Row>();
    const rides = new PausedSource<Ride>();
    const job = start(rows, rides);
    rows.push([
      { zone: 1, rate: 2, at: 0 },
      { zone: 2, rate: 5, at: 0 },
      { zone: 1, rate: 3, at: 1_000 },
    ]);
    rides.push([{ zone: 1, at: 500 }]);
    await Promise.all([rows.drained(), rides.drained()]);
    const rates = job.query('rates');
    expect(await rates.get(1)).toEqual([
      { from: 0, row: { zone: 1, rate: 2, at: 0 } },
      { from: 1_000, row: { zone: 1, rate: 3, at: 1_000 } },
    ]);
    expect(await rates.keys()).toEqual([1, 2]);
    await job.stop();
    const again = start(new PausedSource<Row>(), new PausedSource<Ride>());
    expect(await again.query('rates').get(2)).toEqual([{ from: 0, row: { zone: 2, rate: 5, at: 0 } }]);
    await again.stop();
  });
});
