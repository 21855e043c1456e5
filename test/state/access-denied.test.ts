import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessDeniedError, StateError } from '../../src/core/errors.js';
import type { WindowResult } from '../../src/core/window.js';
import { from } from '../../src/pipeline/stream.js';
import { openLevelTable, readLevelTable, toLevel } from '../../src/sinks/level-sink.js';
import { fromArray } from '../../src/sources/array-source.js';
import { accessDenied } from '../../src/state/level-directory.js';
import { levelState } from '../../src/state/level-state.js';
import { boundedOutOfOrderness } from '../../src/watermarks/watermark-strategy.js';
import { count } from '../../src/windowing/aggregators/index.js';
import { tumbling } from '../../src/windowing/tumbling.js';
import { prepareUnwritable, type Unwritable } from './unwritable-directory.js';

const events = Array.from({ length: 400 }, (_, i) => ({ k: `k${i % 3}`, t: i * 100 }));

function job(stateDir: string, tableDir: string) {
  return from(fromArray(events, { batchSize: 20 }))
    .withTimestamps((e) => e.t, boundedOutOfOrderness(0))
    .keyBy((e) => e.k)
    .window(tumbling(1000))
    .aggregate(count())
    .to(toLevel<WindowResult<string, number>>(tableDir))
    .run({ state: levelState(stateDir), checkpointEvery: { records: 100 } });
}

async function failure(promise: Promise<unknown>): Promise<AccessDeniedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AccessDeniedError);
  expect(error).not.toBeInstanceOf(StateError);
  return error as AccessDeniedError;
}

describe('state directories and tables the file system refuses', () => {
  let root: string;
  let mount: string;
  let unwritable: Unwritable;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'streamkit-access-'));
    mount = join(root, 'volume');
    unwritable = await prepareUnwritable(mount);
  });
  afterEach(async () => {
    await unwritable.dispose();
    await rm(root, { recursive: true, force: true });
  });

  it('are an AccessDeniedError naming the cause and the path, never STATE_CORRUPT or advice to delete, and nothing is damaged', async () => {
    const stateDir = join(mount, 'state');
    const tableDir = join(mount, 'table');
    const first = await job(stateDir, tableDir);
    expect(first.checkpoints).toBeGreaterThan(0);
    await unwritable.deny();

    const opened = await failure(levelState(stateDir).open());
    expect(opened.code).toBe('ACCESS_DENIED');
    expect(opened.reason).toBe(unwritable.reason);
    expect(opened.message).toContain(unwritable.reason === 'EROFS' ? stateDir : mount);
    expect(opened.message).toMatch(unwritable.reason === 'EROFS' ? /read-only file system \(EROFS\)/ : /permission denied \(EACCES\)/);
    expect(opened.message).toMatch(/Nothing in it is damaged/);
    expect(opened.message).not.toMatch(/delete|CORRUPT/i);

    // A job fails with it before reading anything; so do tables, read or written, and new directories inside.
    const run = await failure(job(stateDir, join(root, 'elsewhere')));
    expect(run.reason).toBe(unwritable.reason);
    expect((await failure(openLevelTable(tableDir))).message).toContain('level table');
    await failure(levelState(join(mount, 'new-state')).open());
    await failure(Promise.resolve(toLevel(join(mount, 'new-table')).open!()));

    // Writable again: the checkpoint and the table are whole.
    await unwritable.allow();
    const backend = levelState(stateDir);
    expect((await backend.open())?.id).toBe(first.checkpoints);
    await backend.close();
    expect((await readLevelTable(tableDir)).size).toBe(first.results);
  });
});

describe('accessDenied', () => {
  it("recognises LevelDB's words for a refused file, anywhere in the cause chain", () => {
    const leveldb = new Error('Database failed to open', {
      cause: Object.assign(new Error('IO error: /data/state/LOCK: Read-only file system'), { code: 'LEVEL_IO_ERROR' }),
    });
    const denied = accessDenied(leveldb, '/data/state', 'levelState(/data/state)');
    expect(denied?.reason).toBe('EROFS');
    expect(denied?.path).toBe('/data/state/LOCK');
    const permission = accessDenied(new Error('IO error: /data/state/000005.ldb: Permission denied'), '/data/state', 'x');
    expect(permission?.reason).toBe('EACCES');
    const fs = accessDenied(Object.assign(new Error('EPERM: operation not permitted'), { code: 'EPERM', path: '/d' }), '/x', 'x');
    expect([fs?.reason, fs?.path]).toEqual(['EPERM', '/d']);
    expect(accessDenied(new Error('IO error: lock /data/state/LOCK: already held by process'), '/data/state', 'x')).toBeUndefined();
    expect(accessDenied(new Error('Corruption: checksum mismatch'), '/data/state', 'x')).toBeUndefined();
  });
});
