import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateError } from '../../src/core/errors.js';
import { from } from '../../src/pipeline/stream.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { fromArray } from '../../src/sources/array-source.js';
import { inspectLevelState, levelState } from '../../src/state/level-state.js';
import { memoryState } from '../../src/state/memory-state.js';
import { boundedOutOfOrderness } from '../../src/watermarks/watermark-strategy.js';
import { count, sum } from '../../src/windowing/aggregators/index.js';
import { tumbling } from '../../src/windowing/tumbling.js';
import { sensorReadings, type Reading, type SensorTotals } from './fixtures/sensor-readings.js';
import type { RunOptions } from '../../src/runtime/runtime.js';

/** A checkpoint written by streamkit 0.1.0 in state format 1 (see its README). */
const FIXTURE = fileURLToPath(new URL('./fixtures/state-format-1', import.meta.url));

const readings = sensorReadings(1200, 5);
type Result = SensorTotals;

/** The pipeline that wrote the fixture; `before` adds stateless operators in front, `size` changes the window. */
function run(options: RunOptions, variant: { mapFirst?: boolean; size?: number } = {}) {
  const out = toArray<Result>();
  const source = from(fromArray(readings, { batchSize: 50 }));
  const job = (variant.mapFirst ? source.map((r) => r) : source)
    .withTimestamps((r) => r.t, boundedOutOfOrderness(500))
    .dedup((r) => r.id, { within: '5s' })
    .keyBy((r) => r.sensor)
    .window(tumbling(variant.size ?? 1000))
    .aggregate({ n: count(), total: sum((r: Reading) => r.value) })
    .to(out)
    .run({ checkpointEvery: { records: 200 }, ...options });
  return { job, out };
}

const byId = (items: Result[]) => new Map(items.map((r) => [r.id, r]));

describe('a checkpoint of state format 1', () => {
  let dir: string;
  beforeEach(async () => {
    const root = await mkdtemp(join(tmpdir(), 'streamkit-format-1-'));
    dir = join(root, 'state');
    // LevelDB rewrites a directory it opens: work on a copy.
    await cp(FIXTURE, dir, { recursive: true, filter: (path) => !path.endsWith('.md') && !path.endsWith('.jsonl') });
  });
  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('restores exactly into the pipeline that wrote it, and its first checkpoint rewrites it in format 2 under stable ids', async () => {
    const first = (await readFile(join(FIXTURE, 'first-run.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Result);
    const whole = run({ state: memoryState() });
    await whole.job;
    const resumed = run({ state: levelState(dir) });
    const summary = await resumed.job;
    expect(summary.restoredFrom).toBe(3);
    expect(summary.records).toBe(readings.length - 600);
    expect(byId([...first, ...resumed.out.items])).toEqual(byId(whole.out.items));

    const after = await inspectLevelState(dir);
    expect(after?.formatVersion).toBe(2);
    expect(after?.operators.map((o) => o.uid)).toEqual(['dedup#0', 'window#0']);
    expect(after?.operators[1].fingerprint).toEqual({
      operator: 'window',
      assigner: 'tumbling(1000ms)',
      keyed: 'yes',
      aggregate: '{"n":count@1,"total":sum@1}',
      mode: 'accumulating',
    });
  });

  it('is refused, saying what to do, when the stateful operators are no longer where they were', async () => {
    const error = await run({ state: levelState(dir) }, { mapFirst: true }).job.then(
      () => undefined,
      (e: unknown) => e as StateError,
    );
    expect(error).toBeInstanceOf(StateError);
    expect(error?.code).toBe('STATE_INCOMPATIBLE');
    expect(error?.message).toMatch(/state format 1, which named operators by their position/);
    expect(error?.message).toMatch(/1-dedup, 3-window/);
    expect(error?.message).toMatch(/Restore it with the pipeline that wrote it/);
    // Refused before anything was read or written: the same directory still restores into the right pipeline.
    expect((await run({ state: levelState(dir) }).job).restoredFrom).toBe(3);
  });

  it('is refused when the window at the same place has other windows (the assigner it recorded)', async () => {
    const error = await run({ state: levelState(dir) }, { size: 2000 }).job.then(
      () => undefined,
      (e: unknown) => e as StateError,
    );
    expect(error?.code).toBe('STATE_INCOMPATIBLE');
    expect(error?.message).toMatch(/written for tumbling\(1000ms\) windows, this pipeline uses tumbling\(2000ms\)/);
  });

  it('drops what the operators at new places cannot take, when told to, and starts those operators empty', async () => {
    const { job } = run({ state: levelState(dir), restore: { allowDroppedState: true } }, { mapFirst: true });
    const summary = await job;
    expect(summary.restoredFrom).toBe(3);
    const after = await inspectLevelState(dir);
    expect(after?.formatVersion).toBe(2);
    expect(after?.operators.map((o) => o.uid)).toEqual(['dedup#0', 'window#0']);
  });
});
