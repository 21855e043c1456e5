import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import kafkajs from 'kafkajs';
import { from } from '../../src/pipeline/stream.js';
import type { WindowResult } from '../../src/core/window.js';
import { fromArray } from '../../src/sources/array-source.js';
import { fromKafka } from '../../src/kafka/consumer/index.js';
import { createTopicsWithLeaders } from '../../src/kafka/connection/index.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { memoryState } from '../../src/state/memory-state.js';
import { boundedOutOfOrderness } from '../../src/watermarks/watermark-strategy.js';
import { count } from '../../src/windowing/aggregators/index.js';
import { tumbling } from '../../src/windowing/tumbling.js';
import { uniqueName } from './kafka-test-utils.js';

// A broker of its own on other ports, so stopping it does not disturb the tests sharing the main one.
const script = fileURLToPath(new URL('../../scripts/kafka.sh', import.meta.url));
const env = { ...process.env, KAFKA_INSTANCE: 'restart-test', KAFKA_PORT: '19292', KAFKA_CONTROLLER_PORT: '19293', KAFKA_HEAP: '384m' };
const brokers = ['127.0.0.1:19292'];
const run = promisify(execFile);
const broker = (command: 'start' | 'stop' | 'reset') => run('bash', [script, command], { env, timeout: 180_000 });
const client = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 10 } });

interface Click {
  user: string;
  at: number;
}
const T0 = Date.UTC(2026, 0, 1);
const USERS = ['ana', 'bo', 'cy'];

async function produce(topic: string, clicks: Click[]): Promise<void> {
  // Idempotent: a send retried after a timeout on the busy broker must not write the records twice.
  const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({
    topic,
    messages: clicks.map((c) => ({ key: c.user, value: JSON.stringify(c), partition: USERS.indexOf(c.user) })),
  });
  await producer.disconnect();
}

const job = (source: Parameters<typeof from<Click>>[0]) =>
  from<Click>(source)
    .withTimestamps((c) => c.at, boundedOutOfOrderness('1h'))
    .keyBy((c) => c.user)
    .window(tumbling('1m'))
    .aggregate(count());

describe('broker restart', () => {
  beforeAll(async () => {
    await broker('reset');
    await broker('start');
  }, 200_000);
  afterAll(async () => {
    await broker('reset');
  }, 60_000);

  it('a running job survives its broker stopping and starting again, and every record is counted once', async () => {
    const input = fc
      .sample(fc.record({ user: fc.constantFrom(...USERS), at: fc.integer({ min: T0, max: T0 + 10 * 60_000 }) }), { numRuns: 600, seed: 3 })
      .sort((a, b) => a.at - b.at);
    const topic = uniqueName('restart');
    const admin = client.admin();
    await admin.connect();
    await createTopicsWithLeaders(admin, [{ topic, numPartitions: 3 }]);
    await admin.disconnect();
    await produce(topic, input.slice(0, 300));

    const out = toArray<WindowResult<string, number>>();
    const running = job(
      fromKafka<Click>({
        brokers,
        topic,
        groupId: uniqueName('g'),
        fromBeginning: true,
        maxRecords: input.length,
        sessionTimeout: 6000,
        heartbeatInterval: 1000,
        retry: { retries: 20, initialRetryTime: 200, maxRetryTime: 2000 },
        logLevel: 'nothing',
      }),
    )
      .to(out)
      .run({ state: memoryState(), checkpointEvery: { records: 50 } });

    const deadline = Date.now() + 60_000;
    while (running.metrics.total('records_in') < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(running.metrics.total('records_in')).toBe(300);

    await broker('stop');
    await broker('start');
    await produce(topic, input.slice(300));
    const summary = await running;

    expect(summary.records).toBe(600);
    const embedded = toArray<WindowResult<string, number>>();
    await job(fromArray(input)).to(embedded).run();
    const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
    expect([...out.items].sort(byId)).toEqual([...embedded.items].sort(byId));
  }, 240_000);

  it('a consumer kafkajs gives up on is replaced: the job resumes after what it handed on, every record counted once', async () => {
    const input = fc
      .sample(fc.record({ user: fc.constantFrom(...USERS), at: fc.integer({ min: T0, max: T0 + 10 * 60_000 }) }), { numRuns: 600, seed: 5 })
      .sort((a, b) => a.at - b.at);
    const topic = uniqueName('replaced');
    const admin = client.admin();
    await admin.connect();
    await createTopicsWithLeaders(admin, [{ topic, numPartitions: 3 }]);
    await admin.disconnect();
    await produce(topic, input.slice(0, 300));

    const source = fromKafka<Click>({
      brokers,
      topic,
      groupId: uniqueName('g'),
      fromBeginning: true,
      maxRecords: input.length,
      sessionTimeout: 6000,
      heartbeatInterval: 1000,
      logLevel: 'nothing',
    });
    const out = toArray<WindowResult<string, number>>();
    const running = job(source)
      .to(out)
      .run({ state: memoryState(), checkpointEvery: { records: 1000 } });
    const deadline = Date.now() + 60_000;
    while (running.metrics.total('records_in') < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(running.metrics.total('records_in')).toBe(300);

    // What kafkajs does on some errors during a broker restart ("Failed to find group coordinator"):
    // stop the consumer for good. Nothing was committed yet, so resuming from the group would count the first 300 twice.
    const gaveUp = new kafkajs.KafkaJSNonRetriableError('Failed to find group coordinator');
    await (source as unknown as { group: { replace(error: unknown): Promise<void> } }).group.replace(gaveUp);
    await produce(topic, input.slice(300));
    const summary = await running;

    expect(running.metrics.total('kafka_consumer_restarts')).toBe(1);
    expect(summary.records).toBe(600);
    const embedded = toArray<WindowResult<string, number>>();
    await job(fromArray(input)).to(embedded).run();
    const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
    expect([...out.items].sort(byId)).toEqual([...embedded.items].sort(byId));
  }, 120_000);
});
