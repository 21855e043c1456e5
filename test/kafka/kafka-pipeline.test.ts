import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { from } from '../../src/pipeline/stream.js';
import type { WindowResult } from '../../src/core/window.js';
import { fromArray } from '../../src/sources/array-source.js';
import { fromKafka } from '../../src/kafka/consumer/index.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { DEAD_LETTER_HEADERS, toKafka, toKafkaDeadLetters } from '../../src/kafka/producer/index.js';
import { memoryState } from '../../src/state/memory-state.js';
import { boundedOutOfOrderness } from '../../src/watermarks/watermark-strategy.js';
import { count, sum } from '../../src/windowing/aggregators/index.js';
import { tumbling } from '../../src/windowing/tumbling.js';
import { brokers, committedOffsets, createTopic, produce, readAll, uniqueName } from './kafka-test-utils.js';

interface Click {
  user: string;
  at: number;
  amount: number;
}

const T0 = Date.UTC(2026, 0, 1);

/** Clicks over ten minutes, out of order, from a fixed seed so every run sees the same input. */
function clicks(n: number): Click[] {
  return fc.sample(
    fc.record({
      user: fc.constantFrom('ana', 'bo', 'cy', 'di', 'ed'),
      at: fc.integer({ min: T0, max: T0 + 10 * 60_000 - 1 }),
      amount: fc.integer({ min: 1, max: 100 }),
    }),
    { numRuns: n, seed: 42 },
  );
}

type Result = WindowResult<string, { clicks: number; spent: number }>;

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

describe('Kafka pipelines on a real broker', () => {
  it('a windowed job from a 3-partition topic to a Kafka topic equals the same job over fromArray', async () => {
    const input = clicks(600);
    const inTopic = uniqueName('clicks');
    const outTopic = uniqueName('clicks-per-minute');
    await createTopic(inTopic, 3);
    await createTopic(outTopic, 3, [{ name: 'cleanup.policy', value: 'compact' }]);
    await produce(
      inTopic,
      input.map((c) => ({ key: c.user, value: JSON.stringify(c) })),
    );

    const groupId = uniqueName('job');
    const job = (source: Parameters<typeof from<Click>>[0]) =>
      from<Click>(source)
        .withTimestamps((c) => c.at, boundedOutOfOrderness('1h'))
        .keyBy((c) => c.user)
        .window(tumbling('1m'))
        .aggregate({ clicks: count(), spent: sum((c: Click) => c.amount) });

    const summary = await job(fromKafka<Click>({ brokers, topic: inTopic, groupId, fromBeginning: true, maxRecords: input.length }))
      .to(toKafka<Result>({ brokers, topic: outTopic }))
      .run({ state: memoryState(), checkpointEvery: { records: 100 } });

    const embedded = toArray<Result>();
    await job(fromArray(input)).to(embedded).run();

    expect(summary.records).toBe(600);
    expect(summary.results).toBe(embedded.items.length);
    const messages = await readAll(outTopic, embedded.items.length);
    const fromKafkaResults = messages.map((m) => JSON.parse(m.value!.toString()) as Result);
    expect(fromKafkaResults.sort(byId)).toEqual([...embedded.items].sort(byId));
    // every message is keyed by its result id, so compaction keeps one value per result
    for (const m of messages) expect(m.key).toBe((JSON.parse(m.value!.toString()) as Result).id);
    // one result per (user, minute) that had clicks, and no click lost
    expect(fromKafkaResults.reduce((n, r) => n + r.value.clicks, 0)).toBe(600);

    // the completed final checkpoint committed every offset read (-1: a partition no user hashed to)
    const committed = await committedOffsets(groupId, inTopic);
    expect(Object.values(committed).reduce((a, b) => a + Math.max(b, 0), 0)).toBe(600);
  });

  it('sends poison messages to a Kafka dead-letter topic with reason and origin, and the job keeps going', async () => {
    const inTopic = uniqueName('orders');
    const dlq = uniqueName('orders-dlq');
    await createTopic(inTopic, 1);
    await createTopic(dlq, 1);
    const good = clicks(50);
    await produce(inTopic, [
      ...good.slice(0, 20).map((c) => ({ value: JSON.stringify(c) })),
      { key: 'k1', value: 'not json at all' },
      ...good.slice(20, 40).map((c) => ({ value: JSON.stringify(c) })),
      { value: Buffer.from([0xff, 0xfe, 0x00]) },
      ...good.slice(40).map((c) => ({ value: JSON.stringify(c) })),
    ]);

    const out = toArray<Result>();
    const summary = await from(
      fromKafka<Click>({ brokers, topic: inTopic, groupId: uniqueName('job'), fromBeginning: true, stopWhenIdle: '4s' }),
    )
      .withTimestamps((c) => c.at, boundedOutOfOrderness('1h'))
      .keyBy((c) => c.user)
      .window(tumbling('1m'))
      .aggregate({ clicks: count(), spent: sum((c: Click) => c.amount) })
      .deadLetters(toKafkaDeadLetters({ brokers, topic: dlq }))
      .to(out)
      .run();

    expect(summary.records).toBe(50);
    expect(summary.deadLetters).toBe(2);
    expect(out.items.reduce((n, r) => n + r.value.clicks, 0)).toBe(50);

    const letters = await readAll(dlq, 2);
    letters.sort((a, b) => Number(a.headers[DEAD_LETTER_HEADERS.offset]) - Number(b.headers[DEAD_LETTER_HEADERS.offset]));
    expect(letters[0].value!.toString()).toBe('not json at all');
    expect(letters[0].key).toBe('k1');
    expect(letters[0].headers).toMatchObject({
      [DEAD_LETTER_HEADERS.topic]: inTopic,
      [DEAD_LETTER_HEADERS.partition]: '0',
      [DEAD_LETTER_HEADERS.offset]: '20',
    });
    expect(letters[0].headers[DEAD_LETTER_HEADERS.reason]).toMatch(/deserialize failed: SyntaxError/);
    // raw bytes are kept exactly, so a fixed message can be replayed
    expect([...letters[1].value!]).toEqual([0xff, 0xfe, 0x00]);
    expect(letters[1].headers[DEAD_LETTER_HEADERS.offset]).toBe('41');
  });

  it('a slow sink makes the source pause: records held by the source stay bounded while the backlog is large', async () => {
    const topic = uniqueName('slow-sink');
    await createTopic(topic, 1);
    const input = clicks(3000);
    // separate sends make separate record batches of 60: a fetch returns whole record batches
    for (let i = 0; i < input.length; i += 60)
      await produce(
        topic,
        input.slice(i, i + 60).map((c) => ({ value: JSON.stringify(c) })),
      );

    const source = fromKafka<Click>({
      brokers,
      topic,
      groupId: uniqueName('job'),
      fromBeginning: true,
      maxRecords: input.length,
      batchSize: 50,
      maxBuffered: 100,
      maxBytesPerPartition: 1024,
    });
    let peak = 0;
    let written = 0;
    const slowSink = {
      async write(items: Click[]) {
        peak = Math.max(peak, source.bufferedRecords());
        written += items.length;
        await new Promise((r) => setTimeout(r, 2));
      },
    };
    const summary = await from(source).to(slowSink).run({ batchSize: 50, credits: 2 });
    expect(summary.records).toBe(3000);
    expect(written).toBe(3000);
    // at most maxBuffered plus one fetch, although 3000 records were waiting in the topic
    expect(peak).toBeLessThanOrEqual(100 + 60);
    expect(peak).toBeGreaterThan(0);
  });

  it('fails the run quickly with BROKER_UNREACHABLE when the sink cannot reach its brokers', async () => {
    const started = Date.now();
    const run = from(fromArray([{ id: 'a' }]))
      .to(
        toKafka({
          brokers: ['127.0.0.1:1'],
          topic: 't',
          retry: { retries: 1, initialRetryTime: 100 },
          connectionTimeout: 500,
          logLevel: 'nothing',
        }),
      )
      .run();
    await expect(run).rejects.toMatchObject({ code: 'BROKER_UNREACHABLE', message: expect.stringContaining('127.0.0.1:1') });
    // bounded retries, not a hang (a generous bound: this is a liveness check, not a benchmark)
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
