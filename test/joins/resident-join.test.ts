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
  toArray,
  type DeadLetter,
  type JoinKind,
  type LateRecord,
} from '../../src/index.js';
import type { StateBackend } from '../../src/core/state-backend.js';
import { keyedEvents, type KeyedEvent } from '../../src/testing/index.js';
import { PausedSource } from '../runtime/fixtures/paused-source.js';
import { runPairs, type Paired } from './resident-join-pipelines.js';

const DISORDER = 30;
const KINDS: JoinKind[] = ['inner', 'left', 'outer'];
const side = keyedEvents({
  keys: 3,
  timeRange: [0, 400],
  maxDisorder: DISORDER,
  maxLength: 40,
  late: { fraction: 0.2, maxExtraDelay: 120 },
});

describe('interval join with its buffers resident in LevelDB', () => {
  let dir: string;
  let runs = 0;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamkit-resident-join-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('emits what the heap join emits, in the same order, with the same late records, counts and query answers', async () => {
    await fc.assert(
      fc.asyncProperty(
        side,
        side,
        fc.record({
          before: fc.integer({ min: 0, max: 40 }),
          after: fc.integer({ min: 0, max: 40 }),
          allowedLateness: fc.integer({ min: 0, max: 30 }),
          kind: fc.constantFrom(...KINDS),
          leftBatch: fc.integer({ min: 1, max: 12 }),
          rightBatch: fc.integer({ min: 1, max: 12 }),
          every: fc.integer({ min: 1, max: 20 }),
        }),
        fc.constantFrom<number | string>(1, 300, '256MB'),
        async (l, r, c, memory) => {
          const right = r.arrival.map((e) => ({ ...e, seq: e.seq + 1000 }));
          const run = async (state: StateBackend) => {
            const out = toArray<string>();
            const late = toArray<LateRecord<KeyedEvent>>();
            const dead = toArray<DeadLetter>();
            const job = from(fromArray(l.arrival, { batchSize: c.leftBatch }))
              .withTimestamps((e) => e.time, boundedOutOfOrderness(DISORDER))
              .keyBy((e) => e.key)
              .join(
                from(fromArray(right, { batchSize: c.rightBatch }))
                  .withTimestamps((e) => e.time, boundedOutOfOrderness(DISORDER))
                  .keyBy((e) => e.key),
                { within: { before: c.before, after: c.after }, kind: c.kind, allowedLateness: c.allowedLateness },
                (a, b) => `${a ? a.seq : '-'}|${b ? b.seq : '-'}`,
              )
              .late(late)
              .deadLetters(dead)
              .to(out)
              .run({ state, checkpointEvery: { records: c.every } });
            await job;
            const counts = ['left', 'right'].map((s) => [
              job.metrics.get('join_matched', { operator: 'join#0', side: s }),
              job.metrics.get('join_unmatched', { operator: 'join#0', side: s }),
            ]);
            return { results: out.items, late: late.items.map((x) => x.record.seq), dead: dead.items, counts };
          };
          const heap = await run(levelState(join(dir, `heap-${++runs}`)));
          const resident = await run(levelState(join(dir, `resident-${runs}`), { memory }));
          expect(resident).toEqual(heap);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('answers queries from LevelDB while it runs', async () => {
    const lefts = new PausedSource<Paired>();
    const rights = new PausedSource<Paired>();
    const job = runPairs(join(dir, 'query'), lefts, rights);
    const a1 = { key: 'a', time: 10, seq: 1 };
    const b2 = { key: 'b', time: 12, seq: 2 };
    const a3 = { key: 'a', time: 11, seq: 3 };
    lefts.push([a1, b2]);
    rights.push([a3]);
    await Promise.all([lefts.drained(), rights.drained()]);
    const pairs = job.query('pairs');
    expect(await pairs.get('a')).toEqual({
      left: { count: 1, records: [{ time: 10, value: a1, matched: true }] },
      right: { count: 1, records: [{ time: 11, value: a3, matched: true }] },
    });
    expect(await pairs.get('b')).toEqual({
      left: { count: 1, records: [{ time: 12, value: b2, matched: false }] },
      right: { count: 0, records: [] },
    });
    expect(await pairs.get('c')).toBeUndefined();
    expect(await pairs.keys()).toEqual(['a', 'b']);
    await job.stop();
  });
});
