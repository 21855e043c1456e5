import kafkajs from 'kafkajs';
import { createTopicsWithLeaders, fromKafka, toKafka, toKafkaDeadLetters } from '../../src/index.js';
import { generateTrips } from './generator.js';
import { GOLD_STREAMS } from './gold.js';
import { rawSettlements, runTaxiJob, type TaxiJobOptions, type TaxiJobResult } from './pipeline.js';

export const RAW_TOPIC = 'taxi.raw_trips';
export const SETTLEMENTS_TOPIC = 'taxi.settlements';
export const DLQ_TOPIC = 'taxi.raw_trips.dlq';
export const SILVER_TOPIC = 'taxi.silver_trips';
export const goldTopic = (name: string) => `taxi.gold.${name}`;

/**
 * Runs the taxi job through a Kafka-protocol broker: the generator produces the raw trips to
 * `taxi.raw_trips` (3 partitions, key = pickup zone) and the settlements to `taxi.settlements`
 * (3 partitions, key = trip id), then the job consumes both with a consumer group (per-partition
 * watermarks, offsets committed at checkpoints) and writes Silver, Gold and the dead letters to
 * topics as well as to the output folder.
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
    ...compacted.map((topic) => ({ topic, numPartitions: 3, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] })),
  ].filter((t) => !existing.has(t.topic));
  if (wanted.length > 0) await createTopicsWithLeaders(admin, wanted);
  // Right after topics are created, leaders may still be moving in: retry what the broker calls retriable.
  const before = await retrying(() => admin.fetchTopicOffsets(RAW_TOPIC));
  const settlementsBefore = await retrying(() => admin.fetchTopicOffsets(SETTLEMENTS_TOPIC));
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
