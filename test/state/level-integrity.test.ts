import { appendFile, mkdir, mkdtemp, open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize } from 'node:v8';
import fc from 'fast-check';
import { Level } from 'level';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateError } from '../../src/core/errors.js';
import type { WindowResult } from '../../src/core/window.js';
import { from } from '../../src/pipeline/stream.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { fromArray } from '../../src/sources/array-source.js';
import { checkLevelLogs } from '../../src/state/level-log-check.js';
import { inspectLevelState, levelState } from '../../src/state/level-state.js';
import { decodeStateKey, META_KEY, type MetaEnvelope } from '../../src/state/state-key.js';
import { crc32c, unmaskCrc32c } from '../../src/state/crc32c.js';
import { boundedOutOfOrderness } from '../../src/watermarks/watermark-strategy.js';
import { count } from '../../src/windowing/aggregators/index.js';
import { tumbling } from '../../src/windowing/tumbling.js';

interface Click {
  id: string;
  user: string;
  t: number;
}

const clicks: Click[] = Array.from({ length: 1200 }, (_, i) => ({ id: `c${i}`, user: `u${i % 7}`, t: i * 50 }));

/** Runs the job against `dir` until checkpoint `cut` completes (all of the input without `cut`). */
async function checkpointTo(dir: string, cut?: number) {
  const job = from(fromArray(clicks, { batchSize: 20 }))
    .withTimestamps((c) => c.t, boundedOutOfOrderness(100))
    .dedup((c) => c.id, { within: '1h' })
    .keyBy((c) => c.user)
    .window(tumbling(10_000))
    .aggregate(count())
    .to(toArray<WindowResult<string, number>>())
    .run({
      state: levelState(dir),
      checkpointEvery: { records: 200 },
      credits: 1,
      onEvent: (e) => cut !== undefined && e.type === 'checkpoint.completed' && e.id === cut && job.stop(),
    });
  return job;
}

async function openError(dir: string): Promise<StateError> {
  const backend = levelState(dir);
  const error = await backend.open().then(
    () => undefined,
    (e: unknown) => e,
  );
  await backend.close();
  expect(error).toBeInstanceOf(StateError);
  return error as StateError;
}

async function logFile(dir: string): Promise<string> {
  const logs = (await readdir(dir)).filter((f) => f.endsWith('.log'));
  expect(logs).toHaveLength(1);
  return join(dir, logs[0]);
}

async function overwrite(path: string, at: number, bytes: Buffer): Promise<void> {
  const fh = await open(path, 'r+');
  await fh.write(bytes, 0, bytes.length, at);
  await fh.close();
}

/** Copies every file of `dir`, to check that a refused directory was left as it was. */
async function contents(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const name of (await readdir(dir)).sort()) if (name !== 'LOG' && name !== 'LOG.old') out.set(name, await readFile(join(dir, name)));
  return out;
}

/** Rewrites one stored entry through LevelDB itself: damage no LevelDB checksum can see. */
async function rewriteRaw(dir: string, change: (db: Level<Buffer, Buffer>) => Promise<void>): Promise<void> {
  const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  await change(db);
  await db.close();
}

describe('levelState integrity', () => {
  let root: string;
  let dir: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'streamkit-integrity-'));
    dir = join(root, 'state');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('refuses a write-ahead log with garbage at its start instead of starting from scratch, and leaves the directory untouched', async () => {
    await checkpointTo(dir, 4);
    await overwrite(await logFile(dir), 0, Buffer.alloc(48, 0x5a));
    const before = await contents(dir);
    const error = await openError(dir);
    expect(error.code).toBe('STATE_CORRUPT');
    expect(error.message).toMatch(/the write-ahead log \d+\.log is damaged at byte 0 \(checksum mismatch\)/);
    expect(error.message).toMatch(/restore it from a backup/);
    expect(await contents(dir)).toEqual(before);
  });

  it('refuses a write-ahead log damaged in the middle instead of opening an older checkpoint', async () => {
    await checkpointTo(dir, 4);
    const log = await logFile(dir);
    await overwrite(log, Math.floor((await stat(log)).size / 2), Buffer.alloc(64, 0x5a));
    const error = await openError(dir);
    expect(error.code).toBe('STATE_CORRUPT');
    expect(error.message).toMatch(/write-ahead log .* is damaged at byte \d+/);
  });

  it('opens the last complete checkpoint when the log ends in a record cut short, or in zeros (a crash while writing)', async () => {
    const stopped = await checkpointTo(dir, 4);
    expect(stopped.stopped).toBe(true);
    const last = stopped.checkpoints;
    const log = await logFile(dir);
    await appendFile(log, Buffer.alloc(5000, 0));
    const zeros = levelState(dir);
    expect((await zeros.open())?.id).toBe(last);
    await zeros.close();
    // The reopened LevelDB moved that log into a table. Write two more checkpoints, the second
    // incremental (so it is the log's last record), and cut that record short.
    const backend = levelState(dir);
    expect((await backend.open())?.id).toBe(last);
    const changes = (full: boolean) => new Map([['extra#0', { puts: new Map([['k', full ? 1 : 2]]), deletes: new Set<string>(), full }]]);
    await backend.write({ id: last + 1, sourcePosition: 1, operators: changes(true) });
    await backend.write({ id: last + 2, sourcePosition: 2, operators: changes(false) });
    await backend.close();
    const nextLog = await logFile(dir);
    await truncate(nextLog, (await stat(nextLog)).size - 3);
    const torn = levelState(dir);
    const restored = await torn.open();
    await torn.close();
    expect(restored?.id).toBe(last + 1);
    expect([...restored!.operators.get('extra#0')!]).toEqual([['k', 1]]);
  });

  it('refuses a table file with garbage in it', async () => {
    await checkpointTo(dir, 4);
    // Opening replays the log into a table file.
    const reopen = levelState(dir);
    await reopen.open();
    await reopen.close();
    const table = (await readdir(dir)).find((f) => f.endsWith('.ldb'))!;
    expect(table).toBeDefined();
    await overwrite(join(dir, table), Math.floor((await stat(join(dir, table))).size / 3), Buffer.alloc(16, 0x5a));
    const error = await openError(dir);
    expect(error.code).toBe('STATE_CORRUPT');
    expect(error.message).toMatch(new RegExp(`a table file of the LevelDB \\(${table}\\) is damaged`));
  });

  it('refuses a flipped byte in a checkpoint value with a checksum mismatch naming the checkpoint and the operator', async () => {
    const { checkpoints } = await checkpointTo(dir, 4);
    await rewriteRaw(dir, async (db) => {
      // A dedup entry holds a number: a bit flipped in its digits (not in its type tag, the byte
      // before them) still reads as a number. Numbers of one digit byte have no such bit.
      for await (const [key, value] of db.iterator({ gt: META_KEY })) {
        if (decodeStateKey(key)?.uid !== 'dedup#0' || value.length < 5) continue;
        const flipped = Buffer.from(value);
        flipped[flipped.length - 2] ^= 0x10;
        expect(typeof deserialize(flipped)).toBe('number');
        await db.put(key, flipped);
        return;
      }
      throw new Error('no dedup entry');
    });
    const error = await openError(dir);
    expect(error.code).toBe('STATE_CORRUPT');
    expect(error.message).toMatch(
      new RegExp(`checksum mismatch of checkpoint ${checkpoints}: the state of operator dedup#0 reads as \\d+ entries`),
    );
  });

  it('refuses a checkpoint that lost an entry, and one whose meta record is damaged or gone', async () => {
    const { checkpoints } = await checkpointTo(dir, 4);
    let lost: Buffer | undefined;
    let lostValue: Buffer | undefined;
    await rewriteRaw(dir, async (db) => {
      for await (const [key, value] of db.iterator({ gt: META_KEY, limit: 1 })) [lost, lostValue] = [key, value];
      await db.del(lost!);
    });
    expect((await openError(dir)).message).toMatch(`checksum mismatch of checkpoint ${checkpoints}`);
    await rewriteRaw(dir, (db) => db.put(lost!, lostValue!));

    let meta: Buffer | undefined;
    await rewriteRaw(dir, async (db) => {
      meta = (await db.get(META_KEY))!;
      const { body } = deserialize(meta) as MetaEnvelope;
      const at = meta.indexOf(Buffer.from(body)) + Math.floor(body.length / 2);
      const damaged = Buffer.from(meta);
      damaged[at] ^= 0x01;
      await db.put(META_KEY, damaged);
    });
    const error = await openError(dir);
    expect(error.code).toBe('STATE_CORRUPT');
    expect(error.message).toMatch(/the meta record (fails its checksum|cannot be read)/);

    await rewriteRaw(dir, (db) => db.del(META_KEY));
    expect((await openError(dir)).message).toMatch(/holds operator state but no checkpoint meta record/);
    await rewriteRaw(dir, (db) => db.put(META_KEY, meta!));
    const whole = levelState(dir);
    expect((await whole.open())?.id).toBe(checkpoints);
    await whole.close();
  });

  it('refuses a directory whose CURRENT file is lost instead of letting LevelDB start over and delete its data', async () => {
    await checkpointTo(dir, 4);
    await rm(join(dir, 'CURRENT'));
    const before = await contents(dir);
    const error = await openError(dir);
    expect(error.code).toBe('STATE_CORRUPT');
    expect(error.message).toMatch(/CURRENT file is missing, but the directory holds its data \(\d+\.log\)/);
    expect(await contents(dir)).toEqual(before);
    // A directory with no database in it yet holds no checkpoint.
    const empty = join(root, 'empty');
    await mkdir(empty);
    expect(await inspectLevelState(empty)).toBeUndefined();
  });

  it('keeps its checksums right when a checkpoint fails and the same backend goes on writing', async () => {
    const backend = levelState(dir);
    await backend.open();
    const changes = (puts: Array<[string, unknown]>, deletes: string[] = [], full = false) => ({
      puts: new Map(puts),
      deletes: new Set(deletes),
      full,
    });
    await backend.write({
      id: 1,
      sourcePosition: 1,
      operators: new Map([
        [
          'op',
          changes(
            [
              ['a', 1],
              ['b', 2],
              ['c', 3],
            ],
            [],
            true,
          ),
        ],
      ]),
    });
    // Changes a, deletes b, then fails on a value that cannot be stored: nothing of it may count.
    const failing = changes(
      [
        ['a', 10],
        ['z', () => 0],
      ],
      ['b'],
    );
    await expect(backend.write({ id: 2, sourcePosition: 2, operators: new Map([['op', failing]]) })).rejects.toThrow(
      /cannot be serialized/,
    );
    await backend.write({
      id: 3,
      sourcePosition: 3,
      operators: new Map([
        [
          'op',
          changes(
            [
              ['a', 11],
              ['d', 4],
            ],
            ['c'],
          ),
        ],
      ]),
    });
    await backend.close();
    const reopened = levelState(dir);
    const restored = await reopened.open();
    await reopened.close();
    expect(restored?.id).toBe(3);
    expect([...restored!.operators.get('op')!]).toEqual([
      ['a', 11],
      ['b', 2],
      ['d', 4],
    ]);
  });

  it('CRC-32C matches the reference value and LevelDB masking', () => {
    expect(crc32c(Buffer.from('123456789'), 0, 9)).toBe(0xe3069283);
    expect(crc32c(Buffer.from('6789'), 0, 4, crc32c(Buffer.from('12345')))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32), 0, 32)).toBe(0x8a9136aa);
    const masked = ((((0xe3069283 >>> 15) | (0xe3069283 << 17)) >>> 0) + 0xa282ead8) >>> 0;
    expect(unmaskCrc32c(masked)).toBe(0xe3069283);
  });

  it('reports garbage anywhere in a log whenever LevelDB itself would lose data (property, LevelDB as the oracle)', async () => {
    await checkpointTo(dir);
    const pristine = await readFile(await logFile(dir));
    const files = await contents(dir);
    let copies = 0;
    /** A copy of the directory with `log` as its log: LevelDB replays the copy, the original stays as it was. */
    const withLog = async (log: Buffer) => {
      const copy = join(root, `copy-${copies++}`);
      await mkdir(copy);
      for (const [name, bytes] of files) await writeFile(join(copy, name), name.endsWith('.log') ? log : bytes);
      return copy;
    };
    const replay = async (path: string) => {
      const out = new Map<string, string>();
      const db = new Level<Buffer, Buffer>(path, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
      await db.open();
      for await (const [k, v] of db.iterator()) out.set(k.toString('hex'), v.toString('hex'));
      await db.close();
      return out;
    };
    const same = (a: Map<string, string>, b: Map<string, string>) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
    const lastStart = lastRecordStart(pristine);
    const everything = await replay(await withLog(pristine));
    const allButLast = await replay(await withLog(pristine.subarray(0, lastStart)));
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: pristine.length - 1 }),
        fc.uint8Array({ minLength: 1, maxLength: 40 }),
        async (at, garbage) => {
          const log = Buffer.from(pristine);
          Buffer.from(garbage).copy(log, at);
          fc.pre(!log.equals(pristine));
          const copy = await withLog(log);
          const damage = await checkLevelLogs(copy);
          const recovered = await replay(copy);
          const info = await readFile(join(copy, 'LOG'), 'utf8');
          // LevelDB's own report of dropped bytes is always seen.
          if (/dropping/.test(info)) expect(damage).toBeDefined();
          // A log the check passes loses nothing on replay, unless the damage hit the last record,
          // which then looks like a crash while writing it: the checkpoint before it is opened.
          if (!damage) {
            const lastHit = at + garbage.length > lastStart;
            expect(same(recovered, everything) || (lastHit && same(recovered, allButLast))).toBe(true);
          }
          await rm(copy, { recursive: true, force: true });
        },
      ),
      { numRuns: 60 },
    );
  });
});

/** Where the last logical record of a LevelDB log starts (its FULL or FIRST fragment). */
function lastRecordStart(log: Buffer): number {
  let last = 0;
  for (let block = 0; block < log.length; block += 32768) {
    const end = Math.min(block + 32768, log.length);
    for (let at = block; end - at >= 7;) {
      const length = log[at + 4] | (log[at + 5] << 8);
      const type = log[at + 6];
      if (type === 1 || type === 2) last = at;
      at += 7 + length;
    }
  }
  return last;
}
