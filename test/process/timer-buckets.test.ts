import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TIMER_BUCKET_MS } from '../../src/process/process-state-layout.js';
import { TimerBuckets } from '../../src/process/timer-buckets.js';
import { levelState } from '../../src/state/level-state.js';

/** A queued entry of the model: its time and the key text it was pushed with (unique, its push order). */
type Queued = [time: number, keyText: string];
const byTime = (a: Queued, b: Queued) => a[0] - b[0];

/**
 * Pushes at times over a few buckets (many at one time, so a bucket fills several chunks), flushes,
 * watermarks that only move up, and saves then restores into a new queue over the same store.
 */
const ops = fc.array(
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        // Starts of half-buckets: pushes often land in a bucket that already holds hundreds.
        push: fc.integer({ min: -2, max: 8 }).map((half) => (half * TIMER_BUCKET_MS) / 2),
        times: fc.integer({ min: 1, max: 300 }),
      }),
    },
    { weight: 2, arbitrary: fc.constant({ flush: true as const }) },
    { weight: 3, arbitrary: fc.record({ advance: fc.integer({ min: 0, max: 2 * TIMER_BUCKET_MS }) }) },
    { weight: 1, arbitrary: fc.constant({ restore: true as const }) },
  ),
  { maxLength: 40 },
);

describe('TimerBuckets of a resident process function', () => {
  let dir: string;
  let runs = 0;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamkit-timer-buckets-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('pops every entry due after advanceTo, in (time, push) order, exactly once, across flushes and restores', async () => {
    await fc.assert(
      fc.asyncProperty(ops, async (steps) => {
        const backend = levelState(join(dir, `run-${++runs}`), { memory: 600, sync: false });
        await backend.open();
        try {
          const store = backend.residentState('process')!;
          let queue = new TimerBuckets(store, 'r1/t/e/', 'r1/q/e');
          let pending: Queued[] = [];
          let pushed = 0;
          let watermark = -Infinity;
          let restored = false;
          for (const step of steps) {
            if ('push' in step) {
              for (let i = 0; i < step.times; i++) {
                const entry: Queued = [step.push + (i % 4) * 1_000, `k${pushed++}`];
                queue.push(entry[0], entry[1]);
                pending.push(entry);
              }
            } else if ('flush' in step) {
              queue.flush();
            } else if ('advance' in step) {
              watermark = watermark === -Infinity ? step.advance : watermark + step.advance;
              queue.advanceTo(watermark);
              const popped: Queued[] = [];
              while (queue.peekTime() <= watermark) {
                const time = queue.peekTime();
                popped.push([time, queue.pop()!]);
              }
              const due = pending.filter((e) => e[0] <= watermark).sort(byTime);
              pending = pending.filter((e) => e[0] > watermark);
              // The sort is stable: equal times stay in push order. A restore re-queues what was
              // read in no particular order, so after one only the times' order is owed.
              if (restored) {
                expect(popped.map((e) => e[0])).toEqual(due.map((e) => e[0]));
                expect(popped.map((e) => e[1]).sort()).toEqual(due.map((e) => e[1]).sort());
              } else expect(popped).toEqual(due);
            } else {
              const meta = queue.save();
              queue = new TimerBuckets(store, 'r1/t/e/', 'r1/q/e');
              queue.restore(meta);
              restored = true;
            }
            expect(queue.size).toBe(pending.length);
          }
          queue.advanceTo(Infinity);
          const rest: string[] = [];
          queue.forEachRead((_, keyText) => rest.push(keyText));
          expect(rest.sort()).toEqual(pending.map((e) => e[1]).sort());
        } finally {
          await backend.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
