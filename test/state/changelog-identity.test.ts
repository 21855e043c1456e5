import { serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { StateError } from '../../src/core/errors.js';
import type { WindowResult } from '../../src/core/window.js';
import { kafkaChangelog } from '../../src/kafka/changelog/index.js';
import { encodeMarkerKey, encodeStateRecordKey } from '../../src/kafka/changelog/changelog-record.js';
import { fromKafka } from '../../src/kafka/index.js';
import { from, type Stream } from '../../src/pipeline/stream.js';
import type { RuntimeEvent } from '../../src/runtime/runtime.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { fromArray } from '../../src/sources/array-source.js';
import { boundedOutOfOrderness } from '../../src/watermarks/watermark-strategy.js';
import { count, sum } from '../../src/windowing/aggregators/index.js';
import { tumbling } from '../../src/windowing/tumbling.js';
import { brokers, createTopic, produce, uniqueName, waitUntil } from '../kafka/kafka-test-utils.js';

interface Click {
  user: string;
  at: number;
}

const T0 = Date.UTC(2026, 0, 1);
const clicks: Click[] = Array.from({ length: 400 }, (_, i) => ({ user: `u${i % 6}`, at: T0 + i * 1500 }));
const messages = (items: Click[]) => items.map((c) => ({ key: c.user, value: JSON.stringify(c) }));

type Build = (stream: Stream<Click>) => Stream<any, null>;
const counts: Build = (s) =>
  s
    .withTimestamps((c) => c.at, boundedOutOfOrderness('5s'))
    .keyBy((c) => c.user)
    .window(tumbling('2m'))
    .aggregate(count());

function setup() {
  const topic = uniqueName('identity');
  const groupId = uniqueName('identity-job');
  const changelog = `${groupId}.changelog`;
  const source = (idle?: string) =>
    fromKafka<Click>({
      brokers,
      topic,
      groupId,
      fromBeginning: true,
      sessionTimeout: 6000,
      heartbeatInterval: 500,
      ...(idle ? { stopWhenIdle: idle } : {}),
    });
  const state = () => kafkaChangelog({ brokers, topic: changelog, logLevel: 'nothing' });
  return { topic, changelog, source, state };
}

/** Runs `build` until it has read `n` records and checkpointed them, then stops it. */
async function checkpointAfter(build: Build, env: ReturnType<typeof setup>, n: number) {
  const events: RuntimeEvent[] = [];
  const out = toArray<WindowResult<string, unknown>>();
  const job = build(from(env.source()))
    .to(out)
    .run({ state: env.state(), checkpointEvery: '200ms', onEvent: (e) => events.push(e) });
  await waitUntil(() => job.metrics.total('records_in') >= n, `the job to read ${n} records`);
  const seen = events.filter((e) => e.type === 'checkpoint.completed').length;
  await waitUntil(() => events.filter((e) => e.type === 'checkpoint.completed').length >= seen + 2, 'a checkpoint covering them');
  job.stop();
  await job;
  return out.items;
}

describe('kafkaChangelog records and checks what each operator state means', () => {
  it('refuses count() changed to sum(v) naming the task and the operator, restores exactly with a .map() added, and refuses a changelog altered behind its back', async () => {
    const env = setup();
    await createTopic(env.topic, 2);
    const first = clicks.slice(0, 250);
    await produce(env.topic, messages(first));
    const before = await checkpointAfter(counts, env, first.length);

    const summed: Build = (s) =>
      s
        .withTimestamps((c) => c.at, boundedOutOfOrderness('5s'))
        .keyBy((c) => c.user)
        .window(tumbling('2m'))
        .aggregate(sum((c: Click) => c.at % 7));
    const refused = await summed(from(env.source('5s')))
      .to(toArray())
      .run({ state: env.state() })
      .then(
        () => undefined,
        (e: unknown) => e as StateError,
      );
    expect(refused).toBeInstanceOf(StateError);
    expect(refused?.code).toBe('STATE_INCOMPATIBLE');
    expect(refused?.message).toMatch(
      new RegExp(`task ${env.topic}/\\d at checkpoint \\d+: .*operator window#0: aggregate was "count@1", now "sum@1"`),
    );

    const mapped: Build = (s) => counts(s.map((c) => ({ ...c })));
    await produce(env.topic, messages(clicks.slice(250)));
    const after = toArray<WindowResult<string, unknown>>();
    const events: RuntimeEvent[] = [];
    const summary = await mapped(from(env.source('5s')))
      .to(after)
      .run({ state: env.state(), checkpointEvery: '200ms', onEvent: (e) => events.push(e) });
    expect(summary.records).toBeLessThan(clicks.length);
    expect(events.filter((e) => e.type === 'task.started' && e.restoredFrom !== undefined)).toHaveLength(2);
    const whole = toArray<WindowResult<string, unknown>>();
    await counts(from(fromArray(clicks)))
      .to(whole)
      .run();
    const byId = (items: Array<WindowResult<string, unknown>>) => new Map(items.map((r) => [r.id, r.value]));
    expect(byId([...before, ...after.items])).toEqual(byId(whole.items));

    // Another program writes an entry into the changelog: the task's state no longer adds up.
    await produce(env.changelog, [
      { key: encodeStateRecordKey(`${env.topic}/0`, 'window#0', 'stray').toString('utf8'), value: serialize(1), partition: 0 },
    ]);
    const damaged = await counts(from(env.source('3s')))
      .to(toArray())
      .run({ state: env.state() })
      .then(
        () => undefined,
        (e: unknown) => e as StateError,
      );
    expect(damaged?.code).toBe('STATE_CORRUPT');
    expect(damaged?.message).toMatch(
      new RegExp(`checksum mismatch of checkpoint \\d+ of task ${env.topic}/0: the state of operator window#0`),
    );
  });

  it('restores a task written in changelog format 1 and rewrites it in format 2', async () => {
    const env = setup();
    await createTopic(env.topic, 1);
    // A task checkpointed by a version without fingerprints: marker only (its operators' state was empty).
    await createTopic(env.changelog, 1, [{ name: 'cleanup.policy', value: 'compact' }]);
    const marker = encodeMarkerKey(`${env.topic}/0`).toString('utf8');
    await produce(env.changelog, [{ key: marker, value: JSON.stringify({ format: 1, checkpointId: 7, position: 0 }), partition: 0 }]);
    await produce(env.topic, messages(clicks.slice(0, 50)));
    const events: RuntimeEvent[] = [];
    const summary = await counts(from(env.source('4s')))
      .to(toArray())
      .run({ state: env.state(), checkpointEvery: '200ms', onEvent: (e) => events.push(e) });
    expect(events.find((e) => e.type === 'task.started')).toMatchObject({ restoredFrom: 7 });
    expect(summary.checkpoints).toBeGreaterThan(0);

    // The checkpoints it wrote carry format 2 with the window's fingerprint: a changed aggregator is now refused.
    const refused = await from(env.source('3s'))
      .withTimestamps((c) => c.at, boundedOutOfOrderness('5s'))
      .keyBy((c) => c.user)
      .window(tumbling('2m'))
      .aggregate({ n: count() })
      .to(toArray())
      .run({ state: env.state() })
      .then(
        () => undefined,
        (e: unknown) => e as StateError,
      );
    expect(refused?.code).toBe('STATE_INCOMPATIBLE');
  });
});
