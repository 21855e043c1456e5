import kafkajs from 'kafkajs';
import { createTopicsWithLeaders, fromKafka, toKafka, toKafkaDeadLetters } from '../../src/index.js';
import { generateTrips } from './generator.js';
import { GOLD_STREAMS } from './gold.js';
import { rawSettlements, runTaxiJob, type TaxiJobOptions, type TaxiJobResult } from './pipeline.js';
import { readZoneTable } from './zone-table.js';

export const RAW_TOPIC = 'taxi.raw_trips';
export const SETTLEMENTS_TOPIC = 'taxi.settlements';
/** The TLC zone table, one message per zone keyed by its id: a compacted topic read as a static table. */
export const ZONES_TOPIC = 'taxi.zones';
export const DLQ_TOPIC = 'taxi.raw_trips.dlq';
export const SILVER_TOPIC = 'taxi.silver_trips';
export const goldTopic = (name: string) => `taxi.gold.${name}`;

/**
 * Runs the taxi job through a Kafka-protocol broker: the generator produces the raw trips to
 * `taxi.raw_trips` (3 partitions, key = pickup zone) and the settlements to `taxi.settlements`
 * (3 partitions, key = trip id), and the zone table to `taxi.zones` (compacted, key = zone id);
 * then the job consumes them with consumer groups (per-partition watermarks, offsets committed at
 * checkpoints; the zone table once per lookup, as a static table) and writes Silver, Gold and the
 * dead letters to topics as well as to the output folder.
 */
export async function runTaxiOnKafka(options: TaxiJobOptions, brokers: string[], runId = `${Date.now()}`): Promise<TaxiJobResult> {
  const kafka = new kafkajs.Kafka({ clientId: 'streamkit-taxi', brokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  const compacted = [SILVER_TOPIC, ...GOLD_STREAMS.map(goldTopic)];
  const wanted = [
    { topic: RAW_TOPIC, numPartitions: 3 },
    { topic: SETTLEMENTS_TOPIC, numPartitions: 3 },
    { topic: DLQ_TOPIC, numPartitions: 1 },
    { topic: ZONES_TOPIC, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ...compacted.map((topic) => ({ topic, numPartitions: 3, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] })),
  ].filter((t) => !existing.has(t.topic));
  if (wanted.length > 0) await createTopicsWithLeaders(admin, wanted);
  // Right after topics are created, leaders may still be moving in: retry what the broker calls retriable.
  const before = await retrying(() => admin.fetchTopicOffsets(RAW_TOPIC));
  const settlementsBefore = await retrying(() => admin.fetchTopicOffsets(SETTLEMENTS_TOPIC));
  const zonesBefore = await retrying(() => admin.fetchTopicOffsets(ZONES_TOPIC));
  await admin.disconnect();

  // Produce this run's trips and settlements. Records already in the topics from earlier runs are
  // skipped by starting a fresh consumer group at the offsets the topics had before producing.
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const produce = async (topic: string, lines: Iterable<string>, keyOf: (line: string) => string | null, onBatch?: (n: number) => void) => {
    let count = 0;
    let batch: Array<{ key: string | null; value: string }> = [];
    const send = async () => {
      if (batch.length === 0) return;
      await producer.send({ topic, acks: -1, messages: batch });
      count += batch.length;
      onBatch?.(count);
      batch = [];
    };
    for (const line of lines) {
      batch.push({ key: keyOf(line), value: line });
      if (batch.length >= 2000) await send();
    }
    await send();
    return count;
  };
  const trips = generateTrips({ events: options.events, seed: options.seed, duplicates: options.duplicates, bad: options.bad });
  const produced = await produce(
    RAW_TOPIC,
    trips,
    (line) => /"PULocationID":(\d+)/.exec(line)?.[1] ?? null,
    (n) => options.onProgress?.(n),
  );
  const settlements = rawSettlements(options) ?? [];
  const settled = await produce(SETTLEMENTS_TOPIC, settlements, (line) => /"trip_id":"([0-9a-f]+)"/.exec(line)?.[1] ?? null);
  const zoneLines = (options.zones ?? readZoneTable()).map((z) => JSON.stringify(z));
  const zoneCount = await produce(ZONES_TOPIC, zoneLines, (line) => /"LocationID":(\d+)/.exec(line)?.[1] ?? null);
  await producer.disconnect();

  // One consumer group per topic: a group's members share one subscription.
  const groupId = `streamkit-taxi-${runId}`;
  const settlementsGroupId = `streamkit-taxi-settlements-${runId}`;
  const groupAdmin = kafka.admin();
  await groupAdmin.connect();
  await groupAdmin.setOffsets({ groupId, topic: RAW_TOPIC, partitions: before.map((p) => ({ partition: p.partition, offset: p.offset })) });
  await groupAdmin.setOffsets({
    groupId: settlementsGroupId,
    topic: SETTLEMENTS_TOPIC,
    partitions: settlementsBefore.map((p) => ({ partition: p.partition, offset: p.offset })),
  });
  // Each lookup reads the zone table with a group of its own, from the offset this run's rows start at.
  const zoneGroups = ['pickup', 'dropoff'].map((side) => `streamkit-taxi-zones-${side}-${runId}`);
  for (const zoneGroupId of zoneGroups) {
    await groupAdmin.setOffsets({
      groupId: zoneGroupId,
      topic: ZONES_TOPIC,
      partitions: zonesBefore.map((p) => ({ partition: p.partition, offset: p.offset })),
    });
  }
  await groupAdmin.disconnect();

  const text = { deserialize: (bytes: Buffer) => bytes.toString('utf8') };
  return runTaxiJob({
    ...options,
    source: fromKafka({ brokers, topic: RAW_TOPIC, groupId, deserializer: text, maxRecords: produced }),
    settlementsSource: fromKafka({
      brokers,
      topic: SETTLEMENTS_TOPIC,
      groupId: settlementsGroupId,
      deserializer: text,
      maxRecords: settled,
    }),
    zonesSource: (() => {
      let lookups = 0;
      // The pickup lookup asks first, then the dropoff one: each reads the rows once and ends.
      return () =>
        fromKafka({ brokers, topic: ZONES_TOPIC, groupId: zoneGroups[lookups++ % 2], deserializer: text, maxRecords: zoneCount });
    })(),
    extraSinks: {
      silver: toKafka({ brokers, topic: SILVER_TOPIC, key: (t: { trip_id: string }) => t.trip_id }),
      deadLetters: toKafkaDeadLetters({ brokers, topic: DLQ_TOPIC }),
      ...Object.fromEntries(GOLD_STREAMS.map((name) => [name, toKafka({ brokers, topic: goldTopic(name) })])),
    },
  });
}

async function retrying<T>(call: () => Promise<T>, attempts = 20): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await call();
    } catch (error) {
      if (i >= attempts || !(error as { retriable?: boolean }).retriable) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250 * Math.min(i, 4)));
    }
  }
}
