import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResidentState } from '../../src/core/resident-state.js';
import { levelState, type LevelStateBackend } from '../../src/state/level-state.js';
import { StateChangeCollector } from '../../src/state/state-change-collector.js';
import { TimerHeap } from '../../src/state/timer-heap.js';
import { ResidentTimers, type ResidentTimersMeta } from '../../src/windowing/resident-window-timers.js';

const UID = 'window#0';
const META = 'wr1/m';

/** Registers `count` timers spread over `span` ms after the watermark, or advances it, or restarts from a checkpoint. */
type Step = { push: { count: number; span: number; kinds: number } } | { advance: number } | { restart: true };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      push: fc.record({
        count: fc.integer({ min: 1, max: 400 }),
        span: fc.integer({ min: 1, max: 300 }),
        kinds: fc.integer({ min: 1, max: 3 }),
      }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ advance: fc.integer({ min: 0, max: 120 }) }) },
  { weight: 1, arbitrary: fc.constant({ restart: true as const }) },
);

async function open(dir: string): Promise<{ backend: LevelStateBackend; store: ResidentState }> {
  const backend = levelState(dir, { memory: 4096 });
  await backend.open();
  return { backend, store: backend.residentState(UID)! };
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'streamkit-resident-timers-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('resident window timers', () => {
  it('fire in the order of the heap (time, kind, registration), across chunks, partly read buckets and restarts', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 50 }),
        fc.nat(),
        async (steps, width, seed) => {
          const dir = join(root, `run-${++runs}`);
          let { backend, store } = await open(dir);
          let timers = new ResidentTimers(store, 'wr1/', width);
          const oracle = new TimerHeap<number>();
          let watermark = -1;
          let next = 0;
          let checkpoint = 0;
          let random = seed;
          const fired: number[] = [];
          const expected: number[] = [];
          const drain = () => {
            for (let t = timers.nextDue(watermark); t !== undefined; t = timers.nextDue(watermark)) fired.push(t[3]);
            while (oracle.size > 0 && oracle.peekTime() <= watermark) expected.push(oracle.pop()!.ref);
            timers.flush();
          };
          try {
            for (const s of [...steps, { advance: Infinity } as Step]) {
              if ('push' in s) {
                for (let i = 0; i < s.push.count; i++) {
                  random = (random * 1103515245 + 12345) % 2147483648;
                  const time = watermark + 1 + (random % s.push.span);
                  const kind = random % s.push.kinds;
                  timers.push(time, kind, `"k${random % 7}"`, next);
                  oracle.push(time, kind, next++);
                }
                timers.flush();
              } else if ('advance' in s) {
                watermark += s.advance;
                drain();
              } else {
                // A checkpoint, as the operator takes it, then a restart from it.
                store.put(META, timers.save());
                const writer = new StateChangeCollector(UID, false);
                store.snapshot(writer);
                await backend.write({
                  id: ++checkpoint,
                  sourcePosition: {},
                  operators: new Map([[UID, { ...writer.changes(), resident: true }]]),
                });
                await backend.close();
                ({ backend, store } = await open(dir));
                timers = new ResidentTimers(store, 'wr1/', width);
                timers.restore(store.get(META) as ResidentTimersMeta);
              }
            }
            expect(fired).toEqual(expected);
            expect(fired.length).toBe(next);
          } finally {
            await backend.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
