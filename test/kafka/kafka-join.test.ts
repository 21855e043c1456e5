import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromKafka } from '../../src/kafka/consumer/index.js';
import { from, type Stream } from '../../src/pipeline/stream.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { fromArray } from '../../src/sources/array-source.js';
import { memoryState } from '../../src/state/memory-state.js';
import { batchIntervalJoin } from '../../src/testing/index.js';
import { boundedOutOfOrderness } from '../../src/watermarks/watermark-strategy.js';
import type { Source } from '../../src/core/source.js';
import { brokers, committedOffsets, createTopic, produce, uniqueName } from './kafka-test-utils.js';

interface Trip {
  trip: number;
  at: number;
}
interface Tip {
  trip: number;
  at: number;
  cents: number;
}

const T0 = Date.UTC(2026, 0, 1);
const trips: Trip[] = Array.from({ length: 300 }, (_, i) => ({ trip: i, at: T0 + i * 1000 }));
// Tips for two trips in three, settled 0 to 40 minutes after the trip, some twice.
const tips: Tip[] = fc
  .sample(fc.record({ trip: fc.integer({ min: 0, max: 299 }), delay: fc.integer({ min: 0, max: 40 * 60_000 }), cents: fc.nat(500) }), {
    numRuns: 250,
    seed: 7,
  })
  .filter((t) => t.trip % 3 !== 2)
  .map((t) => ({ trip: t.trip, at: T0 + t.trip * 1000 + t.delay, cents: t.cents }));

const within = { before: 0, after: '30m' } as const;

function joined(tripSource: Source<Trip>, tipSource: Source<Tip>): Stream<string, number> {
  return from(tripSource)
    .withTimestamps((t) => t.at, boundedOutOfOrderness('1h'))
    .keyBy((t) => t.trip)
    .join(
      from(tipSource)
        .withTimestamps((t) => t.at, boundedOutOfOrderness('1h'))
        .keyBy((t) => t.trip),
      { within, kind: 'left' },
      (trip, tip) => `${trip.trip}:${tip ? tip.cents : 'none'}`,
    );
}

describe('interval join on two Kafka topics', () => {
  it('equals the same join over arrays and the nested-loop oracle, and commits both topics’ offsets', async () => {
    const tripTopic = uniqueName('trips');
    const tipTopic = uniqueName('tips');
    await createTopic(tripTopic, 3);
    await createTopic(tipTopic, 2);
    await produce(
      tripTopic,
      trips.map((t) => ({ key: String(t.trip), value: JSON.stringify(t) })),
    );
    await produce(
      tipTopic,
      tips.map((t) => ({ key: String(t.trip), value: JSON.stringify(t) })),
    );
    const tripGroup = uniqueName('join-trips');
    const tipGroup = uniqueName('join-tips');
    const out = toArray<string>();
    const summary = await joined(
      fromKafka<Trip>({ brokers, topic: tripTopic, groupId: tripGroup, fromBeginning: true, maxRecords: trips.length }),
      fromKafka<Tip>({ brokers, topic: tipTopic, groupId: tipGroup, fromBeginning: true, maxRecords: tips.length }),
    )
      .to(out)
      .run({ state: memoryState(), checkpointEvery: { records: 100 } });
    expect(summary.records).toBe(trips.length + tips.length);

    const embedded = toArray<string>();
    await joined(fromArray(trips, { batchSize: 17 }), fromArray(tips, { batchSize: 5 }))
      .to(embedded)
      .run();
    const oracle = batchIntervalJoin(trips, tips, {
      within,
      kind: 'left',
      leftKey: (t) => t.trip,
      rightKey: (t) => t.trip,
      leftTime: (t) => t.at,
      rightTime: (t) => t.at,
    }).map((r) => `${r.left!.trip}:${r.right ? r.right.cents : 'none'}`);
    expect([...out.items].sort()).toEqual([...oracle].sort());
    expect([...embedded.items].sort()).toEqual([...oracle].sort());
    // Some trips found no tip within 30 minutes, so the left join's nulls are exercised.
    expect(oracle.some((r) => r.endsWith(':none'))).toBe(true);

    // The final checkpoint committed every offset of both topics.
    const sum = (offsets: Record<string, number>) => Object.values(offsets).reduce((a, b) => a + Math.max(b, 0), 0);
    expect(sum(await committedOffsets(tripGroup, tripTopic))).toBe(trips.length);
    expect(sum(await committedOffsets(tipGroup, tipTopic))).toBe(tips.length);
  });
});
