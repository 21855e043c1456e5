import { describe, expect, it } from 'vitest';
import { StreamkitError } from '../../src/core/errors.js';
import { createLogger } from '../../src/observability/logger.js';
import type { SourceContext, SourcePoll } from '../../src/core/source.js';
import type { DeadLetter } from '../../src/core/dead-letter.js';
import { fromKafka, KafkaSource, type KafkaDeadLetter, type KafkaPosition } from '../../src/kafka/consumer/index.js';
import { brokers, committedOffsets, createTopic, produce, uniqueName } from './kafka-test-utils.js';

interface Event {
  n: number;
}

function context(restoreFrom?: unknown): SourceContext {
  return { restoreFrom, batchSize: 50, now: Date.now, signal: new AbortController().signal };
}

/** Polls until `count` records (and dead letters) came back or `timeoutMs` passed. */
async function drain<T>(source: KafkaSource<T>, count: number, timeoutMs = 30_000) {
  const values: Array<{ value: T; partition: number; offset: number }> = [];
  const dead: DeadLetter[] = [];
  const deadline = Date.now() + timeoutMs;
  while (values.length + dead.length < count && Date.now() < deadline) {
    const polled: SourcePoll<T> = await source.poll();
    if (polled.deadLetters) dead.push(...polled.deadLetters);
    if (polled.kind === 'end') break;
    if (polled.kind === 'batch') {
      polled.batch.values.forEach((value, i) =>
        values.push({ value, partition: polled.batch.partition, offset: polled.batch.positions[i] }),
      );
    }
  }
  return { values, dead };
}

const events = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => ({ key: `k${(from + i) % 7}`, value: JSON.stringify({ n: from + i }) }));

describe('fromKafka on a real broker', () => {
  it('reads every record of a 3-partition topic, one partition per batch, and reports positions and partitions', async () => {
    const topic = uniqueName('src-read');
    await createTopic(topic, 3);
    await produce(topic, events(0, 300));
    const source = fromKafka<Event>({ brokers, topic, groupId: uniqueName('g'), fromBeginning: true });
    await source.open(context());
    try {
      const { values, dead } = await drain(source, 300);
      expect(dead).toEqual([]);
      expect(values.map((v) => v.value.n).sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i));
      expect([...source.partitions()].sort()).toEqual([0, 1, 2]);
      // the position is the next offset per partition: as many as records read from that partition
      const position = source.position()[topic];
      for (const p of [0, 1, 2]) expect(position[p]).toBe(values.filter((v) => v.partition === p).length);
      // offsets within a partition arrive in order
      for (const p of [0, 1, 2]) {
        const offsets = values.filter((v) => v.partition === p).map((v) => v.offset);
        expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      }
    } finally {
      await source.close();
    }
  });

  it('commits offsets only when commit(position) is called, never on its own', async () => {
    const topic = uniqueName('src-commit');
    const groupId = uniqueName('g');
    await createTopic(topic, 3);
    await produce(topic, events(0, 90));
    const source = fromKafka<Event>({ brokers, topic, groupId, fromBeginning: true });
    await source.open(context());
    try {
      const { values } = await drain(source, 90);
      expect(values).toHaveLength(90);
      const before = await committedOffsets(groupId, topic);
      expect(Object.values(before).every((o) => o === -1)).toBe(true);

      const position = source.position();
      await source.commit(position);
      const after = await committedOffsets(groupId, topic);
      for (const [p, next] of Object.entries(position[topic])) expect(after[Number(p)]).toBe(next);
      expect(Object.values(after).reduce((a, b) => a + b, 0)).toBe(90);
    } finally {
      await source.close();
    }
  });

  it('resumes after the restored position, skipping what the checkpoint covers', async () => {
    const topic = uniqueName('src-restore');
    await createTopic(topic, 1);
    await produce(topic, events(0, 40));
    const restoreFrom: KafkaPosition = { [topic]: { '0': 25 } };
    // a fresh group with no committed offset: fetching starts at 0, the restored position wins
    const source = fromKafka<Event>({ brokers, topic, groupId: uniqueName('g'), fromBeginning: true });
    await source.open(context(restoreFrom));
    try {
      const { values } = await drain(source, 15);
      expect(values.map((v) => v.value.n)).toEqual(Array.from({ length: 15 }, (_, i) => 25 + i));
      expect(source.position()[topic]['0']).toBe(40);
    } finally {
      await source.close();
    }
  });

  it('resumes at the restored position even when the group would start at the end of the topic', async () => {
    const topic = uniqueName('src-restore-latest');
    await createTopic(topic, 1);
    await produce(topic, events(0, 40));
    // no committed offset and fromBeginning false: without the checkpoint the group starts at 40
    const source = fromKafka<Event>({ brokers, topic, groupId: uniqueName('g'), fromBeginning: false });
    await source.open(context({ [topic]: { '0': 30 } }));
    try {
      const { values } = await drain(source, 10);
      expect(values.map((v) => v.value.n)).toEqual(Array.from({ length: 10 }, (_, i) => 30 + i));
    } finally {
      await source.close();
    }
  });

  it('turns messages that fail to deserialize into dead letters with reason, offset and raw bytes, and keeps reading', async () => {
    const topic = uniqueName('src-poison');
    await createTopic(topic, 1);
    await produce(topic, [
      { value: '{"n":0}' },
      { key: 'bad', value: '{"n":' },
      { value: '{"n":2}' },
      { value: null },
      { value: '{"n":4}' },
    ]);
    const source = fromKafka<Event>({ brokers, topic, groupId: uniqueName('g'), fromBeginning: true });
    await source.open(context());
    try {
      const { values, dead } = await drain(source, 5);
      expect(values.map((v) => v.value.n)).toEqual([0, 2, 4]);
      expect(dead).toHaveLength(2);
      const [poison, tombstone] = dead as KafkaDeadLetter[];
      expect(poison.reason).toMatch(/deserialize failed: SyntaxError/);
      expect(poison.raw?.toString()).toBe('{"n":');
      expect(poison.key?.toString()).toBe('bad');
      expect(poison).toMatchObject({ topic, kafkaPartition: 0, offset: '1', position: { partition: 0, offset: 1 } });
      expect(tombstone.reason).toMatch(/tombstone/);
      expect(tombstone.offset).toBe('3');
      // the dead letters are covered by the position: a restart does not see them again
      expect(source.position()[topic]['0']).toBe(5);
    } finally {
      await source.close();
    }
  });

  it('numbers partitions of several topics by topic index and keeps positions by topic name', async () => {
    const a = uniqueName('src-multi-a');
    const b = uniqueName('src-multi-b');
    await createTopic(a, 2);
    await createTopic(b, 2);
    await produce(a, events(0, 20));
    await produce(b, events(100, 120));
    const source = fromKafka<Event>({ brokers, topics: [a, b], groupId: uniqueName('g'), fromBeginning: true });
    await source.open(context());
    try {
      const { values } = await drain(source, 40);
      expect(values).toHaveLength(40);
      expect([...source.partitions()].sort((x, y) => x - y)).toEqual([0, 1, 100_000, 100_001]);
      for (const v of values) expect(v.partition >= 100_000).toBe(v.value.n >= 100);
      const position = source.position();
      expect(Object.values(position[a]).reduce((x, y) => x + y, 0)).toBe(20);
      expect(Object.values(position[b]).reduce((x, y) => x + y, 0)).toBe(20);
    } finally {
      await source.close();
    }
  });

  it('ends the input after maxRecords, with a position covering exactly those records', async () => {
    const topic = uniqueName('src-max');
    await createTopic(topic, 1);
    await produce(topic, events(0, 30));
    const source = fromKafka<Event>({ brokers, topic, groupId: uniqueName('g'), fromBeginning: true, maxRecords: 12, batchSize: 5 });
    await source.open(context());
    try {
      const { values } = await drain(source, 1000);
      expect(values.map((v) => v.value.n)).toEqual(Array.from({ length: 12 }, (_, i) => i));
      expect((await source.poll()).kind).toBe('end');
      expect(source.position()[topic]['0']).toBe(12);
    } finally {
      await source.close();
    }
  });

  it('pauses fetching while its buffer is full, so memory stays bounded when nobody polls', async () => {
    const topic = uniqueName('src-pause');
    await createTopic(topic, 1);
    // separate sends make separate record batches: a fetch returns whole record batches
    for (let i = 0; i < 2000; i += 50) await produce(topic, events(i, i + 50));
    const source = fromKafka<Event>({
      brokers,
      topic,
      groupId: uniqueName('g'),
      fromBeginning: true,
      batchSize: 10,
      maxBuffered: 20,
      maxBytesPerPartition: 1024,
    });
    await source.open(context());
    try {
      // wait for the first fetch, then give the consumer time in which it could fetch everything
      const first = await drain(source, 1);
      const got = first.values.length;
      expect(got).toBe(10);
      await new Promise((r) => setTimeout(r, 1500));
      // at most maxBuffered plus one fetch (a 50-message record batch): far from the 2000 produced
      expect(source.bufferedRecords()).toBeLessThanOrEqual(20 + 50);
      // everything still arrives, in order, once the pipeline pulls again
      const rest = await drain(source, 2000 - got);
      expect(rest.values.map((v) => v.value.n)).toEqual(Array.from({ length: 2000 - got }, (_, i) => i + got));
    } finally {
      await source.close();
    }
  });

  it('fails fast with BROKER_UNREACHABLE naming the brokers when no broker answers', async () => {
    const source = fromKafka({
      brokers: ['127.0.0.1:1', '127.0.0.1:2'],
      topic: 't',
      groupId: 'g',
      retry: { retries: 1, initialRetryTime: 100 },
      connectionTimeout: 500,
      logLevel: 'nothing',
    });
    const error = await source.open(context()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StreamkitError);
    expect((error as StreamkitError).code).toBe('BROKER_UNREACHABLE');
    expect((error as StreamkitError).message).toContain('127.0.0.1:1, 127.0.0.1:2');
    expect((error as StreamkitError).retriable).toBe(true);
  });

  it('never writes a SASL password into its errors or log lines', async () => {
    const lines: string[] = [];
    const source = fromKafka({
      brokers: ['127.0.0.1:1'],
      topic: 't',
      groupId: 'g',
      sasl: { mechanism: 'plain', username: 'app', password: 'hunter2-secret' },
      retry: { retries: 0 },
      connectionTimeout: 300,
      logLevel: 'debug',
      logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }),
    });
    const error = (await source.open(context()).catch((e: unknown) => e)) as StreamkitError;
    expect(error.code).toBe('BROKER_UNREACHABLE');
    expect(lines.length).toBeGreaterThan(0);
    for (const text of [error.message, String(error.cause), ...lines]) expect(text).not.toContain('hunter2');
  });

  it('refuses to restore from a position that is not a Kafka position', async () => {
    for (const bad of [42, { t: { '0': -1 } }, { t: { '0': 'x' } }]) {
      const source = fromKafka({ brokers, topic: 't', groupId: 'g' });
      const error = (await source.open(context(bad)).catch((e: unknown) => e)) as StreamkitError;
      expect(error.code).toBe('STATE_INCOMPATIBLE');
      await source.close();
    }
  });

  it('validates options at the call site', () => {
    expect(() => fromKafka({ brokers: [], topic: 't', groupId: 'g' })).toThrow(/"brokers" must be a non-empty array/);
    expect(() => fromKafka({ brokers: ['localhost'], topic: 't', groupId: 'g' })).toThrow(/"host:port"/);
    expect(() => fromKafka({ brokers, groupId: 'g' })).toThrow(/"topic"/);
    expect(() => fromKafka({ brokers, topic: 't', topics: ['u'], groupId: 'g' })).toThrow(/not both/);
    expect(() => fromKafka({ brokers, topic: 't', groupId: '' })).toThrow(/"groupId"/);
    expect(() => fromKafka({ brokers, topic: 't', groupId: 'g', maxRecords: 0 })).toThrow(RangeError);
    expect(() => fromKafka({ brokers, topic: 't', groupId: 'g', stopWhenIdle: 'soon' })).toThrow(TypeError);
    expect(() => fromKafka({ brokers, topic: 't', groupId: 'g', fromBegining: true } as never)).toThrow(/unknown option "fromBegining"/);
  });
});
