import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { Level } from 'level';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateError, StreamkitError } from '../../src/core/errors.js';
import { levelState } from '../../src/state/level-state.js';
import { encodeStateKey, META_KEY, STATE_FORMAT_VERSION, STATE_MAGIC } from '../../src/state/state-key.js';
import { describeBackendConformance } from './backend-conformance.js';

describeBackendConformance('levelState', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'streamkit-level-conf-'));
  return { connect: () => levelState(join(dir, 'state')), dispose: () => rm(dir, { recursive: true, force: true }) };
});

describeBackendConformance('levelState with a memory budget', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'streamkit-level-conf-'));
  return { connect: () => levelState(join(dir, 'state'), { memory: '1KB' }), dispose: () => rm(dir, { recursive: true, force: true }) };
});

describe('levelState', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'streamkit-level-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function rawDb(dir: string, fill: (db: Level<Buffer, Buffer>) => Promise<void>): Promise<void> {
    const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    await fill(db);
    await db.close();
  }

  async function expectStateError(dir: string, code: string, message: RegExp): Promise<void> {
    const backend = levelState(dir);
    const error = await backend.open().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StateError);
    expect((error as StateError).code).toBe(code);
    expect((error as Error).message).toContain(dir);
    expect((error as Error).message).toMatch(message);
    // Refused without damage: the backend is not left open and can be asked again.
    await backend.close();
  }

  it('validates its arguments', () => {
    expect(() => levelState('')).toThrow(/dir must be a non-empty path/);
    expect(() => levelState(join(root, 's'), { syncc: true } as never)).toThrow(/unknown option "syncc"/);
    expect(() => levelState(join(root, 's'), { sync: 'yes' } as never)).toThrow(/sync must be a boolean/);
  });

  it('refuses a LevelDB that streamkit did not write', async () => {
    const dir = join(root, 'foreign');
    await rawDb(dir, (db) => db.put(Buffer.from('user:1'), Buffer.from('{"name":"x"}')));
    await expectStateError(dir, 'STATE_INCOMPATIBLE', /not written by streamkit.*delete the directory/);
  });

  it('refuses a meta record of another program', async () => {
    const dir = join(root, 'foreign-meta');
    await rawDb(dir, (db) => db.put(META_KEY, serialize({ magic: 'something-else', formatVersion: 1 })));
    await expectStateError(dir, 'STATE_INCOMPATIBLE', /not written by streamkit/);
  });

  it('refuses a checkpoint written in a future format version', async () => {
    const dir = join(root, 'future');
    await rawDb(dir, (db) =>
      db.put(
        META_KEY,
        serialize({ magic: STATE_MAGIC, formatVersion: STATE_FORMAT_VERSION + 1, checkpointId: 1, sourcePosition: 0, generations: {} }),
      ),
    );
    await expectStateError(
      dir,
      'STATE_INCOMPATIBLE',
      /written with state format 4, this streamkit reads format 3 and older; upgrade streamkit/,
    );
  });

  it('reports an unreadable meta record or state value as corrupt', async () => {
    const metaDir = join(root, 'bad-meta');
    await rawDb(metaDir, (db) => db.put(META_KEY, Buffer.from([0xff, 0x0f, 0x99, 0x01])));
    await expectStateError(metaDir, 'STATE_CORRUPT', /meta record cannot be read/);

    const valueDir = join(root, 'bad-value');
    await rawDb(valueDir, async (db) => {
      await db.put(
        META_KEY,
        serialize({ magic: STATE_MAGIC, formatVersion: 1, checkpointId: 1, sourcePosition: 0, generations: { op: 0 } }),
      );
      await db.put(encodeStateKey('op', 0, 'k'), Buffer.from([0xff, 0x0f, 0x22, 0x10, 0x61]));
    });
    await expectStateError(valueDir, 'STATE_CORRUPT', /unreadable state value of operator op under "k"/);
  });

  it('refuses a non-empty directory that is not a LevelDB, and a file', async () => {
    const dir = join(root, 'photos');
    await mkdir(dir);
    await writeFile(join(dir, 'holiday.jpg'), 'not a database');
    await expectStateError(dir, 'STATE_INCOMPATIBLE', /not a LevelDB's/);
    const file = join(root, 'a-file');
    await writeFile(file, 'x');
    await expectStateError(file, 'STATE_INCOMPATIBLE', /is a file/);
  });

  it('starts afresh in a directory where a process died while LevelDB was creating it', async () => {
    const dir = join(root, 'cut-short');
    await mkdir(dir);
    await writeFile(join(dir, 'LOCK'), '');
    await writeFile(join(dir, 'LOG'), 'partial');
    await writeFile(join(dir, 'MANIFEST-000001'), '');
    const backend = levelState(dir);
    expect(await backend.open()).toBeUndefined();
    await backend.write({ id: 1, sourcePosition: 3, operators: new Map() });
    await backend.close();
    const again = levelState(dir);
    expect((await again.open())?.sourcePosition).toBe(3);
    await again.close();
  });

  it('reports a LevelDB with damaged files as corrupt', async () => {
    const dir = join(root, 'damaged');
    await mkdir(dir);
    await writeFile(join(dir, 'CURRENT'), 'MANIFEST-000099\n');
    await expectStateError(dir, 'STATE_CORRUPT', /cannot open the LevelDB/);
  });

  it('refuses a directory another backend holds open', async () => {
    const dir = join(root, 'locked');
    const first = levelState(dir);
    await first.open();
    await expectStateError(dir, 'STATE_INCOMPATIBLE', /locked by another process/);
    await first.close();
  });

  it('writes every checkpoint as one batch with its meta record, and drops the generation a full snapshot retires', async () => {
    const dir = join(root, 'layout');
    const backend = levelState(dir);
    await backend.open();
    const put = (entries: Array<[string, unknown]>, full: boolean) =>
      new Map([['op', { puts: new Map(entries), deletes: new Set<string>(), full }]]);
    await backend.write({
      id: 1,
      sourcePosition: { offset: 5 },
      operators: put(
        [
          ['a', 1],
          ['b', 2],
        ],
        false,
      ),
    });
    await backend.write({ id: 2, sourcePosition: { offset: 9 }, operators: put([['c', 3]], true) });
    await backend.close();
    const keys: string[] = [];
    await rawDb(dir, async (db) => {
      for await (const key of db.keys()) keys.push(key.toString('hex'));
    });
    expect(keys).toEqual([META_KEY.toString('hex'), encodeStateKey('op', 1, 'c').toString('hex')]);
  });

  it('clears generations left behind by a crash between a full snapshot and its cleanup', async () => {
    const dir = join(root, 'garbage');
    await rawDb(dir, async (db) => {
      await db.put(
        META_KEY,
        serialize({ magic: STATE_MAGIC, formatVersion: 1, checkpointId: 4, sourcePosition: 1, generations: { op: 3 } }),
      );
      await db.put(encodeStateKey('op', 2, 'stale'), serialize('old'));
      await db.put(encodeStateKey('op', 3, 'live'), serialize('new'));
      await db.put(encodeStateKey('gone', 0, 'x'), serialize('orphan'));
    });
    const backend = levelState(dir);
    const restored = await backend.open();
    expect([...restored!.operators.get('op')!]).toEqual([['live', 'new']]);
    expect(restored!.operators.has('gone')).toBe(false);
    await backend.close();
    let count = 0;
    await rawDb(dir, async (db) => {
      for await (const _ of db.keys()) count++;
    });
    expect(count).toBe(2);
  });

  it('fails a write before open with a StreamkitError', async () => {
    const backend = levelState(join(root, 'x'));
    await expect(backend.write({ id: 1, sourcePosition: 0, operators: new Map() })).rejects.toBeInstanceOf(StreamkitError);
  });
});
