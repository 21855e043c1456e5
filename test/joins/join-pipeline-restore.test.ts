import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toArray } from '../../src/sinks/array-sink.js';
import { fromArray } from '../../src/sources/array-source.js';
import { levelState, type LevelStateOptions } from '../../src/state/level-state.js';
import { keyedEvents, type KeyedEvent } from '../../src/testing/index.js';
import { runStoppingAtCheckpoint } from '../pipeline/stopping-after.js';
import { byId, expectedSeconds, ordersWithPayments, type CustomerSecond, type Order, type Payment } from './orders-payments.js';

const DELAY = 150;

const events = keyedEvents({ keys: 3, timeRange: [0, 6000], maxDisorder: DELAY, valueRange: [0, 100], minLength: 15, maxLength: 60 });
const order = (prefix: string) => (e: KeyedEvent) => ({ id: `${prefix}${e.seq}`, customer: e.key, t: e.time, amount: e.value });
const payment = (e: KeyedEvent): Payment => ({ id: `p${e.seq}`, customer: e.key, t: e.time, paid: e.value });

describe('union → interval join → process function: restore equivalence', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamkit-join-pipeline-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * Stops `numRuns` pipelines at a random checkpoint and restores each with `options`: each must end
   * as an uninterrupted run does, with the batch answer.
   */
  async function stopsAndRestores(options: LevelStateOptions, numRuns: number): Promise<void> {
    let runs = 0;
    let stopped = 0;
    await fc.assert(
      fc.asyncProperty(
        events,
        events,
        events,
        fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 })),
        fc.integer({ min: 1, max: 15 }),
        fc.integer({ min: 1, max: 4 }),
        async (a, b, p, [sizeA, sizeB, sizeP], every, cut) => {
          const ordersA: Order[] = a.arrival.map(order('a'));
          const ordersB: Order[] = b.arrival.map(order('b'));
          const payments = p.arrival.map(payment);
          const pipeline = () =>
            ordersWithPayments(
              fromArray(ordersA, { batchSize: sizeA }),
              fromArray(ordersB, { batchSize: sizeB }),
              fromArray(payments, { batchSize: sizeP }),
              DELAY,
            );
          const whole = toArray<CustomerSecond>();
          await pipeline().to(whole).run();
          expect([...whole.items].sort(byId)).toEqual(expectedSeconds([...ordersA, ...ordersB], payments));

          const state = join(dir, `run-${++runs}-${options.memory ?? 'heap'}`);
          const first = await runStoppingAtCheckpoint(pipeline(), levelState(state, options), every, cut);
          if (first.summary.stopped) stopped++;
          const second = toArray<CustomerSecond>();
          await pipeline()
            .to(second)
            .run({ state: levelState(state, options), checkpointEvery: { records: every } });
          // A graceful stop takes a final checkpoint: nothing is replayed, so nothing comes twice.
          expect([...first.items, ...second.items].sort(byId)).toEqual([...whole.items].sort(byId));
        },
      ),
      { numRuns },
    );
    // Most runs stopped part-way: the restores had buffers, state and timers to carry over.
    expect(stopped).toBeGreaterThan(numRuns / 2);
  }

  it('stopped at a random checkpoint and restored from LevelDB, ends with the output of an uninterrupted run, the batch answer', async () => {
    await stopsAndRestores({}, 40);
  });

  it('the same with state resident in LevelDB behind a cache of 1 byte (every read goes to LevelDB)', async () => {
    await stopsAndRestores({ memory: 1 }, 25);
  });
});
