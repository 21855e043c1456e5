import { describe, expect, it } from 'vitest';
import { batchOf } from '../../src/core/batch.js';
import type { Job } from '../../src/runtime/runtime.js';
import type { Sink } from '../../src/core/sink.js';
import type { Source, SourceContext, SourcePoll } from '../../src/core/source.js';
import { from } from '../../src/pipeline/stream.js';

/** A source that is always ready (as fast as the loop can pull) and counts what it handed out. */
function eagerSource(total: number): Source<number> & { pulled: number } {
  let next = 0;
  let batchSize = 1;
  const source = {
    name: 'eager',
    pulled: 0,
    partitions: () => [0],
    open(ctx: SourceContext) {
      batchSize = ctx.batchSize;
      next = typeof ctx.restoreFrom === 'number' ? ctx.restoreFrom : 0;
    },
    poll(): SourcePoll<number> {
      if (next >= total) return { kind: 'end' };
      const values: number[] = [];
      for (let i = next; i < Math.min(total, next + batchSize); i++) values.push(i);
      const batch = batchOf(values, 0, next);
      next += values.length;
      source.pulled = next;
      return { kind: 'batch', batch };
    },
    position: () => next,
  };
  return source;
}

/** A sink that takes about ten times the source's time per batch: it yields to the event loop ten times. */
function slowSink(onWrite: (items: number[]) => void): Sink<number> & { items: number[] } {
  const items: number[] = [];
  return {
    name: 'slow',
    items,
    async write(batch: number[]) {
      onWrite(batch);
      for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
      for (const x of batch) items.push(x);
    },
  };
}

describe('backpressure', () => {
  it.each([
    { credits: 1, batchSize: 1 },
    { credits: 2, batchSize: 16 },
    { credits: 8, batchSize: 100 },
  ])(
    'a slow sink holds the source back: in flight stays within credits x batch size, nothing is lost ($credits credits, batches of $batchSize)',
    async ({ credits, batchSize }) => {
      const total = 20_000;
      const source = eagerSource(total);
      let maxAhead = 0;
      let maxInFlight = 0;
      let job: Job | undefined;
      const sink = slowSink(() => {
        // Pulled but not yet written: the queued batches, the one being written, and the one the
        // source stage holds while it waits for a credit.
        const writtenThrough = sink.items.length === 0 ? 0 : sink.items[sink.items.length - 1] / 2 + 1;
        maxAhead = Math.max(maxAhead, source.pulled - writtenThrough);
        maxInFlight = Math.max(maxInFlight, job?.metrics.get('channel_in_flight_records') ?? 0);
      });
      job = from(source)
        .map((x) => x * 2)
        .filter((x) => x % 3 !== 1)
        .to(sink)
        .run({ credits, batchSize });
      const summary = await job;

      expect(maxInFlight).toBeLessThanOrEqual(credits * batchSize);
      expect(job.metrics.get('channel_peak_records')).toBeLessThanOrEqual(credits * batchSize);
      expect(job.metrics.get('channel_peak_records')).toBeGreaterThan(0);
      expect(maxAhead).toBeLessThanOrEqual((credits + 2) * batchSize);
      // Nothing dropped: every record is in the sink once, in order.
      const expected: number[] = [];
      for (let i = 0; i < total; i++) if ((i * 2) % 3 !== 1) expected.push(i * 2);
      expect(sink.items).toEqual(expected);
      expect(summary.records).toBe(total);
      expect(summary.filtered).toBe(total - expected.length);
    },
  );
});
