import kafkajs from 'kafkajs';
import type { Kafka as KafkaClient, KafkaConfig, LogEntry, RetryOptions, SASLOptions } from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';
import { StreamkitError, type StreamkitErrorCode } from '../../core/errors.js';

const { Kafka, logLevel: KafkaLogLevel } = kafkajs;

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
  /** kafkajs log level written to stderr (default `'error'`). Secrets are masked in every entry. */
  logLevel?: 'nothing' | 'error' | 'warn' | 'info' | 'debug';
}

const LOG_LEVELS = {
  nothing: KafkaLogLevel.NOTHING,
  error: KafkaLogLevel.ERROR,
  warn: KafkaLogLevel.WARN,
  info: KafkaLogLevel.INFO,
  debug: KafkaLogLevel.DEBUG,
} as const;

/** Validates connection options at the call site; `who` names the factory in messages. */
export function validateConnectionOptions(options: KafkaConnectionOptions, who: string): void {
  if (options === null || typeof options !== 'object') throw new TypeError(`${who}: options must be an object`);
  const { brokers } = options;
  if (!Array.isArray(brokers) || brokers.length === 0) {
    throw new TypeError(`${who}: option "brokers" must be a non-empty array of "host:port" strings`);
  }
  for (const b of brokers) {
    if (typeof b !== 'string' || !/^[^\s:]+:\d+$/.test(b.replace(/^\[[^\]]+\]/, 'ipv6'))) {
      throw new TypeError(`${who}: option "brokers" must hold "host:port" strings, got ${JSON.stringify(maskSecrets(b))}`);
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

/** Makes a kafkajs client whose logs go to stderr with secrets masked. */
export function createKafkaClient(options: KafkaConnectionOptions): KafkaClient {
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
      const { message, ...extra } = entry.log as { message?: string } & Record<string, unknown>;
      const level = entry.level <= KafkaLogLevel.ERROR ? 'ERROR' : entry.level === KafkaLogLevel.WARN ? 'WARN' : 'INFO';
      process.stderr.write(
        `[streamkit kafka] ${level} ${entry.namespace}: ${maskSecrets(String(message ?? ''))} ${JSON.stringify(maskSecrets(extra))}\n`,
      );
    },
  };
  return new Kafka(config);
}

const SECRET_KEY = /pass(word)?|secret|token|credential|authorization|sasl|private.?key/i;

/**
 * Replaces secrets with `***`: values under keys that name a password, token or key, and the
 * password of `user:password@host` text. Use it on anything that may reach a log or an error.
 *
 * @example
 * maskSecrets({ sasl: { username: 'u', password: 'p' } }); // { sasl: '***' }
 */
export function maskSecrets<V>(value: V): V {
  if (typeof value === 'string') return value.replace(/\/\/([^:@/\s]+):([^@/\s]+)@/g, '//$1:***@') as V;
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v)) as V;
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '***' : maskSecrets(v);
    return out as V;
  }
  return value;
}

const AUTH_ERRORS = new Set(['KafkaJSSASLAuthenticationError']);

/**
 * Turns a kafkajs connect failure into a `StreamkitError` that names the brokers: `BROKER_UNREACHABLE`
 * when no broker answered after the retries, `failureCode` for the rest (authentication, protocol).
 */
export function connectionError(error: unknown, options: KafkaConnectionOptions, who: string, failureCode: StreamkitErrorCode): StreamkitError {
  const brokers = options.brokers.join(', ');
  const chain = causeChain(error);
  if (chain.some((e) => AUTH_ERRORS.has(e.name))) {
    return new StreamkitError(failureCode, `${who}: authentication to Kafka brokers ${brokers} failed: ${maskSecrets(innermostMessage(chain))}`, { cause: error });
  }
  const retries = (options.retry?.retries ?? 5) + 1;
  return new StreamkitError(
    'BROKER_UNREACHABLE',
    `${who}: cannot reach Kafka brokers ${brokers} after ${retries} attempts: ${maskSecrets(innermostMessage(chain))}`,
    { cause: error, retriable: true },
  );
}

function causeChain(error: unknown): Error[] {
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
