/**
 * A broker that accepts TCP connections and never answers (a hung JVM, a proxy with no backend):
 * every path that connects fails with BROKER_UNREACHABLE naming the address, after the bounded
 * connection timeout and retries, instead of kafkajs's "Broker not connected" after its request
 * timeout. The "broker" is a local TCP server that accepts and stays silent.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamkitError } from '../../src/core/errors.js';
import type { SourceContext } from '../../src/core/source.js';
import { fromKafka, kafkaChangelog, toKafka, toKafkaDeadLetters } from '../../src/kafka/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { from } from '../../src/pipeline/stream.js';
import { fromArray } from '../../src/sources/array-source.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { brokers, createTopic, produce, uniqueName } from './kafka-test-utils.js';

interface SilentBroker {
  address: string;
  /** Connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

const open: SilentBroker[] = [];

async function silentBroker(): Promise<SilentBroker> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    broker.connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const broker: SilentBroker = {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: 0,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  open.push(broker);
  return broker;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});

/**
 * Short timeouts keep the test quick; `requestTimeout` is set too, so the kafkajs path this guards
 * against ("Broker not connected" after the first request times out) would show within the test.
 */
const timeouts = { connectionTimeout: 400, requestTimeout: 2000, retry: { retries: 1, initialRetryTime: 100 } } as const;

function context(): SourceContext {
  return { batchSize: 50, now: Date.now, signal: new AbortController().signal };
}

function expectSilentBrokerError(error: unknown, broker: SilentBroker): void {
  expect(error).toBeInstanceOf(StreamkitError);
  const e = error as StreamkitError;
  expect(e.code).toBe('BROKER_UNREACHABLE');
  expect(e.retriable).toBe(true);
  expect(e.message).toContain(broker.address);
  expect(e.message).toContain(`${broker.address} accepted the connection but did not answer within 400 ms (connectionTimeout)`);
  expect(e.message).not.toContain('Broker not connected');
  // one connection per attempt: the silent connection was dropped and the attempt retried
  expect(broker.connections).toBeGreaterThanOrEqual(2);
}

describe('a broker that accepts connections and never answers', () => {
  it('fails fromKafka with BROKER_UNREACHABLE naming the broker', async () => {
    const broker = await silentBroker();
    const lines: string[] = [];
    const source = fromKafka({
      brokers: [broker.address],
      topic: 't',
      groupId: 'g',
      ...timeouts,
      logLevel: 'error',
      logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }),
    });
    const error = await source.open(context()).then(
      () => undefined,
      (e: unknown) => e,
    );
    await source.close();
    expectSilentBrokerError(error, broker);
    expect((error as StreamkitError).message).toMatch(/^fromKafka\(t\): cannot reach Kafka brokers .* after 2 attempts: /);
    // kafkajs's own lines name the cause too
    expect(lines.some((l) => l.includes('accepted the connection but did not answer'))).toBe(true);
  });

  it('fails a job writing with toKafka with BROKER_UNREACHABLE naming the broker', async () => {
    const broker = await silentBroker();
    const run = from(fromArray([{ id: 'a' }]))
      .to(toKafka({ brokers: [broker.address], topic: 't', ...timeouts, logLevel: 'nothing' }))
      .run();
    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expectSilentBrokerError(error, broker);
  });

  it('fails toKafkaDeadLetters when it opens', async () => {
    const broker = await silentBroker();
    const sink = toKafkaDeadLetters({ brokers: [broker.address], topic: 't.dlq', ...timeouts, logLevel: 'nothing' });
    const error = await Promise.resolve(sink.open?.()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expectSilentBrokerError(error, broker);
  });

  it('fails kafkaChangelog state when it opens (the admin connection)', async () => {
    const broker = await silentBroker();
    const state = kafkaChangelog({ brokers: [broker.address], topic: 'changelog', ...timeouts, logLevel: 'nothing' });
    const error = await state.open().then(
      () => undefined,
      (e: unknown) => e,
    );
    expectSilentBrokerError(error, broker);
    expect((error as StreamkitError).message).toMatch(/^kafkaChangelog\(changelog\): /);
  });

  it('fails a repartition when it prepares its topic (the admin connection)', async () => {
    const broker = await silentBroker();
    const job = from(fromArray([{ user: 'ana' }]))
      .repartition({ brokers: [broker.address], topic: 'by-user', key: (r) => r.user, ...timeouts, logLevel: 'nothing' })
      .to(toArray())
      .run();
    const error = await job.then(
      () => undefined,
      (e: unknown) => e,
    );
    expectSilentBrokerError(error, broker);
  });

  it('also when the address is a second bootstrap broker: every silent one is named as it is tried', async () => {
    const first = await silentBroker();
    const second = await silentBroker();
    const source = fromKafka({
      brokers: [first.address, second.address],
      topic: 't',
      groupId: 'g',
      ...timeouts,
      retry: { retries: 3, initialRetryTime: 50 },
      logLevel: 'nothing',
    });
    const error = (await source.open(context()).catch((e: unknown) => e)) as StreamkitError;
    await source.close();
    expect(error.code).toBe('BROKER_UNREACHABLE');
    expect(error.message).toContain(`${first.address}, ${second.address}`);
    // kafkajs rotates the seed broker after a connection error: both were tried
    expect(first.connections).toBeGreaterThan(0);
    expect(second.connections).toBeGreaterThan(0);
  });

  it('a live broker is not cut short: a fetch it holds longer than connectionTimeout (a long poll on an empty topic) is answered', async () => {
    const topic = uniqueName('long-poll');
    await createTopic(topic, 1);
    const lines: string[] = [];
    // The fetch connection's first request is a Fetch the broker holds for maxWaitTimeMs when there is no data.
    const source = fromKafka<{ n: number }>({
      brokers,
      topic,
      groupId: uniqueName('g'),
      fromBeginning: true,
      connectionTimeout: 1000,
      maxWaitTimeMs: 2500,
      logLevel: 'error',
      logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }),
    });
    await source.open(context());
    try {
      const waitUntil = Date.now() + 4000;
      while (Date.now() < waitUntil) await source.poll();
      await produce(
        topic,
        Array.from({ length: 10 }, (_, n) => ({ value: JSON.stringify({ n }) })),
      );
      const read: number[] = [];
      const deadline = Date.now() + 30_000;
      while (read.length < 10 && Date.now() < deadline) {
        const polled = await source.poll();
        if (polled.kind === 'batch') read.push(...polled.batch.values.map((v) => v.n));
      }
      expect(read).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(lines.filter((l) => l.includes('did not answer'))).toEqual([]);
    } finally {
      await source.close();
    }
  });
});
