import type { Consumer, EachBatchPayload, Kafka as KafkaClient } from 'kafkajs';
import type { Batch } from '../core/batch.js';
import type { DeadLetter } from '../core/dead-letter.js';
import { parseDuration, type Duration } from '../core/duration.js';
import { describeError, StreamkitError } from '../core/errors.js';
import type { Source, SourceContext, SourcePoll } from '../core/source.js';
import type { Deserializer } from '../serde/serde.js';
import { jsonSerde } from '../serde/json-serde.js';
import { checkOptions } from '../core/options.js';
import {
  CONNECTION_OPTION_NAMES,
  connectionError,
  createKafkaClient,
  isPermanentKafkaError,
  kafkajs,
  validateConnectionOptions,
  type KafkaConnectionOptions,
} from './kafka-connection.js';

/** One topic partition, by name and Kafka partition number. */
export interface KafkaTopicPartition {
  topic: string;
  partition: number;
}

/**
 * The resumable position of a Kafka source: for each topic and partition, the offset of the next
 * record to read. Keyed by topic name, so reordering `topics` does not invalidate a checkpoint.
 */
export type KafkaPosition = Record<string, Record<string, number>>;

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

/** A rebalance as seen by one consumer: the partitions it lost or gained. */
export interface KafkaRebalanceEvent {
  type: 'assigned' | 'revoked';
  partitions: KafkaTopicPartition[];
}

/** Options of {@link fromKafka}. */
export interface KafkaSourceOptions<T> extends KafkaConnectionOptions {
  /** The topic to read; or use `topics`. */
  topic?: string;
  /**
   * Several topics. Each partition gets the streamkit partition id `topicIndex * 100000 + partition`
   * (`topicIndex` is the topic's place in this array), used for per-partition watermarks. Positions
   * are kept by topic name, so checkpoints do not depend on this order.
   */
  topics?: string[];
  /** Consumer group. Instances of one job share it; Kafka spreads partitions over them. */
  groupId: string;
  /** Where a group with no committed offset starts: the earliest offset (true) or the end (default false). */
  fromBeginning?: boolean;
  /** Turns message values into records (default `jsonSerde()`). Throwing makes the message a dead letter. */
  deserializer?: Deserializer<T>;
  /** Records per batch handed to the pipeline (default: the run's `batchSize`). */
  batchSize?: number;
  /**
   * Records buffered ahead of the pipeline before the consumer pauses its partitions (default
   * 4 × batchSize); it resumes once the buffer is half empty. This bounds memory under backpressure.
   */
  maxBuffered?: number;
  /**
   * Bytes fetched per partition per request (kafkajs default 1 MiB). Memory held ahead of the
   * pipeline is at most `maxBuffered` records plus one fetch, so lower this for large messages.
   */
  maxBytesPerPartition?: number;
  /**
   * Longest time a fetch waits at the broker for data, in ms (default 100). kafkajs also sleeps this
   * long when every partition is paused, so it bounds how soon reading resumes after backpressure.
   */
  maxWaitTimeMs?: number;
  /** End the input after this many records (tests, backfills): windows then fire as at the end of a file. */
  maxRecords?: number;
  /**
   * End the input when no message arrived for this long (processing time) after the consumer
   * joined its group. Useful for draining a topic as a bounded input.
   */
  stopWhenIdle?: Duration;
  /** Kafka consumer session timeout in ms (default 30 000): how long before a silent member is evicted. */
  sessionTimeout?: number;
  /** Heartbeat interval in ms (default 3000). */
  heartbeatInterval?: number;
  /** Called when partitions are assigned to or revoked from this instance (see {@link KafkaSource.onRebalance}). */
  onRebalance?: (event: KafkaRebalanceEvent) => void;
}

const SOURCE_OPTION_NAMES = [
  ...CONNECTION_OPTION_NAMES,
  'topic',
  'topics',
  'groupId',
  'fromBeginning',
  'deserializer',
  'batchSize',
  'maxBuffered',
  'maxBytesPerPartition',
  'maxWaitTimeMs',
  'maxRecords',
  'stopWhenIdle',
  'sessionTimeout',
  'heartbeatInterval',
  'onRebalance',
];

/** Partition ids of topics after the first are offset by this much; Kafka topics rarely exceed a few thousand partitions. */
export const KAFKA_TOPIC_PARTITION_STRIDE = 100_000;

/**
 * A Kafka consumer-group source. Reads with kafkajs in `eachBatch` mode into a bounded buffer that
 * the pipeline pulls from; pauses the topic's partitions when the buffer is full. Offsets are
 * committed only through `commit(position)`, which the runtime calls once a checkpoint holding
 * that position is complete: kafkajs auto-commit is off, so a crash replays from the last
 * checkpoint and nothing is acknowledged before it is durable.
 */
export class KafkaSource<T> implements Source<T> {
  readonly name: string;
  private readonly options: KafkaSourceOptions<T>;
  /** The topics read, in the order given. */
  readonly topics: string[];
  private readonly deserializer: Deserializer<T>;
  private readonly stopWhenIdleMs?: number;
  private kafka?: KafkaClient;
  private consumer?: Consumer;
  private ctx?: SourceContext;
  private batchSize = 1024;
  private maxBuffered = 4096;

  /** Chunks read from Kafka and not yet polled, in arrival order. */
  private readonly buffer: Chunk<T>[] = [];
  private buffered = 0;
  private paused = false;
  /** Next offset after the last record handed to the pipeline, per topic and partition. */
  private readonly polled = new Map<string, Map<number, number>>();
  /** Next offset after the last record put in the buffer; records below it are already held or passed on. */
  private readonly fetched = new Map<string, Map<number, number>>();
  private assigned: KafkaTopicPartition[] = [];
  /**
   * Partitions given up in a rebalance that is still under way. Until the group's next generation
   * starts, the broker still accepts this member's commits for them, so a checkpoint taken on
   * `revoked` can hand them over at its exact position.
   */
  private revoking: KafkaTopicPartition[] = [];
  /** Restored positions not yet sought to: applied when their partition is first assigned. */
  private readonly pendingSeeks = new Map<string, Map<number, number>>();
  /** After the consumer was replaced: where its first assignment resumes (what was handed on). */
  private resumeAt?: Map<string, Map<number, number>>;
  /** Set when the job runs a task per partition: new partitions wait for `startPartition`. */
  private holdNew = false;
  /**
   * Assigned partitions (streamkit partition ids) waiting for `startPartition` while their task's
   * state is restored, with the first offset fetched and skipped meanwhile, where reading resumes
   * when no position is given.
   */
  private readonly held = new Map<number, number | undefined>();
  private readonly listeners = new Set<(event: KafkaRebalanceEvent) => void>();
  private failure?: unknown;
  private emitted = 0;
  private joinedAt?: number;
  private openedAt = 0;
  private lastMessageAt = 0;
  private ended = false;
  private wake?: () => void;
  private closed = false;

  /** @internal use {@link fromKafka} */
  constructor(options: KafkaSourceOptions<T>) {
    validateConnectionOptions(options, 'fromKafka');
    checkOptions('fromKafka', options, SOURCE_OPTION_NAMES);
    const topics = options.topics ?? (options.topic !== undefined ? [options.topic] : undefined);
    if (options.topic !== undefined && options.topics !== undefined) {
      throw new TypeError('fromKafka: give either option "topic" or option "topics", not both');
    }
    if (!topics || topics.length === 0 || !topics.every((t) => typeof t === 'string' && t.length > 0)) {
      throw new TypeError('fromKafka: option "topic" (a non-empty string) or "topics" (a non-empty array of them) is required');
    }
    if (new Set(topics).size !== topics.length) throw new TypeError('fromKafka: option "topics" must not repeat a topic');
    if (typeof options.groupId !== 'string' || options.groupId.length === 0) {
      throw new TypeError('fromKafka: option "groupId" must be a non-empty string');
    }
    for (const name of [
      'batchSize',
      'maxBuffered',
      'maxRecords',
      'maxBytesPerPartition',
      'maxWaitTimeMs',
      'sessionTimeout',
      'heartbeatInterval',
    ] as const) {
      const v = options[name];
      if (v !== undefined && !(Number.isInteger(v) && v > 0)) {
        throw new RangeError(`fromKafka: option "${name}" must be a positive integer, got ${v}`);
      }
    }
    if (options.deserializer !== undefined && typeof options.deserializer?.deserialize !== 'function') {
      throw new TypeError('fromKafka: option "deserializer" must have a deserialize(bytes) method');
    }
    if (options.onRebalance !== undefined && typeof options.onRebalance !== 'function') {
      throw new TypeError('fromKafka: option "onRebalance" must be a function');
    }
    if (options.stopWhenIdle !== undefined) {
      this.stopWhenIdleMs = parseDuration(options.stopWhenIdle, 'stopWhenIdle');
      if (this.stopWhenIdleMs <= 0) throw new RangeError('fromKafka: option "stopWhenIdle" must be greater than 0');
    }
    this.options = options;
    this.topics = [...topics];
    this.deserializer = options.deserializer ?? (jsonSerde() as Deserializer<T>);
    this.name = `kafka:${this.topics.join(',')}`;
    if (options.onRebalance) this.listeners.add(options.onRebalance);
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
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The streamkit partition id of a topic partition (see `topics`). */
  partitionId(topic: string, partition: number): number {
    const index = this.topics.indexOf(topic);
    if (index < 0) throw new RangeError(`fromKafka: topic ${topic} is not one of ${this.topics.join(', ')}`);
    return index * KAFKA_TOPIC_PARTITION_STRIDE + partition;
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
    if (!this.held.has(partition)) return;
    const { topic, partition: p } = this.topicPartitionOf(partition);
    const skippedFrom = this.held.get(partition);
    this.held.delete(partition);
    const from = position ?? skippedFrom;
    if (from !== undefined) {
      setOffset(this.polled, topic, p, from);
      setOffset(this.fetched, topic, p, from);
      this.consumer?.seek({ topic, partition: p, offset: String(from) });
    } else {
      // Nothing restored and nothing read yet: the group's committed offset (or fromBeginning) decides.
      this.polled.get(topic)?.delete(p);
      this.fetched.get(topic)?.delete(p);
    }
    if (!this.paused) this.consumer?.resume([{ topic, partitions: [p] }]);
  }

  heldPartitions(): readonly number[] {
    return [...this.held.keys()];
  }

  partitionPosition(partition: number): number | undefined {
    const { topic, partition: p } = this.topicPartitionOf(partition);
    return this.polled.get(topic)?.get(p);
  }

  private topicPartitionOf(partition: number): KafkaTopicPartition {
    const topic = this.topics[Math.floor(partition / KAFKA_TOPIC_PARTITION_STRIDE)];
    if (topic === undefined) throw new RangeError(`fromKafka: partition id ${partition} names no topic of ${this.topics.join(', ')}`);
    return { topic, partition: partition % KAFKA_TOPIC_PARTITION_STRIDE };
  }

  /** Records fetched and waiting to be polled (bounded by about `maxBuffered` plus one fetch). */
  bufferedRecords(): number {
    return this.buffered;
  }

  /** Topic partitions currently assigned to this instance. */
  assignment(): readonly KafkaTopicPartition[] {
    return this.assigned;
  }

  partitions(): readonly number[] {
    return this.assigned.map((tp) => this.partitionId(tp.topic, tp.partition));
  }

  async open(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    this.batchSize = this.options.batchSize ?? ctx.batchSize;
    this.maxBuffered = this.options.maxBuffered ?? 4 * this.batchSize;
    this.openedAt = ctx.now();
    this.holdNew = ctx.holdNewPartitions === true;
    this.restore(ctx.restoreFrom);
    ctx.signal.addEventListener('abort', () => this.wake?.(), { once: true });

    this.kafka = createKafkaClient(this.options);
    await this.startConsumer();
  }

  /** Creates, connects and runs the group consumer; its events are ignored once it is replaced. */
  private async startConsumer(): Promise<void> {
    const consumer = this.kafka!.consumer({
      groupId: this.options.groupId,
      sessionTimeout: this.options.sessionTimeout ?? 30_000,
      heartbeatInterval: this.options.heartbeatInterval ?? 3000,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: this.options.maxBytesPerPartition,
      maxWaitTimeInMs: this.options.maxWaitTimeMs ?? 100,
      retry: this.options.retry,
    });
    this.consumer = consumer;
    const current = () => consumer === this.consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => current() && this.onJoin(event.payload.memberAssignment));
    consumer.on(consumer.events.REBALANCING, () => current() && this.onRevoke());
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart && current()) void this.onCrash(event.payload.error);
    });
    try {
      await consumer.connect();
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      throw connectionError(error, this.options, `fromKafka(${this.topics.join(', ')})`, 'SOURCE_FAILED');
    }
    try {
      await consumer.subscribe({ topics: this.topics, fromBeginning: this.options.fromBeginning ?? false });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => this.onBatch(payload),
      });
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      throw new StreamkitError('SOURCE_FAILED', `fromKafka(${this.topics.join(', ')}): ${describeError(error)}`, { cause: error });
    }
    // Closed while a replacement consumer was starting.
    if (this.closed) await consumer.disconnect().catch(() => undefined);
  }

  /**
   * kafkajs gives up on some errors it meets while a broker restarts (a group coordinator it cannot
   * find, a connection closed mid-request) and stops the consumer for good. Unless the error is
   * one retrying cannot fix (authentication, authorization), a new consumer takes over, resuming
   * every partition after what was handed on; after `retry.retries` (default 5) failed starts in a
   * row the source fails.
   */
  private async onCrash(error: unknown): Promise<void> {
    const failure = () =>
      new StreamkitError('SOURCE_FAILED', `fromKafka(${this.topics.join(', ')}): consumer stopped: ${describeError(error)}`, {
        cause: error,
      });
    if (this.closed || this.ctx?.signal.aborted) return;
    if (isPermanentKafkaError(error)) return this.fail(failure());
    this.ctx?.metrics?.inc('kafka_consumer_restarts', { topic: this.topics.join(',') });
    const old = this.consumer;
    this.consumer = undefined;
    this.onRevoke();
    this.revoking = [];
    // The next assignment resumes each partition after what was handed on, whatever the group committed.
    this.resumeAt = new Map([...this.polled].map(([topic, parts]) => [topic, new Map(parts)]));
    await old?.disconnect().catch(() => undefined);
    const attempts = (this.options.retry?.retries ?? 5) + 1;
    for (let attempt = 1; !this.closed && !this.ctx?.signal.aborted; attempt++) {
      try {
        await this.startConsumer();
        return;
      } catch (restartError) {
        if (attempt >= attempts) return this.fail(failure());
        await new Promise((resolve) => setTimeout(resolve, Math.min(300 * 2 ** attempt, 5000)));
      }
    }
  }

  poll(): SourcePoll<T> | Promise<SourcePoll<T>> {
    if (this.failure !== undefined) throw this.failure;
    if (this.ended) return { kind: 'end' };
    const chunk = this.buffer.shift();
    if (chunk) return this.hand(chunk);
    if (this.endIfIdle()) return { kind: 'end' };
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
    const out: KafkaPosition = {};
    for (const [topic, parts] of this.polled) {
      const t: Record<string, number> = (out[topic] = {});
      for (const [p, offset] of parts) t[String(p)] = offset;
    }
    return out;
  }

  /**
   * Commits `position` to the consumer group, for the partitions this instance owns or is handing
   * over in a rebalance under way. A commit
   * refused because a rebalance is under way is skipped: the next checkpoint commits again, and until
   * then a new owner replays from the previous commit (at-least-once).
   */
  async commit(position: unknown): Promise<void> {
    const consumer = this.consumer;
    if (!consumer || this.closed) return;
    // Only partitions this member owns (or is handing over): the broker checks the generation, not
    // ownership, so committing a partition another member owns now would move its offset back.
    const owned = new Set([...this.assigned, ...this.revoking].map((tp) => `${tp.topic}\u0000${tp.partition}`));
    const offsets: Array<{ topic: string; partition: number; offset: string }> = [];
    for (const [topic, parts] of Object.entries((position ?? {}) as KafkaPosition)) {
      for (const [p, offset] of Object.entries(parts)) {
        const partition = Number(p);
        if (owned.has(`${topic}\u0000${partition}`)) offsets.push({ topic, partition, offset: String(offset) });
      }
    }
    if (offsets.length === 0) return;
    try {
      await consumer.commitOffsets(offsets);
      await this.committed(offsets);
    } catch (error) {
      if (isRebalanceError(error)) return;
      throw new StreamkitError('SOURCE_FAILED', `fromKafka(${this.topics.join(', ')}): offset commit failed: ${describeError(error)}`, {
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
    await this.consumer?.disconnect().catch(() => undefined);
  }

  private restore(from: unknown): void {
    if (from === undefined || from === null) return;
    if (typeof from !== 'object') {
      throw new StreamkitError(
        'STATE_INCOMPATIBLE',
        `fromKafka: cannot restore from position ${JSON.stringify(from)}: not a Kafka position`,
      );
    }
    for (const [topic, parts] of Object.entries(from as KafkaPosition)) {
      for (const [p, offset] of Object.entries(parts)) {
        if (!Number.isInteger(offset) || offset < 0) {
          throw new StreamkitError('STATE_INCOMPATIBLE', `fromKafka: restored offset for ${topic}/${p} is ${offset}, not an offset`);
        }
        setOffset(this.polled, topic, Number(p), offset);
        setOffset(this.fetched, topic, Number(p), offset);
        setOffset(this.pendingSeeks, topic, Number(p), offset);
      }
    }
  }

  private async onBatch({ batch, isRunning, isStale, heartbeat, resolveOffset }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const pid = this.partitionId(topic, partition);
    if (this.held.has(pid)) {
      // Fetched before the pause took effect: read again once the partition's task has started.
      if (this.held.get(pid) === undefined && batch.messages.length > 0) this.held.set(pid, Number(batch.messages[0].offset));
      return;
    }
    const floor = this.fetched.get(topic)?.get(partition) ?? 0;
    let values: T[] = [];
    let positions: number[] = [];
    let dead: KafkaDeadLetter[] = [];
    let next = floor;
    // The last offset taken care of (buffered, dead-lettered or below the floor). Only offsets up to
    // it are resolved, so a batch cut short (a seek or a stop) is fetched again from there.
    let done: string | undefined;
    const flush = () => {
      if (values.length === 0 && dead.length === 0) return;
      this.buffer.push({ topic, partition, next, batch: { values, positions, partition: pid }, dead });
      this.buffered += values.length;
      values = [];
      positions = [];
      dead = [];
    };
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      const offset = Number(message.offset);
      // Below the floor: already buffered, handed on, or covered by the restored checkpoint.
      if (offset >= floor) {
        if (message.value === null) {
          dead.push(this.deadLetter('message has no value (tombstone)', topic, partition, pid, message));
        } else {
          try {
            let value = this.deserializer.deserialize(message.value, message);
            if (value instanceof Promise) value = await value;
            values.push(value as T);
            positions.push(offset);
          } catch (error) {
            dead.push(this.deadLetter(`deserialize failed: ${describeError(error)}`, topic, partition, pid, message));
          }
        }
        next = offset + 1;
        if (values.length >= this.batchSize) flush();
      }
      done = message.offset;
    }
    flush();
    if (next > floor) setOffset(this.fetched, topic, partition, next);
    if (done !== undefined) resolveOffset(done);
    if (batch.messages.length > 0) this.lastMessageAt = this.ctx?.now() ?? Date.now();
    // Consumer lag per partition: messages on the broker after this batch (the high watermark minus the next offset).
    this.ctx?.metrics?.set('kafka_consumer_lag', { topic: batch.topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
    if (!this.paused && this.buffered >= this.maxBuffered) this.pause();
    this.wake?.();
    if (isRunning()) await heartbeat();
  }

  private deadLetter(
    reason: string,
    topic: string,
    partition: number,
    pid: number,
    message: EachBatchPayload['batch']['messages'][number],
  ): KafkaDeadLetter {
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
      position: { partition: pid, offset: Number(message.offset) },
      operator: this.name,
      topic,
      kafkaPartition: partition,
      offset: message.offset,
      headers,
    };
  }

  private hand(chunk: Chunk<T>): SourcePoll<T> {
    let { batch, dead, next } = chunk;
    if (this.options.maxRecords !== undefined) {
      const room = this.options.maxRecords - this.emitted;
      if (batch.values.length >= room) {
        // Cut the chunk at maxRecords so the position (and a checkpoint) covers only what was handed on.
        this.ended = true;
        if (batch.values.length > room) {
          next = batch.positions[room - 1] + 1;
          batch = { values: batch.values.slice(0, room), positions: batch.positions.slice(0, room), partition: batch.partition };
          dead = dead.filter((d) => (d.position?.offset ?? 0) < next);
        }
      }
    }
    this.buffered -= chunk.batch.values.length;
    this.emitted += batch.values.length;
    setOffset(this.polled, chunk.topic, chunk.partition, next);
    if (this.paused && this.buffered <= this.maxBuffered / 2) this.resume();
    const deadLetters = dead.length > 0 ? (dead as DeadLetter[]) : undefined;
    if (batch.values.length === 0) return { kind: 'idle', deadLetters };
    return { kind: 'batch', batch, deadLetters };
  }

  private endIfIdle(): boolean {
    if (this.stopWhenIdleMs === undefined || !this.ctx) return false;
    const now = this.ctx.now();
    // Before the group is joined nothing can arrive; allow a session timeout for the join itself.
    const since =
      this.joinedAt === undefined ? this.openedAt + (this.options.sessionTimeout ?? 30_000) : Math.max(this.joinedAt, this.lastMessageAt);
    if (now - since < this.stopWhenIdleMs) return false;
    this.ended = true;
    return true;
  }

  private onJoin(memberAssignment: Record<string, number[]>): void {
    const assigned: KafkaTopicPartition[] = [];
    for (const topic of this.topics) {
      for (const partition of [...(memberAssignment[topic] ?? [])].sort((a, b) => a - b)) assigned.push({ topic, partition });
    }
    this.assigned = assigned;
    this.revoking = [];
    this.joinedAt = this.ctx?.now() ?? Date.now();
    // Start restored partitions at the checkpoint's position even when the group's committed offset
    // is missing or ahead of it (a commit lost, the group deleted, or fromBeginning false): the
    // checkpoint, not the group, decides where a restored job resumes.
    for (const { topic, partition } of assigned) {
      const offset = this.pendingSeeks.get(topic)?.get(partition) ?? this.resumeAt?.get(topic)?.get(partition);
      if (offset === undefined) continue;
      this.pendingSeeks.get(topic)?.delete(partition);
      this.consumer?.seek({ topic, partition, offset: String(offset) });
    }
    this.resumeAt = undefined;
    if (this.holdNew) {
      for (const { topic, partition } of assigned) this.held.set(this.partitionId(topic, partition), undefined);
      for (const topic of this.topics) {
        const partitions = assigned.filter((tp) => tp.topic === topic).map((tp) => tp.partition);
        if (partitions.length > 0) this.consumer?.pause([{ topic, partitions }]);
      }
    }
    if (this.paused) this.pauseConsumer();
    this.emit({ type: 'assigned', partitions: assigned });
  }

  private onRevoke(): void {
    const revoked = this.assigned;
    this.assigned = [];
    this.revoking = revoked;
    // Buffered records of revoked partitions are dropped: whoever owns them next reads them again
    // from the committed offset. Fetching restarts from what was handed on.
    const lost = new Set(revoked.map((tp) => `${tp.topic}\u0000${tp.partition}`));
    for (const { topic, partition } of revoked) this.held.delete(this.partitionId(topic, partition));
    for (let i = this.buffer.length - 1; i >= 0; i--) {
      const c = this.buffer[i];
      if (!lost.has(`${c.topic}\u0000${c.partition}`)) continue;
      this.buffered -= c.batch.values.length;
      this.buffer.splice(i, 1);
    }
    for (const { topic, partition } of revoked) {
      const handed = this.polled.get(topic)?.get(partition);
      if (handed === undefined) this.fetched.get(topic)?.delete(partition);
      else setOffset(this.fetched, topic, partition, handed);
    }
    if (revoked.length > 0) {
      // Best effort: kafkajs cannot hold the rebalance, but a checkpoint taken now commits what
      // this instance processed, so the next owner re-reads as little as possible.
      this.ctx?.requestCheckpoint?.();
      this.emit({ type: 'revoked', partitions: revoked });
    }
  }

  private emit(event: KafkaRebalanceEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.fail(
          new StreamkitError('USER_FUNCTION_FAILED', `fromKafka: onRebalance listener threw: ${describeError(error)}`, { cause: error }),
        );
      }
    }
  }

  private pause(): void {
    this.paused = true;
    this.pauseConsumer();
  }

  private pauseConsumer(): void {
    this.consumer?.pause(this.topics.map((topic) => ({ topic })));
  }

  private resume(): void {
    this.paused = false;
    this.consumer?.resume(this.topics.map((topic) => ({ topic })));
    // Partitions still waiting for their task stay paused.
    for (const pid of this.held.keys()) {
      const { topic, partition } = this.topicPartitionOf(pid);
      this.consumer?.pause([{ topic, partitions: [partition] }]);
    }
  }

  private fail(error: unknown): void {
    this.failure ??= error;
    this.wake?.();
  }
}

interface Chunk<T> {
  topic: string;
  partition: number;
  /** Offset after the last message this chunk covers (records and dead letters). */
  next: number;
  batch: Batch<T>;
  dead: KafkaDeadLetter[];
}

function setOffset(map: Map<string, Map<number, number>>, topic: string, partition: number, offset: number): void {
  let parts = map.get(topic);
  if (!parts) map.set(topic, (parts = new Map()));
  parts.set(partition, offset);
}

const REBALANCE_ERRORS = new Set([
  'REBALANCE_IN_PROGRESS',
  'UNKNOWN_MEMBER_ID',
  'ILLEGAL_GENERATION',
  'NOT_COORDINATOR',
  'COORDINATOR_NOT_AVAILABLE',
]);

function isRebalanceError(error: unknown): boolean {
  const type = (error as { type?: unknown }).type;
  if (typeof type === 'string' && REBALANCE_ERRORS.has(type)) return true;
  return error instanceof kafkajs().KafkaJSError && /rebalanc|not a member|generation/i.test(error.message);
}

/**
 * Reads a Kafka (or Redpanda) topic as a consumer group, with offsets committed only when a
 * checkpoint completes.
 *
 * @param options - `brokers`, `topic` or `topics`, `groupId`; optional `fromBeginning`,
 *   `deserializer` (default JSON), `batchSize`, `maxBuffered`, `maxRecords`, `stopWhenIdle`,
 *   connection settings (`ssl`, `sasl`, `clientId`, `connectionTimeout`, `retry`) and `onRebalance`
 * @returns a pull-based source: each batch holds records of one partition; messages whose value
 *   fails to deserialize come back as dead letters with the reason, topic, partition, offset and
 *   raw bytes. An unreachable cluster fails `run()` with `StreamkitError` code `BROKER_UNREACHABLE`.
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
