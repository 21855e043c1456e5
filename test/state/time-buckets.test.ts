import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResidentState } from '../../src/core/resident-state.js';
import { levelState } from '../../src/state/level-state.js';
import { TimeBuckets, type BucketCounts } from '../../src/state/time-buckets.js';

type Entry = [time: number, seq: number];
const PREFIX = 'x1/e/';
const byTimeThenSeq = (a: Entry, b: Entry) => a[0] - b[0] || a[1] - b[1];

/** Adds at times in a narrow range (so buckets fill several chunks of 256), watermarks that only move up, restarts from the counts. */
const ops = fc.array(
  fc.oneof(
    { weight: 6, arbitrary: fc.record({ add: fc.integer({ min: -300, max: 3_000 }), times: fc.integer({ min: 1, max: 120 }) }) },
    { weight: 2, arbitrary: fc.record({ release: fc.integer({ min: 0, max: 900 }) }) },
    { weight: 1, arbitrary: fc.constant({ restart: true as const }) },
  ),
  { maxLength: 40 },
);

/** The chunks a bucket's counts name, read back: each at most 256 entries. */
function stored(store: ResidentState, buckets: TimeBuckets<Entry>): Entry[] {
  const all: Entry[] = [];
  for (const [bucket, chunks] of buckets.counts()) {
    for (let n = 0; n < chunks; n++) {
      const chunk = store.get(`${PREFIX}${bucket}/${n}`) as Entry[];
      expect(chunk.length).toBeGreaterThan(0);
      expect(chunk.length).toBeLessThanOrEqual(256);
      all.push(...chunk);
    }
  }
  return all.sort(byTimeThenSeq);
}

describe('TimeBuckets in resident state', () => {
  let dir: string;
  let runs = 0;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamkit-time-buckets-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('hands out every entry due, in order, exactly once, keeps the rest in chunks of at most 256, and restarts from its counts', async () => {
    await fc.assert(
      fc.asyncProperty(ops, fc.constantFrom(1, 7, 100, 5_000), async (steps, width) => {
        const backend = levelState(join(dir, `run-${++runs}`), { memory: 600, sync: false });
        await backend.open();
        try {
          const store = backend.residentState('buckets')!;
          const make = (restored: BucketCounts) => new TimeBuckets<Entry>(store, PREFIX, width, (e) => e[0], byTimeThenSeq, restored);
          let buckets = make([]);
          let pending: Entry[] = [];
          let seq = 0;
          let watermark = -Infinity;
          for (const step of steps) {
            if ('add' in step) {
              for (let i = 0; i < step.times; i++) {
                const entry: Entry = [step.add + (i % 3), seq++];
                buckets.add(entry);
                pending.push(entry);
              }
            } else if ('release' in step) {
              watermark = watermark === -Infinity ? step.release : watermark + step.release;
              const visited: Entry[] = [];
              buckets.release(watermark, (e) => visited.push(e));
              const due = pending.filter((e) => e[0] <= watermark).sort(byTimeThenSeq);
              pending = pending.filter((e) => e[0] > watermark);
              expect(visited).toEqual(due);
            } else {
              buckets = make(buckets.counts());
            }
            expect(stored(store, buckets)).toEqual([...pending].sort(byTimeThenSeq));
          }
          const rest: Entry[] = [];
          buckets.release(Infinity, (e) => rest.push(e));
          expect(rest).toEqual(pending.sort(byTimeThenSeq));
          expect(buckets.counts()).toEqual([]);
        } finally {
          await backend.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
