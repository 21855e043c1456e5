import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { from } from '../../src/pipeline/stream.js';
import type { RuntimeEvent } from '../../src/runtime/runtime.js';
import { fromKafka } from '../../src/kafka/consumer/index.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { kafkaChangelog, type KafkaChangelogOptions } from '../../src/kafka/changelog/index.js';
import { LocalTaskStore } from '../../src/kafka/changelog/local-task-store.js';
import { brokers, createTopic, produce, uniqueName, waitUntil } from './kafka-test-utils.js';
import { clickMessages, clickTotals, sampleClicks, type Click, type ClickResult } from './fixtures/clicks.js';

const USERS = ['ana', 'bo', 'cy'];

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'streamkit-changelog-refusals-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('kafkaChangelog({ memory, dir }): options', () => {
  const base = { brokers: ['127.0.0.1:9092'], topic: 'jobs.changelog' };
  it('takes memory and dir together, a byte size and a non-empty path', () => {
    expect(() => kafkaChangelog({ ...base, memory: '64MB' })).toThrow(
      /kafkaChangelog: options "memory" and "dir" go together .*; got only "memory"/,
    );
    expect(() => kafkaChangelog({ ...base, dir: '/tmp/x' })).toThrow(/options "memory" and "dir" go together .*; got only "dir"/);
    expect(() => kafkaChangelog({ ...base, memory: '64 megs', dir: '/tmp/x' })).toThrow(/kafkaChangelog memory/);
    expect(() => kafkaChangelog({ ...base, memory: 0, dir: '/tmp/x' })).toThrow(/kafkaChangelog memory must be a positive number of bytes/);
    expect(() => kafkaChangelog({ ...base, memory: '1KB', dir: '' })).toThrow(/option "dir" must be a non-empty path, got ""/);
    expect(() => kafkaChangelog({ ...base, memory: '1KB', dir: 7 } as unknown as KafkaChangelogOptions)).toThrow(
      /option "dir" must be a non-empty path, got 7/,
    );
    expect(kafkaChangelog({ ...base, memory: '1KB', dir: '/tmp/x' }).name).toBe('kafka changelog jobs.changelog');
  });

  it('refuses a task directory that holds files of something else', async () => {
    const dir = await tempDir();
    const path = join(dir, encodeURIComponent('jobs.changelog'), encodeURIComponent('clicks/0'));
    await mkdir(path, { recursive: true });
    await writeFile(join(path, 'notes.txt'), 'mine');
    await expect(LocalTaskStore.open(dir, 'jobs.changelog', 'clicks/0')).rejects.toThrow(
      /local store of task clicks\/0 .*: the path holds files that are not a LevelDB's; point option dir at a directory that only kafkaChangelog uses/,
    );
  });
});

describe('kafkaChangelog({ memory, dir }): a changelog of the other layout is refused', () => {
  /** Runs the click totals over `topic` until a checkpoint covers `count` records, then stops. */
  async function runUntilCheckpointed(topic: string, groupId: string, state: ReturnType<typeof kafkaChangelog>, count: number) {
    const source = fromKafka<Click>({ brokers, topic, groupId, fromBeginning: true, sessionTimeout: 6000, heartbeatInterval: 500 });
    const events: RuntimeEvent[] = [];
    const run = clickTotals(from<Click>(source), '1m', '5s')
      .to(toArray<ClickResult>())
      .run({ state, checkpointEvery: '100ms', onEvent: (e) => events.push(e) });
    await waitUntil(() => run.metrics.total('records_in') >= count, 'the input to be read');
    const seen = events.filter((e) => e.type === 'checkpoint.completed').length;
    await waitUntil(() => events.filter((e) => e.type === 'checkpoint.completed').length >= seen + 2, 'a checkpoint covering the input');
    run.stop();
    await run;
  }

  /** The error a job over `topic` with `state` fails with while restoring. */
  async function restoreError(topic: string, groupId: string, state: ReturnType<typeof kafkaChangelog>): Promise<Error> {
    const source = fromKafka<Click>({ brokers, topic, groupId, fromBeginning: true, sessionTimeout: 6000, heartbeatInterval: 500 });
    const run = clickTotals(from<Click>(source), '1m', '5s').to(toArray<ClickResult>()).run({ state, checkpointEvery: '100ms' });
    return run.then(
      () => {
        throw new Error('the job was expected to fail');
      },
      (error: Error) => error,
    );
  }

  it('heap state restored with a memory budget, and resident state restored without one', async () => {
    const topic = uniqueName('layout');
    await createTopic(topic, 1);
    const input = sampleClicks({ users: USERS, count: 60, spanMs: 5 * 60_000, maxAmount: 5, seed: 3 }).sort((a, b) => a.at - b.at);
    await produce(topic, clickMessages(input));

    const heapGroup = uniqueName('heap-job');
    const heapChangelog = `${heapGroup}.changelog`;
    await runUntilCheckpointed(topic, heapGroup, kafkaChangelog({ brokers, topic: heapChangelog, logLevel: 'nothing' }), input.length);
    const toDisk = await restoreError(
      topic,
      heapGroup,
      kafkaChangelog({ brokers, topic: heapChangelog, logLevel: 'nothing', memory: '1KB', dir: await tempDir() }),
    );
    expect(toDisk.message).toMatch(
      /cannot restore task .*\/0 at checkpoint \d+: "window#0" kept its state on the heap .* and now keeps it on disk, in another layout/,
    );

    const diskGroup = uniqueName('disk-job');
    const diskChangelog = `${diskGroup}.changelog`;
    const dir = await tempDir();
    await runUntilCheckpointed(
      topic,
      diskGroup,
      kafkaChangelog({ brokers, topic: diskChangelog, logLevel: 'nothing', memory: '1KB', dir }),
      input.length,
    );
    const toHeap = await restoreError(topic, diskGroup, kafkaChangelog({ brokers, topic: diskChangelog, logLevel: 'nothing' }));
    expect(toHeap.message).toMatch(
      /task .*\/0: operator "window#0" keeps its state on disk \(the changelog was written by kafkaChangelog\(\{ memory, dir \}\)\), in another layout than on the heap; run with memory and dir again, or start from a new changelog topic/,
    );
    expect((toHeap as Error & { code?: string }).code).toBe('STATE_INCOMPATIBLE');
  }, 120_000);
});
