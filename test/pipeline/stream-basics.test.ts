import { describe, expect, it } from 'vitest';
import { from } from '../../src/pipeline/stream.js';
import { PipelineError, RecordRejected } from '../../src/core/errors.js';
import { fromArray } from '../../src/sources/index.js';
import { toArray } from '../../src/sinks/index.js';
import type { DeadLetter } from '../../src/core/dead-letter.js';
import { tumbling } from '../../src/windowing/index.js';

describe('Stream basics', () => {
  it('maps, filters and flatMaps records in order, for any batch size', async () => {
    for (const batchSize of [1, 2, 7, 1000]) {
      const out = toArray<number>();
      const summary = await from(fromArray([1, 2, 3, 4, 5, 6], { batchSize }))
        .map((x) => x * 10)
        .filter((x) => x !== 30)
        .flatMap((x) => (x > 40 ? [x, x + 1] : [x]))
        .to(out)
        .run();
      expect(out.items).toEqual([10, 20, 40, 50, 51, 60, 61]);
      expect(summary.records).toBe(6);
      expect(summary.filtered).toBe(1);
      expect(summary.results).toBe(7);
    }
  });

  it('sends records whose user function throws to dead letters with the reason and position, and goes on', async () => {
    const out = toArray<number>();
    const dead = toArray<DeadLetter>();
    const summary = await from(fromArray([1, 2, 3], { batchSize: 2 }))
      .map((x) => {
        if (x === 2) throw new Error('two is not allowed');
        return x;
      })
      .deadLetters(dead)
      .to(out)
      .run();
    expect(out.items).toEqual([1, 3]);
    expect(summary.deadLetters).toBe(1);
    expect(dead.items).toHaveLength(1);
    expect(dead.items[0].reason).toMatch(/map threw Error: two is not allowed/);
    expect(dead.items[0].raw).toBe(2);
    expect(dead.items[0].position).toEqual({ partition: 0, offset: 1 });
  });

  it('uses the reason of a RecordRejected thrown by a user function verbatim', async () => {
    const dead = toArray<DeadLetter>();
    await from(fromArray(['{"a":1}', '{oops']))
      .map((line) => {
        try {
          return JSON.parse(line);
        } catch {
          throw new RecordRejected('broken JSON');
        }
      })
      .deadLetters(dead)
      .to(toArray())
      .run();
    expect(dead.items.map((d) => d.reason)).toEqual(['broken JSON']);
  });

  it('sends records with bad timestamps to dead letters, never into a window', async () => {
    const records: Array<{ at: unknown }> = [
      { at: 1 },
      { at: Number.NaN },
      { at: '5' },
      { at: new Date(0) },
      { at: 1.5 },
      { at: Infinity },
      { at: 2 },
    ];
    const dead = toArray<DeadLetter>();
    const out = toArray();
    await from(fromArray(records))
      .withTimestamps((r) => r.at as number)
      .deadLetters(dead)
      .to(out)
      .run();
    expect(out.items).toEqual([{ at: 1 }, { at: 2 }]);
    expect(dead.items.map((d) => d.position?.offset)).toEqual([1, 2, 3, 4, 5]);
    expect(dead.items[2].reason).toMatch(/Date object/);
    expect(dead.items.every((d) => d.reason.startsWith('bad timestamp'))).toBe(true);
  });

  it('refuses a window before withTimestamps with a message naming the fix', () => {
    expect(() => from(fromArray([1])).window(tumbling('1m'))).toThrow(PipelineError);
    expect(() => from(fromArray([1])).window(tumbling('1m'))).toThrow(/call \.withTimestamps\(.*\) before \.window\(\)/);
  });

  it('checks its arguments at the call site', () => {
    expect(() => from(fromArray([1])).map(undefined as never)).toThrow(/map\(fn\): expected a function/);
    expect(() => from(fromArray([1])).to({} as never)).toThrow(/to\(sink\)/);
    expect(() => from({} as never)).toThrow(/from\(source\)/);
  });

  it('leaves the original stream unchanged when operators are added (streams are immutable)', async () => {
    const base = from(fromArray([1, 2, 3]));
    const doubled = toArray<number>();
    const plain = toArray<number>();
    await base
      .map((x) => x * 2)
      .to(doubled)
      .run();
    await base.to(plain).run();
    expect(doubled.items).toEqual([2, 4, 6]);
    expect(plain.items).toEqual([1, 2, 3]);
  });

  it('stop() ends an unbounded job after the current batch and flushes its sinks', async () => {
    const out = toArray<number>();
    function* forever() {
      for (let i = 0; ; i++) yield i;
    }
    const { fromIterable } = await import('../../src/sources/index.js');
    const job = from(fromIterable(forever(), { batchSize: 10 }))
      .to(out)
      .run({ credits: 2 });
    setTimeout(() => job.stop(), 20);
    const summary = await job;
    expect(summary.stopped).toBe(true);
    expect(out.items.length).toBe(summary.records);
    expect(out.items.slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
  });
});
