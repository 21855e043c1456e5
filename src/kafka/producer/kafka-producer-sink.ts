import type { Kafka as KafkaClient, Message, Producer } from 'kafkajs';
import { describeError, isStreamkitError, StreamkitError } from '../../core/errors.js';
import type { Sink, SinkContext } from '../../core/sink.js';
import { maskSecretText } from '../../observability/mask-secrets.js';
import { connectionError } from '../connection/connection-error.js';
import { createKafkaClient } from '../connection/create-kafka-client.js';
import type { KafkaConnectionOptions } from '../connection/kafka-connection-options.js';

/** A Kafka sink; `flush()` resolves once every message written so far is acknowledged. */
export interface KafkaSink<T> extends Sink<T> {
  readonly topic: string;
}

/** What a producer sink needs besides the connection: where it writes and how it sends. */
export interface ProducerSinkOptions extends KafkaConnectionOptions {
  topic: string;
  /** Idempotent producer (default true). */
  idempotent?: boolean;
  /** Acknowledgements (default -1). */
  acks?: -1 | 0 | 1;
  /** Sends that may be queued before `write` waits (default 4). */
  maxPendingSends?: number;
}

/**
 * A sink that produces each batch written to it as one kafkajs `send`, with sends chained in order.
 * Failures are kept and thrown by the next `write` or `flush`, which a checkpoint awaits, so a
 * failed send fails the checkpoint rather than passing silently. Shared by `toKafka` and
 * `toKafkaDeadLetters`, which differ only in how an item becomes a message.
 */
export class KafkaProducerSink<T> implements KafkaSink<T> {
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

  /**
   * @param options - connection, topic and producer settings, validated by the factory
   * @param who - the factory call, for messages (`toKafka(topic)`)
   * @param toMessage - an item as a message (may be async: a registry lookup)
   */
  constructor(
    private readonly options: ProducerSinkOptions,
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
        if (!this.context || isStreamkitError(error)) throw error;
        this.context.deadLetter(item, `cannot be written to topic ${this.topic}: ${maskSecretText(describeError(error))}`);
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
          `${this.who}: send of ${messages.length} messages failed: ${maskSecretText(describeError(error))}`,
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

/** Validates the producer settings both Kafka sinks share; `who` names the factory in messages. */
export function validateProducerOptions(
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
