import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { from } from '../../src/pipeline/stream.js';
import type { LateRecord, WindowResult } from '../../src/core/window.js';
import { toArray } from '../../src/sinks/index.js';
import { fromArray } from '../../src/sources/index.js';
import { batchWindows, batchWindowsWithLateness, keyedEvents, type KeyedEvent } from '../../src/testing/index.js';
import { boundedOutOfOrderness } from '../../src/watermarks/index.js';
import { afterCount, global, hopping, session, sliding, tumbling } from '../../src/windowing/index.js';
import type { WindowAssigner, WindowOptions } from '../../src/windowing/types.js';
import { lastPanes, seqs, windowId } from './window-driver.js';

const KINDS: Array<{ name: string; assigner: () => WindowAssigner; options: WindowOptions }> = [
  { name: 'tumbling', assigner: () => tumbling(100), options: {} },
  { name: 'hopping', assigner: () => hopping(100, 40), options: {} },
  { name: 'sliding', assigner: () => sliding(60), options: {} },
  { name: 'session', assigner: () => session(12), options: {} },
  { name: 'global', assigner: () => global(), options: { trigger: afterCount(5) } },
];

const input = fc.integer({ min: 0, max: 40 }).chain((delay) =>
  fc.record({
    delay: fc.constant(delay),
    sample: keyedEvents({ keys: 3, timeRange: [0, 600], maxDisorder: delay, maxLength: 50 }),
    batchSize: fc.integer({ min: 1, max: 16 }),
  }),
);

async function runStream(arrival: KeyedEvent[], assigner: WindowAssigner, options: WindowOptions, delay: number, batchSize: number) {
  const out = toArray<WindowResult<string, number[]>>();
  const late = toArray<LateRecord<KeyedEvent>>();
  await from(fromArray(arrival, { batchSize }))
    .withTimestamps((e) => e.time, boundedOutOfOrderness(delay))
    .keyBy((e) => e.key)
    .window(assigner, options)
    .aggregate(seqs)
    .late(late)
    .to(out)
    .run();
  return { results: out.items, late: late.items };
}

describe('the exactness property through the public Stream API', () => {
  for (const kind of KINDS) {
    it(`${kind.name}: from(fromArray(events, { batchSize })) … aggregate() equals the batch oracle`, async () => {
      await fc.assert(
        fc.asyncProperty(input, async ({ delay, sample, batchSize }) => {
          const { results, late } = await runStream(sample.arrival, kind.assigner(), kind.options, delay, batchSize);
          expect(late).toEqual([]);
          const expected = batchWindows(sample.events, {
            assigner: kind.assigner(),
            aggregator: seqs,
            keyOf: (e) => e.key,
            timeOf: (e) => e.time,
          });
          const last = lastPanes(results);
          for (const row of expected) expect(last.get(windowId(row))?.value, windowId(row)).toEqual(row.value);
          if (kind.name !== 'session') expect(last.size).toBe(expected.length);
        }),
        { numRuns: 40 },
      );
    });
  }

  it('tumbling with late records and batchSize 1: results and late output equal the lateness oracle', async () => {
    const lateInput = fc.integer({ min: 0, max: 30 }).chain((delay) =>
      fc.record({
        delay: fc.constant(delay),
        lateness: fc.integer({ min: 0, max: 60 }),
        sample: keyedEvents({
          keys: 2,
          timeRange: [0, 600],
          maxDisorder: delay,
          maxLength: 50,
          late: { fraction: 0.3, maxExtraDelay: 150 },
        }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(lateInput, async ({ delay, lateness, sample }) => {
        const { results, late } = await runStream(sample.arrival, tumbling(100), { allowedLateness: lateness }, delay, 1);
        const expected = batchWindowsWithLateness(sample.arrival, {
          assigner: tumbling(100),
          aggregator: seqs,
          keyOf: (e) => e.key,
          timeOf: (e) => e.time,
          maxDelay: delay,
          allowedLateness: lateness,
        });
        const last = lastPanes(results);
        expect(last.size).toBe(expected.results.length);
        for (const row of expected.results) expect(last.get(windowId(row))?.value).toEqual(row.value);
        expect(late).toEqual(expected.late);
      }),
      { numRuns: 40 },
    );
  });
});
