import { describe, expect, it } from 'vitest';
import { fromKafka } from '../../src/kafka/consumer/index.js';
import { from, table, type Stream } from '../../src/pipeline/stream.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { fromArray } from '../../src/sources/array-source.js';
import { memoryState } from '../../src/state/memory-state.js';
import { batchLookupJoin } from '../../src/testing/index.js';
import { boundedOutOfOrderness } from '../../src/watermarks/watermark-strategy.js';
import type { Source } from '../../src/core/source.js';
import { brokers, committedOffsets, createTopic, produce, uniqueName } from './kafka-test-utils.js';

interface Trip {
  trip: number;
  zone: number;
  at: number;
}
interface ZoneRow {
  zone: number;
  name: string;
  validFrom: number;
  deleted?: boolean;
}

const T0 = Date.UTC(2026, 0, 1);
const ZONES = 12;
const trips: Trip[] = Array.from({ length: 400 }, (_, i) => ({ trip: i, zone: (i * 7) % ZONES, at: T0 + i * 1000 }));
// Every zone renamed every 100 s, each renaming 30 s after the previous zone's; zone 5 closed for a while.
const zoneRows: ZoneRow[] = Array.from({ length: 48 }, (_, i) => ({
  zone: i % ZONES,
  name: `zone ${i % ZONES} v${Math.floor(i / ZONES)}`,
  validFrom: T0 + Math.floor(i / ZONES) * 100_000 + (i % ZONES) * 2_500,
}));
zoneRows.push({ zone: 5, name: '', validFrom: T0 + 150_000, deleted: true });
// In time order, as a table's rows are written.
zoneRows.sort((a, b) => a.validFrom - b.validFrom);

const isDelete = (z: ZoneRow) => z.deleted === true;

function enriched(tripSource: Source<Trip>, zoneSource: Source<ZoneRow>): Stream<string, null> {
  const zones = table(
    from(zoneSource).withTimestamps((z) => z.validFrom, boundedOutOfOrderness('1m')),
    (z) => z.zone,
    { isDelete },
  );
  return from(tripSource)
    .withTimestamps((t) => t.at, boundedOutOfOrderness('1m'))
    .lookup(
      zones,
      (t) => t.zone,
      (t, z) => `${t.trip}:${z ? z.name : 'none'}`,
      { kind: 'left' },
    );
}

describe('lookup join with a table from a compacted Kafka topic', () => {
  it('equals the same lookup over arrays and the oracle, and commits both topics’ offsets', async () => {
    const tripTopic = uniqueName('lookup-trips');
    const zoneTopic = uniqueName('lookup-zones');
    await createTopic(tripTopic, 3);
    await createTopic(zoneTopic, 2, [{ name: 'cleanup.policy', value: 'compact' }]);
    await produce(
      tripTopic,
      trips.map((t) => ({ key: String(t.trip), value: JSON.stringify(t) })),
    );
    // Keyed by zone: a zone's versions are in one partition, in order.
    await produce(
      zoneTopic,
      zoneRows.map((z) => ({ key: String(z.zone), value: JSON.stringify(z) })),
    );
    const tripGroup = uniqueName('lookup-trips');
    const zoneGroup = uniqueName('lookup-zones');
    const out = toArray<string>();
    const summary = await enriched(
      fromKafka<Trip>({ brokers, topic: tripTopic, groupId: tripGroup, fromBeginning: true, maxRecords: trips.length }),
      fromKafka<ZoneRow>({ brokers, topic: zoneTopic, groupId: zoneGroup, fromBeginning: true, maxRecords: zoneRows.length }),
    )
      .to(out)
      .run({ state: memoryState(), checkpointEvery: { records: 100 } });
    expect(summary.records).toBe(trips.length + zoneRows.length);

    const embedded = toArray<string>();
    await enriched(fromArray(trips, { batchSize: 17 }), fromArray(zoneRows, { batchSize: 5 }))
      .to(embedded)
      .run();
    const oracle = batchLookupJoin(trips, zoneRows, {
      kind: 'left',
      keyOf: (t) => t.zone,
      timeOf: (t) => t.at,
      rowKey: (z) => z.zone,
      rowTime: (z) => z.validFrom,
      isDelete,
    }).map((r) => `${r.record.trip}:${r.row ? r.row.name : 'none'}`);
    expect([...out.items].sort()).toEqual([...oracle].sort());
    expect([...embedded.items].sort()).toEqual([...oracle].sort());
    // Several versions per zone were used, and trips before a zone's first version or after the delete found none.
    expect(new Set(oracle.map((r) => r.split(':')[1])).size).toBeGreaterThan(ZONES * 2);
    expect(oracle.some((r) => r.endsWith(':none'))).toBe(true);

    const sum = (offsets: Record<string, number>) => Object.values(offsets).reduce((a, b) => a + Math.max(b, 0), 0);
    expect(sum(await committedOffsets(tripGroup, tripTopic))).toBe(trips.length);
    expect(sum(await committedOffsets(zoneGroup, zoneTopic))).toBe(zoneRows.length);
  });
});
