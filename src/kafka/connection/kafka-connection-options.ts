import type { Kafka as KafkaClient, KafkaConfig, LogEntry, RetryOptions, SASLOptions } from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';
import { StreamkitError, type StreamkitErrorCode } from '../core/errors.js';
import { lazyModule } from '../core/lazy-module.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { maskUrlCredentials } from '../observability/mask-secrets.js';

/**
 * kafkajs, loaded at first use: a job that never touches Kafka (the embedded taxi run, most tests)
 * does not pay its start-up.
 */
export const kafkajs = lazyModule<typeof import('kafkajs')>('kafkajs');

/** How to reach a Kafka (or Redpanda) cluster: shared by `fromKafka`, `toKafka` and `toKafkaDeadLetters`. */
export interface KafkaConnectionOptions {
  /** Bootstrap brokers, `host:port`. */
  brokers: string[];
  /** Client id shown in broker logs and quotas (default `'streamkit'`). */
  clientId?: string;
  /** TLS: `true` for the system CAs, or Node TLS options (ca, cert, key). */
  ssl?: boolean | ConnectionOptions;
  /** SASL (plain, scram-sha-256, scram-sha-512, aws, oauthbearer). The password is never logged. */
  sasl?: SASLOptions;
  /** Milliseconds to wait for a TCP connection to a broker (default 3000). */
  connectionTimeout?: number;
  /** Milliseconds to wait for a request (default 30 000). */
  requestTimeout?: number;
  /**
   * Retries when connecting and on retriable errors (kafkajs semantics). Default
   * `{ retries: 5, initialRetryTime: 300, maxRetryTime: 5000 }`: an unreachable cluster fails after
   * roughly ten seconds with `BROKER_UNREACHABLE` rather than hanging.
   */
  retry?: RetryOptions;
  /** kafkajs log level (default `'error'`). Secrets are masked in every entry. */
  logLevel?: 'nothing' | 'error' | 'warn' | 'info' | 'debug';
  /** Where kafkajs log lines go (default: a `createLogger()` on stderr). */
  logger?: Logger;
}

/** kafkajs' `logLevel` values (part of its API), written out so that naming one does not load kafkajs. */
const LOG_LEVELS = { nothing: 0, error: 1, warn: 2, info: 4, debug: 5 } as const;

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

/** Validates connection options at the call site; `who` names the factory in messages. */
export function validateConnectionOptions(options: KafkaConnectionOptions, who: string): void {
  if (options === null || typeof options !== 'object') throw new TypeError(`${who}: options must be an object`);
  const { brokers } = options;
  if (!Array.isArray(brokers) || brokers.length === 0) {
    throw new TypeError(`${who}: option "brokers" must be a non-empty array of "host:port" strings`);
  }
  for (const b of brokers) {
    if (typeof b !== 'string' || !/^[^\s:]+:\d+$/.test(b.replace(/^\[[^\]]+\]/, 'ipv6'))) {
      throw new TypeError(
        `${who}: option "brokers" must hold "host:port" strings, got ${JSON.stringify(typeof b === 'string' ? maskUrlCredentials(b) : b)}`,
      );
    }
  }
  for (const name of ['connectionTimeout', 'requestTimeout'] as const) {
    const v = options[name];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) {
      throw new RangeError(`${who}: option "${name}" must be a positive integer of milliseconds, got ${v}`);
    }
  }
  if (options.clientId !== undefined && (typeof options.clientId !== 'string' || options.clientId === '')) {
    throw new TypeError(`${who}: option "clientId" must be a non-empty string`);
  }
  if (options.logLevel !== undefined && !(options.logLevel in LOG_LEVELS)) {
    throw new TypeError(`${who}: option "logLevel" must be one of ${Object.keys(LOG_LEVELS).join(', ')}`);
  }
  if (options.retry !== undefined) {
    const r = options.retry.retries;
    if (r !== undefined && !(Number.isInteger(r) && r >= 0)) {
      throw new RangeError(`${who}: option "retry.retries" must be a non-negative integer, got ${r}`);
    }
  }
}

/** Makes a kafkajs client whose logs go to the streamkit logger, secrets masked. */
export function createKafkaClient(options: KafkaConnectionOptions): KafkaClient {
  const logger = options.logger ?? createLogger({ level: 'debug' });
  const config: KafkaConfig = {
    brokers: options.brokers,
    clientId: options.clientId ?? 'streamkit',
    ssl: options.ssl,
    sasl: options.sasl,
    connectionTimeout: options.connectionTimeout ?? 3000,
    requestTimeout: options.requestTimeout ?? 30_000,
    retry: options.retry ?? { retries: 5, initialRetryTime: 300, maxRetryTime: 5000 },
    logLevel: LOG_LEVELS[options.logLevel ?? 'error'],
    logCreator: () => (entry: LogEntry) => {
      const { message, ...fields } = entry.log as { message?: string } & Record<string, unknown>;
      const text = `kafka ${entry.namespace}: ${String(message ?? '')}`;
      // the logger masks secrets in both the message and the fields
      if (entry.level <= LOG_LEVELS.error) logger.error(text, fields);
      else if (entry.level === LOG_LEVELS.warn) logger.warn(text, fields);
      else if (entry.level === LOG_LEVELS.info) logger.info(text, fields);
      else logger.debug(text, fields);
    },
  };
  return new (kafkajs().Kafka)(config);
}

const AUTH_ERRORS = new Set(['KafkaJSSASLAuthenticationError']);

/**
 * Turns a kafkajs connect failure into a `StreamkitError` that names the brokers: `BROKER_UNREACHABLE`
 * when no broker answered after the retries, `failureCode` for the rest (authentication, protocol).
 */
export function connectionError(
  error: unknown,
  options: KafkaConnectionOptions,
  who: string,
  failureCode: StreamkitErrorCode,
): StreamkitError {
  const brokers = options.brokers.join(', ');
  const chain = causeChain(error);
  if (chain.some((e) => AUTH_ERRORS.has(e.name))) {
    return new StreamkitError(
      failureCode,
      `${who}: authentication to Kafka brokers ${brokers} failed: ${maskUrlCredentials(innermostMessage(chain))}`,
      { cause: error },
    );
  }
  const retries = (options.retry?.retries ?? 5) + 1;
  return new StreamkitError(
    'BROKER_UNREACHABLE',
    `${who}: cannot reach Kafka brokers ${brokers} after ${retries} attempts: ${maskUrlCredentials(innermostMessage(chain))}`,
    { cause: error, retriable: true },
  );
}

/** Errors no retry fixes: bad credentials, missing rights. */
export function isPermanentKafkaError(error: unknown): boolean {
  return causeChain(error).some(
    (e) => AUTH_ERRORS.has(e.name) || /AUTHORIZATION|AUTHENTICATION/.test(String((e as { type?: unknown }).type ?? '')),
  );
}

/** An error and the errors it wraps (kafkajs' `originalError`, or `cause`), outermost first. */
export function causeChain(error: unknown): Error[] {
  const chain: Error[] = [];
  let e: unknown = error;
  while (e instanceof Error && chain.length < 10) {
    chain.push(e);
    e = (e as { originalError?: unknown; cause?: unknown }).originalError ?? (e as { cause?: unknown }).cause;
  }
  return chain;
}

function innermostMessage(chain: Error[]): string {
  return chain.length === 0 ? 'unknown error' : chain[chain.length - 1].message;
}
