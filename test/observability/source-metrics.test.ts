import { describe, expect, it } from 'vitest';
import { from, prometheusText, toArray, type Source, type SourceContext, type SourcePoll } from '../../src/index.js';

/** A two-partition source that reports how far behind each partition is, as a Kafka source does. */
function laggingSource(): Source<number> {
  const backlog = [5, 3];
  let ctx: SourceContext;
  let turn = 0;
  return {
    name: 'lagging',
    partitions: () => [0, 1],
    open(context) {
      ctx = context;
    },
    poll(): SourcePoll<number> {
      if (backlog.every((n) => n === 0)) return { kind: 'end' };
      const partition = backlog[turn % 2] > 0 ? turn % 2 : (turn + 1) % 2;
      turn++;
      backlog[partition]--;
      ctx.metrics?.set('kafka_consumer_lag', { topic: 't', partition: String(partition) }, backlog[partition]);
      return { kind: 'batch', batch: { values: [partition], positions: [0], partition } };
    },
    position: () => [...backlog],
  };
}

describe('source metrics', () => {
  it('a source sets its own gauges through ctx.metrics; they are served with the job metrics', async () => {
    const lag: Array<[number, number]> = [];
    const source = laggingSource();
    const open = source.open.bind(source);
    source.open = (ctx) => {
      expect(ctx.metrics).toBeDefined();
      return open(ctx);
    };
    const job = from(source).to(toArray()).run();
    await job;
    for (const p of [0, 1]) lag.push([p, job.metrics.get('kafka_consumer_lag', { topic: 't', partition: String(p) })]);
    expect(lag).toEqual([
      [0, 0],
      [1, 0],
    ]);
    const text = await prometheusText(job.metrics);
    expect(text).toContain('# HELP streamkit_kafka_consumer_lag Kafka partition high watermark minus the next offset to read');
    expect(text).toContain('streamkit_kafka_consumer_lag{partition="1",topic="t"} 0');
    expect(job.metrics.get('records_in', { stage: 'source' })).toBe(8);
  });
});
