import { types } from 'node:util';

/**
 * The one family of runtime errors streamkit throws. Code branches on `code` and `retriable`,
 * never on message text.
 */
export type StreamkitErrorCode =
  | 'USER_FUNCTION_FAILED'
  | 'SOURCE_FAILED'
  | 'SINK_FAILED'
  | 'STATE_CORRUPT'
  | 'STATE_INCOMPATIBLE'
  | 'ACCESS_DENIED'
  | 'CHECKPOINT_FAILED'
  | 'BROKER_UNREACHABLE'
  | 'PIPELINE_INVALID'
  /** An optional peer dependency a feature needs is not installed: the message names it and the install command. */
  | 'DEPENDENCY_MISSING'
  /** A stop was forced (a second process signal) before the job finished stopping. */
  | 'STOPPED'
  /** A stop did not finish within `stopTimeout`: the message names what it waited on. */
  | 'STOP_TIMEOUT';

export interface StreamkitErrorOptions {
  cause?: unknown;
  retriable?: boolean;
}

/** Base class of every runtime failure: a stable `code`, the underlying `cause`, and whether a retry can help. */
export class StreamkitError extends Error {
  readonly code: StreamkitErrorCode;
  readonly retriable: boolean;

  constructor(code: StreamkitErrorCode, message: string, options: StreamkitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StreamkitError';
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** A pipeline was assembled in a way that cannot run (for example `window` before `withTimestamps`). */
export class PipelineError extends StreamkitError {
  constructor(message: string) {
    super('PIPELINE_INVALID', message);
    this.name = 'PipelineError';
  }
}

/** A state directory that is not streamkit's, or was written by an incompatible version. */
export class StateError extends StreamkitError {
  constructor(code: 'STATE_CORRUPT' | 'STATE_INCOMPATIBLE', message: string, cause?: unknown) {
    super(code, message, { cause });
    this.name = 'StateError';
  }
}

/**
 * A file or directory streamkit must read or write is read-only or not permitted to this process
 * (`EROFS`, `EACCES`, `EPERM`): a state directory, or a `toLevel` table. Nothing is damaged; fix
 * the mount or the permissions of `path` and run again.
 */
export class AccessDeniedError extends StreamkitError {
  constructor(
    message: string,
    /** The path the operating system refused. */
    readonly path: string,
    /** The operating system's code: `EROFS`, `EACCES` or `EPERM`. */
    readonly reason: 'EROFS' | 'EACCES' | 'EPERM',
    cause?: unknown,
  ) {
    super('ACCESS_DENIED', message, { cause });
    this.name = 'AccessDeniedError';
  }
}

/**
 * `value instanceof StreamkitError` for a value a user function threw: false, instead of a
 * `TypeError`, for a value the question throws on (a revoked Proxy, a Proxy whose
 * `getPrototypeOf` trap throws), so the code that wraps a user's failure never fails itself.
 * @param value - anything a `catch` clause can receive.
 * @example if (isStreamkitError(error)) throw error;
 */
export function isStreamkitError(value: unknown): value is StreamkitError {
  if (value === null || typeof value !== 'object') return false;
  try {
    return value instanceof StreamkitError;
  } catch {
    return false;
  }
}

/**
 * Renders any thrown value as a one-line reason for dead letters, logs and error messages. Never
 * throws, whatever it is given: an `Error` (also from another realm) reads `name: message`; any
 * other value reads `thrown value: …`, as its own text or, for an object without one
 * (`Object.create(null)`, a throwing `toString`), as JSON; a revoked Proxy is named as such.
 * @param error - anything a `catch` clause can receive.
 * @returns the reason text.
 * @example describeError(new RangeError('too big')) // 'RangeError: too big'
 * @example describeError(Object.create(null)) // 'thrown value: {}'
 * @see describeValue
 */
export function describeError(error: unknown): string {
  if (isErrorObject(error)) {
    const name = readProperty(error, 'name');
    const message = readProperty(error, 'message');
    return `${typeof name === 'string' && name.length > 0 ? name : 'Error'}: ${typeof message === 'string' ? message : describeValue(message)}`;
  }
  return `thrown value: ${describeValue(error)}`;
}

/** Longest rendering of an object by {@link describeValue}: a reason is a line to read, not a dump. */
const MAX_OBJECT_TEXT = 500;

/**
 * Renders any value as short text for a message. Never throws: strings are themselves, other
 * primitives `String(value)`, objects their own `toString()` text or else JSON (cut at 500
 * characters), and what cannot be read at all (a revoked Proxy) says so.
 * @param value - any value, typically one a user function threw or returned.
 * @returns text for a human.
 * @example describeValue({ code: 7 }) // '{"code":7}'
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return String(value);
  try {
    const text = String(value);
    if (!text.startsWith('[object ')) return clip(text);
  } catch {
    // No usable toString (Object.create(null)) or one that throws: JSON below.
  }
  try {
    const json = JSON.stringify(value);
    if (json !== undefined) return clip(json);
  } catch {
    // A cycle, a bigint, a throwing getter or toJSON.
  }
  if (types.isProxy(value)) return 'a Proxy that cannot be read (revoked, or a trap throws)';
  return typeof value === 'function' ? 'a function' : 'an object that cannot be converted to text';
}

/**
 * The dead-letter reason for a record whose user function threw: a {@link RecordRejected}'s own
 * reason, otherwise `<thrower> threw <describeError(error)>`. Never throws.
 * @param error - what the user function threw.
 * @param thrower - who threw, for the reason: an operator uid, `timestamp extractor`.
 * @returns the reason text.
 * @example rejectionReason(new TypeError('x is undefined'), '2-map') // '2-map threw TypeError: x is undefined'
 */
export function rejectionReason(error: unknown, thrower: string): string {
  if (isRecordRejected(error)) {
    const message = readProperty(error, 'message');
    return typeof message === 'string' ? message : describeValue(message);
  }
  return `${thrower} threw ${describeError(error)}`;
}

function clip(text: string): string {
  return text.length > MAX_OBJECT_TEXT ? `${text.slice(0, MAX_OBJECT_TEXT)}…` : text;
}

/** `instanceof Error`, or an Error made in another realm (a vm context); false for whatever throws on the question. */
function isErrorObject(value: unknown): value is Error {
  if (value === null || typeof value !== 'object') return false;
  try {
    return value instanceof Error || types.isNativeError(value);
  } catch {
    return false;
  }
}

function isRecordRejected(value: unknown): value is RecordRejected {
  if (value === null || typeof value !== 'object') return false;
  try {
    return value instanceof RecordRejected;
  } catch {
    return false;
  }
}

/** A property read that a throwing getter cannot turn into an exception. */
function readProperty(object: object, name: string): unknown {
  try {
    return (object as Record<string, unknown>)[name];
  } catch {
    return undefined;
  }
}

/**
 * Thrown from a user function (`map`, `filter`, `flatMap`, `keyBy`, `withTimestamps`) to send the
 * record to dead letters with exactly this reason, rather than as an exception report.
 * @example .map(line => { const r = parse(line); if (!r.ok) throw new RecordRejected(r.reason); return r.value; })
 */
export class RecordRejected extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'RecordRejected';
  }
}
