/**
 * The parts a Kafka source delegates to, on their own (no broker): the partition-id packing, the
 * offset bookkeeping, the read buffer's pause and resume, the stop conditions and the decoding of
 * a fetched batch. The source as a whole is tested against the real broker in kafka-source.test.ts.
 */
import fc from 'fast-check';
import type { Batch as KafkaBatch, KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { StreamkitError } from '../../src/core/errors.js';
import { ConsumerOffsets } from '../../src/kafka/consumer/consumer-offsets.js';
import { decodeFetchedBatch } from '../../src/kafka/consumer/decode-fetched-batch.js';
import { ReadBuffer, type Chunk } from '../../src/kafka/consumer/read-buffer.js';
import { StopConditions } from '../../src/kafka/consumer/stop-conditions.js';
import { KAFKA_TOPIC_PARTITION_STRIDE, packPartitionId, unpackPartitionId } from '../../src/kafka/partition-id.js';
import { jsonSerde } from '../../src/serde/json-serde.js';

function chunk(partition: number, offsets: number[], topic = 't'): Chunk<number> {
  return {
    topic,
    partition,
    next: offsets[offsets.length - 1] + 1,
    batch: { values: offsets, positions: offsets, partition },
    dead: [],
  };
}

describe('partition ids', () => {
  it('pack (topic index, partition) one way and unpack it back', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1000 }), fc.nat({ max: KAFKA_TOPIC_PARTITION_STRIDE - 1 }), (group, member) => {
        const id = packPartitionId(group, member);
        expect(unpackPartitionId(id)).toEqual({ group, member });
        // the first topic's ids are its partition numbers
        if (group === 0) expect(id).toBe(member);
      }),
    );
    expect(packPartitionId(1, 3)).toBe(100_003);
  });

  it('refuse pairs that would collide', () => {
    for (const [group, member] of [
      [0, KAFKA_TOPIC_PARTITION_STRIDE],
      [-1, 0],
      [0, 1.5],
      [Number.NaN, 0],
    ]) {
      expect(() => packPartitionId(group, member)).toThrow(RangeError);
    }
  });
});

describe('ConsumerOffsets', () => {
  it('restores a checkpoint position: it is the position, the fetch floor, and sought once on assignment', () => {
    const offsets = new ConsumerOffsets();
    offsets.restore({ a: { '0': 5, '2': 9 }, b: { '1': 0 } });
    expect(offsets.position()).toEqual({ a: { '0': 5, '2': 9 }, b: { '1': 0 } });
    expect(offsets.fetchFloor('a', 2)).toBe(9);
    expect(offsets.fetchFloor('a', 1)).toBe(0);
    expect(offsets.seekOnAssign('a', 0)).toBe(5);
    expect(offsets.seekOnAssign('a', 0)).toBeUndefined();
    expect(offsets.seekOnAssign('a', 1)).toBeUndefined();
  });

  it('refuses a position that is not one', () => {
    for (const bad of [42, 'x', { t: { '0': -1 } }, { t: { '0': 1.5 } }]) {
      const error = (() => {
        try {
          new ConsumerOffsets().restore(bad);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(StreamkitError);
      expect((error as StreamkitError).code).toBe('STATE_INCOMPATIBLE');
    }
  });

  it('after a consumer is replaced, its first assignment resumes after what was handed on, once', () => {
    const offsets = new ConsumerOffsets();
    offsets.fetchedUpTo('t', 0, 40);
    offsets.handedUpTo('t', 0, 25);
    offsets.resumeFromHanded();
    expect(offsets.seekOnAssign('t', 0)).toBe(25);
    offsets.assignmentSought();
    expect(offsets.seekOnAssign('t', 0)).toBeUndefined();
  });

  it('a revoke rewinds fetching to what was handed on; a partition started without a position forgets both', () => {
    const offsets = new ConsumerOffsets();
    offsets.fetchedUpTo('t', 0, 40);
    offsets.handedUpTo('t', 0, 25);
    offsets.fetchedUpTo('t', 1, 7);
    offsets.rewindFetch('t', 0);
    offsets.rewindFetch('t', 1);
    expect(offsets.fetchFloor('t', 0)).toBe(25);
    expect(offsets.fetchFloor('t', 1)).toBe(0);
    offsets.startAt('t', 0, undefined);
    expect(offsets.handedOf('t', 0)).toBeUndefined();
    offsets.startAt('t', 2, 3);
    expect(offsets.handedOf('t', 2)).toBe(3);
    expect(offsets.fetchFloor('t', 2)).toBe(3);
  });
});

describe('ReadBuffer', () => {
  it('pauses once full, resumes once drained to half, and drops the chunks of revoked partitions', () => {
    const buffer = new ReadBuffer<number>(10);
    buffer.push(chunk(0, [0, 1, 2, 3]));
    expect(buffer.shouldPause()).toBe(false);
    buffer.push(chunk(1, [0, 1, 2, 3, 4, 5]));
    expect(buffer.records).toBe(10);
    expect(buffer.shouldPause()).toBe(true);
    expect(buffer.shouldPause()).toBe(false); // once
    expect(buffer.isPaused).toBe(true);
    buffer.push(chunk(0, [4, 5]));
    buffer.dropPartitions(new Set(['t\u00000']));
    expect(buffer.records).toBe(6);
    expect(buffer.shouldResume()).toBe(false);
    expect(buffer.shift()?.partition).toBe(1);
    expect(buffer.records).toBe(0);
    expect(buffer.shouldResume()).toBe(true);
    expect(buffer.isPaused).toBe(false);
  });
});

describe('StopConditions', () => {
  it('cuts the chunk at maxRecords: the position covers what was handed on, with the dead letters before the cut', () => {
    const stops = new StopConditions(5, undefined, 30_000);
    expect(stops.take(chunk(0, [10, 11, 12])).next).toBe(13);
    const c = chunk(0, [13, 14, 15, 16]);
    c.dead = [14.5, 16.5].map((offset) => ({
      reason: 'bad',
      raw: null,
      key: null,
      topic: 't',
      kafkaPartition: 0,
      offset: String(offset),
      position: { partition: 0, offset },
    }));
    const taken = stops.take(c);
    expect(taken.batch.values).toEqual([13, 14]);
    expect(taken.next).toBe(15);
    expect(taken.dead.map((d) => d.position?.offset)).toEqual([14.5]);
    expect(stops.hasEnded).toBe(true);
  });

  it('ends when idle for stopWhenIdle after the join, allowing the join itself a session timeout', () => {
    const stops = new StopConditions(undefined, 1000, 30_000);
    stops.opened(0);
    expect(stops.endIfIdle(29_999)).toBe(false);
    stops.joined(5000);
    stops.messagesArrived(5500);
    expect(stops.endIfIdle(6400)).toBe(false);
    expect(stops.endIfIdle(6500)).toBe(true);
    expect(stops.hasEnded).toBe(true);
  });
});

describe('decodeFetchedBatch', () => {
  const message = (offset: number, value: string | null): KafkaMessage =>
    ({
      offset: String(offset),
      value: value === null ? null : Buffer.from(value),
      key: null,
      timestamp: '0',
      attributes: 0,
      headers: {},
    }) as KafkaMessage;

  it('skips what is below the floor, chunks by batchSize, and turns tombstones and bad values into dead letters in place', async () => {
    const batch = {
      topic: 't',
      partition: 2,
      messages: [message(3, '1'), message(4, '2'), message(5, null), message(6, '{bad'), message(7, '3'), message(8, '4')],
    };
    const chunks: Array<Chunk<unknown>> = [];
    const decoded = await decodeFetchedBatch(
      batch as unknown as KafkaBatch,
      4,
      { topic: 't', partition: 2, partitionId: 100_002, operator: 'kafka:t' },
      jsonSerde(),
      2,
      () => true,
      (c) => chunks.push(c),
    );
    expect(decoded).toEqual({ next: 9, done: '8' });
    expect(chunks.map((c) => [c.batch.values, c.batch.positions, c.dead.map((d) => d.offset), c.next])).toEqual([
      [[2, 3], [4, 7], ['5', '6'], 8],
      [[4], [8], [], 9],
    ]);
    expect(chunks[0].batch.partition).toBe(100_002);
    expect(chunks[0].dead[0].reason).toBe('message has no value (tombstone)');
    expect(chunks[0].dead[1].reason).toMatch(/^deserialize failed: SyntaxError/);
    expect(chunks[0].dead[1].position).toEqual({ partition: 100_002, offset: 6 });
  });

  it('stops where the consumer stops: only what was handled is resolved', async () => {
    const batch = { topic: 't', partition: 0, messages: [message(0, '1'), message(1, '2'), message(2, '3')] };
    let active = 2;
    const chunks: Array<Chunk<unknown>> = [];
    const decoded = await decodeFetchedBatch(
      batch as unknown as KafkaBatch,
      0,
      { topic: 't', partition: 0, partitionId: 0, operator: 'kafka:t' },
      jsonSerde(),
      100,
      () => active-- > 0,
      (c) => chunks.push(c),
    );
    expect(decoded).toEqual({ next: 2, done: '1' });
    expect(chunks.map((c) => c.batch.values)).toEqual([[1, 2]]);
  });
});
