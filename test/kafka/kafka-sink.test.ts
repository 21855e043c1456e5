import { describe, expect, it } from 'vitest';
import { avroSerde } from '../../src/serde/avro-serde.js';
import { toKafka, toKafkaDeadLetters, DEAD_LETTER_HEADERS } from '../../src/kafka/producer/index.js';
import { brokers, createTopic, readAll, uniqueName } from './kafka-test-utils.js';

describe('toKafka on a real broker', () => {
  it('keys messages by result id, writes every batch and has them all acknowledged by flush()', async () => {
    const topic = uniqueName('sink-ids');
    await createTopic(topic, 3);
    const sink = toKafka<{ id: string; value: number }>({ brokers, topic, maxPendingSends: 2 });
    await sink.open?.();
    for (let b = 0; b < 10; b++) {
      await sink.write(Array.from({ length: 25 }, (_, i) => ({ id: `r${b * 25 + i}`, value: b * 25 + i })));
    }
    await sink.flush?.();
    await sink.close?.();
    const messages = await readAll(topic, 250);
    expect(messages).toHaveLength(250);
    for (const m of messages) {
      const item = JSON.parse(m.value!.toString()) as { id: string; value: number };
      expect(m.key).toBe(item.id);
      expect(item.id).toBe(`r${item.value}`);
    }
    // within a partition, messages keep the order they were written in
    for (const p of [0, 1, 2]) {
      const values = messages.filter((m) => m.partition === p).map((m) => (JSON.parse(m.value!.toString()) as { value: number }).value);
      expect(values).toEqual([...values].sort((a, b) => a - b));
    }
  });

  it('uses a custom key, headers and an Avro serializer in the Confluent wire format', async () => {
    const topic = uniqueName('sink-avro');
    await createTopic(topic, 1);
    const schema = {
      type: 'record',
      name: 'Count',
      fields: [
        { name: 'zone', type: 'int' },
        { name: 'n', type: 'long' },
      ],
    };
    const serde = avroSerde<{ zone: number; n: number }>(schema, { schemaId: 7 });
    const sink = toKafka({
      brokers,
      topic,
      serializer: serde,
      key: (c) => `zone-${c.zone}`,
      headers: (c) => ({ kind: c.n > 1 ? 'many' : 'one' }),
    });
    await sink.write([
      { zone: 1, n: 1 },
      { zone: 2, n: 5 },
    ]);
    await sink.close?.();
    const [a, b] = (await readAll(topic, 2)).sort((x, y) => Number(x.offset) - Number(y.offset));
    expect(a.key).toBe('zone-1');
    expect(a.headers).toEqual({ kind: 'one' });
    expect(b.headers).toEqual({ kind: 'many' });
    expect(a.value![0]).toBe(0);
    expect(a.value!.readUInt32BE(1)).toBe(7);
    expect(await serde.deserialize(b.value!)).toEqual({ zone: 2, n: 5 });
  });

  it('writes dead letters that are not bytes as JSON with the reason in the headers', async () => {
    const topic = uniqueName('sink-dlq');
    await createTopic(topic, 1);
    const sink = toKafkaDeadLetters({ brokers, topic });
    await sink.write([
      { reason: 'bad timestamp: NaN', raw: { at: 'soon' }, position: { partition: 2, offset: 9 }, operator: 'withTimestamps' },
    ]);
    await sink.close?.();
    const [m] = await readAll(topic, 1);
    expect(JSON.parse(m.value!.toString())).toEqual({
      reason: 'bad timestamp: NaN',
      raw: { at: 'soon' },
      position: { partition: 2, offset: 9 },
    });
    expect(m.headers).toEqual({
      [DEAD_LETTER_HEADERS.reason]: 'bad timestamp: NaN',
      [DEAD_LETTER_HEADERS.operator]: 'withTimestamps',
      [DEAD_LETTER_HEADERS.partition]: '2',
      [DEAD_LETTER_HEADERS.offset]: '9',
    });
  });

  it('writes every dead letter, also one whose raw value JSON cannot hold as it is (a bigint, a cycle, deep nesting)', async () => {
    const topic = uniqueName('sink-dlq-odd');
    await createTopic(topic, 1);
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    let deep: unknown = 0;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const sink = toKafkaDeadLetters({ brokers, topic });
    await sink.write([
      { reason: 'big', raw: { n: 2n ** 70n } },
      { reason: 'cycle', raw: cycle },
      { reason: 'deep', raw: deep },
    ]);
    await sink.close?.();
    const values = (await readAll(topic, 3)).map(
      (m) => JSON.parse(m.value!.toString()) as { reason: string; raw: unknown; rawError?: string },
    );
    values.sort((x, y) => x.reason.localeCompare(y.reason));
    expect(values[0]).toEqual({ reason: 'big', raw: { n: '1180591620717411303424' }, position: null });
    expect(values[1]).toMatchObject({
      reason: 'cycle',
      raw: null,
      rawError: expect.stringMatching(/^raw value not written as JSON: TypeError/),
    });
    expect(values[2]).toMatchObject({
      reason: 'deep',
      raw: null,
      rawError: expect.stringMatching(/^raw value not written as JSON: RangeError/),
    });
  });

  it('validates options at the call site', () => {
    expect(() => toKafka({ brokers, topic: '' })).toThrow(/"topic"/);
    expect(() => toKafka({ brokers, topic: 't', acks: 2 as never })).toThrow(/"acks"/);
    expect(() => toKafka({ brokers, topic: 't', idempotent: true, acks: 1 })).toThrow(/idempotent/);
    expect(() => toKafka({ brokers, topic: 't', key: 'id' as never })).toThrow(/"key" must be a function/);
    expect(() => toKafkaDeadLetters({ brokers: ['nohost'], topic: 't' })).toThrow(/"host:port"/);
    expect(() => toKafka({ brokers, topic: 't', keyOf: () => 'k' } as never)).toThrow(/unknown option "keyOf"/);
    expect(() => toKafkaDeadLetters({ brokers, topic: 't', serializer: {} } as never)).toThrow(/unknown option "serializer"/);
  });
});
