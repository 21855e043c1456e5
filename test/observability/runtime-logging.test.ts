import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { count, createLogger, from, fromArray, levelState, toArray, tumbling } from '../../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function job(n: number) {
  const events = Array.from({ length: n }, (_, i) => ({ at: i * 100 }));
  return from(fromArray(events, { batchSize: 100 }))
    .withTimestamps((e) => e.at)
    .window(tumbling('10s'))
    .aggregate(count())
    .to(toArray());
}

describe('run({ logger })', () => {
  it('logs start, checkpoints at debug, restore and finish, with the numbers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamkit-log-'));
    dirs.push(dir);
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({ level: 'debug', json: true, write: (line) => lines.push(JSON.parse(line)) }).child({ job: 'counts' });

    const first = await job(1_000).run({ state: levelState(dir), checkpointEvery: { records: 300 }, logger });
    expect(lines.map((l) => `${l.level} ${l.msg}`)).toEqual([
      'info job started',
      ...Array.from({ length: first.checkpoints }, () => 'debug checkpoint completed'),
      'info job finished',
    ]);
    expect(lines.every((l) => l.job === 'counts')).toBe(true);
    expect(lines.at(-1)).toMatchObject({ records: 1_000, checkpoints: first.checkpoints });
    const lastCheckpoint = lines.filter((l) => l.msg === 'checkpoint completed').at(-1)!.checkpoint;
    expect(lastCheckpoint).toBe(first.checkpoints);

    // A second run on the same state restores the last checkpoint and says so.
    lines.length = 0;
    const second = await job(1_000).run({
      state: levelState(dir),
      checkpointEvery: { records: 300 },
      logger: createLogger({ level: 'info', json: true, write: (line) => lines.push(JSON.parse(line)) }),
    });
    expect(second.restoredFrom).toBe(lastCheckpoint);
    expect(lines.map((l) => l.msg)).toEqual(['checkpoint restored', 'job started', 'job finished']);
    expect(lines[0]).toMatchObject({ level: 'info', checkpoint: lastCheckpoint });
    expect(lines[1]).toMatchObject({ restoredFrom: lastCheckpoint });
  });

  it('logs a failure at error with its code, and writes nothing below the level', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({ level: 'warn', json: true, write: (line) => lines.push(JSON.parse(line)) });
    const failing = from(fromArray([1, 2, 3])).to({ name: 'broken', write: () => Promise.reject(new Error('disk full')) });
    await expect(failing.run({ logger })).rejects.toThrow(/sink broken failed to write: Error: disk full/);
    expect(lines).toEqual([
      expect.objectContaining({ level: 'error', msg: 'job failed', code: 'SINK_FAILED', error: expect.stringMatching(/disk full/) }),
    ]);
  });
});
