import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { from } from '../../src/pipeline/stream.js';
import type { RuntimeEvent } from '../../src/runtime/runtime.js';
import { fromArray } from '../../src/sources/array-source.js';
import { fromKafka } from '../../src/kafka/consumer/index.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { kafkaChangelog } from '../../src/kafka/changelog/index.js';
import { brokers, createTopic, produce, uniqueName, waitUntil } from './kafka-test-utils.js';
import { clickMessages, clickTotals, sampleClicks, T0, type Click, type ClickResult } from './fixtures/clicks.js';
import { METRICS } from '../../src/core/metric-catalogue.js';

type Result = ClickResult;
const USERS = ['ana', 'bo', 'cy', 'di', 'ed', 'flo', 'gus', 'hal'];

const job = (source: Parameters<typeof from<Click>>[0]) => clickTotals(from<Click>(source), '5m', '5s');

/** Results upserted by id, later ones winning, as a compacted output topic keeps them. */
function upsert(...outputs: Result[][]): Map<string, Result> {
  const byId = new Map<string, Result>();
  for (const items of outputs) for (const r of items) byId.set(r.id, r);
  return byId;
}

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Heap state, or resident state in a local directory of each instance's own (`memory: '1KB'`: almost every read goes to disk). */
const layouts = [
  { layout: 'heap', local: async () => ({}) },
  {
    layout: 'resident',
    local: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'streamkit-handover-'));
      dirs.push(dir);
      return { memory: '1KB', dir };
    },
  },
];

describe('keyed state follows partitions (kafkaChangelog)', () => {
  it.each(layouts)(
    'an instance that takes over a partition mid-window restores its state: the results are complete and exact ($layout)',
    async ({ local }) => {
      const topic = uniqueName('handover');
      const groupId = uniqueName('handover-job');
      const changelog = `${groupId}.changelog`;
      await createTopic(topic, 4);
      const input = sampleClicks({ users: USERS, count: 2000, spanMs: 20 * 60_000, maxAmount: 9, seed: 7 }).sort((a, b) => a.at - b.at);
      // Phase 1 ends mid-window (5-minute windows, split at 9.5 minutes), so windows span the handovers.
      const split = input.findIndex((c) => c.at >= T0 + 9.5 * 60_000);
      const phase1 = input.slice(0, split);
      const phase2 = input.slice(split);
      const sourceOptions = { brokers, topic, groupId, fromBeginning: true, sessionTimeout: 6000, heartbeatInterval: 500 } as const;
      const state = async () => kafkaChangelog({ brokers, topic: changelog, logLevel: 'nothing', ...(await local()) });

      // Instance A reads phase 1 alone and checkpoints its four tasks to the changelog.
      const a = fromKafka<Click>(sourceOptions);
      const outA = toArray<Result>();
      const eventsA: RuntimeEvent[] = [];
      const runA = job(a)
        .to(outA)
        .run({ state: await state(), checkpointEvery: '200ms', onEvent: (e) => eventsA.push(e) });
      await waitUntil(() => a.partitions().length === 4, 'instance A to own every partition');
      await produce(topic, clickMessages(phase1));
      await waitUntil(() => runA.metrics.total('records_in') >= phase1.length, 'instance A to read phase 1');
      const checkpointsSeen = eventsA.filter((e) => e.type === 'checkpoint.completed').length;
      await waitUntil(
        () => eventsA.filter((e) => e.type === 'checkpoint.completed').length >= checkpointsSeen + 2,
        'a checkpoint covering phase 1',
      );

      // Instance B joins: the group splits the partitions; B's tasks start from A's checkpoints.
      const b = fromKafka<Click>({ ...sourceOptions, stopWhenIdle: '10s' });
      const outB = toArray<Result>();
      const eventsB: RuntimeEvent[] = [];
      const runB = job(b)
        .to(outB)
        .run({ state: await state(), checkpointEvery: '200ms', onEvent: (e) => eventsB.push(e) });
      await waitUntil(
        () => b.partitions().length > 0 && a.partitions().length + b.partitions().length === 4,
        'the group to split the partitions',
      );
      const restoredOnB = () => eventsB.filter((e) => e.type === 'task.started' && e.restoredFrom !== undefined).length;
      await waitUntil(() => restoredOnB() >= b.partitions().length, 'instance B to restore its tasks');

      // A leaves; B takes over A's partitions from the changelog, then reads phase 2.
      runA.stop();
      const summaryA = await runA;
      expect(summaryA.stopped).toBe(true);
      await waitUntil(() => b.partitions().length === 4, 'instance B to own every partition');
      await waitUntil(() => restoredOnB() >= 4, 'instance B to restore the partitions A gave up');
      await produce(topic, clickMessages(phase2));
      const summaryB = await runB;
      expect(summaryB.stopped).toBe(false);
      // Each task reports its own watermark, labelled with the task.
      const taskWatermarks = runB.metrics.snapshot().filter((m) => m.name === METRICS.watermark.name && m.labels.task !== undefined);
      expect(new Set(taskWatermarks.map((m) => m.labels.task))).toEqual(new Set([0, 1, 2, 3].map((p) => `${topic}/${p}`)));

      const single = toArray<Result>();
      await job(fromArray(input)).to(single).run();
      const expected = upsert(single.items);
      const actual = upsert(outA.items, outB.items);
      const label = (r: Result) => `${r.key} @${(r.window.start - T0) / 60_000}m`;
      const missing = [...expected.values()].filter((r) => !actual.has(r.id)).map(label);
      const wrong = [...expected.values()]
        .filter((r) => actual.has(r.id) && JSON.stringify(actual.get(r.id)!.value) !== JSON.stringify(r.value))
        .map((r) => `${label(r)}: ${JSON.stringify(actual.get(r.id)!.value)}, expected ${JSON.stringify(r.value)}`);
      expect(missing).toEqual([]);
      expect(wrong).toEqual([]);
      expect(actual.size).toBe(expected.size);
      // Windows open at the handovers were finished by B with A's partial counts restored.
      const spanning = single.items.filter((r) => r.window.start < T0 + 9.5 * 60_000 && r.window.end > T0 + 9.5 * 60_000);
      expect(spanning.length).toBeGreaterThan(0);
      const idsFromB = new Set(outB.items.map((r) => r.id));
      for (const r of spanning) expect(idsFromB.has(r.id)).toBe(true);
    },
  );
});
