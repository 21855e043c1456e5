import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { afterAll, describe, expect, it } from 'vitest';
import { from, type Stream } from '../../src/pipeline/stream.js';
import type { RuntimeEvent } from '../../src/runtime/runtime.js';
import { fromArray } from '../../src/sources/array-source.js';
import { fromKafka } from '../../src/kafka/consumer/index.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { kafkaChangelog, type KafkaChangelogState } from '../../src/kafka/changelog/index.js';
import { rebuildCopies } from '../../src/kafka/changelog/local-copies.js';
import { LocalTaskStore } from '../../src/kafka/changelog/local-task-store.js';
import { boundedOutOfOrderness } from '../../src/watermarks/watermark-strategy.js';
import { count, sum } from '../../src/windowing/aggregators/index.js';
import { tumbling } from '../../src/windowing/tumbling.js';
import { afterProcessingTime, onWatermark } from '../../src/windowing/triggers.js';
import { brokers, createTopic, kafka, produce, uniqueName, waitUntil } from './kafka-test-utils.js';
import { clickMessages, sampleClicks, T0, type Click, type ClickResult } from './fixtures/clicks.js';

const USERS = ['ana', 'bo', 'cy', 'di', 'ed', 'flo', 'gus', 'hal'];
const DEDUP_UID = 'click-dedup';

/**
 * Drops repeated clicks (a user's click of one amount within one 30 s block: always less than
 * `within` apart, so every decision is the same whatever the watermark), then totals each user's
 * clicks per minute. Dedup's expired generations and the windows that fired are range deletes.
 */
const job = (clicks: Stream<Click>) =>
  clicks
    .withTimestamps((c) => c.at, boundedOutOfOrderness('5s'))
    .dedup((c) => `${c.user}/${Math.floor(c.at / 30_000)}/${c.amount}`, { within: '1m' })
    .uid(DEDUP_UID)
    .keyBy((c) => c.user)
    .window(tumbling('1m'))
    .aggregate({ clicks: count(), spent: sum((c: Click) => c.amount) });

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'streamkit-changelog-resident-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Results upserted by id, later ones winning, as a compacted output topic keeps them. */
function upsert(...outputs: ClickResult[][]): Map<string, ClickResult> {
  const byId = new Map<string, ClickResult>();
  for (const items of outputs) for (const r of items) byId.set(r.id, r);
  return byId;
}

/** Every entry of a task's local store, as `uid \0 key` → value bytes in hex. */
async function contents(dir: string, topic: string, task: string): Promise<Map<string, string>> {
  const local = await LocalTaskStore.open(dir, topic, task);
  try {
    const out = new Map<string, string>();
    for (const uid of await local.uids())
      for await (const [key, value] of local.entries(uid)) out.set(`${uid}\0${key}`, value.toString('hex'));
    const position = await local.position();
    out.set('position', JSON.stringify(position && { offset: position.offset, marker: position.marker }));
    return out;
  } finally {
    await local.close();
  }
}

describe('kafkaChangelog with a memory budget (resident state in local stores)', () => {
  it('gives the results of heap state across a restart (local store reused), a move (rebuilt) and a stale store (rebuilt)', async () => {
    const topic = uniqueName('resident');
    const groupId = uniqueName('resident-job');
    const changelog = `${groupId}.changelog`;
    await createTopic(topic, 2);
    const input = sampleClicks({ users: USERS, count: 1600, spanMs: 16 * 60_000, maxAmount: 4, seed: 21 }).sort((a, b) => a.at - b.at);
    const phases = [0.25, 0.5, 0.75, 1].map((f, i, all) =>
      input.slice(i === 0 ? 0 : Math.floor(all[i - 1] * input.length), Math.floor(f * input.length)),
    );
    const tasks = [0, 1].map((p) => `${topic}/${p}`);
    const sourceOptions = { brokers, topic, groupId, fromBeginning: true, sessionTimeout: 6000, heartbeatInterval: 500 } as const;
    const [dirA, dirB, dirStale] = [await tempDir(), await tempDir(), await tempDir()];
    const outputs: ClickResult[][] = [];
    let sent = 0;

    /** Runs one instance over the next phase of input, then stops it; returns how its tasks found their local stores. */
    const runPhase = async (dir: string, last: boolean) => {
      const state: KafkaChangelogState = kafkaChangelog({ brokers, topic: changelog, logLevel: 'nothing', memory: '1KB', dir });
      const source = fromKafka<Click>(last ? { ...sourceOptions, stopWhenIdle: '5s' } : sourceOptions);
      const out = toArray<ClickResult>();
      const events: RuntimeEvent[] = [];
      const run = job(from<Click>(source))
        .to(out)
        .run({ state, checkpointEvery: '200ms', onEvent: (e) => events.push(e) });
      await waitUntil(() => events.filter((e) => e.type === 'task.started').length === 2, 'both tasks to start');
      const restores = new Map(state.localRestores());
      const phase = phases[outputs.length];
      sent += phase.length;
      await produce(topic, clickMessages(phase));
      if (!last) {
        await waitUntil(() => run.metrics.total('records_in') >= phase.length, 'the phase to be read');
        const seen = events.filter((e) => e.type === 'checkpoint.completed').length;
        await waitUntil(
          () => events.filter((e) => e.type === 'checkpoint.completed').length >= seen + 2,
          'a checkpoint covering the phase',
        );
        run.stop();
      }
      const summary = await run;
      expect(summary.stopped).toBe(!last);
      // The state was on disk: reads went to the local stores, and changes filling a quarter of the budget asked for checkpoints.
      expect(run.metrics.total('state_cache_misses')).toBeGreaterThan(0);
      expect(run.metrics.total('state_pressure_checkpoints')).toBeGreaterThan(0);
      outputs.push(out.items);
      return restores;
    };

    // A, with an empty directory: every task is built from the (empty) changelog.
    expect([...(await runPhase(dirA, false)).values()]).toEqual(['rebuilt', 'rebuilt']);
    // What a crash between the changelog's transaction and the local write leaves: a local store
    // one checkpoint (or more) behind the changelog.
    await cp(dirA, dirStale, { recursive: true });
    // A again, same directory: the local stores hold the changelog's last checkpoint and are used as they are.
    expect([...(await runPhase(dirA, false)).values()]).toEqual(['reused', 'reused']);

    // The local store written checkpoint by checkpoint equals one streamed from the changelog:
    // in particular no range-deleted key (an expired dedup generation, a fired window) comes back.
    const admin = kafka.admin();
    await admin.connect();
    try {
      const rebuiltDir = await tempDir();
      for (const task of tasks) {
        const local = await LocalTaskStore.open(rebuiltDir, changelog, task);
        const partition = Number(task.slice(task.lastIndexOf('/') + 1));
        await rebuildCopies({ kafka, admin, topic: changelog, timeoutMs: 30_000 }, new Map([[task, { local, partition }]]));
        await local.close();
        const written = await contents(dirA, changelog, task);
        const rebuilt = await contents(rebuiltDir, changelog, task);
        expect(rebuilt).toEqual(written);
        // Dedup keeps ids only in the generations its progress lists: expired ones were deleted.
        const progress = deserialize(Buffer.from(written.get(`${DEDUP_UID}\0m`)!, 'hex')) as { generations: Array<[number, number]> };
        const live = new Set(progress.generations.map(([gen]) => gen));
        const stored = new Set([...written.keys()].filter((k) => k.startsWith(`${DEDUP_UID}\0g/`)).map((k) => Number(k.split('/')[1])));
        expect(stored.size).toBeGreaterThan(0);
        expect([...stored].every((gen) => live.has(gen))).toBe(true);
        expect(Math.min(...stored)).toBeGreaterThan(Math.floor(T0 / 60_000));
      }
    } finally {
      await admin.disconnect();
    }

    // B, on another machine (an empty directory): its tasks are rebuilt from the changelog.
    expect([...(await runPhase(dirB, false)).values()]).toEqual(['rebuilt', 'rebuilt']);
    // C, with the stale copy: detected as behind the changelog, and rebuilt.
    expect([...(await runPhase(dirStale, true)).values()]).toEqual(['rebuilt', 'rebuilt']);
    expect(sent).toBe(input.length);

    const single = toArray<ClickResult>();
    await job(from(fromArray(input)))
      .to(single)
      .run();
    const expected = upsert(single.items);
    const actual = upsert(...outputs);
    const differ = [...expected.values()].filter((r) => JSON.stringify(actual.get(r.id)?.value) !== JSON.stringify(r.value));
    expect(differ).toEqual([]);
    expect(actual.size).toBe(expected.size);
  }, 240_000);

  it('keeps heap operators beside resident ones in the local store, and rebuilds a store that is damaged or has no position', async () => {
    const topic = uniqueName('resident-mixed');
    const groupId = uniqueName('resident-mixed-job');
    const changelog = `${groupId}.changelog`;
    await createTopic(topic, 2);
    // Dedup keeps its state on disk; a window with a processing-time trigger keeps its state in the
    // heap (its early panes, an hour of processing time away, never fire here: results are on-time panes).
    const mixed = (clicks: Stream<Click>) =>
      clicks
        .withTimestamps((c) => c.at, boundedOutOfOrderness('5s'))
        .dedup((c) => `${c.user}/${Math.floor(c.at / 30_000)}/${c.amount}`, { within: '1m' })
        .uid(DEDUP_UID)
        .keyBy((c) => c.user)
        .window(tumbling('1m'), { trigger: onWatermark({ early: afterProcessingTime('1h') }) })
        .aggregate(count())
        .uid('click-heap-window');
    const input = sampleClicks({ users: USERS, count: 400, spanMs: 8 * 60_000, maxAmount: 4, seed: 5 }).sort((a, b) => a.at - b.at);
    const half = Math.floor(input.length / 2);
    const tasks = [0, 1].map((p) => `${topic}/${p}`);
    const sourceOptions = { brokers, topic, groupId, fromBeginning: true, sessionTimeout: 6000, heartbeatInterval: 500 } as const;
    const dir = await tempDir();
    const outputs: unknown[][] = [];

    const run = async (phase: Click[], last: boolean) => {
      const state = kafkaChangelog({ brokers, topic: changelog, logLevel: 'nothing', memory: '1KB', dir });
      const out = toArray<{ id: string; value: unknown }>();
      const events: RuntimeEvent[] = [];
      const job = mixed(from<Click>(fromKafka<Click>(last ? { ...sourceOptions, stopWhenIdle: '5s' } : sourceOptions)))
        .to(out)
        .run({ state, checkpointEvery: '200ms', onEvent: (e) => events.push(e) });
      await waitUntil(() => events.filter((e) => e.type === 'task.started').length === 2, 'both tasks to start');
      const restores = [...state.localRestores().values()];
      await produce(topic, clickMessages(phase));
      if (!last) {
        await waitUntil(() => job.metrics.total('records_in') >= phase.length, 'the phase to be read');
        const seen = events.filter((e) => e.type === 'checkpoint.completed').length;
        await waitUntil(
          () => events.filter((e) => e.type === 'checkpoint.completed').length >= seen + 2,
          'a checkpoint covering the phase',
        );
        job.stop();
      }
      await job;
      outputs.push(out.items);
      return restores;
    };

    expect(await run(input.slice(0, half), false)).toEqual(['rebuilt', 'rebuilt']);
    // Task 0: a heap entry altered on disk (its digest no longer matches the marker's). Task 1: its position lost.
    const damaged = await LocalTaskStore.open(dir, changelog, tasks[0]);
    let first: [string, Buffer] | undefined;
    for await (const entry of damaged.entries('click-heap-window')) first ??= entry;
    if (!first) throw new Error('the heap window holds no state at the checkpoint');
    const batch = damaged.batch();
    damaged.put(batch, 'click-heap-window', first[0], serialize({ altered: true }));
    await batch.write();
    await damaged.close();
    const unpositioned = await LocalTaskStore.open(dir, changelog, tasks[1]);
    const clear = unpositioned.batch();
    unpositioned.clearPosition(clear);
    await clear.write();
    await unpositioned.close();

    expect(await run(input.slice(half), true)).toEqual(['rebuilt', 'rebuilt']);
    const single = toArray<{ id: string; value: unknown }>();
    await mixed(from(fromArray(input)))
      .to(single)
      .run();
    const expected = new Map(single.items.map((r) => [r.id, r.value]));
    const actual = new Map((outputs.flat() as Array<{ id: string; value: unknown }>).map((r) => [r.id, r.value]));
    expect(actual).toEqual(expected);
  }, 120_000);
});
