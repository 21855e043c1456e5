import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/core/metrics.js';
import type { SourcePoll } from '../../src/core/source.js';
import { fromKafka } from '../../src/kafka/consumer/index.js';
import { brokers, createTopic, produce, uniqueName } from './kafka-test-utils.js';

describe('fromKafka consumer lag', () => {
  it('sets kafka_consumer_lag per partition, 0 once everything produced was read', async () => {
    const topic = uniqueName('lag');
    await createTopic(topic, 2);
    await produce(
      topic,
      Array.from({ length: 120 }, (_, i) => ({ key: `k${i % 5}`, value: JSON.stringify({ n: i }) })),
    );
    const metrics = new Metrics();
    const source = fromKafka<{ n: number }>({ brokers, topic, groupId: uniqueName('g'), fromBeginning: true, maxRecords: 120 });
    await source.open({ batchSize: 50, now: Date.now, signal: new AbortController().signal, metrics });
    try {
      let read = 0;
      const deadline = Date.now() + 30_000;
      while (read < 120 && Date.now() < deadline) {
        const polled: SourcePoll<{ n: number }> = await source.poll();
        if (polled.kind === 'batch') read += polled.batch.values.length;
        if (polled.kind === 'end') break;
      }
      expect(read).toBe(120);
      const lags = metrics.snapshot().filter((s) => s.name === 'kafka_consumer_lag' && s.labels.topic === topic);
      expect(lags.map((s) => s.labels.partition).sort()).toEqual(['0', '1']);
      for (const s of lags) expect(s.value).toBe(0);
    } finally {
      await source.close();
    }
  });
});
