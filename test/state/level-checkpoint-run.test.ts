import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateError } from '../../src/core/errors.js';
import type { RunOptions } from '../../src/runtime/runtime.js';
import { from } from '../../src/pipeline/stream.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { readLevelTable, toLevel } from '../../src/sinks/level-sink.js';
import { fromArray } from '../../src/sources/array-source.js';
import { levelState } from '../../src/state/level-state.js';
import { boundedOutOfOrderness } from '../../src/watermarks/watermark-strategy.js';
import { count, sum } from '../../src/windowing/aggregators/index.js';
import { tumbling } from '../../src/windowing/tumbling.js';
import { sensorReadings, type Reading, type SensorTotals } from './fixtures/sensor-readings.js';
import { METRICS } from '../../src/core/metric-catalogue.js';

const readings = sensorReadings(3000, 7);
type Result = SensorTotals;

function job(sink: { write(items: Result[]): unknown }, options: RunOptions) {
  return from(fromArray(readings, { batchSize: 50 }))
    .withTimestamps((r) => r.t, boundedOutOfOrderness(500))
    .dedup((r) => r.id, { within: '5s' })
    .keyBy((r) => r.sensor)
    .window(tumbling(1000), { allowedLateness: 200 })
    .aggregate({ n: count(), total: sum((r: Reading) => r.value) })
    .to(sink as never)
    .run(options);
}

describe('levelState in a running pipeline', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'streamkit-level-run-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('checkpoints to LevelDB, and a job stopped mid-input resumes from its directory to the same table', async () => {
    const clean = toArray<Result>();
    await job(clean, {});

    const stateDir = join(root, 'state');
    const tableDir = join(root, 'table');
    const first = job(toLevel(tableDir), {
      state: levelState(stateDir),
      checkpointEvery: { records: 200 },
      credits: 1,
      onEvent: (e) => e.type === 'checkpoint.completed' && e.id === 4 && first.stop(),
    });
    const stopped = await first;
    expect(stopped.stopped).toBe(true);
    expect(stopped.checkpoints).toBeGreaterThanOrEqual(4);
    expect(first.metrics.get(METRICS.checkpointWritten)).toBeGreaterThan(0);
    expect(first.metrics.get(METRICS.checkpointEntries)).toBeGreaterThan(0);

    const second = job(toLevel(tableDir), { state: levelState(stateDir), checkpointEvery: { records: 200 } });
    const resumed = await second;
    expect(resumed.restoredFrom).toBeGreaterThanOrEqual(4);
    expect(resumed.records).toBeLessThan(readings.length);

    const expected = new Map(clean.items.map((r) => [r.id, r]));
    expect(await readLevelTable<Result>(tableDir)).toEqual(new Map([...expected].sort(([a], [b]) => (a < b ? -1 : 1))));
    expect(resumed.duplicates + stopped.duplicates).toBeGreaterThanOrEqual(readings.length / 25 - 1);

    // Run again after the end: the final checkpoint says the input is consumed; nothing is replayed.
    const again = toArray<Result>();
    const after = await job(again, { state: levelState(stateDir), checkpointEvery: { records: 200 } });
    expect(after.records).toBe(0);
    expect(again.items).toEqual([]);
  });

  it("fails the run with a StateError, before reading anything, when the state directory is not streamkit's", async () => {
    const dir = join(root, 'not-state');
    await mkdir(dir);
    await writeFile(join(dir, 'report.csv'), 'a,b\n');
    const out = toArray<Result>();
    const error = await job(out, { state: levelState(dir), checkpointEvery: { records: 100 } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StateError);
    expect((error as StateError).code).toBe('STATE_INCOMPATIBLE');
    expect(out.items).toEqual([]);
  });
});
