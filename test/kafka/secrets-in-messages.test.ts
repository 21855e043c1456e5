/**
 * Validation and connection errors of the Kafka factories echo what the user passed, masked: a
 * broker written `user:password@host:port`, a URL with credentials, a numeric option given a
 * secret by mistake. No password reaches a message, a cause or a log line.
 */
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { StreamkitError } from '../../src/core/errors.js';
import type { SourceContext } from '../../src/core/source.js';
import { fromKafka, kafkaChangelog, toKafka, toKafkaDeadLetters } from '../../src/kafka/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { from } from '../../src/pipeline/stream.js';
import { fromArray } from '../../src/sources/array-source.js';

const SECRET = 'hunter2-Xq7';
const PRIVATE_KEY_BODY = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7' + 'Xq7k';
const PEM_KEY = `-----BEGIN PRIVATE KEY-----\n${PRIVATE_KEY_BODY}\n-----END PRIVATE KEY-----\n`;

/** Every Kafka factory, called with `brokers` and otherwise valid options. */
const factories: Array<[string, (brokers: unknown) => unknown]> = [
  ['fromKafka', (brokers) => fromKafka({ brokers: brokers as string[], topic: 't', groupId: 'g' })],
  ['toKafka', (brokers) => toKafka({ brokers: brokers as string[], topic: 't' })],
  ['toKafkaDeadLetters', (brokers) => toKafkaDeadLetters({ brokers: brokers as string[], topic: 't' })],
  ['kafkaChangelog', (brokers) => kafkaChangelog({ brokers: brokers as string[], topic: 't' })],
  ['repartition', (brokers) => from(fromArray([1])).repartition({ brokers: brokers as string[], topic: 't', key: String })],
];

function thrownBy(make: () => unknown): Error {
  try {
    make();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('secrets in Kafka validation and connection messages', () => {
  it.each(factories)('%s names a broker written user:password@host:port without its password', (name, make) => {
    for (const broker of [`app:${SECRET}@b1:9092`, `kafka://app:${SECRET}@b1:9092`, `SASL_SSL://app:${SECRET}@b1.example.com:9093`]) {
      const error = thrownBy(() => make(['b0:9092', broker]));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toContain(`option "brokers" must hold "host:port" strings`);
      expect(error.message).toContain('***@b1');
      expect(error.message, `${name} ${broker}`).not.toContain(SECRET);
    }
  });

  it('masks what a numeric connection option echoes', () => {
    const error = thrownBy(() => toKafka({ brokers: ['b1:9092'], topic: 't', connectionTimeout: `password=${SECRET}` as never }));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toContain('connectionTimeout');
    expect(error.message).not.toContain(SECRET);
  });

  it('never writes a TLS key or SASL password into log lines or errors while failing to connect', async () => {
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const lines: string[] = [];
    const source = fromKafka({
      brokers: [address],
      topic: 't',
      groupId: 'g',
      ssl: { key: PEM_KEY, passphrase: SECRET, rejectUnauthorized: false },
      sasl: { mechanism: 'plain', username: 'app', password: SECRET },
      retry: { retries: 0 },
      connectionTimeout: 300,
      logLevel: 'debug',
      logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }),
    });
    const context: SourceContext = { batchSize: 10, now: Date.now, signal: new AbortController().signal };
    const error = (await source.open(context).catch((e: unknown) => e)) as StreamkitError;
    await source.close();
    server.close();
    expect(error.code).toBe('BROKER_UNREACHABLE');
    expect(lines.length).toBeGreaterThan(0);
    for (const text of [error.message, String(error.cause), ...lines]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(PRIVATE_KEY_BODY);
    }
  });
});
