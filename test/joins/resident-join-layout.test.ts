import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inspectLevelState, levelState, StateError } from '../../src/index.js';
import { PausedSource } from '../runtime/fixtures/paused-source.js';
import { runPairs, runRates, type Paired } from './resident-join-pipelines.js';

/** Checkpoints of a resident join and a resident lookup in their unversioned layouts (see the README). */
const FIXTURES = fileURLToPath(new URL('./fixtures/resident-unversioned', import.meta.url));

async function refusal(job: Promise<unknown>): Promise<StateError> {
  const error = await job.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StateError);
  return error as StateError;
}

describe('resident join layouts carry a version', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'streamkit-join-layout-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** A copy of a fixture (LevelDB rewrites a directory it opens). */
  async function copyOf(name: string): Promise<string> {
    const dir = join(root, name);
    await cp(join(FIXTURES, name), dir, { recursive: true });
    return dir;
  }

  it('refuses an interval join checkpoint of the unversioned layout, saying why, and leaves it as it was', async () => {
    const dir = await copyOf('join');
    const before = await inspectLevelState(dir);
    expect(before?.operators.map((o) => [o.uid, o.fingerprint?.storage, o.fingerprint?.residentLayout])).toEqual([
      ['pairs', 'disk', undefined],
    ]);
    const error = await refusal(runPairs(dir));
    expect(error.code).toBe('STATE_INCOMPATIBLE');
    expect(error.message).toMatch(
      /cannot restore checkpoint \d+: "pairs" keeps its state on disk in a layout without a version \(written by an earlier streamkit\), and this version reads layout "jr1"\. The layouts cannot be converted/,
    );
    expect(await inspectLevelState(dir)).toEqual(before);
  });

  it('refuses a lookup join checkpoint of the unversioned layout, saying why', async () => {
    const error = await refusal(runRates(await copyOf('lookup')));
    expect(error.code).toBe('STATE_INCOMPATIBLE');
    expect(error.message).toMatch(/"rates" keeps its state on disk in a layout without a version .*this version reads layout "lr1"/);
  });

  it('records the layout in the fingerprint and restores a checkpoint of its own layout', async () => {
    const dir = join(root, 'fresh');
    const lefts = new PausedSource<Paired>();
    const job = runPairs(dir, lefts);
    lefts.push([{ key: 'a', time: 10, seq: 1 }]);
    await lefts.drained();
    await job.stop();
    const written = await inspectLevelState(dir);
    expect(written?.operators[0].fingerprint).toMatchObject({ operator: 'join', storage: 'disk', residentLayout: 'jr1' });
    // The layout, key by key: the record's eviction at 10 + hold 10 in buckets of hold / 8 = 2 ms,
    // its key's list of left records, the meta entry.
    const backend = levelState(dir, { memory: 1 });
    await backend.open();
    const keys: string[] = [];
    for await (const key of backend.residentState('pairs')!.keys('')) keys.push(key);
    await backend.close();
    expect(keys).toEqual(['jr1/e/10/0', 'jr1/k/0/"a"', 'jr1/m']);
    const again = runPairs(dir);
    expect(await again.query('pairs').get('a')).toEqual({
      left: { count: 1, records: [{ time: 10, value: { key: 'a', time: 10, seq: 1 }, matched: false }] },
      right: { count: 0, records: [] },
    });
    await again.stop();
  });
});
