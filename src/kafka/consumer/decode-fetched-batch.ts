import type { Batch as KafkaBatch } from 'kafkajs';
import { describeError } from '../../core/errors.js';
import type { Deserializer } from '../../serde/serde.js';
import { kafkaDeadLetter, type KafkaDeadLetter, type MessageOrigin } from './kafka-dead-letter.js';
import type { Chunk } from './read-buffer.js';

/** What decoding a fetched batch covered. */
export interface DecodedFetch {
  /** The offset after the last message taken care of (buffered or dead-lettered); `floor` when none was. */
  next: number;
  /**
   * The last offset handled, below the floor included, as kafkajs spells it: only offsets up to it
   * may be resolved, so a batch cut short (a seek, a stop, a rebalance) is fetched again from there.
   */
  done?: string;
}

/**
 * Turns one fetched batch of a partition into chunks of at most `batchSize` records, each handed
 * to `emit` as soon as it is full (an async deserializer lets the pipeline poll earlier chunks
 * meanwhile). Messages below `floor` are skipped: already buffered, handed on, or covered by a
 * restored checkpoint. A tombstone, or a value the deserializer throws on, becomes a dead letter
 * in the chunk of the records around it, so positions stay in order.
 *
 * @param isActive - checked before each message; false stops decoding (the consumer is stopping or the batch went stale)
 */
export async function decodeFetchedBatch<T>(
  batch: KafkaBatch,
  floor: number,
  origin: MessageOrigin,
  deserializer: Deserializer<T>,
  batchSize: number,
  isActive: () => boolean,
  emit: (chunk: Chunk<T>) => void,
): Promise<DecodedFetch> {
  const { topic, partition } = origin;
  let values: T[] = [];
  let positions: number[] = [];
  let dead: KafkaDeadLetter[] = [];
  let next = floor;
  let done: string | undefined;
  const flush = () => {
    if (values.length === 0 && dead.length === 0) return;
    emit({ topic, partition, next, batch: { values, positions, partition: origin.partitionId }, dead });
    values = [];
    positions = [];
    dead = [];
  };
  for (const message of batch.messages) {
    if (!isActive()) break;
    const offset = Number(message.offset);
    if (offset >= floor) {
      if (message.value === null) {
        dead.push(kafkaDeadLetter('message has no value (tombstone)', origin, message));
      } else {
        try {
          let value = deserializer.deserialize(message.value, message);
          if (value instanceof Promise) value = await value;
          values.push(value as T);
          positions.push(offset);
        } catch (error) {
          dead.push(kafkaDeadLetter(`deserialize failed: ${describeError(error)}`, origin, message));
        }
      }
      next = offset + 1;
      if (values.length >= batchSize) flush();
    }
    done = message.offset;
  }
  flush();
  return { next, done };
}
