/** Graceful stop of jobs reading a real Kafka broker (started by the global setup). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromKafka, kafkaChangelog } from '../../src/kafka/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { from } from '../../src/pipeline/stream.js';
import type { RunOptions, RuntimeEvent } from '../../src/runtime/runtime.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { fromArray } from '../../src/sources/array-source.js';
import { levelState } from '../../src/state/level-state.js';
import { memoryState } from '../../src/state/memory-state.js';
import { brokers, committedOffsets, createTopic, produce, uniqueName } from '../kafka/kafka-test-utils.js';
import { clickMessages, clickTotals, sampleClicks, type Click, type ClickResult } from '../kafka/fixtures/clicks.js';

type Result = ClickResult;

const CLICKS = 3000;
const input = sampleClicks({
  users: ['ana', 'bo', 'cy', 'di', 'ed', 'fu', 'gi'],
  count: CLICKS,
  spanMs: 30 * 60_000 - 1,
  maxAmount: 100,
  seed: 7,
});

/** The job; `onRecord` sees each record first (the same operators in every run, so state restores). */
function pipeline(source: Parameters<typeof from<Click>>[0], onRecord: () => void = () => undefined) {
  const clicks = from<Click>(source).map((c) => {
    onRecord();
    return c;
  });
  // An hour of allowed disorder: partitions interleave in any order, and the results do not depend on it.
  return clickTotals(clicks, '1m', '1h');
}

const silent = createLogger({ level: 'silent' });
const sumOf = (offsets: Record<number, number>) => Object.values(offsets).reduce((a, b) => a + Math.max(b, 0), 0);

describe('graceful stop with a Kafka source', () => {
  let topic: string;
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'streamkit-stop-kafka-'));
    topic = uniqueName('stop-clicks');
    await createTopic(topic, 3);
    await produce(topic, clickMessages(input));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('job.stop() commits the final checkpoint’s offsets; the restart reads only the rest, and the results equal an uninterrupted run', async () => {
    const reference = toArray<Result>();
    await pipeline(fromArray(input)).to(reference).run();

    const groupId = uniqueName('stop-job');
    const stateDir = join(root, 'state');
    const options = (extra: RunOptions): RunOptions => ({ state: levelState(stateDir), checkpointEvery: { records: 500 }, ...extra });

    const first = toArray<Result>();
    let seen = 0;
    // Stopped from inside the pipeline once 1,200 records went through: the job ends after that batch.
    const job = pipeline(fromKafka<Click>({ brokers, topic, groupId, fromBeginning: true, batchSize: 50, logger: silent }), () => {
      if (++seen === 1200) void job.stop();
    })
      .to(first)
      .run(options({}));
    const stopped = await job;
    expect(stopped.stopped).toBe(true);
    expect(stopped.records).toBeGreaterThanOrEqual(1200);
    expect(stopped.records).toBeLessThan(CLICKS);
    expect(stopped.checkpoints).toBeGreaterThanOrEqual(3); // two on the way, and the stop's own
    // The final checkpoint committed exactly what the job read: a consumer of the group starts after it.
    expect(sumOf(await committedOffsets(groupId, topic))).toBe(stopped.records);

    const second = toArray<Result>();
    const resumed = await pipeline(fromKafka<Click>({ brokers, topic, groupId, fromBeginning: true, stopWhenIdle: '3s', logger: silent }))
      .to(second)
      .run(options({}));
    expect(resumed.restoredFrom).toBe(stopped.checkpoints);
    expect(resumed.records).toBe(CLICKS - stopped.records);
    expect(sumOf(await committedOffsets(groupId, topic))).toBe(CLICKS);

    const byId = new Map([...first.items, ...second.items].map((r) => [r.id, r]));
    expect(byId).toEqual(new Map(reference.items.map((r) => [r.id, r])));
  });

  it('with state that follows partitions (kafkaChangelog): the stop checkpoints every task, and the restart reads only the rest', async () => {
    const reference = toArray<Result>();
    await pipeline(fromArray(input)).to(reference).run();
    const groupId = uniqueName('stop-tasks');
    const state = () => kafkaChangelog({ brokers, topic: `${groupId}.changelog`, logLevel: 'nothing' });

    const first = toArray<Result>();
    let seen = 0;
    const job = pipeline(fromKafka<Click>({ brokers, topic, groupId, fromBeginning: true, batchSize: 50, logger: silent }), () => {
      if (++seen === 1500) void job.stop();
    })
      .to(first)
      .run({ state: state(), checkpointEvery: { records: 400 } });
    const stopped = await job;
    expect(stopped.stopped).toBe(true);
    expect(stopped.records).toBeLessThan(CLICKS);
    expect(sumOf(await committedOffsets(groupId, topic))).toBe(stopped.records);

    const second = toArray<Result>();
    const events: RuntimeEvent[] = [];
    const resumed = await pipeline(fromKafka<Click>({ brokers, topic, groupId, fromBeginning: true, stopWhenIdle: '3s', logger: silent }))
      .to(second)
      .run({ state: state(), checkpointEvery: { records: 400 }, onEvent: (e) => events.push(e) });
    // Every partition's task resumed from the stop's checkpoint and read only what came after it.
    expect(events.filter((e) => e.type === 'task.started' && e.restoredFrom !== undefined)).toHaveLength(3);
    expect(resumed.records).toBe(CLICKS - stopped.records);
    const byId = new Map([...first.items, ...second.items].map((r) => [r.id, r]));
    expect(byId).toEqual(new Map(reference.items.map((r) => [r.id, r])));
  });

  it('stops a job that waits in poll for messages that do not come, with its final checkpoint', async () => {
    const groupId = uniqueName('idle-job');
    const state = memoryState();
    let readAll!: () => void;
    const caughtUp = new Promise<void>((resolve) => (readAll = resolve));
    const types: string[] = [];
    const job = pipeline(fromKafka<Click>({ brokers, topic, groupId, fromBeginning: true, logger: silent }))
      .to(toArray<Result>())
      .run({
        state,
        checkpointEvery: '100ms',
        // Well above what a stop takes; the job would fail with STOP_TIMEOUT if the source kept it waiting.
        stopTimeout: '10s',
        onEvent: (e) => {
          types.push(e.type);
          if (e.type === 'checkpoint.completed' && job.metrics.get('records_in', { stage: 'source' }) === CLICKS) readAll();
        },
      });
    await caughtUp;
    const summary = await job.stop();
    expect(summary).toMatchObject({ stopped: true, records: CLICKS });
    expect(sumOf(await committedOffsets(groupId, topic))).toBe(CLICKS);
    // After the stop request only checkpoints complete (one already under way, then the final one), then the job ends.
    expect(types.slice(types.indexOf('job.stopping')).join(' ')).toMatch(/^job\.stopping( checkpoint\.completed)+ job\.finished$/);
    expect(state.lastCheckpointId).toBe(summary.checkpoints);
  });
});
