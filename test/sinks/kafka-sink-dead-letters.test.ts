// Kafka sinks on the real broker never fail on a value: toKafka hands back what its serializer
// refuses, toKafkaDeadLetters writes any dead letter.
import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../src/core/dead-letter.js';
import { RecordRejected, StreamkitError } from '../../src/core/errors.js';
import { toKafka, toKafkaDeadLetters } from '../../src/kafka/index.js';
import { from } from '../../src/pipeline/stream.js';
import { fromArray } from '../../src/sources/array-source.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { brokers, createTopic, readAll, uniqueName } from '../kafka/kafka-test-utils.js';

function nested(depth: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = { d: value };
  return value;
}

describe('Kafka sinks and values they cannot write', () => {
  it('toKafkaDeadLetters writes dead letters whose raw holds a bigint, a cycle, 100,000 levels of nesting or a function', async () => {
    const topic = uniqueName('dlq-hostile');
    await createTopic(topic, 1);
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.self = loop;
    const raws = [{ id: 9007199254740993n }, loop, nested(100_000), { f: () => 1, n: 4 }];
    const summary = await from(fromArray(raws))
      .map(() => {
        throw new RecordRejected('rejected');
      })
      .deadLetters(toKafkaDeadLetters({ brokers, topic }))
      .to(toArray())
      .run();
    expect(summary.deadLetters).toBe(4);
    const values = (await readAll(topic, 4)).map((m) => JSON.parse(m.value!.toString()) as DeadLetter & { rawError?: string });
    expect(values.map((v) => v.reason)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    expect(values[0].raw).toEqual({ id: '9007199254740993' });
    // A raw value JSON cannot hold is left out, with why.
    expect(values[1]).toMatchObject({ raw: null, rawError: expect.stringMatching(/^raw value not written as JSON: TypeError/) });
    expect(values[2]).toMatchObject({ raw: null, rawError: expect.stringMatching(/^raw value not written as JSON: RangeError/) });
    expect(values[3].raw).toEqual({ n: 4 });
    expect(values.map((v) => v.position!.offset)).toEqual([0, 1, 2, 3]);
  });

  it('toKafka hands back an item its serializer refuses, as a dead letter, and sends the others', async () => {
    const topic = uniqueName('sink-refused');
    await createTopic(topic, 1);
    const dead = toArray<DeadLetter>();
    const items = [
      { id: 'a', n: 1 },
      { id: 'b', n: 2n },
      { id: 'c', n: 3 },
    ];
    const summary = await from(fromArray(items)).deadLetters(dead).to(toKafka({ brokers, topic })).run();
    expect(summary.deadLetters).toBe(1);
    expect(dead.items).toEqual([
      {
        reason: `cannot be written to topic ${topic}: TypeError: Do not know how to serialize a BigInt`,
        raw: items[1],
        operator: `kafka:${topic}`,
      },
    ]);
    const messages = await readAll(topic, 2);
    expect(messages.map((m) => m.key)).toEqual(['a', 'c']);
  });

  it('toKafka hands back an item whose serializer throws a value instanceof cannot inspect (a revoked Proxy)', async () => {
    const topic = uniqueName('sink-revoked');
    await createTopic(topic, 1);
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const dead = toArray<DeadLetter>();
    const sink = toKafka<number>({
      brokers,
      topic,
      serializer: {
        serialize: (n) => {
          if (n === 2) throw proxy;
          return Buffer.from(String(n));
        },
      },
    });
    const summary = await from(fromArray([1, 2, 3]))
      .deadLetters(dead)
      .to(sink)
      .run();
    expect(summary.deadLetters).toBe(1);
    expect(dead.items).toEqual([
      {
        reason: `cannot be written to topic ${topic}: thrown value: a Proxy that cannot be read (revoked, or a trap throws)`,
        raw: 2,
        operator: `kafka:${topic}`,
      },
    ]);
    expect((await readAll(topic, 2)).map((m) => m.value!.toString())).toEqual(['1', '3']);
  });

  it('a StreamkitError from a serializer (a registry out of reach) fails the job: it is not about one item', async () => {
    const topic = uniqueName('sink-registry-down');
    const failing = toKafka<number>({
      brokers,
      topic,
      serializer: {
        serialize: () => Promise.reject(new StreamkitError('BROKER_UNREACHABLE', 'schema registry http://127.0.0.1:9 unreachable')),
      },
    });
    await expect(
      from(fromArray([1]))
        .to(failing)
        .run(),
    ).rejects.toThrow(/schema registry http:\/\/127.0.0.1:9 unreachable/);
  });
});
