import type { KafkaMessage } from 'kafkajs';
import type { DeadLetter } from '../../core/dead-letter.js';

/** A message that could not be deserialized, with where it came from. */
export interface KafkaDeadLetter extends DeadLetter {
  /** The message value, as bytes (null for a tombstone). */
  raw: Buffer | null;
  /** The message key, as bytes. */
  key: Buffer | null;
  topic: string;
  /** The Kafka partition number (`position.partition` is the streamkit partition id). */
  kafkaPartition: number;
  /** The Kafka offset, as kafkajs gives it (a decimal string). */
  offset: string;
  headers?: Record<string, string>;
}

/** Where a dead message was read: its topic, Kafka partition, streamkit partition id, and the source's name. */
export interface MessageOrigin {
  topic: string;
  partition: number;
  partitionId: number;
  operator: string;
}

/**
 * The dead letter of a message that could not become a record: its raw value and key, its
 * position, and its headers as text.
 */
export function kafkaDeadLetter(reason: string, origin: MessageOrigin, message: KafkaMessage): KafkaDeadLetter {
  let headers: Record<string, string> | undefined;
  if (message.headers && Object.keys(message.headers).length > 0) {
    headers = {};
    for (const [k, v] of Object.entries(message.headers)) {
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.map(String).join(',') : String(v);
    }
  }
  return {
    reason,
    raw: message.value,
    key: message.key,
    position: { partition: origin.partitionId, offset: Number(message.offset) },
    operator: origin.operator,
    topic: origin.topic,
    kafkaPartition: origin.partition,
    offset: message.offset,
    headers,
  };
}
