// The Sink contract's way back: what a sink cannot write it hands back through the context it is
// opened with, and the runtime routes it to the dead letters of the stream it came from.
import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../src/core/dead-letter.js';
import { StreamkitError } from '../../src/core/errors.js';
import { Metrics } from '../../src/core/metrics.js';
import type { Sink, SinkContext } from '../../src/core/sink.js';
import type { LateRecord } from '../../src/core/window.js';
import { from } from '../../src/pipeline/stream.js';
import { fromArray } from '../../src/sources/array-source.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { count } from '../../src/windowing/aggregators/index.js';
import { tumbling } from '../../src/windowing/tumbling.js';

/** A sink that keeps the items `accepts` takes and hands back the others, after a turn of the event loop. */
function picky<T>(name: string, accepts: (item: T) => boolean): Sink<T> & { kept: T[] } {
  let context: SinkContext<T> | undefined;
  const kept: T[] = [];
  return {
    name,
    kept,
    open(given) {
      context = given;
    },
    async write(items) {
      await new Promise((resolve) => setImmediate(resolve));
      for (const item of items) {
        if (accepts(item)) kept.push(item);
        else context!.deadLetter(item, `${name} takes no ${typeof item === 'number' ? item : '[object]'}`);
      }
    },
  };
}

describe('SinkContext.deadLetter', () => {
  it('routes what a sink hands back to the dead-letter sink of the stream the items came from, counted', async () => {
    const mainDead = toArray<DeadLetter>();
    const branchDead = toArray<DeadLetter>();
    const odd = picky<number>('odd-only', (n) => n % 2 === 1);
    const small = picky<number>('small-only', (n) => n < 4);
    const registry = new Metrics();
    const summary = await from(fromArray([1, 2, 3, 4, 5]))
      .deadLetters(mainDead)
      .branch((s) =>
        s
          .map((n) => n * 10)
          .deadLetters(branchDead)
          .to(small),
      )
      .to(odd)
      .run({ metrics: { registry } });
    expect(odd.kept).toEqual([1, 3, 5]);
    expect(mainDead.items).toEqual([
      { reason: 'odd-only takes no 2', raw: 2, operator: 'odd-only' },
      { reason: 'odd-only takes no 4', raw: 4, operator: 'odd-only' },
    ]);
    expect(small.kept).toEqual([]);
    expect(branchDead.items.map((d) => d.raw)).toEqual([10, 20, 30, 40, 50]);
    expect(summary.deadLetters).toBe(7);
    expect(registry.get('dead_letters', { operator: 'odd-only' })).toBe(2);
    expect(registry.get('dead_letters', { operator: 'small-only' })).toBe(5);
  });

  it('late records a late sink hands back become dead letters too', async () => {
    const dead = toArray<DeadLetter>();
    const late = picky<LateRecord>('late-file', () => false);
    await from(fromArray([{ t: 600_000 }, { t: 0 }], { batchSize: 1 }))
      .withTimestamps((r) => r.t)
      .window(tumbling('1m'))
      .aggregate(count())
      .late(late)
      .deadLetters(dead)
      .to(toArray())
      .run();
    expect(dead.items).toHaveLength(1);
    expect(dead.items[0]).toMatchObject({ operator: 'late-file', raw: { record: { t: 0 }, window: { start: 0, end: 60_000 } } });
  });

  it('a dead letter the dead-letter sink hands back is written to it again with raw as plain JSON data; refused twice, the job fails', async () => {
    // A sink for JSON text: it takes a letter JSON can write.
    const dead = picky<DeadLetter>('dead-file', (letter) => {
      try {
        JSON.stringify(letter);
        return true;
      } catch {
        return false;
      }
    });
    await from(fromArray([{ big: 7n }]))
      .map(() => {
        throw new Error('bad record');
      })
      .deadLetters(dead)
      .to(toArray())
      .run();
    expect(dead.kept).toEqual([
      {
        reason: '0-map threw Error: bad record (raw record shown as plain JSON data: dead-file takes no [object])',
        raw: { big: '7' },
        position: { partition: 0, offset: 0 },
        operator: '0-map',
      },
    ]);

    const never = picky<DeadLetter>('never', () => false);
    const failed = from(fromArray([1]))
      .map(() => {
        throw new Error('bad');
      })
      .deadLetters(never)
      .to(toArray())
      .run();
    await expect(failed).rejects.toThrow(/sink never cannot write a dead letter even with its raw record as plain JSON data/);
    await failed.catch((error) => expect((error as StreamkitError).code).toBe('SINK_FAILED'));
  });

  it('refuses an item handed back outside write(): the job fails naming the sink', async () => {
    let context: SinkContext<number> | undefined;
    const late: Sink<number> = {
      name: 'hands-back-on-flush',
      open: (given) => void (context = given),
      write: () => undefined,
      flush: () => context!.deadLetter(1, 'too late'),
    };
    await expect(
      from(fromArray([1]))
        .to(late)
        .run(),
    ).rejects.toThrow(
      /hands-back-on-flush failed to flush: StreamkitError: sink hands-back-on-flush handed an item back outside write\(\)/,
    );
  });
});
