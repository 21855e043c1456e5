import type { DeadLetter } from '../../core/dead-letter.js';
import { describeError } from '../../core/errors.js';
import { checkOptions } from '../../core/options.js';
import { CONNECTION_OPTION_NAMES, validateConnectionOptions, type KafkaConnectionOptions } from '../connection/kafka-connection-options.js';
import { KafkaProducerSink, validateProducerOptions, type KafkaSink } from './kafka-producer-sink.js';

/** Options of {@link toKafkaDeadLetters}. */
export interface KafkaDeadLetterSinkOptions extends KafkaConnectionOptions {
  /** The dead-letter topic. */
  topic: string;
  /** Idempotent producer (default true). */
  idempotent?: boolean;
  /** Sends that may be queued before `write` waits (default 4). */
  maxPendingSends?: number;
}

/** Header names written on every dead-letter message. */
export const DEAD_LETTER_HEADERS = {
  reason: 'streamkit.reason',
  operator: 'streamkit.operator',
  topic: 'streamkit.source.topic',
  partition: 'streamkit.source.partition',
  offset: 'streamkit.source.offset',
} as const;

/**
 * A dead-letter queue on Kafka. Each dead letter becomes one message: when `raw` is bytes or text
 * (a message that failed to deserialize), the value is those exact bytes, so the message can be
 * fixed and replayed onto its topic; otherwise the value is the JSON `{ reason, raw, position }`.
 * Headers always carry the reason, the operator and the original topic, partition and offset
 * (see {@link DEAD_LETTER_HEADERS}); the key is the original message key when there was one.
 *
 * @param options - `brokers`, `topic` and connection settings
 * @example
 * from(fromKafka({ brokers, topic: 'trips', groupId: 'g' }))
 *   .deadLetters(toKafkaDeadLetters({ brokers, topic: 'trips.dlq' }))
 * @see fromKafka
 */
export function toKafkaDeadLetters(options: KafkaDeadLetterSinkOptions): KafkaSink<DeadLetter> {
  validateConnectionOptions(options, 'toKafkaDeadLetters');
  checkOptions('toKafkaDeadLetters', options, [...CONNECTION_OPTION_NAMES, 'topic', 'idempotent', 'maxPendingSends']);
  validateProducerOptions(options, 'toKafkaDeadLetters');
  return new KafkaProducerSink<DeadLetter>(options, `toKafkaDeadLetters(${options.topic})`, (letter) => {
    const kafka = letter as Partial<{ topic: string; kafkaPartition: number; offset: string; key: Buffer | null }> & DeadLetter;
    const headers: Record<string, string> = { [DEAD_LETTER_HEADERS.reason]: letter.reason };
    if (letter.operator) headers[DEAD_LETTER_HEADERS.operator] = letter.operator;
    if (typeof kafka.topic === 'string') headers[DEAD_LETTER_HEADERS.topic] = kafka.topic;
    const partition = kafka.kafkaPartition ?? letter.position?.partition;
    if (partition !== undefined) headers[DEAD_LETTER_HEADERS.partition] = String(partition);
    const offset = kafka.offset ?? letter.position?.offset;
    if (offset !== undefined) headers[DEAD_LETTER_HEADERS.offset] = String(offset);
    const raw = letter.raw;
    const value = Buffer.isBuffer(raw)
      ? raw
      : raw instanceof Uint8Array
        ? Buffer.from(raw)
        : typeof raw === 'string'
          ? Buffer.from(raw, 'utf8')
          : deadLetterJson(letter);
    return { key: Buffer.isBuffer(kafka.key) ? kafka.key : null, value, headers };
  });
}

/**
 * The JSON `{ reason, raw, position }` of a dead letter whose raw value is not bytes. A bigint is
 * written as its decimal text; a raw value JSON cannot hold (a cycle, nesting deeper than the stack
 * allows) is left out with the reason in `rawError`, so the dead letter is still written.
 */
function deadLetterJson(letter: DeadLetter): Buffer {
  const body = { reason: letter.reason, raw: letter.raw ?? null, position: letter.position ?? null };
  try {
    return Buffer.from(
      JSON.stringify(body, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
      'utf8',
    );
  } catch (error) {
    return Buffer.from(JSON.stringify({ ...body, raw: null, rawError: `raw value not written as JSON: ${describeError(error)}` }), 'utf8');
  }
}
