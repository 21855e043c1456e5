import { parseDuration, type Duration } from '../core/duration.js';
import { describeError, StreamkitError } from '../core/errors.js';
import type { Operator } from '../core/operator.js';
import type { StateBackend } from '../core/state-backend.js';
import { checkOptions } from '../core/options.js';
import type { Sink } from '../core/sink.js';
import type { Source, SourceContext } from '../core/source.js';
import type { Admin } from 'kafkajs';
import type { Deserializer, MessageMetadata, Serializer } from '../serde/serde.js';
import { jsonSerde } from '../serde/json-serde.js';
import { toKafka, type KafkaSinkOptions } from './producer/kafka-sink.js';
import { KafkaSource } from './consumer/kafka-source.js';
import type { KafkaSourceOptions } from './consumer/kafka-source-options.js';
import { packPartitionId } from './partition-id.js';
import {
  createTopicsWithLeaders,
  CONNECTION_OPTION_NAMES,
  connectionError,
  createKafkaClient,
  validateConnectionOptions,
  type KafkaConnectionOptions,
} from './connection/index.js';
import { memoryState } from '../state/memory-state.js';
import type { WatermarkStrategy } from '../watermarks/watermark-strategy.js';
import {
  RepartitionReadOperator,
  RepartitionWriteOperator,
  type IncomingRecord,
  type OriginPartitions,
  type OutgoingRecord,
} from './repartition-operators.js';

/** Options of the consumer that reads the repartition topic (see {@link KafkaSourceOptions}). */
export type RepartitionConsumerOptions = Pick<
  KafkaSourceOptions<unknown>,
  | 'stopWhenIdle'
  | 'maxRecords'
  | 'batchSize'
  | 'maxBuffered'
  | 'maxBytesPerPartition'
  | 'maxWaitTimeMs'
  | 'sessionTimeout'
  | 'heartbeatInterval'
  | 'onRebalance'
>;

/** Options of the producer that writes the repartition topic (see {@link KafkaSinkOptions}). */
export type RepartitionProducerOptions = Pick<KafkaSinkOptions<unknown>, 'acks' | 'idempotent' | 'maxPendingSends'>;

/** Options of `stream.repartition(…)`. */
export interface RepartitionOptions<T> extends KafkaConnectionOptions {
  /** The repartition topic; created if missing. One per job: the job's two stages own it. */
  topic: string;
  /**
   * The new key: each record is written with this as message key, so all records of one key land in
   * one partition (kafkajs's default murmur2 partitioner, the Java client's). Strings and buffers
   * are used as they are, other values as JSON; `null`/`undefined` or a throw sends the record to
   * dead letters.
   */
  key: (value: T) => unknown;
  /**
   * Partitions of the topic when it is created. Default: the partition count of the `fromKafka`
   * topic the stream reads (the largest, with several), or 3 for other sources. An existing topic
   * is used as it is; it is an error if it has another count than a `partitions` given here.
   */
  partitions?: number;
  /** Replication factor of the created topic (default: the broker's `default.replication.factor`). */
  replicationFactor?: number;
  /** Consumer group of the stage after the repartition (default `<topic>.consumer`). */
  groupId?: string;
  /** Record → message value (default `jsonSerde()`); give `deserializer` with it. */
  serializer?: Serializer<T>;
  /** Message value → record (default `jsonSerde()`); give `serializer` with it. */
  deserializer?: Deserializer<T>;
  /**
   * How often the stage before the repartition commits its source offsets (default `'1s'`). Each
   * commit waits until the producer has every record before it acknowledged.
   */
  commitEvery?: Duration;
  /** End the stage after the repartition (`stopWhenIdle`, `maxRecords`) and tune its consumer. */
  consumer?: RepartitionConsumerOptions;
  /** Producer settings of the stage before it. */
  producer?: RepartitionProducerOptions;
  /**
   * Delete records of the repartition topic once the stage after it has committed past them
   * (default true), as Kafka Streams purges its repartition topics, so the topic does not grow
   * without bound. False keeps them (to inspect the topic).
   */
  purgeConsumed?: boolean;
}

/** Header names of repartition-topic messages. */
export const REPARTITION_HEADERS = {
  /** The record's event time, decimal epoch milliseconds; present when the stream was timestamped. */
  eventTime: 'streamkit.event-time',
  /** `<source partition>/<position>/<n>`: where the stage before the repartition read the record. */
  origin: 'streamkit.origin',
} as const;

const OPTION_NAMES = [
  ...CONNECTION_OPTION_NAMES,
  'topic',
  'key',
  'partitions',
  'replicationFactor',
  'groupId',
  'serializer',
  'deserializer',
  'commitEvery',
  'consumer',
  'producer',
  'purgeConsumed',
] as const;
const CONSUMER_OPTION_NAMES = [
  'stopWhenIdle',
  'maxRecords',
  'batchSize',
  'maxBuffered',
  'maxBytesPerPartition',
  'maxWaitTimeMs',
  'sessionTimeout',
  'heartbeatInterval',
  'onRebalance',
] as const;
const PRODUCER_OPTION_NAMES = ['acks', 'idempotent', 'maxPendingSends'] as const;
const DEFAULT_PARTITIONS = 3;

/** The pieces `Stream.repartition` splices into its two stages. */
export interface RepartitionParts {
  /** Appended to the stage before: keys and wraps each record. */
  writer: () => Operator;
  /** The producer ending the stage before. */
  sink: Sink;
  /** The consumer starting the stage after. */
  source: KafkaSource<IncomingRecord>;
  /** First operator of the stage after: unwraps, drops replayed copies, restores event time. */
  reader: () => Operator;
  /** Run options of the stage before: a checkpoint (producer flush, then offset commit) every `commitEvery`. */
  upstreamRunOptions(): { state: StateBackend; checkpointEvery: Duration };
}

/**
 * Builds the Kafka side of `stream.repartition(options)`; validates the options at once.
 * @param upstream the source of the stage before, and the watermark strategy when it is timestamped.
 */
export function repartitionParts<T>(
  options: RepartitionOptions<T>,
  upstream: { source: Source<unknown>; watermarks?: WatermarkStrategy },
): RepartitionParts {
  const who = `repartition(${typeof options?.topic === 'string' ? options.topic : '…'})`;
  validateConnectionOptions(options, who);
  checkOptions('repartition', options, OPTION_NAMES);
  if (typeof options.topic !== 'string' || options.topic.length === 0)
    throw new TypeError(`${who}: option "topic" must be a non-empty string`);
  if (typeof options.key !== 'function') throw new TypeError(`${who}: option "key" must be a function returning the new key`);
  for (const name of ['partitions', 'replicationFactor'] as const) {
    const v = options[name];
    if (v !== undefined && !(Number.isInteger(v) && v > 0))
      throw new RangeError(`${who}: option "${name}" must be a positive integer, got ${v}`);
  }
  if (options.groupId !== undefined && (typeof options.groupId !== 'string' || options.groupId.length === 0)) {
    throw new TypeError(`${who}: option "groupId" must be a non-empty string`);
  }
  if ((options.serializer === undefined) !== (options.deserializer === undefined)) {
    throw new TypeError(
      `${who}: give options "serializer" and "deserializer" together (the stage after reads what the stage before writes)`,
    );
  }
  if (options.serializer !== undefined && typeof options.serializer?.serialize !== 'function')
    throw new TypeError(`${who}: option "serializer" must have a serialize(value) method`);
  if (options.deserializer !== undefined && typeof options.deserializer?.deserialize !== 'function')
    throw new TypeError(`${who}: option "deserializer" must have a deserialize(bytes) method`);
  checkOptions(`${who} consumer`, options.consumer, CONSUMER_OPTION_NAMES);
  checkOptions(`${who} producer`, options.producer, PRODUCER_OPTION_NAMES);
  const commitEvery = parseDuration(options.commitEvery ?? '1s', 'commitEvery');
  if (commitEvery <= 0) throw new RangeError(`${who}: option "commitEvery" must be longer than 0 ms`);

  const connection = {} as Record<string, unknown>;
  for (const name of CONNECTION_OPTION_NAMES) if (options[name] !== undefined) connection[name] = options[name];
  const serializer = options.serializer ?? (jsonSerde() as Serializer<T>);
  const deserializer = options.deserializer ?? (jsonSerde() as Deserializer<T>);
  const origins: OriginPartitions = {};
  const prepare = memoize(() =>
    prepareTopic(options as RepartitionOptions<unknown>, connection as unknown as KafkaConnectionOptions, upstream.source, origins, who),
  );

  const producerOptions: KafkaSinkOptions<OutgoingRecord> = {
    ...(connection as unknown as KafkaConnectionOptions),
    ...options.producer,
    topic: options.topic,
    key: (r) => r.key as string,
    serializer: { serialize: (r) => serializer.serialize(r.value as T) },
    headers: (r): Record<string, string> =>
      r.time === undefined
        ? { [REPARTITION_HEADERS.origin]: r.origin }
        : { [REPARTITION_HEADERS.origin]: r.origin, [REPARTITION_HEADERS.eventTime]: String(r.time) },
    timestamp: (r) => r.time,
  };
  let producer = toKafka(producerOptions);
  const sink: Sink = {
    name: producer.name,
    open: async () => {
      await prepare();
      // A producer per run, so a stage can run again after its last run closed the previous one.
      producer = toKafka(producerOptions);
      await producer.open?.();
    },
    write: (items) => producer.write(items as OutgoingRecord[]),
    flush: () => producer.flush?.(),
    close: () => producer.close?.(),
  };

  const source = new RepartitionSource<IncomingRecord>(
    {
      ...(connection as unknown as KafkaConnectionOptions),
      ...options.consumer,
      topic: options.topic,
      groupId: options.groupId ?? `${options.topic}.consumer`,
      // The stage before may have written before this group first joined: read the topic from its start.
      fromBeginning: true,
      deserializer: incomingDeserializer(deserializer),
    },
    prepare,
    options.purgeConsumed ?? true,
  );

  const keyOf = options.key as (value: unknown) => unknown;
  const { watermarks } = upstream;
  return {
    writer: () => new RepartitionWriteOperator(keyOf) as Operator,
    sink,
    source,
    reader: () => new RepartitionReadOperator(watermarks, origins) as Operator,
    // A fresh backend per run: the checkpoint only sequences flush-then-commit; where a Kafka input
    // resumes is the group's committed offsets, and other inputs are read again from their start.
    upstreamRunOptions: () => ({ state: memoryState(), checkpointEvery: commitEvery }),
  };
}

/**
 * The consumer of a repartition topic: makes sure the topic exists before joining the group, and
 * deletes what the group has committed, as Kafka Streams purges its repartition topics: a
 * committed offset is never read again (a restore starts at a checkpoint at or after it).
 */
class RepartitionSource<T> extends KafkaSource<T> {
  private purger?: Admin;
  private readonly purgerTopics = new Set<string>();

  constructor(
    private readonly sourceOptions: KafkaSourceOptions<T>,
    private readonly prepare: () => Promise<void>,
    private readonly purge: boolean,
  ) {
    super(sourceOptions);
  }

  override async open(ctx: SourceContext): Promise<void> {
    await this.prepare();
    await super.open(ctx);
  }

  protected override async committed(offsets: ReadonlyArray<{ topic: string; partition: number; offset: string }>): Promise<void> {
    if (!this.purge) return;
    try {
      if (!this.purger) {
        this.purger = createKafkaClient(this.sourceOptions).admin();
        await this.purger.connect();
      }
      for (const topic of new Set(offsets.map((o) => o.topic))) {
        const partitions = offsets.filter((o) => o.topic === topic).map(({ partition, offset }) => ({ partition, offset }));
        // kafkajs finds partition leaders in metadata it has loaded for the topic.
        if (!this.purgerTopics.has(topic)) {
          await this.purger.fetchTopicMetadata({ topics: [topic] });
          this.purgerTopics.add(topic);
        }
        await this.purger.deleteTopicRecords({ topic, partitions });
      }
    } catch {
      // Best effort: what stays is deleted after the next commit.
    }
  }

  override async close(): Promise<void> {
    await super.close();
    await this.purger?.disconnect().catch(() => undefined);
  }
}

function incomingDeserializer<T>(inner: Deserializer<T>): Deserializer<IncomingRecord> {
  return {
    deserialize(bytes: Buffer, message?: MessageMetadata): IncomingRecord | Promise<IncomingRecord> {
      const origin = header(message, REPARTITION_HEADERS.origin);
      const match = origin === undefined ? null : /^(\d+)\/(\d+)\/(\d+)$/.exec(origin);
      if (!match) throw new TypeError(`message has no valid ${REPARTITION_HEADERS.origin} header: it was not written by repartition()`);
      const timeText = header(message, REPARTITION_HEADERS.eventTime);
      const time = timeText === undefined ? undefined : Number(timeText);
      if (time !== undefined && !Number.isSafeInteger(time))
        throw new TypeError(`bad ${REPARTITION_HEADERS.eventTime} header ${JSON.stringify(timeText)}`);
      const record = (value: T): IncomingRecord => ({
        value,
        time,
        originPartition: Number(match[1]),
        originPosition: Number(match[2]),
        originSeq: Number(match[3]),
      });
      const value = inner.deserialize(bytes, message);
      return value instanceof Promise ? value.then(record) : record(value);
    },
  };
}

function header(message: MessageMetadata | undefined, name: string): string | undefined {
  const v = message?.headers?.[name];
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v[0] : v).toString();
}

/**
 * Creates the topic if missing (partitions as documented on {@link RepartitionOptions}; deletes by
 * age never, since event times may be old: `retention.ms=-1`), and learns the partitions of the
 * stage before, which the stage after tracks watermarks over.
 */
async function prepareTopic(
  options: RepartitionOptions<unknown>,
  connection: KafkaConnectionOptions,
  upstream: Source<unknown>,
  origins: OriginPartitions,
  who: string,
): Promise<void> {
  const admin = createKafkaClient(connection).admin();
  try {
    await admin.connect();
  } catch (error) {
    await admin.disconnect().catch(() => undefined);
    throw connectionError(error, connection, who, 'SINK_FAILED');
  }
  try {
    let partitions = options.partitions;
    if (upstream instanceof KafkaSource) {
      const counts = await partitionCounts(admin, upstream.topics);
      if (counts) {
        origins.known = upstream.topics.flatMap((topic, i) => Array.from({ length: counts.get(topic)! }, (_, p) => packPartitionId(i, p)));
        partitions ??= Math.max(...counts.values());
      }
    } else {
      origins.known = [...upstream.partitions()];
    }
    const wanted = partitions ?? DEFAULT_PARTITIONS;
    // Created only when missing; instances that race get `false` from kafkajs for an existing topic.
    if (!(await partitionCounts(admin, [options.topic])))
      await createTopicsWithLeaders(admin, [
        {
          topic: options.topic,
          numPartitions: wanted,
          replicationFactor: options.replicationFactor ?? -1,
          configEntries: [
            { name: 'cleanup.policy', value: 'delete' },
            { name: 'retention.ms', value: '-1' },
          ],
        },
      ]);
    const actual = (await partitionCounts(admin, [options.topic]))?.get(options.topic);
    if (actual === undefined) throw new StreamkitError('SINK_FAILED', `${who}: topic ${options.topic} was not created`);
    if (options.partitions !== undefined && actual !== options.partitions) {
      throw new StreamkitError(
        'PIPELINE_INVALID',
        `${who}: topic ${options.topic} exists with ${actual} partitions, but option "partitions" is ${options.partitions}`,
      );
    }
  } catch (error) {
    if (error instanceof StreamkitError) throw error;
    throw new StreamkitError('SINK_FAILED', `${who}: could not prepare topic ${options.topic}: ${describeError(error)}`, {
      cause: error,
      retriable: true,
    });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Partition count per topic, or undefined when one of them does not exist. */
async function partitionCounts(
  admin: ReturnType<ReturnType<typeof createKafkaClient>['admin']>,
  topics: readonly string[],
): Promise<Map<string, number> | undefined> {
  try {
    const { topics: found } = await admin.fetchTopicMetadata({ topics: [...topics] });
    return new Map(found.map((t) => [t.name, t.partitions.length]));
  } catch {
    return undefined;
  }
}

/** Runs `fn` once; a failed run is forgotten so the next call tries again. */
function memoize(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () =>
    (running ??= fn().catch((error) => {
      running = undefined;
      throw error;
    }));
}
