import type { RetryOptions, SASLOptions } from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';
import type { Logger } from '../../observability/logger.js';
import { echoMasked } from '../../observability/mask-secrets.js';

/** How to reach a Kafka (or Redpanda) cluster: shared by every Kafka source, sink, changelog and repartition. */
export interface KafkaConnectionOptions {
  /** Bootstrap brokers, `host:port`. */
  brokers: string[];
  /** Client id shown in broker logs and quotas (default `'streamkit'`). */
  clientId?: string;
  /** TLS: `true` for the system CAs, or Node TLS options (ca, cert, key). The key is never logged. */
  ssl?: boolean | ConnectionOptions;
  /** SASL (plain, scram-sha-256, scram-sha-512, aws, oauthbearer). The password is never logged. */
  sasl?: SASLOptions;
  /**
   * Milliseconds a new connection to a broker may take, from opening the socket (TCP, then TLS) to
   * the broker's answer to the handshake that opens it (`ApiVersions`, or the SASL handshake); default
   * 3000. A broker that accepts the connection and never answers is dropped after this long, as one
   * that refuses it, and the attempt retried.
   */
  connectionTimeout?: number;
  /** Milliseconds to wait for the answer to any other request (default 30 000), a long-polling fetch included. */
  requestTimeout?: number;
  /**
   * Retries when connecting and on retriable errors (kafkajs semantics). Default
   * `{ retries: 5, initialRetryTime: 300, maxRetryTime: 5000 }`: a cluster that refuses connections
   * fails after about ten seconds, one that accepts them and never answers after about
   * `6 × connectionTimeout` plus that, with `BROKER_UNREACHABLE`, rather than hanging.
   */
  retry?: RetryOptions;
  /** kafkajs log level (default `'error'`). Secrets are masked in every entry. */
  logLevel?: 'nothing' | 'error' | 'warn' | 'info' | 'debug';
  /** Where kafkajs log lines go (default: a `createLogger()` on stderr). */
  logger?: Logger;
}

/** Default of {@link KafkaConnectionOptions.connectionTimeout}, in ms. */
export const DEFAULT_CONNECTION_TIMEOUT = 3000;
/** Default of {@link KafkaConnectionOptions.requestTimeout}, in ms. */
export const DEFAULT_REQUEST_TIMEOUT = 30_000;
/** Default of {@link KafkaConnectionOptions.retry}: six attempts, about ten seconds of back-off in all. */
export const DEFAULT_RETRY: RetryOptions = { retries: 5, initialRetryTime: 300, maxRetryTime: 5000 };

/** kafkajs' `logLevel` values (part of its API), written out so that naming one does not load kafkajs. */
export const KAFKAJS_LOG_LEVELS = { nothing: 0, error: 1, warn: 2, info: 4, debug: 5 } as const;

/** Names of {@link KafkaConnectionOptions}, for unknown-option checks. */
export const CONNECTION_OPTION_NAMES = [
  'brokers',
  'clientId',
  'ssl',
  'sasl',
  'connectionTimeout',
  'requestTimeout',
  'retry',
  'logLevel',
  'logger',
] as const;

/**
 * Validates connection options at the call site; `who` names the factory in messages. A value
 * echoed in a message is masked first: a broker written `user:password@host:port` shows as
 * `***@host:port`.
 */
export function validateConnectionOptions(options: KafkaConnectionOptions, who: string): void {
  if (options === null || typeof options !== 'object') throw new TypeError(`${who}: options must be an object`);
  const { brokers } = options;
  if (!Array.isArray(brokers) || brokers.length === 0) {
    throw new TypeError(`${who}: option "brokers" must be a non-empty array of "host:port" strings`);
  }
  for (const b of brokers) {
    if (typeof b !== 'string' || !/^[^\s:@/]+:\d+$/.test(b.replace(/^\[[^\]]+\]/, 'ipv6'))) {
      throw new TypeError(`${who}: option "brokers" must hold "host:port" strings, got ${echoMasked(b)}`);
    }
  }
  for (const name of ['connectionTimeout', 'requestTimeout'] as const) {
    const v = options[name];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) {
      throw new RangeError(`${who}: option "${name}" must be a positive integer of milliseconds, got ${echoMasked(v)}`);
    }
  }
  if (options.clientId !== undefined && (typeof options.clientId !== 'string' || options.clientId === '')) {
    throw new TypeError(`${who}: option "clientId" must be a non-empty string`);
  }
  if (options.logLevel !== undefined && !(options.logLevel in KAFKAJS_LOG_LEVELS)) {
    throw new TypeError(`${who}: option "logLevel" must be one of ${Object.keys(KAFKAJS_LOG_LEVELS).join(', ')}`);
  }
  if (options.retry !== undefined) {
    const r = options.retry.retries;
    if (r !== undefined && !(Number.isInteger(r) && r >= 0)) {
      throw new RangeError(`${who}: option "retry.retries" must be a non-negative integer, got ${echoMasked(r)}`);
    }
  }
}
