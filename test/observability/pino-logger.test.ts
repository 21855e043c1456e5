/**
 * A user's own pino logger works wherever streamkit takes a logger, and secrets are masked before
 * pino sees them: runtime lines, kafkajs client lines, child bindings.
 */
import { Writable } from 'node:stream';
import { pino, type Logger as PinoLogger } from 'pino';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { count, createLogger, from, fromArray, logRuntimeEvent, toArray, tumbling, type Logger, type RunOptions } from '../../src/index.js';
import { createKafkaClient } from '../../src/kafka/connection/index.js';
import { maskedLogger } from '../../src/observability/logger.js';

/** A real pino logger writing JSON lines to a stream, and the parsed lines. */
function pinoToStream(level = 'debug'): { logger: PinoLogger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level, base: undefined, timestamp: false }, stream), lines };
}

const SECRET = 'hunter2';

describe('a pino logger', () => {
  it('is a Logger: pino-compatible loggers are accepted as they are', () => {
    const { logger } = pinoToStream();
    expectTypeOf(logger).toMatchTypeOf<Logger>();
    expectTypeOf(logger.child({ job: 'x' })).toMatchTypeOf<Logger>();
    expectTypeOf({ logger }).toMatchTypeOf<RunOptions>();
    // The built-in logger is called the same way, so code written for one runs with the other.
    expectTypeOf(createLogger()).toMatchTypeOf<Logger>();
  });

  it('receives the runtime lines of run({ logger }), with pino levels and fields', async () => {
    const { logger, lines } = pinoToStream('debug');
    await from(fromArray([{ at: 1 }, { at: 2 }, { at: 70_000 }]))
      .withTimestamps((e) => e.at)
      .window(tumbling('1m'))
      .aggregate(count())
      .to(toArray())
      .run({ logger: logger.child({ job: 'counts' }) });
    expect(lines.map((l) => [l.level, l.msg, l.job])).toEqual([
      [30, 'job started', 'counts'],
      [30, 'job finished', 'counts'],
    ]);
    expect(lines[1]).toMatchObject({ event: 'job.finished', records: 3, results: 2, late: 0, deadLetters: 0 });
  });

  it('never sees a secret: failures, fields, bindings and messages are masked before pino writes them', async () => {
    const { logger, lines } = pinoToStream('debug');
    const failing = from(fromArray([1])).to({
      name: 'remote',
      write: () => Promise.reject(new Error(`cannot reach kafka://app:${SECRET}@b1:9092`)),
    });
    await expect(failing.run({ logger })).rejects.toThrow(SECRET);

    const masked = maskedLogger(logger).child({ sasl: { mechanism: 'plain', password: SECRET } });
    masked.warn({ brokers: [`kafka://app:${SECRET}@b1:9092`], token: SECRET }, `retrying https://admin:${SECRET}@registry:8081`);
    masked.error(new Error(`refused by http://u:${SECRET}@h`), 'connect failed');
    masked.info(`plain message with https://u:${SECRET}@h`);

    expect(JSON.stringify(lines)).not.toContain(SECRET);
    expect(lines.map((l) => l.msg).slice(0, 2)).toEqual(['job started', 'job failed']);
    expect(lines[1]).toMatchObject({ level: 50, code: 'SINK_FAILED', error: expect.stringContaining('kafka://***@b1:9092') });
    expect(lines.slice(2)).toEqual([
      {
        level: 40,
        msg: 'retrying https://***@registry:8081',
        sasl: '***',
        brokers: ['kafka://***@b1:9092'],
        token: '***',
      },
      // pino's err serializer adds its own fields to the masked error (which carries no stack: stacks can hold secrets too)
      {
        level: 50,
        msg: 'connect failed',
        sasl: '***',
        err: expect.objectContaining({ name: 'Error', message: 'refused by http://***@h' }),
      },
      { level: 30, msg: 'plain message with https://***@h', sasl: '***' },
    ]);
  });

  it('gets the Kafka client’s log lines, masked', () => {
    const { logger, lines } = pinoToStream('debug');
    const client = createKafkaClient({ brokers: ['127.0.0.1:1'], logger, logLevel: 'info' });
    const connection = client.logger().namespace('Connection');
    connection.info(`connecting to kafka://app:${SECRET}@b1:9092`, { sasl: { password: SECRET }, broker: 'b1:9092' });
    connection.debug('below the client log level: not passed on');
    expect(lines).toEqual([
      {
        level: 30,
        msg: 'kafka Connection: connecting to kafka://***@b1:9092',
        sasl: '***',
        broker: 'b1:9092',
        timestamp: expect.any(String),
        logger: 'kafkajs',
      },
    ]);
  });

  it('logs the events logRuntimeEvent is given from onEvent', () => {
    const { logger, lines } = pinoToStream('info');
    logRuntimeEvent(logger, { type: 'checkpoint.completed', id: 1, durationMs: 3, entries: 4 }); // debug: below pino's level
    logRuntimeEvent(logger, { type: 'checkpoint.restored', id: 1 });
    expect(lines).toEqual([{ level: 30, msg: 'checkpoint restored', event: 'checkpoint.restored', checkpoint: 1 }]);
  });
});

describe('maskedLogger', () => {
  it('wraps a logger once, and leaves the built-in one (which masks already) as it is', () => {
    const { logger } = pinoToStream();
    expect(maskedLogger(logger)).toBe(maskedLogger(logger));
    expect(maskedLogger(maskedLogger(logger))).toBe(maskedLogger(logger));
    const builtIn = createLogger();
    expect(maskedLogger(builtIn)).toBe(builtIn);
  });
});
