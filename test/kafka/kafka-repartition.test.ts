import { beforeAll, describe, expect, it } from 'vitest';
import { PipelineError } from '../../src/core/errors.js';
import { from, type Stream } from '../../src/pipeline/stream.js';
import type { RunSummary } from '../../src/runtime/runtime.js';
import type { Source } from '../../src/core/source.js';
import type { WindowResult } from '../../src/core/window.js';
import { REPARTITION_HEADERS } from '../../src/kafka/repartition.js';
import { fromArray } from '../../src/sources/array-source.js';
import { fromKafka, type KafkaSource } from '../../src/kafka/consumer/index.js';
import { toArray } from '../../src/sinks/array-sink.js';
import { kafkaChangelog } from '../../src/kafka/changelog/index.js';
import { memoryState } from '../../src/state/memory-state.js';
import { boundedOutOfOrderness } from '../../src/watermarks/watermark-strategy.js';
import { count, sum } from '../../src/windowing/aggregators/index.js';
import { tumbling } from '../../src/windowing/tumbling.js';
import { brokers, createTopic, kafka, produce, readAll, uniqueName, waitUntil } from './kafka-test-utils.js';

/** A ride event: the input topic is keyed by zone, the job counts per rider. */
interface Ride {
  id: string;
  zone: string;
  rider: string;
  at: number;
  fare: number;
}
type Result = WindowResult<string, { rides: number; fares: number }>;

const T0 = Date.UTC(2026, 0, 1);
const N = 3000;

/** Deterministic rides in time order: 6 zones, 12 riders, every rider in every zone. */
function rides(n: number, seed: number): Ride[] {
  let x = seed;
  const next = (m: number) => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return Math.floor((x / 2 ** 31) * m);
  };
  const out: Ride[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ id: `ride-${i}`, zone: `z${next(6)}`, rider: `r${next(12)}`, at: T0 + i * 3000 + next(2000), fare: 1 + next(30) });
  }
  return out.sort((a, b) => a.at - b.at);
}

const perRider = (stream: Stream<Ride, any>) =>
  stream
    .keyBy((r) => r.rider)
    .window(tumbling('10m'))
    .aggregate({ rides: count(), fares: sum((r: Ride) => r.fare) });

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The same job embedded over an array, no Kafka: what every repartitioned run must equal. */
async function embedded(input: Ride[]): Promise<Result[]> {
  const out = toArray<Result>();
  await perRider(from(fromArray(input)).withTimestamps((r) => r.at, boundedOutOfOrderness('1m')))
    .to(out)
    .run();
  return [...out.items].sort(byId);
}

const consumer = { stopWhenIdle: '5s', sessionTimeout: 6000, heartbeatInterval: 500 } as const;

describe('repartition through a Kafka topic', () => {
  const input = rides(N, 7);
  let expected: Result[];

  beforeAll(async () => {
    expected = await embedded(input);
  });

  describe('one instance over a topic keyed by another field', () => {
    const topic = uniqueName('rides-by-zone');
    const repartitionTopic = uniqueName('rides-by-rider');
    const out = toArray<Result>();
    let summary: RunSummary;

    beforeAll(async () => {
      await createTopic(topic, 3);
      await produce(
        topic,
        input.map((r) => ({ key: r.zone, value: JSON.stringify(r) })),
      );
      const stream = perRider(
        from(fromKafka<Ride>({ brokers, topic, groupId: uniqueName('per-rider'), fromBeginning: true }))
          .withTimestamps((r) => r.at, boundedOutOfOrderness('1m'))
          // Kept, so the test can read what was written.
          .repartition({ brokers, topic: repartitionTopic, key: (r) => r.rider, consumer, purgeConsumed: false }),
      ).to(out);
      // Small batches interleave the input partitions in each repartition partition, each one
      // spanning the whole time range: only per-origin watermarks keep them all on time.
      summary = await stream.run({ state: memoryState(), checkpointEvery: '500ms', batchSize: 50 });
    });

    it('windowed counts per rider equal the embedded run over the same rides', () => {
      expect(summary.records).toBe(N);
      expect(summary.duplicates).toBe(0);
      expect(summary.late).toBe(0);
      expect(summary.upstream?.records).toBe(N);
      expect(summary.upstream?.stopped).toBe(true);
      expect(summary.checkpoints).toBeGreaterThan(0);
      expect([...out.items].sort(byId)).toEqual(expected);
    });

    it('a rider found on every input partition is in exactly one repartition partition, with its event time', async () => {
      const original = await readAll(topic, N);
      const inputPartitions = new Map<string, Set<number>>();
      for (const m of original) {
        const rider = (JSON.parse(m.value!.toString()) as Ride).rider;
        if (!inputPartitions.has(rider)) inputPartitions.set(rider, new Set());
        inputPartitions.get(rider)!.add(m.partition);
      }
      expect([...inputPartitions.values()].every((parts) => parts.size === 3)).toBe(true);

      const repartitioned = await readAll(repartitionTopic, N);
      expect(repartitioned).toHaveLength(N);
      const partitionsOf = new Map<string, Set<number>>();
      for (const m of repartitioned) {
        const ride = JSON.parse(m.value!.toString()) as Ride;
        expect(m.key).toBe(ride.rider);
        expect(m.headers[REPARTITION_HEADERS.eventTime]).toBe(String(ride.at));
        expect(m.timestamp).toBe(String(ride.at));
        if (!partitionsOf.has(ride.rider)) partitionsOf.set(ride.rider, new Set());
        partitionsOf.get(ride.rider)!.add(m.partition);
      }
      expect(partitionsOf.size).toBe(12);
      for (const parts of partitionsOf.values()) expect(parts.size).toBe(1);
      // the topic got the input topic's partition count, and the riders use more than one
      expect(new Set(repartitioned.map((m) => m.partition)).size).toBeGreaterThan(1);
      expect(Math.max(...repartitioned.map((m) => m.partition))).toBeLessThan(3);
    });
  });

  it('two instances with the same groups split both topics and together emit the embedded results', async () => {
    const topic = uniqueName('rides-by-zone');
    const repartitionTopic = uniqueName('rides-by-rider');
    const groupId = uniqueName('per-rider');
    await createTopic(topic, 3);
    const instance = () => {
      const input = fromKafka<Ride>({ brokers, topic, groupId, fromBeginning: true, sessionTimeout: 6000, heartbeatInterval: 500 });
      const out = toArray<Result>();
      const stream = perRider(
        from(input)
          .withTimestamps((r) => r.at, boundedOutOfOrderness('1m'))
          .repartition({ brokers, topic: repartitionTopic, key: (r) => r.rider, consumer }),
      ).to(out);
      const [, downstream] = stream.stages();
      return {
        input,
        repartitioned: downstream.plan().source as KafkaSource<unknown>,
        out,
        job: stream.run({ state: memoryState(), checkpointEvery: '500ms', batchSize: 50 }),
      };
    };
    const a = instance();
    const b = instance();
    // Data flows only once both groups have settled with both members, so no partition moves mid-window.
    const split = (x: Source<unknown>, y: Source<unknown>) =>
      x.partitions().length > 0 && y.partitions().length > 0 && x.partitions().length + y.partitions().length === 3;
    await waitUntil(() => split(a.input, b.input) && split(a.repartitioned, b.repartitioned), 'both consumer groups to settle');
    await produce(
      topic,
      input.map((r) => ({ key: r.zone, value: JSON.stringify(r) })),
    );

    const [sa, sb] = await Promise.all([a.job, b.job]);
    expect(sa.upstream!.records + sb.upstream!.records).toBe(N);
    expect(sa.upstream!.records).toBeGreaterThan(0);
    expect(sb.upstream!.records).toBeGreaterThan(0);
    expect(sa.records - sa.duplicates + sb.records - sb.duplicates).toBe(N);
    expect(sa.records).toBeGreaterThan(0);
    expect(sb.records).toBeGreaterThan(0);

    const upserted = new Map<string, Result>();
    for (const r of [...a.out.items, ...b.out.items]) upserted.set(r.id, r);
    expect([...upserted.values()].sort(byId)).toEqual(expected);
    // each rider's windows were computed by one instance only
    const ridersA = new Set(a.out.items.map((r) => r.key));
    expect(b.out.items.some((r) => ridersA.has(r.key))).toBe(false);
  });

  it('the stage after the repartition keeps its state in kafkaChangelog: a member leaving mid-stream hands its tasks over and results stay exact', async () => {
    const topic = uniqueName('rides-by-zone');
    const repartitionTopic = uniqueName('rides-by-rider');
    const groupId = uniqueName('per-rider');
    await createTopic(topic, 3);
    const half = input.findIndex((r) => r.at >= T0 + (N / 2) * 3000);
    const instance = (stopWhenIdle: string) => {
      const source = fromKafka<Ride>({ brokers, topic, groupId, fromBeginning: true, sessionTimeout: 6000, heartbeatInterval: 500 });
      const out = toArray<Result>();
      const checkpoints: number[] = [];
      const restored: string[] = [];
      const stream = perRider(
        from(source)
          .withTimestamps((r) => r.at, boundedOutOfOrderness('1m'))
          .repartition({ brokers, topic: repartitionTopic, key: (r) => r.rider, consumer: { ...consumer, stopWhenIdle } }),
      ).to(out);
      const [, downstream] = stream.stages();
      const state = kafkaChangelog({ brokers, topic: `${groupId}.changelog`, logLevel: 'nothing' });
      const job = stream.run({
        state,
        checkpointEvery: '300ms',
        batchSize: 50,
        onEvent: (e) => {
          if (e.type === 'checkpoint.completed') checkpoints.push(e.id);
          if (e.type === 'task.started' && e.restoredFrom !== undefined) restored.push(e.task);
        },
      });
      return { source, repartitioned: downstream.plan().source as KafkaSource<unknown>, out, job, checkpoints, restored };
    };
    const owns = (x: { source: Source<unknown>; repartitioned: Source<unknown> }, n: number) =>
      x.source.partitions().length === n && x.repartitioned.partitions().length === n;

    // A alone reads the first half, and its tasks checkpoint to the changelog.
    const a = instance('120s');
    await waitUntil(() => owns(a, 3), 'instance A to own every partition');
    await produce(
      topic,
      input.slice(0, half).map((r) => ({ key: r.zone, value: JSON.stringify(r) })),
    );
    await waitUntil(() => a.job.metrics.total('records_in') >= half, 'instance A to read the first half');
    const seen = a.checkpoints.length;
    await waitUntil(() => a.checkpoints.length >= seen + 2, 'a checkpoint after the first half');

    // B joins, then A leaves: B ends up with every partition of both topics, its tasks restored.
    const b = instance('10s');
    await waitUntil(() => b.source.partitions().length > 0 && b.repartitioned.partitions().length > 0, 'instance B to join both groups');
    a.job.stop();
    await a.job;
    await waitUntil(() => owns(b, 3), 'instance B to own every partition');
    await produce(
      topic,
      input.slice(half).map((r) => ({ key: r.zone, value: JSON.stringify(r) })),
    );
    await b.job;

    const upserted = new Map<string, Result>();
    for (const r of [...a.out.items, ...b.out.items]) upserted.set(r.id, r);
    expect([...upserted.values()].sort(byId)).toEqual(expected);
    // B took every repartition partition over from A's checkpoints in the changelog.
    expect(new Set(b.restored)).toEqual(new Set([0, 1, 2].map((p) => `${repartitionTopic}/${p}`)));
    expect(a.out.items.length).toBeGreaterThan(0);
    // What the group committed was deleted from the repartition topic.
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(repartitionTopic).finally(() => admin.disconnect());
    expect(offsets.reduce((n, o) => n + Number(o.low), 0)).toBeGreaterThan(0);
  });

  it('carries event time across: windows after the repartition need no withTimestamps, and a bounded input does not end the job', async () => {
    const repartitionTopic = uniqueName('riders');
    const out = toArray<Result>();
    const summary = await perRider(
      from(fromArray(input))
        .withTimestamps((r) => r.at, boundedOutOfOrderness('1m'))
        // the event time is no longer in the record: it travels beside it
        .map(({ at: _at, ...rest }) => rest as Ride)
        .repartition({ brokers, topic: repartitionTopic, key: (r) => r.rider, partitions: 4, consumer }),
    )
      .to(out)
      .run();
    expect(summary.upstream).toMatchObject({ records: N, stopped: false });
    expect(summary.records).toBe(N);
    expect([...out.items].sort(byId)).toEqual(expected);

    const messages = await readAll(repartitionTopic, N);
    expect(new Set(messages.map((m) => m.partition)).size).toBeGreaterThan(1);
    expect(messages.every((m) => Number(m.headers[REPARTITION_HEADERS.eventTime]) >= T0)).toBe(true);
    expect(messages.every((m) => !('at' in JSON.parse(m.value!.toString())))).toBe(true);
  });

  it('stages run apart; records an upstream replay writes again are dropped downstream, not counted twice', async () => {
    const repartitionTopic = uniqueName('riders');
    const out = toArray<Result>();
    const stream = perRider(
      from(fromArray(input))
        .withTimestamps((r) => r.at, boundedOutOfOrderness('1m'))
        .repartition({ brokers, topic: repartitionTopic, key: (r) => r.rider, consumer }),
    ).to(out);
    const [upstream, downstream] = stream.stages();
    expect([upstream.name, downstream.name]).toEqual(['upstream', 'downstream']);
    // the stage before runs twice over the same input, as after a crash before its commit
    expect((await upstream.run()).records).toBe(N);
    expect((await upstream.run()).records).toBe(N);
    const summary = await downstream.run();
    expect(summary.records).toBe(2 * N);
    expect(summary.duplicates).toBe(N);
    expect([...out.items].sort(byId)).toEqual(expected);
  });

  it('a failing stage stops the other and the job rejects with its error', async () => {
    const idle = uniqueName('never-written');
    await createTopic(idle, 2);
    const failing = {
      name: 'failing',
      write: () => {
        throw new Error('disk full');
      },
    };
    // The input never ends: the job can only settle if the failure after the repartition stops it.
    const job = from(fromKafka<Ride>({ brokers, topic: idle, groupId: uniqueName('g'), fromBeginning: true }))
      .map((r) => r)
      .branch((s) => s.to(toArray()))
      .repartition({ brokers, topic: uniqueName('riders'), key: (r) => r.rider });
    await produce(idle, [{ key: 'z', value: JSON.stringify(input[0]) }]);
    const failingJob = job.to(failing).run();
    await expect(failingJob).rejects.toMatchObject({ code: 'SINK_FAILED', message: expect.stringContaining('disk full') });
  });

  it('a sink failure ends a plain job whose Kafka source has nothing more to read', async () => {
    const topic = uniqueName('one-message');
    await createTopic(topic, 1);
    await produce(topic, [{ key: 'z', value: JSON.stringify(input[0]) }]);
    const failing = {
      name: 'failing',
      write: () => {
        throw new Error('disk full');
      },
    };
    const job = from(fromKafka<Ride>({ brokers, topic, groupId: uniqueName('g'), fromBeginning: true }))
      .to(failing)
      .run();
    await expect(job).rejects.toMatchObject({ code: 'SINK_FAILED' });
  });

  it('an unstamped stream must call withTimestamps after the repartition before windows', () => {
    const stream = from(fromArray(input)).repartition({ brokers, topic: 'never-created', key: (r) => r.rider });
    expect(() => stream.keyBy((r) => r.rider).window(tumbling('10m'))).toThrow(/window\(.*\) needs event time: call \.withTimestamps/);
    expect(() =>
      stream
        .withTimestamps((r) => r.at)
        .keyBy((r) => r.rider)
        .window(tumbling('10m')),
    ).not.toThrow();
  });

  it('a window or dedup before the repartition is an error when the stream is built', () => {
    const stamped = from(fromArray(input)).withTimestamps((r) => r.at);
    const options = { brokers, topic: 'never-created', key: (x: any) => x.key };
    expect(() =>
      stamped
        .keyBy((r) => r.zone)
        .window(tumbling('1m'))
        .aggregate(count())
        .repartition(options),
    ).toThrow(PipelineError);
    expect(() =>
      stamped
        .keyBy((r) => r.zone)
        .window(tumbling('1m'))
        .aggregate(count())
        .repartition(options),
    ).toThrow(
      'repartition(never-created): window comes before .repartition(), but the stage that writes the repartition topic must keep no state: move .window() after .repartition()',
    );
    expect(() => stamped.dedup((r) => r.id, { within: '1h' }).repartition(options)).toThrow(/dedup comes before \.repartition\(\)/);
    const inBranch = () =>
      stamped
        .branch((s) =>
          s
            .keyBy((r) => r.zone)
            .window(tumbling('1m'))
            .aggregate(count())
            .to(toArray()),
        )
        .repartition(options);
    expect(inBranch).toThrow(/window comes before \.repartition\(\)/);
    expect(() => stamped.repartition(options).repartition(options)).toThrow(/already repartitioned/);
    expect(() => stamped.repartition({ ...options, serializer: { serialize: (r: Ride) => Buffer.from(r.id) } })).toThrow(
      /"serializer" and "deserializer" together/,
    );
    expect(() => stamped.repartition({ ...options, consumer: { stopWhenIdel: '1s' } as never })).toThrow(/unknown option "stopWhenIdel"/);
    // a bad run option throws before either stage starts
    expect(() =>
      stamped
        .repartition(options)
        .to(toArray())
        .run({ checkpointInterval: '1s' } as never),
    ).toThrow(/run: unknown option "checkpointInterval"/);
  });
});
