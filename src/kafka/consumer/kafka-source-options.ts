import { parseDuration, type Duration } from '../../core/duration.js';
import { checkOptions } from '../../core/options.js';
import { echoMasked } from '../../observability/mask-secrets.js';
import type { Deserializer } from '../../serde/serde.js';
import { CONNECTION_OPTION_NAMES, validateConnectionOptions, type KafkaConnectionOptions } from '../connection/kafka-connection-options.js';

/** One topic partition, by name and Kafka partition number. */
export interface KafkaTopicPartition {
  topic: string;
  partition: number;
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

/** Default of {@link KafkaSourceOptions.sessionTimeout}, in ms. */
export const DEFAULT_SESSION_TIMEOUT = 30_000;

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

const POSITIVE_INTEGER_OPTIONS = [
  'batchSize',
  'maxBuffered',
  'maxRecords',
  'maxBytesPerPartition',
  'maxWaitTimeMs',
  'sessionTimeout',
  'heartbeatInterval',
] as const;

/**
 * Validates {@link KafkaSourceOptions} at the call site.
 * @returns the topics read, in the order given, and `stopWhenIdle` in ms
 * @throws TypeError or RangeError naming the option and the rule
 */
export function validateSourceOptions(options: KafkaSourceOptions<unknown>): { topics: string[]; stopWhenIdleMs?: number } {
  validateConnectionOptions(options, 'fromKafka');
  checkOptions('fromKafka', options, SOURCE_OPTION_NAMES);
  if (options.topic !== undefined && options.topics !== undefined) {
    throw new TypeError('fromKafka: give either option "topic" or option "topics", not both');
  }
  const topics = options.topics ?? (options.topic !== undefined ? [options.topic] : undefined);
  if (!topics || !Array.isArray(topics) || topics.length === 0 || !topics.every((t) => typeof t === 'string' && t.length > 0)) {
    throw new TypeError('fromKafka: option "topic" (a non-empty string) or "topics" (a non-empty array of them) is required');
  }
  if (new Set(topics).size !== topics.length) throw new TypeError('fromKafka: option "topics" must not repeat a topic');
  if (typeof options.groupId !== 'string' || options.groupId.length === 0) {
    throw new TypeError('fromKafka: option "groupId" must be a non-empty string');
  }
  for (const name of POSITIVE_INTEGER_OPTIONS) {
    const v = options[name];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) {
      throw new RangeError(`fromKafka: option "${name}" must be a positive integer, got ${echoMasked(v)}`);
    }
  }
  if (options.deserializer !== undefined && typeof options.deserializer?.deserialize !== 'function') {
    throw new TypeError('fromKafka: option "deserializer" must have a deserialize(bytes) method');
  }
  if (options.onRebalance !== undefined && typeof options.onRebalance !== 'function') {
    throw new TypeError('fromKafka: option "onRebalance" must be a function');
  }
  let stopWhenIdleMs: number | undefined;
  if (options.stopWhenIdle !== undefined) {
    stopWhenIdleMs = parseDuration(options.stopWhenIdle, 'stopWhenIdle');
    if (stopWhenIdleMs <= 0) throw new RangeError('fromKafka: option "stopWhenIdle" must be greater than 0');
  }
  return { topics: [...topics], stopWhenIdleMs };
}
