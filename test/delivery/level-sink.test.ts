import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StreamkitError } from '../../src/core/errors.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { toJsonl } from '../../src/sinks/jsonl-sink.js';
import { openLevelTable, readLevelTable, toLevel } from '../../src/sinks/level-sink.js';
import { describeSinkConformance, type Row, upsertById } from './sink-conformance.js';

async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

describeSinkConformance('toLevel', async () => {
  const root = await tempDir('streamkit-sink-level-');
  const dir = join(root, 'table');
  return {
    make: () => toLevel<Row>(dir),
    read: () => readLevelTable<Row>(dir),
    durable: true,
    dispose: () => rm(root, { recursive: true, force: true }),
  };
});

describeSinkConformance('toJsonl', async () => {
  const root = await tempDir('streamkit-sink-jsonl-');
  const path = join(root, 'out.jsonl');
  return {
    make: () => toJsonl<Row>(path),
    read: async () => {
      const text = await readFile(path, 'utf8').catch(() => '');
      return upsertById(
        text
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Row),
      );
    },
    durable: true,
    dispose: () => rm(root, { recursive: true, force: true }),
  };
});

describeSinkConformance('toArray', async () => {
  const sink = toArray<Row>();
  return { make: () => sink, read: async () => upsertById(sink.items), durable: false, dispose: async () => undefined };
});

describe('toLevel', () => {
  let root: string;
  beforeEach(async () => {
    root = await tempDir('streamkit-level-sink-');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('validates its arguments', () => {
    expect(() => toLevel('')).toThrow(/dir must be a non-empty path/);
    expect(() => toLevel(join(root, 't'), { idof: () => 1 } as never)).toThrow(/unknown option "idof"/);
    expect(() => toLevel(join(root, 't'), { idOf: 'id' } as never)).toThrow(/idOf must be a function/);
  });

  it('stores rows under idOf, queryable by get and in id order, live and after close', async () => {
    const dir = join(root, 't');
    const sink = toLevel<{ trip: number; fare: number }>(dir, { idOf: (r) => `trip-${String(r.trip).padStart(3, '0')}` });
    await sink.open!();
    await sink.write([
      { trip: 2, fare: 10 },
      { trip: 1, fare: 5 },
      { trip: 10, fare: 7 },
    ]);
    await sink.flush!();
    const live = sink.table();
    expect(await live.get('trip-001')).toEqual({ trip: 1, fare: 5 });
    expect(await live.count()).toBe(3);
    await sink.write([{ trip: 1, fare: 6 }]);
    await sink.close!();

    const table = await openLevelTable<{ trip: number; fare: number }>(dir);
    expect(await table.get('trip-001')).toEqual({ trip: 1, fare: 6 });
    expect(await table.get('trip-404')).toBeUndefined();
    const ids: string[] = [];
    for await (const [id] of table.entries()) ids.push(id);
    expect(ids).toEqual(['trip-001', 'trip-002', 'trip-010']);
    const tail: string[] = [];
    for await (const [id] of table.entries({ gt: 'trip-001', reverse: true, limit: 1 })) tail.push(id);
    expect(tail).toEqual(['trip-010']);
    await table.close();
  });

  it('is laid out as pinned: a meta record and a rows sublevel of JSON', async () => {
    const dir = join(root, 't');
    const sink = toLevel(dir);
    await sink.open!();
    await sink.write([
      { id: 'k1', value: 1 },
      { id: 7, value: 2 },
    ]);
    await sink.close!();
    const db = new Level<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    const all: Array<[string, string]> = [];
    for await (const entry of db.iterator()) all.push(entry);
    await db.close();
    expect(all).toEqual([
      ['!rows!7', '{"id":7,"value":2}'],
      ['!rows!k1', '{"id":"k1","value":1}'],
      ['streamkit-table', '{"magic":"streamkit-table","formatVersion":1}'],
    ]);
  });

  it('fails the write of an item without an id, naming the option to use', async () => {
    const sink = toLevel<unknown>(join(root, 't'));
    await sink.open!();
    await expect(sink.write([{ name: 'no id' }])).rejects.toThrow(/no usable id.*toLevel\(dir, \{ idOf \}\)/);
    await sink.close!();
  });

  it('refuses directories that are not streamkit tables', async () => {
    const foreign = join(root, 'foreign');
    const db = new Level<string, string>(foreign);
    await db.put('user:1', 'x');
    await db.close();
    await expect(toLevel(foreign).open!()).rejects.toThrow(/not a streamkit table/);
    const other = join(root, 'other');
    await mkdir(other);
    await writeFile(join(other, 'notes.txt'), 'hello');
    await expect(Promise.resolve(toLevel(other).open!())).rejects.toBeInstanceOf(StreamkitError);
    await expect(openLevelTable(join(root, 'missing'))).rejects.toThrow(/no table here/);
  });
});
