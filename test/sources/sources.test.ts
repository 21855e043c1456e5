import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { from } from '../../src/pipeline/stream.js';
import type { DeadLetter } from '../../src/core/dead-letter.js';
import { fromArray, fromIterable, fromJsonl, fromObservable } from '../../src/sources/index.js';
import { toArray, toJsonl, toObservable } from '../../src/sinks/index.js';
import { memoryState } from '../../src/state/index.js';

describe('sources', () => {
  it('fromIterable reads sync and async iterables', async () => {
    async function* gen() {
      for (let i = 0; i < 5; i++) yield i;
    }
    const a = toArray<number>();
    const b = toArray<number>();
    await from(fromIterable([1, 2, 3]))
      .to(a)
      .run();
    await from(fromIterable(gen(), { batchSize: 2 }))
      .to(b)
      .run();
    expect(a.items).toEqual([1, 2, 3]);
    expect(b.items).toEqual([0, 1, 2, 3, 4]);
  });

  it('fromIterable does not hold a slow trickle back waiting for a full batch', async () => {
    const seen: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    async function* slow() {
      yield 1;
      await gate;
      yield 2;
    }
    const sink = {
      write: (items: number[]) => {
        seen.push(...items);
        if (seen.length === 1) release();
      },
    };
    await from(fromIterable(slow(), { batchSize: 100 }))
      .to(sink)
      .run();
    expect(seen).toEqual([1, 2]);
  });

  it('fromObservable completes the job when the observable completes', async () => {
    const subject = new Subject<number>();
    const out = toArray<number>();
    const job = from(fromObservable(subject)).to(out).run();
    // A Subject is hot: values count from the moment the job subscribes, once it has started.
    setTimeout(() => {
      subject.next(1);
      subject.next(2);
      setTimeout(() => {
        subject.next(3);
        subject.complete();
      }, 5);
    }, 5);
    await job;
    expect(out.items).toEqual([1, 2, 3]);
  });

  it('fromJsonl parses lines, sends broken ones to dead letters with their byte offset, and resumes from a position', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamkit-jsonl-'));
    const path = join(dir, 'in.jsonl');
    writeFileSync(path, '{"a":1}\n{broken\n{"a":2}\n\n{"a":3}');
    const out = toArray<{ a: number }>();
    const dead = toArray<DeadLetter>();
    await from(fromJsonl<{ a: number }>(path, { batchSize: 2 }))
      .deadLetters(dead)
      .to(out)
      .run();
    expect(out.items).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    expect(dead.items).toHaveLength(1);
    expect(dead.items[0].raw).toBe('{broken');
    expect(dead.items[0].position).toEqual({ partition: 0, offset: 8 });

    // Resume: a checkpoint after the first batch, then a new run from the same state.
    const state = memoryState();
    const first = toArray<{ a: number }>();
    const job = from(fromJsonl<{ a: number }>(path, { batchSize: 1 }))
      .to(first)
      .run({ state, checkpointEvery: { records: 1 } });
    await job;
    const again = toArray<{ a: number }>();
    const summary = await from(fromJsonl<{ a: number }>(path, { batchSize: 1 }))
      .to(again)
      .run({ state });
    expect(summary.records).toBe(0);
    expect(again.items).toEqual([]);
  });

  it('fromArray resumes from a restored index', async () => {
    const state = memoryState();
    const out = toArray<number>();
    const items = [1, 2, 3, 4, 5, 6];
    let checkpoints = 0;
    const job = from(fromArray(items, { batchSize: 2 }))
      .to(out)
      .run({
        state,
        checkpointEvery: { records: 2 },
        onEvent: (e) => {
          if (e.type === 'checkpoint.completed' && ++checkpoints === 1) job.stop();
        },
      });
    const first = await job;
    expect(first.stopped).toBe(true);
    const rest = toArray<number>();
    const second = await from(fromArray(items, { batchSize: 2 }))
      .to(rest)
      .run({ state });
    expect(second.restoredFrom).toBeGreaterThanOrEqual(1);
    // The second run starts where the last complete checkpoint left off: together nothing is
    // lost, and what the second run reads is a suffix of the input.
    expect(new Set([...out.items, ...rest.items])).toEqual(new Set(items));
    expect(rest.items).toEqual(items.slice(items.length - rest.items.length));
    expect(second.records).toBe(rest.items.length);
  });
});

describe('sinks', () => {
  it('toJsonl appends one JSON object per line and makes them durable on flush', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamkit-sink-'));
    const path = join(dir, 'nested', 'out.jsonl');
    await from(fromArray([{ id: 'a' }, { id: 'b' }]))
      .to(toJsonl(path))
      .run();
    await from(fromArray([{ id: 'c' }]))
      .to(toJsonl(path))
      .run();
    expect(readFileSync(path, 'utf8')).toBe('{"id":"a"}\n{"id":"b"}\n{"id":"c"}\n');
    await from(fromArray([{ id: 'd' }]))
      .to(toJsonl(path, { truncate: true }))
      .run();
    expect(readFileSync(path, 'utf8')).toBe('{"id":"d"}\n');
  });

  it('toJsonl writes exactly the bytes of JSON.stringify per line, window results and large batches included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamkit-sink-'));
    const path = join(dir, 'out.jsonl');
    const items: unknown[] = [];
    for (let i = 0; i < 3000; i++) {
      const start = 1_704_085_200_000 + i * 300_000;
      items.push({
        key: i % 7 === 0 ? `zoné-${i}` : i,
        window: { start, end: start + 3_600_000 },
        value: { trips: i, revenue: i / 3, label: i % 5 === 0 ? 'naïve "quoted"' : 'x', ok: i % 2 === 0, none: null },
        pane: { index: i % 3, timing: 'on-time' },
        id: i.toString(16).padStart(32, '0'),
      });
      if (i % 500 === 0) items.push({ note: '😀 ünïcode', n: [1, 2, { deep: true }] }, 'a string', 42, null);
    }
    await from(fromArray(items, { batchSize: 4096 }))
      .to(toJsonl(path))
      .run();
    expect(readFileSync(path)).toEqual(Buffer.from(items.map((item) => JSON.stringify(item) + '\n').join('')));
    const custom = join(dir, 'custom.jsonl');
    await from(fromArray([1, 2]))
      .to(toJsonl(custom, { stringify: (n) => `<${n}é>` }))
      .run();
    expect(readFileSync(custom, 'utf8')).toBe('<1é>\n<2é>\n');
  });

  it('toJsonl has every written line in the file after flush, before close; a failed item leaves no partial batch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamkit-sink-'));
    const path = join(dir, 'out.jsonl');
    const sink = toJsonl<unknown>(path, { truncate: true });
    await sink.open!();
    await sink.write([{ n: 1 }, { n: 2 }]);
    await sink.flush!();
    expect(readFileSync(path, 'utf8')).toBe('{"n":1}\n{"n":2}\n');
    await expect(sink.write([{ n: 3 }, { n: 10n }])).rejects.toThrow(/BigInt/);
    await sink.write([{ n: 4 }]);
    await sink.close!();
    expect(readFileSync(path, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":4}\n');
    const unsynced = toJsonl<unknown>(path, { sync: false });
    await unsynced.open!();
    await unsynced.write([{ n: 5 }]);
    await unsynced.flush!();
    expect(readFileSync(path, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":4}\n{"n":5}\n');
    await unsynced.close!();
    expect(() => toJsonl(path, { sync: 'no' as never })).toThrow(/toJsonl: option sync must be a boolean, got "no"/);
  });

  it('toObservable emits every item and completes with the job', async () => {
    const sink = toObservable<number>();
    const seen: number[] = [];
    let completed = false;
    sink.observable.subscribe({ next: (v) => seen.push(v), complete: () => (completed = true) });
    await from(fromArray([1, 2, 3]))
      .to(sink)
      .run();
    expect(seen).toEqual([1, 2, 3]);
    expect(completed).toBe(true);
  });
});
