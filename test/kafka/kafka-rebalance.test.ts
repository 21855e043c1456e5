import { describe, expect, it } from 'vitest';
import type { SourceContext } from '../../src/core/source.js';
import { fromKafka, type KafkaRebalanceEvent, type KafkaSource } from '../../src/kafka/consumer/index.js';
import { brokers, createTopic, produce, uniqueName } from './kafka-test-utils.js';

const context = (): SourceContext => ({ batchSize: 100, now: Date.now, signal: new AbortController().signal });
const events = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => ({ key: `k${from + i}`, value: JSON.stringify({ n: from + i }) }));

async function pollInto(source: KafkaSource<{ n: number }>, into: number[]): Promise<void> {
  const polled = await source.poll();
  if (polled.kind === 'batch') into.push(...polled.batch.values.map((v) => v.n));
}

describe('consumer-group rebalance on a real broker', () => {
  it('splits partitions between two instances of one group, reports revoke and assign, and hands partitions over at their position', async () => {
    const topic = uniqueName('rebalance');
    const groupId = uniqueName('g');
    await createTopic(topic, 4);
    await produce(topic, events(0, 200));
    const options = { brokers, topic, groupId, fromBeginning: true, sessionTimeout: 6000, heartbeatInterval: 500 } as const;

    const eventsA: KafkaRebalanceEvent[] = [];
    // What a runtime does on `revoked`: complete a checkpoint, whose commit hands the partitions over
    // at their exact position while the rebalance is under way.
    const handovers: Array<Promise<void>> = [];
    const a = fromKafka<{ n: number }>({
      ...options,
      onRebalance: (e) => {
        eventsA.push(e);
        if (e.type === 'revoked') handovers.push(a.commit(a.position()));
      },
    });
    const b = fromKafka<{ n: number }>(options);
    const eventsB: KafkaRebalanceEvent[] = [];
    b.onRebalance((e) => eventsB.push(e));
    await a.open(context());
    try {
      const first: number[] = [];
      const deadline = Date.now() + 30_000;
      while (first.length < 200 && Date.now() < deadline) await pollInto(a, first);
      expect(first.sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i));
      expect([...a.partitions()].sort()).toEqual([0, 1, 2, 3]);
      // nothing committed yet: only the hand-over commit on revoke keeps B from reading these again
      await b.open(context());
      await produce(topic, events(200, 400));
      const readA: number[] = [];
      const readB: number[] = [];
      const until = Date.now() + 45_000;
      while (readA.length + readB.length < 200 && Date.now() < until) {
        await Promise.all([pollInto(a, readA), pollInto(b, readB)]);
      }
      // every new record exactly once across the group, none of the first 200 again
      expect([...readA, ...readB].sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => 200 + i));
      expect(handovers.length).toBeGreaterThan(0);
      await Promise.all(handovers);

      // A lost its partitions in the rebalance and got a share back; B got the rest
      expect(eventsA[0]).toEqual({ type: 'assigned', partitions: [0, 1, 2, 3].map((partition) => ({ topic, partition })) });
      expect(eventsA.some((e) => e.type === 'revoked' && e.partitions.length === 4)).toBe(true);
      const ownA = [...a.partitions()];
      const ownB = [...b.partitions()];
      expect(ownA.length).toBeGreaterThan(0);
      expect(ownB.length).toBeGreaterThan(0);
      expect([...ownA, ...ownB].sort()).toEqual([0, 1, 2, 3]);
      expect(eventsB.at(-1)).toEqual({ type: 'assigned', partitions: ownB.map((partition) => ({ topic, partition })) });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
