/** Helpers for the Kafka integration tests: a real broker (started by the global setup), never mocks. */
import { createTopicsWithLeaders } from '../../src/kafka/connection/index.js';
import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { inject } from 'vitest';

const { Kafka, logLevel } = kafkajs;

export const brokers: string[] = inject('kafkaBrokers');

export const kafka = new Kafka({ brokers, clientId: 'streamkit-test', logLevel: logLevel.NOTHING });

/** Polls `condition` every 20 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A topic name no other test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function createTopic(
  topic: string,
  numPartitions = 3,
  configEntries: Array<{ name: string; value: string }> = [],
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await createTopicsWithLeaders(admin, [{ topic, numPartitions, replicationFactor: 1, configEntries }]);
  } finally {
    await admin.disconnect();
  }
}

export interface TestMessage {
  key?: string | null;
  value: string | Buffer | null;
  partition?: number;
}

export async function produce(topic: string, messages: TestMessage[]): Promise<void> {
  // Idempotent: a send retried after a timeout on a busy broker must not write the messages twice.
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({
      topic,
      messages: messages.map((m) => ({ key: m.key ?? null, value: m.value, partition: m.partition })),
      acks: -1,
    });
  } finally {
    await producer.disconnect();
  }
}

export interface ReadMessage {
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** Message timestamp, epoch milliseconds as a decimal string. */
  timestamp: string;
}

/** Reads every message of `topic` from the beginning until `count` arrived (or fails after `timeoutMs`). */
export async function readAll(topic: string, count: number, timeoutMs = 30_000): Promise<ReadMessage[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), sessionTimeout: 10_000, heartbeatInterval: 1000 });
  const out: ReadMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${out.length} of ${count} messages from ${topic}`)), timeoutMs);
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            out.push(toRead(partition, message));
            if (out.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
      if (count === 0) resolve();
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** Reads every message of `topic` up to its end offsets at the time of the call. */
export async function readToEnd(topic: string, timeoutMs = 30_000): Promise<ReadMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  let total: number;
  try {
    // Nothing is compacted away while a test runs (segments have not rolled), so end minus start counts every message.
    total = (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
  return readAll(topic, total, timeoutMs);
}

function toRead(partition: number, message: KafkaMessage): ReadMessage {
  return {
    partition,
    offset: message.offset,
    key: message.key ? message.key.toString('utf8') : null,
    value: message.value,
    headers: headersOf(message.headers),
    timestamp: message.timestamp,
  };
}

function headersOf(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) out[k] = String(v);
  return out;
}

/** Committed offsets of a group on a topic, by partition (-1 when nothing is committed). */
export async function committedOffsets(groupId: string, topic: string): Promise<Record<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const out: Record<number, number> = {};
    for (const p of entry.partitions) out[p.partition] = Number(p.offset);
    return out;
  } finally {
    await admin.disconnect();
  }
}
