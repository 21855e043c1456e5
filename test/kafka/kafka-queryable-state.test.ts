import { describe, expect, it } from 'vitest';
import { kafkaChangelog } from '../../src/kafka/changelog/index.js';
import { fromKafka } from '../../src/kafka/consumer/index.js';
import { from } from '../../src/pipeline/stream.js';
import type { RuntimeEvent } from '../../src/runtime/runtime.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { brokers, createTopic, produce, uniqueName, waitUntil } from './kafka-test-utils.js';
import { clickMessages, clickTotals, sampleClicks, T0, type Click } from './fixtures/clicks.js';

const USERS = ['ana', 'bo', 'cy', 'di', 'ed', 'flo'];

/** Per user, the one open hour window's clicks and spend. */
function expectedEntries(clicks: Click[]) {
  const byUser = new Map<string, { clicks: number; spent: number }>();
  for (const c of clicks) {
    const acc = byUser.get(c.user) ?? { clicks: 0, spent: 0 };
    acc.clicks++;
    acc.spent += c.amount;
    byUser.set(c.user, acc);
  }
  return [...byUser]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, value]) => ({ key, value: [{ window: { start: T0, end: T0 + 3_600_000 }, value, fired: false }] }));
}

describe('job.query over partition tasks (kafkaChangelog)', () => {
  it('merges the tasks of every partition, and after a restart reads each task restored from the changelog', async () => {
    const topic = uniqueName('query');
    const groupId = uniqueName('query-job');
    await createTopic(topic, 3);
    const clicks = sampleClicks({ users: USERS, count: 300, spanMs: 30 * 60_000, maxAmount: 9, seed: 11 });
    const sourceOptions = { brokers, topic, groupId, fromBeginning: true, sessionTimeout: 6000, heartbeatInterval: 500 } as const;
    const state = () => kafkaChangelog({ brokers, topic: `${groupId}.changelog`, logLevel: 'nothing' });
    const start = (events: RuntimeEvent[]) => {
      const source = fromKafka<Click>(sourceOptions);
      const job = clickTotals(from<Click>(source), '1h', '1h')
        .uid('user-hour')
        .to(toArray())
        .run({ state: state(), checkpointEvery: '200ms', onEvent: (e) => events.push(e) });
      return { source, job };
    };
    const started = (events: RuntimeEvent[]) => events.filter((e) => e.type === 'task.started').length;

    const eventsA: RuntimeEvent[] = [];
    const a = start(eventsA);
    await waitUntil(() => a.source.partitions().length === 3 && started(eventsA) === 3, 'the first run to start a task per partition');
    await produce(topic, clickMessages(clicks));
    await waitUntil(() => a.job.metrics.total('records_in') >= clicks.length, 'the first run to read every click');
    const expected = expectedEntries(clicks);
    const view = a.job.query('user-hour');
    expect(await view.entries()).toEqual(expected);
    for (const { key, value } of expected) expect(await view.get(key)).toEqual(value);
    expect(await view.get('zed')).toBeUndefined();
    await a.job.stop();

    const eventsB: RuntimeEvent[] = [];
    const b = start(eventsB);
    await waitUntil(() => started(eventsB) === 3, 'the second run to restore its tasks');
    expect(eventsB.filter((e) => e.type === 'task.started' && e.restoredFrom !== undefined)).toHaveLength(3);
    expect(await b.job.query('user-hour').entries()).toEqual(expected);
    await b.job.stop();
  }, 120_000);
});
