import { describeError, StreamkitError, type StreamkitErrorCode } from '../../core/errors.js';
import { maskSecretText } from '../../observability/mask-secrets.js';
import { DEFAULT_RETRY, type KafkaConnectionOptions } from './kafka-connection-options.js';

const AUTH_ERRORS = new Set(['KafkaJSSASLAuthenticationError']);
/**
 * kafkajs errors that mean a broker could not be reached or stopped answering: refused or dropped
 * connections, connect and request timeouts, and a broker left without a working connection.
 */
const UNREACHABLE_ERRORS = new Set(['KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError']);

/**
 * Turns a kafkajs connect failure into a `StreamkitError` that names the brokers (masked):
 * `failureCode` when authentication failed, else `BROKER_UNREACHABLE` (no broker answered after
 * the retries), with what the last attempt met, such as "127.0.0.1:9092 accepted the connection but
 * did not answer within 3000 ms (connectionTimeout)".
 */
export function connectionError(
  error: unknown,
  options: KafkaConnectionOptions,
  who: string,
  failureCode: StreamkitErrorCode,
): StreamkitError {
  const brokers = maskSecretText(options.brokers.join(', '));
  const chain = causeChain(error);
  if (chain.some((e) => AUTH_ERRORS.has(e.name))) {
    return new StreamkitError(
      failureCode,
      `${who}: authentication to Kafka brokers ${brokers} failed: ${maskSecretText(innermostMessage(chain))}`,
      { cause: error },
    );
  }
  return new StreamkitError('BROKER_UNREACHABLE', `${who}: cannot reach Kafka brokers ${brokers}${attempts(chain)}: ${reason(chain)}`, {
    cause: error,
    retriable: true,
  });
}

/**
 * Turns a failure met after connecting (subscribing, joining the group, a request) into a
 * `StreamkitError`: `BROKER_UNREACHABLE` naming the broker when one stopped answering or dropped
 * the connection (see {@link isUnreachableError}), else `failureCode` with the error, masked.
 */
export function kafkaFailure(
  error: unknown,
  options: KafkaConnectionOptions,
  who: string,
  failureCode: StreamkitErrorCode,
): StreamkitError {
  if (isUnreachableError(error) && !isPermanentKafkaError(error)) return connectionError(error, options, who, failureCode);
  return new StreamkitError(failureCode, `${who}: ${maskSecretText(describeError(error))}`, {
    cause: error,
    retriable: (error as { retriable?: boolean } | undefined)?.retriable === true,
  });
}

/** Whether `error` (or an error it wraps) says a broker could not be reached or stopped answering. */
export function isUnreachableError(error: unknown): boolean {
  return causeChain(error).some((e) => UNREACHABLE_ERRORS.has(e.name) || e.message === 'Broker not connected');
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
    const next = (e as { originalError?: unknown; cause?: unknown }).originalError ?? (e as { cause?: unknown }).cause;
    if (next === e) break;
    e = next;
  }
  return chain;
}

/** ` after N attempts` when kafkajs retried before giving up. */
function attempts(chain: Error[]): string {
  const exceeded = chain.find((e) => e.name === 'KafkaJSNumberOfRetriesExceeded') as { retryCount?: unknown } | undefined;
  return typeof exceeded?.retryCount === 'number' ? ` after ${exceeded.retryCount + 1} attempts` : '';
}

/** What the innermost error says, with the broker it names when its text does not. */
function reason(chain: Error[]): string {
  const inner = chain[chain.length - 1];
  if (!inner) return 'unknown error';
  const broker = chain.map((e) => (e as { broker?: unknown }).broker).find((b) => typeof b === 'string');
  let text = inner.message;
  if (inner.name === 'KafkaJSRequestTimeoutError') text = `${text} (requestTimeout)`;
  if (typeof broker === 'string' && !text.includes(broker)) text = `${broker}: ${text}`;
  return maskSecretText(text);
}

function innermostMessage(chain: Error[]): string {
  return chain.length === 0 ? 'unknown error' : chain[chain.length - 1].message;
}

/** The number of connection attempts `retry` allows, for messages. */
export function connectAttempts(options: KafkaConnectionOptions): number {
  return (options.retry?.retries ?? DEFAULT_RETRY.retries ?? 5) + 1;
}
