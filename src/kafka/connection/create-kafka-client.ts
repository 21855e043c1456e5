import type { Kafka as KafkaClient, KafkaConfig, LogEntry } from 'kafkajs';
import { lazyModule } from '../../core/lazy-module.js';
import { createLogger, maskedLogger } from '../../observability/logger.js';
import { brokerSocketFactory } from './broker-socket-factory.js';
import {
  DEFAULT_CONNECTION_TIMEOUT,
  DEFAULT_REQUEST_TIMEOUT,
  DEFAULT_RETRY,
  KAFKAJS_LOG_LEVELS,
  type KafkaConnectionOptions,
} from './kafka-connection-options.js';

/**
 * kafkajs, loaded at first use: a job that never touches Kafka (the embedded taxi run, most tests)
 * does not pay its start-up.
 */
export const kafkajs = lazyModule<typeof import('kafkajs')>(
  'kafkajs',
  'Kafka (fromKafka, toKafka, toKafkaDeadLetters, kafkaChangelog, repartition)',
);

/**
 * Makes a kafkajs client for `options`: the documented defaults, connections whose handshake must be
 * answered within `connectionTimeout` (see {@link brokerSocketFactory}), and log entries sent to the
 * streamkit logger, which masks secrets in messages and fields. Every Kafka client streamkit uses
 * is made here, so every connection is bounded the same way.
 */
export function createKafkaClient(options: KafkaConnectionOptions): KafkaClient {
  const logger = maskedLogger(options.logger ?? createLogger({ level: 'debug' }));
  const connectionTimeout = options.connectionTimeout ?? DEFAULT_CONNECTION_TIMEOUT;
  const config: KafkaConfig = {
    brokers: options.brokers,
    clientId: options.clientId ?? 'streamkit',
    ssl: options.ssl,
    sasl: options.sasl,
    connectionTimeout,
    requestTimeout: options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT,
    // kafkajs's default since 2.0, written out: the request timeout is what bounds a broker gone silent.
    enforceRequestTimeout: true,
    socketFactory: brokerSocketFactory(connectionTimeout),
    retry: options.retry ?? DEFAULT_RETRY,
    logLevel: KAFKAJS_LOG_LEVELS[options.logLevel ?? 'error'],
    logCreator: () => (entry: LogEntry) => {
      const { message, ...fields } = entry.log as { message?: string } & Record<string, unknown>;
      const text = `kafka ${entry.namespace}: ${String(message ?? '')}`;
      // the logger masks secrets in both the message and the fields
      if (entry.level <= KAFKAJS_LOG_LEVELS.error) logger.error(fields, text);
      else if (entry.level === KAFKAJS_LOG_LEVELS.warn) logger.warn(fields, text);
      else if (entry.level === KAFKAJS_LOG_LEVELS.info) logger.info(fields, text);
      else logger.debug(fields, text);
    },
  };
  return new (kafkajs().Kafka)(config);
}
