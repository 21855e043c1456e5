import { checkOptions } from '../../core/options.js';
import { jsonSerde } from '../../serde/json-serde.js';
import type { Serializer } from '../../serde/serde.js';
import { CONNECTION_OPTION_NAMES, validateConnectionOptions, type KafkaConnectionOptions } from '../connection/kafka-connection-options.js';
import { KafkaProducerSink, validateProducerOptions, type KafkaSink } from './kafka-producer-sink.js';

/** Options of {@link toKafka}. */
export interface KafkaSinkOptions<T> extends KafkaConnectionOptions {
  /** The topic written to. */
  topic: string;
  /**
   * Message key per item. Default: the item's `id` (every windowed result has one), so a compacted
   * topic keeps one value per result and a replay after a crash overwrites rather than adds.
   * Return `null` for no key.
   */
  key?: (item: T) => string | Buffer | null;
  /** Turns items into message values (default `jsonSerde()`). */
  serializer?: Serializer<T>;
  /** Message headers per item. */
  headers?: (item: T) => Record<string, string | Buffer>;
  /**
   * Message timestamp per item, in epoch milliseconds (the record's event time, say). Default, or
   * when it returns `undefined`: the time of the send.
   */
  timestamp?: (item: T) => number | undefined;
  /**
   * Idempotent producer (default true): the broker drops duplicates from the producer's own retries,
   * so a retried send never writes a message twice. Requires `acks: -1`.
   */
  idempotent?: boolean;
  /** Acknowledgements: -1 all in-sync replicas (default), 1 leader, 0 none. */
  acks?: -1 | 0 | 1;
  /** Sends that may be queued before `write` waits (backpressure; default 4). */
  maxPendingSends?: number;
}

function defaultKey(item: unknown): string | null {
  if (item !== null && typeof item === 'object') {
    const id = (item as { id?: unknown }).id;
    if (typeof id === 'string') return id;
    if (typeof id === 'number' || typeof id === 'bigint') return String(id);
  }
  return null;
}

/**
 * Writes each item as a Kafka message: an idempotent producer, keyed by the result `id` by default,
 * one `send` per written batch; `flush()` (awaited by every checkpoint) resolves once all are acknowledged.
 *
 * @param options - `brokers`, `topic`; optional `key`, `serializer` (default JSON), `headers`, `timestamp`,
 *   `idempotent` (default true), `acks`, `maxPendingSends` and connection settings
 * @returns a sink; writing to a topic that does not exist creates it when the broker allows it
 * @example
 * await from(fromArray(trips))
 *   .withTimestamps((t) => t.at)
 *   .keyBy((t) => t.zone)
 *   .window(tumbling('5m'))
 *   .aggregate(count())
 *   .to(toKafka({ brokers: ['localhost:9092'], topic: 'zone-counts' }))
 *   .run();
 * @see fromKafka, toKafkaDeadLetters
 */
export function toKafka<T = unknown>(options: KafkaSinkOptions<T>): KafkaSink<T> {
  validateConnectionOptions(options, 'toKafka');
  checkOptions('toKafka', options, [
    ...CONNECTION_OPTION_NAMES,
    'topic',
    'key',
    'serializer',
    'headers',
    'timestamp',
    'idempotent',
    'acks',
    'maxPendingSends',
  ]);
  validateProducerOptions(options, 'toKafka');
  if (options.key !== undefined && typeof options.key !== 'function') throw new TypeError('toKafka: option "key" must be a function');
  if (options.headers !== undefined && typeof options.headers !== 'function')
    throw new TypeError('toKafka: option "headers" must be a function');
  if (options.timestamp !== undefined && typeof options.timestamp !== 'function')
    throw new TypeError('toKafka: option "timestamp" must be a function');
  if (options.serializer !== undefined && typeof options.serializer?.serialize !== 'function') {
    throw new TypeError('toKafka: option "serializer" must have a serialize(value) method');
  }
  const serializer = options.serializer ?? (jsonSerde() as Serializer<T>);
  const keyOf = options.key ?? defaultKey;
  const headersOf = options.headers;
  const timestampOf = options.timestamp;
  return new KafkaProducerSink<T>(options, `toKafka(${options.topic})`, (item) => {
    const value = serializer.serialize(item);
    const key = keyOf(item);
    const headers = headersOf?.(item);
    const time = timestampOf?.(item);
    const timestamp = time === undefined ? undefined : String(time);
    if (value instanceof Promise) return value.then((v) => ({ key, value: v, headers, timestamp }));
    return { key, value, headers, timestamp };
  });
}
