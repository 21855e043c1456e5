import type { Kafka as KafkaClient, Message, Producer } from 'kafkajs';
import type { DeadLetter } from '../core/dead-letter.js';
import { describeError, StreamkitError } from '../core/errors.js';
import type { Sink, SinkContext } from '../core/sink.js';
import type { Serializer } from '../serde/serde.js';
import { checkOptions } from '../core/options.js';
import { jsonSerde } from '../serde/json-serde.js';
import { jsonSafeValue } from '../sinks/json-safe-value.js';
import {
  CONNECTION_OPTION_NAMES,
  connectionError,
  createKafkaClient,
  validateConnectionOptions,
  type KafkaConnectionOptions,
} from './kafka-connection.js';

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

/** A Kafka sink; `flush()` resolves once every message written so far is acknowledged. */
export interface KafkaSink<T> extends Sink<T> {
  readonly topic: string;
}

/**
 * A sink that produces each batch written to it as one kafkajs `send`, with sends chained in order.
 * Failures are kept and thrown by the next `write` or `flush`, which a checkpoint awaits, so a
 * failed send fails the checkpoint rather than passing silently.
 */
class KafkaProducerSink<T> implements KafkaSink<T> {
  readonly name: string;
  readonly topic: string;
  private kafka?: KafkaClient;
  private producer?: Producer;
  private connecting?: Promise<Producer>;
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private readonly waiters: Array<() => void> = [];
  private failure?: StreamkitError;
  private closed = false;
  private readonly maxPending: number;
  private context?: SinkContext<T>;

  constructor(
    private readonly options: KafkaConnectionOptions & { topic: string; idempotent?: boolean; acks?: -1 | 0 | 1; maxPendingSends?: number },
    private readonly who: string,
    private readonly toMessage: (item: T) => Message | Promise<Message>,
  ) {
    this.topic = options.topic;
    this.name = `kafka:${options.topic}`;
    this.maxPending = options.maxPendingSends ?? 4;
  }

  async open(context?: SinkContext<T>): Promise<void> {
    this.context = context;
    await this.connect();
  }

  private connect(): Promise<Producer> {
    if (this.producer) return Promise.resolve(this.producer);
    this.connecting ??= (async () => {
      const kafka = createKafkaClient(this.options);
      this.kafka = kafka;
      const idempotent = this.options.idempotent ?? true;
      const producer = kafka.producer({
        idempotent,
        // kafkajs keeps ordering (and idempotence) only with one request in flight per broker
        maxInFlightRequests: idempotent ? 1 : undefined,
        allowAutoTopicCreation: true,
        retry: this.options.retry ?? (idempotent ? { retries: 10, initialRetryTime: 300, maxRetryTime: 5000 } : undefined),
      });
      try {
        await producer.connect();
      } catch (error) {
        this.connecting = undefined;
        await producer.disconnect().catch(() => undefined);
        throw connectionError(error, this.options, this.who, 'SINK_FAILED');
      }
      this.producer = producer;
      return producer;
    })();
    return this.connecting;
  }

  async write(items: T[]): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.closed) throw new StreamkitError('SINK_FAILED', `${this.who}: write after close`);
    if (items.length === 0) return;
    const messages: Message[] = [];
    for (const item of items) {
      try {
        let m = this.toMessage(item);
        if (m instanceof Promise) m = await m;
        messages.push(m);
      } catch (error) {
        // A serializer (or key, headers, timestamp function) refusing one item is about that item,
        // which becomes a dead letter; a StreamkitError (a registry out of reach) is not.
        if (!this.context || error instanceof StreamkitError) throw error;
        this.context.deadLetter(item, `cannot be written to topic ${this.topic}: ${describeError(error)}`);
      }
    }
    if (messages.length === 0) return;
    const producer = await this.connect();
    while (this.pending >= this.maxPending) await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.failure) throw this.failure;
    this.pending++;
    const acks = this.options.acks ?? -1;
    this.tail = this.tail.then(async () => {
      try {
        if (!this.failure) await producer.send({ topic: this.topic, messages, acks });
      } catch (error) {
        this.failure ??= new StreamkitError(
          'SINK_FAILED',
          `${this.who}: send of ${messages.length} messages failed: ${describeError(error)}`,
          {
            cause: error,
            retriable: (error as { retriable?: boolean }).retriable === true,
          },
        );
      } finally {
        this.pending--;
        this.waiters.shift()?.();
      }
    });
  }

  async flush(): Promise<void> {
    await this.tail;
    if (this.failure) throw this.failure;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.tail;
    } finally {
      await this.producer?.disconnect().catch(() => undefined);
    }
    if (this.failure) throw this.failure;
  }
}

function validateSinkOptions(
  options: { topic?: unknown; acks?: unknown; maxPendingSends?: unknown; idempotent?: unknown },
  who: string,
): void {
  if (typeof options.topic !== 'string' || options.topic.length === 0)
    throw new TypeError(`${who}: option "topic" must be a non-empty string`);
  if (options.acks !== undefined && options.acks !== -1 && options.acks !== 0 && options.acks !== 1) {
    throw new RangeError(`${who}: option "acks" must be -1, 0 or 1`);
  }
  if (options.idempotent === true && options.acks !== undefined && options.acks !== -1) {
    throw new RangeError(`${who}: an idempotent producer needs option "acks" to be -1`);
  }
  const m = options.maxPendingSends;
  if (m !== undefined && !(Number.isInteger(m) && (m as number) > 0)) {
    throw new RangeError(`${who}: option "maxPendingSends" must be a positive integer`);
  }
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
  validateSinkOptions(options, 'toKafka');
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
  validateSinkOptions(options, 'toKafkaDeadLetters');
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
          : // Any raw record, plain JSON data or not (a bigint, a cycle, deep nesting), is written, never refused.
            Buffer.from(
              JSON.stringify(jsonSafeValue({ reason: letter.reason, raw: raw ?? null, position: letter.position ?? null })),
              'utf8',
            );
    return { key: Buffer.isBuffer(kafka.key) ? kafka.key : null, value, headers };
  });
}
