import type { Consumer, EachBatchPayload, Kafka as KafkaClient } from 'kafkajs';
import { describeError, StreamkitError } from '../../core/errors.js';
import { maskSecretText } from '../../observability/mask-secrets.js';
import { connectAttempts, connectionError, isPermanentKafkaError, kafkaFailure } from '../connection/connection-error.js';
import { DEFAULT_SESSION_TIMEOUT, type KafkaSourceOptions } from './kafka-source-options.js';

/** A topic, or some of its partitions, to pause or resume. */
export interface PauseTarget {
  topic: string;
  partitions?: number[];
}

/** What a {@link GroupConsumer} tells the source that owns it; only the consumer running now calls these. */
export interface GroupConsumerEvents {
  /** The group gave this member its share (kafkajs `GROUP_JOIN`). */
  joined(memberAssignment: Record<string, number[]>): void;
  /** A rebalance started: every partition is given up (kafkajs `REBALANCING`). */
  rebalancing(): void;
  /** A fetched batch of one partition. */
  batch(payload: EachBatchPayload): Promise<void>;
  /** kafkajs stopped the consumer for good on an error a new consumer may get past: one is about to start. */
  replacing(): void;
  /** Reading cannot go on: a permanent error, or replacements failed `retry.retries + 1` times in a row. */
  failed(error: StreamkitError): void;
}

/**
 * The kafkajs group consumer of a Kafka source, and its replacement when kafkajs gives up on it
 * (kafkajs' runner, seen from the source): creates, connects, subscribes and runs it in
 * `eachBatch` mode with auto-commit off, forwards its events, and passes on pause, resume, seek
 * and commit. Events of a consumer that was replaced are ignored.
 */
export class GroupConsumer {
  private consumer?: Consumer;
  private stopped = false;

  /**
   * @param who - the source, for messages (`fromKafka(trips)`)
   * @param signal - the run's abort signal: once aborted, a crashed consumer is not replaced
   */
  constructor(
    private readonly kafka: KafkaClient,
    private readonly options: KafkaSourceOptions<unknown>,
    private readonly topics: readonly string[],
    private readonly who: string,
    private readonly events: GroupConsumerEvents,
    private readonly signal: AbortSignal,
  ) {}

  /** Whether a consumer is running (none between a crash and its replacement, or after `stop`). */
  get running(): boolean {
    return this.consumer !== undefined && !this.stopped;
  }

  /**
   * Creates, connects and runs a consumer.
   * @throws StreamkitError `BROKER_UNREACHABLE` when no broker answers, `SOURCE_FAILED` for the rest
   */
  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: this.options.sessionTimeout ?? DEFAULT_SESSION_TIMEOUT,
      heartbeatInterval: this.options.heartbeatInterval ?? 3000,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: this.options.maxBytesPerPartition,
      maxWaitTimeInMs: this.options.maxWaitTimeMs ?? 100,
      retry: this.options.retry,
    });
    this.consumer = consumer;
    const current = () => consumer === this.consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => current() && this.events.joined(event.payload.memberAssignment));
    consumer.on(consumer.events.REBALANCING, () => current() && this.events.rebalancing());
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart && current()) void this.replace(event.payload.error);
    });
    try {
      await consumer.connect();
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      throw connectionError(error, this.options, this.who, 'SOURCE_FAILED');
    }
    try {
      await consumer.subscribe({ topics: [...this.topics], fromBeginning: this.options.fromBeginning ?? false });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => this.events.batch(payload),
      });
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      throw kafkaFailure(error, this.options, this.who, 'SOURCE_FAILED');
    }
    // Stopped while a replacement consumer was starting.
    if (this.stopped) await consumer.disconnect().catch(() => undefined);
  }

  /** Sets where the next fetch of a partition starts. */
  seek(topic: string, partition: number, offset: number): void {
    this.consumer?.seek({ topic, partition, offset: String(offset) });
  }

  /** Pauses fetching of whole topics (`{ topic }`) or some of their partitions (`{ topic, partitions }`). */
  pause(targets: PauseTarget[]): void {
    this.consumer?.pause(targets);
  }

  /** Resumes fetching of whole topics or some of their partitions. */
  resume(targets: PauseTarget[]): void {
    this.consumer?.resume(targets);
  }

  /** Commits offsets to the group; resolves false when no consumer is running to commit them. */
  async commitOffsets(offsets: Array<{ topic: string; partition: number; offset: string }>): Promise<boolean> {
    const consumer = this.consumer;
    if (!consumer || this.stopped) return false;
    await consumer.commitOffsets(offsets);
    return true;
  }

  /** Leaves the group and disconnects; a consumer starting meanwhile disconnects as soon as it is up. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.consumer?.disconnect().catch(() => undefined);
  }

  /**
   * kafkajs gives up on some errors it meets while a broker restarts (a group coordinator it cannot
   * find, a connection closed mid-request) and stops the consumer for good. Unless the error is
   * one retrying cannot fix (authentication, authorization), a new consumer takes over; after
   * `retry.retries + 1` (default 6) failed starts in a row the source fails.
   */
  private async replace(error: unknown): Promise<void> {
    const failure = () =>
      new StreamkitError('SOURCE_FAILED', `${this.who}: consumer stopped: ${maskSecretText(describeError(error))}`, { cause: error });
    if (this.stopped || this.signal.aborted) return;
    if (isPermanentKafkaError(error)) return this.events.failed(failure());
    const old = this.consumer;
    this.consumer = undefined;
    this.events.replacing();
    await old?.disconnect().catch(() => undefined);
    const attempts = connectAttempts(this.options);
    for (let attempt = 1; !this.stopped && !this.signal.aborted; attempt++) {
      try {
        await this.start();
        return;
      } catch {
        if (attempt >= attempts) return this.events.failed(failure());
        await new Promise((resolve) => setTimeout(resolve, Math.min(300 * 2 ** attempt, 5000)));
      }
    }
  }
}
