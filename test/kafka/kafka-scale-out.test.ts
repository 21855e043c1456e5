import { describe, expect, it } from 'vitest';
import { from } from '../../src/pipeline/stream.js';
import { fromArray } from '../../src/sources/array-source.js';
import { fromKafka, type KafkaSource } from '../../src/kafka/consumer/index.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { brokers, createTopic, produce, uniqueName } from './kafka-test-utils.js';
import { clickTotals, sampleClicks, type Click, type ClickResult } from './fixtures/clicks.js';

type Result = ClickResult;
const USERS = ['ana', 'bo', 'cy', 'di', 'ed', 'flo', 'gus', 'hal'];

const job = (source: Parameters<typeof from<Click>>[0]) => clickTotals(from<Click>(source), '1m', '5s');

describe('scale-out with a consumer group', () => {
  it('two instances of one job share the partitions, and together emit exactly the single-instance results', async () => {
    const topic = uniqueName('scale');
    const groupId = uniqueName('job');
    await createTopic(topic, 4);
    const input = sampleClicks({ users: USERS, count: 1200, spanMs: 15 * 60_000, maxAmount: 9, seed: 11 }).sort((a, b) => a.at - b.at);

    const options = {
      brokers,
      topic,
      groupId,
      fromBeginning: true,
      stopWhenIdle: '10s',
      sessionTimeout: 6000,
      heartbeatInterval: 500,
    } as const;
    const a = fromKafka<Click>(options);
    const b = fromKafka<Click>(options);
    const outA = toArray<Result>();
    const outB = toArray<Result>();
    const runA = job(a).to(outA).run();
    const runB = job(b).to(outB).run();

    // stopWhenIdle leaves room for a slow produce on a busy machine: the instances must not end first.
    // produce once the group has settled with both members, so no partition moves after data was read
    const settled = (s: KafkaSource<Click>) => s.partitions().length > 0;
    const deadline = Date.now() + 60_000;
    while (!(settled(a) && settled(b) && a.partitions().length + b.partitions().length === 4) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect([...a.partitions(), ...b.partitions()].sort()).toEqual([0, 1, 2, 3]);
    await produce(
      topic,
      input.map((c) => ({ key: c.user, value: JSON.stringify(c) })),
    );

    const [summaryA, summaryB] = await Promise.all([runA, runB]);
    expect(summaryA.records + summaryB.records).toBe(input.length);
    expect(summaryA.records).toBeGreaterThan(0);
    expect(summaryB.records).toBeGreaterThan(0);

    const single = toArray<Result>();
    await job(fromArray(input)).to(single).run();
    const byId = (x: Result, y: Result) => (x.id < y.id ? -1 : 1);
    // keys are split between instances (the topic is keyed by user), so no result comes from both
    expect([...outA.items, ...outB.items].sort(byId)).toEqual([...single.items].sort(byId));
    const keysA = new Set(outA.items.map((r) => r.key));
    expect(outB.items.some((r) => keysA.has(r.key))).toBe(false);
  });
});
