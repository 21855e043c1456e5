import type { EachBatchPayload } from 'kafkajs';
import type { DeadLetter } from '../../core/dead-letter.js';
import { describeError, StreamkitError } from '../../core/errors.js';
import type { Source, SourceContext, SourcePoll } from '../../core/source.js';
import { maskSecretText } from '../../observability/mask-secrets.js';
import { jsonSerde } from '../../serde/json-serde.js';
import type { Deserializer } from '../../serde/serde.js';
import { createKafkaClient } from '../connection/create-kafka-client.js';
import { packPartitionId, unpackPartitionId } from '../partition-id.js';
import { ConsumerOffsets, type KafkaPosition } from './consumer-offsets.js';
import { decodeFetchedBatch } from './decode-fetched-batch.js';
import { GroupConsumer } from './group-consumer.js';
import { HeldPartitions } from './held-partitions.js';
import { isRebalanceError } from './is-rebalance-error.js';
import {
  DEFAULT_SESSION_TIMEOUT,
  validateSourceOptions,
  type KafkaRebalanceEvent,
  type KafkaSourceOptions,
  type KafkaTopicPartition,
} from './kafka-source-options.js';
import { PartitionAssignment } from './partition-assignment.js';
import { partitionKey, ReadBuffer, type Chunk } from './read-buffer.js';
import { StopConditions } from './stop-conditions.js';
import { METRICS } from '../../core/metric-catalogue.js';

/**
 * A Kafka consumer-group source. Reads with kafkajs in `eachBatch` mode into a bounded buffer that
 * the pipeline pulls from; pauses the topics' partitions when the buffer is full. Offsets are
 * committed only through `commit(position)`, which the runtime calls once a checkpoint holding
 * that position is complete: kafkajs auto-commit is off, so a crash replays from the last
 * checkpoint and nothing is acknowledged before it is durable.
 *
 * The source orchestrates; named parts own the data, as in kafkajs' `consumer/`: the kafkajs
 * consumer and its replacement after a crash ({@link GroupConsumer}), the offset bookkeeping
 * ({@link ConsumerOffsets}), the read buffer with pause and resume ({@link ReadBuffer}), the group
 * assignment and its listeners ({@link PartitionAssignment}), partitions held for their task
 * ({@link HeldPartitions}), the decoding of fetched batches into records and dead letters
 * (`decodeFetchedBatch`), and when the input ends ({@link StopConditions}).
 */
export class KafkaSource<T> implements Source<T> {
  readonly name: string;
  /** The topics read, in the order given. */
  readonly topics: string[];
  private readonly options: KafkaSourceOptions<T>;
  private readonly deserializer: Deserializer<T>;
  private readonly offsets = new ConsumerOffsets();
  private readonly membership: PartitionAssignment;
  private readonly held = new HeldPartitions();
  private readonly stops: StopConditions;
  private buffer = new ReadBuffer<T>(4096);
  private group?: GroupConsumer;
  private ctx?: SourceContext;
  private batchSize = 1024;
  /** Set when the job runs a task per partition: new partitions wait for `startPartition`. */
  private holdNew = false;
  private failure?: unknown;
  private wake?: () => void;
  private closed = false;

  /** @internal use {@link fromKafka} */
  constructor(options: KafkaSourceOptions<T>) {
    const { topics, stopWhenIdleMs } = validateSourceOptions(options as KafkaSourceOptions<unknown>);
    this.options = options;
    this.topics = topics;
    this.deserializer = options.deserializer ?? (jsonSerde() as Deserializer<T>);
    this.name = `kafka:${this.topics.join(',')}`;
    this.membership = new PartitionAssignment(topics);
    this.stops = new StopConditions(options.maxRecords, stopWhenIdleMs, options.sessionTimeout ?? DEFAULT_SESSION_TIMEOUT);
    if (options.onRebalance) this.membership.subscribe(options.onRebalance);
  }

  /**
   * Subscribes to rebalances. kafkajs rebalances eagerly: `revoked` lists every partition this
   * instance held, then `assigned` lists its new share. Records of revoked partitions that were
   * still buffered are dropped (the new owner reads them from the committed offset). A runtime that
   * wants the new owner to start exactly where this one stopped takes a checkpoint on `revoked`.
   *
   * @returns a function that unsubscribes
   */
  onRebalance(listener: (event: KafkaRebalanceEvent) => void): () => void {
    return this.membership.subscribe(listener);
  }

  /** The streamkit partition id of a topic partition (see `topics`). */
  partitionId(topic: string, partition: number): number {
    const index = this.topics.indexOf(topic);
    if (index < 0) throw new RangeError(`fromKafka: topic ${topic} is not one of ${this.topics.join(', ')}`);
    return packPartitionId(index, partition);
  }

  taskName(partition: number): string {
    const { topic, partition: p } = this.topicPartitionOf(partition);
    return `${topic}/${p}`;
  }

  /**
   * Starts a partition held for its task (see `SourceContext.holdNewPartitions`): reading begins at
   * `position`, the offset the task's restored state covers up to, or, without one, where the group
   * left the partition.
   */
  startPartition(partition: number, position: number | undefined): void {
    const { held, skippedFrom } = this.held.release(partition);
    if (!held) return;
    const { topic, partition: p } = this.topicPartitionOf(partition);
    const from = position ?? skippedFrom;
    // Without a position and with nothing read yet, the group's committed offset (or fromBeginning) decides.
    this.offsets.startAt(topic, p, from);
    if (from !== undefined) this.group?.seek(topic, p, from);
    if (!this.buffer.isPaused) this.group?.resume([{ topic, partitions: [p] }]);
  }

  heldPartitions(): readonly number[] {
    return this.held.ids();
  }

  partitionPosition(partition: number): number | undefined {
    const { topic, partition: p } = this.topicPartitionOf(partition);
    return this.offsets.handedOf(topic, p);
  }

  /** Records fetched and waiting to be polled (bounded by about `maxBuffered` plus one fetch). */
  bufferedRecords(): number {
    return this.buffer.records;
  }

  /** Topic partitions currently assigned to this instance. */
  assignment(): readonly KafkaTopicPartition[] {
    return this.membership.current();
  }

  partitions(): readonly number[] {
    return this.membership.current().map((tp) => this.partitionId(tp.topic, tp.partition));
  }

  async open(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    this.batchSize = this.options.batchSize ?? ctx.batchSize;
    this.buffer = new ReadBuffer<T>(this.options.maxBuffered ?? 4 * this.batchSize);
    this.stops.opened(ctx.now());
    this.holdNew = ctx.holdNewPartitions === true;
    this.offsets.restore(ctx.restoreFrom);
    ctx.signal.addEventListener('abort', () => this.wake?.(), { once: true });

    this.group = new GroupConsumer(
      createKafkaClient(this.options),
      this.options as KafkaSourceOptions<unknown>,
      this.topics,
      this.who(),
      {
        joined: (assignment) => this.onJoin(assignment),
        rebalancing: () => this.onRevoke(),
        batch: (payload) => this.onBatch(payload),
        replacing: () => this.onReplace(),
        failed: (error) => this.fail(error),
      },
      ctx.signal,
    );
    await this.group.start();
  }

  poll(): SourcePoll<T> | Promise<SourcePoll<T>> {
    if (this.failure !== undefined) throw this.failure;
    if (this.stops.hasEnded) return { kind: 'end' };
    const chunk = this.buffer.shift();
    if (chunk) return this.hand(chunk);
    if (this.ctx && this.stops.endIfIdle(this.ctx.now())) return { kind: 'end' };
    if (this.ctx?.signal.aborted || this.closed) return { kind: 'idle' };
    // Wait briefly for data instead of spinning: resolves on the next chunk or after 100 ms.
    return new Promise<SourcePoll<T>>((resolve) => {
      const timer = setTimeout(done, 100);
      function done() {
        clearTimeout(timer);
        resolve({ kind: 'idle' });
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    }).then((result) => {
      if (this.failure !== undefined) throw this.failure;
      const next = this.buffer.shift();
      return next ? this.hand(next) : result;
    });
  }

  position(): KafkaPosition {
    return this.offsets.position();
  }

  /**
   * Commits `position` to the consumer group, for the partitions this instance owns or is handing
   * over in a rebalance under way. A commit refused because a rebalance is under way is skipped:
   * the next checkpoint commits again, and until then a new owner replays from the previous commit
   * (at-least-once).
   */
  async commit(position: unknown): Promise<void> {
    if (this.closed || !this.group?.running) return;
    const owned = this.membership.committable();
    const offsets: Array<{ topic: string; partition: number; offset: string }> = [];
    for (const [topic, parts] of Object.entries((position ?? {}) as KafkaPosition)) {
      for (const [p, offset] of Object.entries(parts)) {
        const partition = Number(p);
        if (owned.has(partitionKey(topic, partition))) offsets.push({ topic, partition, offset: String(offset) });
      }
    }
    if (offsets.length === 0) return;
    try {
      if (await this.group.commitOffsets(offsets)) await this.committed(offsets);
    } catch (error) {
      if (isRebalanceError(error)) return;
      throw new StreamkitError('SOURCE_FAILED', `${this.who()}: offset commit failed: ${maskSecretText(describeError(error))}`, {
        cause: error,
        retriable: (error as { retriable?: boolean }).retriable === true,
      });
    }
  }

  /** Called after offsets were committed to the group; subclasses act on them (a repartition topic purges what was read). */
  protected async committed(_offsets: ReadonlyArray<{ topic: string; partition: number; offset: string }>): Promise<void> {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    await this.group?.stop();
  }

  /**
   * kafkajs stopped the consumer for good and a new one takes over: what was buffered is dropped as
   * in a revoke, nothing is handed over (the old member is gone), and the new consumer's first
   * assignment resumes each partition after what was handed on, whatever the group committed.
   */
  private onReplace(): void {
    this.ctx?.metrics?.inc(METRICS.kafkaConsumerRestarts, { topic: this.topics.join(',') });
    this.onRevoke();
    this.membership.forgetRevoking();
    this.offsets.resumeFromHanded();
  }

  private async onBatch({ batch, isRunning, isStale, heartbeat, resolveOffset }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const partitionId = this.partitionId(topic, partition);
    if (this.held.has(partitionId)) {
      // Fetched before the pause took effect: read again once the partition's task has started.
      if (batch.messages.length > 0) this.held.skipped(partitionId, Number(batch.messages[0].offset));
      return;
    }
    const floor = this.offsets.fetchFloor(topic, partition);
    const { next, done } = await decodeFetchedBatch(
      batch,
      floor,
      { topic, partition, partitionId, operator: this.name },
      this.deserializer,
      this.batchSize,
      () => isRunning() && !isStale(),
      (chunk) => this.buffer.push(chunk),
    );
    if (next > floor) this.offsets.fetchedUpTo(topic, partition, next);
    if (done !== undefined) resolveOffset(done);
    if (batch.messages.length > 0) this.stops.messagesArrived(this.ctx?.now() ?? Date.now());
    // Consumer lag per partition: messages on the broker after this batch (the high watermark minus the next offset).
    this.ctx?.metrics?.set(METRICS.kafkaConsumerLag, { topic: batch.topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
    if (this.buffer.shouldPause()) this.pauseAll();
    this.wake?.();
    if (isRunning()) await heartbeat();
  }

  private hand(chunk: Chunk<T>): SourcePoll<T> {
    const { batch, dead, next } = this.stops.take(chunk);
    this.offsets.handedUpTo(chunk.topic, chunk.partition, next);
    if (this.buffer.shouldResume()) this.resumeAll();
    const deadLetters = dead.length > 0 ? (dead as DeadLetter[]) : undefined;
    if (batch.values.length === 0) return { kind: 'idle', deadLetters };
    return { kind: 'batch', batch, deadLetters };
  }

  private onJoin(memberAssignment: Record<string, number[]>): void {
    const assigned = this.membership.join(memberAssignment);
    this.stops.joined(this.ctx?.now() ?? Date.now());
    // Start restored partitions at the checkpoint's position even when the group's committed offset
    // is missing or ahead of it (a commit lost, the group deleted, or fromBeginning false): the
    // checkpoint, not the group, decides where a restored job resumes.
    for (const { topic, partition } of assigned) {
      const offset = this.offsets.seekOnAssign(topic, partition);
      if (offset !== undefined) this.group?.seek(topic, partition, offset);
    }
    this.offsets.assignmentSought();
    if (this.holdNew) {
      for (const { topic, partition } of assigned) this.held.hold(this.partitionId(topic, partition));
      for (const topic of this.topics) {
        const partitions = assigned.filter((tp) => tp.topic === topic).map((tp) => tp.partition);
        if (partitions.length > 0) this.group?.pause([{ topic, partitions }]);
      }
    }
    if (this.buffer.isPaused) this.pauseAll();
    this.emit({ type: 'assigned', partitions: assigned });
  }

  private onRevoke(): void {
    const revoked = this.membership.revokeAll();
    // Buffered records of revoked partitions are dropped: whoever owns them next reads them again
    // from the committed offset. Fetching restarts from what was handed on.
    for (const { topic, partition } of revoked) this.held.release(this.partitionId(topic, partition));
    this.buffer.dropPartitions(new Set(revoked.map((tp) => partitionKey(tp.topic, tp.partition))));
    for (const { topic, partition } of revoked) this.offsets.rewindFetch(topic, partition);
    if (revoked.length > 0) {
      // Best effort: kafkajs cannot hold the rebalance, but a checkpoint taken now commits what
      // this instance processed, so the next owner re-reads as little as possible.
      this.ctx?.requestCheckpoint?.();
      this.emit({ type: 'revoked', partitions: revoked });
    }
  }

  private emit(event: KafkaRebalanceEvent): void {
    for (const error of this.membership.emit(event)) {
      this.fail(
        new StreamkitError('USER_FUNCTION_FAILED', `fromKafka: onRebalance listener threw: ${describeError(error)}`, { cause: error }),
      );
    }
  }

  private pauseAll(): void {
    this.group?.pause(this.topics.map((topic) => ({ topic })));
  }

  private resumeAll(): void {
    this.group?.resume(this.topics.map((topic) => ({ topic })));
    // Partitions still waiting for their task stay paused.
    for (const id of this.held.ids()) {
      const { topic, partition } = this.topicPartitionOf(id);
      this.group?.pause([{ topic, partitions: [partition] }]);
    }
  }

  private topicPartitionOf(partitionId: number): KafkaTopicPartition {
    const { group, member } = unpackPartitionId(partitionId);
    const topic = this.topics[group];
    if (topic === undefined) throw new RangeError(`fromKafka: partition id ${partitionId} names no topic of ${this.topics.join(', ')}`);
    return { topic, partition: member };
  }

  private who(): string {
    return `fromKafka(${this.topics.join(', ')})`;
  }

  private fail(error: unknown): void {
    this.failure ??= error;
    this.wake?.();
  }
}

/**
 * Reads a Kafka (or Redpanda) topic as a consumer group, with offsets committed only when a
 * checkpoint completes.
 *
 * @param options - `brokers`, `topic` or `topics`, `groupId`; optional `fromBeginning`,
 *   `deserializer` (default JSON), `batchSize`, `maxBuffered`, `maxRecords`, `stopWhenIdle`,
 *   connection settings (`ssl`, `sasl`, `clientId`, `connectionTimeout`, `requestTimeout`, `retry`)
 *   and `onRebalance`
 * @returns a pull-based source: each batch holds records of one partition; messages whose value
 *   fails to deserialize come back as dead letters with the reason, topic, partition, offset and
 *   raw bytes. A cluster that cannot be reached, or a broker that accepts connections and never
 *   answers, fails `run()` with `StreamkitError` code `BROKER_UNREACHABLE` naming the brokers.
 * @example
 * await from(fromKafka({ brokers: ['localhost:9092'], topic: 'trips', groupId: 'zone5m', fromBeginning: true }))
 *   .withTimestamps((t) => t.dropoffAt, boundedOutOfOrderness('30s'))
 *   .keyBy((t) => t.zone)
 *   .window(tumbling('5m'))
 *   .aggregate(count())
 *   .to(toKafka({ brokers: ['localhost:9092'], topic: 'zone5m' }))
 *   .run({ state: levelState('./state'), checkpointEvery: '5s' });
 * @see toKafka, toKafkaDeadLetters, jsonSerde, avroSerde
 */
export function fromKafka<T = unknown>(options: KafkaSourceOptions<T>): KafkaSource<T> {
  return new KafkaSource<T>(options);
}
