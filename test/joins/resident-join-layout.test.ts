import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { boundedOutOfOrderness, from, inspectLevelState, levelState, StateError, table, toArray } from '../../src/index.js';
import { PausedSource } from '../runtime/fixtures/paused-source.js';

/** Checkpoints of a resident join and a resident lookup in their unversioned layouts (see the README). */
const FIXTURES = fileURLToPath(new URL('./fixtures/resident-unversioned', import.meta.url));

type E = { key: string; time: number; seq: number };
type Row = { zone: number; rate: number; at: number };
type Ride = { zone: number; at: number };

/** The pipeline that wrote `join/`. */
function pairs(state: string, lefts = new PausedSource<E>(), rights = new PausedSource<E>()) {
  return from(lefts)
    .withTimestamps((e) => e.time, boundedOutOfOrderness(1_000))
    .keyBy((e) => e.key)
    .join(
      from(rights)
        .withTimestamps((e) => e.time, boundedOutOfOrderness(1_000))
        .keyBy((e) => e.key),
      { within: '5ms', kind: 'outer' },
      (a, b) => [a?.seq, b?.seq],
    )
    .uid('pairs')
    .to(toArray())
    .run({ state: levelState(state, { memory: 1 }), checkpointEvery: { records: 1 } });
}

/** The pipeline that wrote `lookup/`. */
function rates(state: string, rows = new PausedSource<Row>(), rides = new PausedSource<Ride>()) {
  return from(rides)
    .withTimestamps((r) => r.at, boundedOutOfOrderness(0))
    .lookup(
      table(
        from(rows).withTimestamps((r) => r.at, boundedOutOfOrderness(0)),
        (r) => r.zone,
      ),
      (r) => r.zone,
      (ride, row: Row | null) => [ride.at, row?.rate ?? null],
    )
    .uid('rates')
    .to(toArray())
    .run({ state: levelState(state, { memory: 1 }), checkpointEvery: { records: 1 } });
}

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
    const error = await refusal(pairs(dir));
    expect(error.code).toBe('STATE_INCOMPATIBLE');
    expect(error.message).toMatch(
      /cannot restore checkpoint \d+: "pairs" keeps its state on disk in a layout without a version \(written by an earlier streamkit\), and this version reads layout "jr1"\. The layouts cannot be converted/,
    );
    expect(await inspectLevelState(dir)).toEqual(before);
  });

  it('refuses a lookup join checkpoint of the unversioned layout, saying why', async () => {
    const error = await refusal(rates(await copyOf('lookup')));
    expect(error.code).toBe('STATE_INCOMPATIBLE');
    expect(error.message).toMatch(/"rates" keeps its state on disk in a layout without a version .*this version reads layout "lr1"/);
  });

  it('records the layout in the fingerprint and restores a checkpoint of its own layout', async () => {
    const dir = join(root, 'fresh');
    const lefts = new PausedSource<E>();
    const job = pairs(dir, lefts);
    lefts.push([{ key: 'a', time: 10, seq: 1 }]);
    await lefts.drained();
    await job.stop();
    const written = await inspectLevelState(dir);
    expect(written?.operators[0].fingerprint).toMatchObject({ operator: 'join', storage: 'disk', residentLayout: 'jr1' });
    const again = pairs(dir);
    expect(await again.query('pairs').get('a')).toEqual({
      left: { count: 1, records: [{ time: 10, value: { key: 'a', time: 10, seq: 1 }, matched: false }] },
      right: { count: 0, records: [] },
    });
    await again.stop();
  });
});
