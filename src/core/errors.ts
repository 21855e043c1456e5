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
  | 'STOPPED';

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

/** Renders any thrown value as a one-line reason for dead letters and logs. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `thrown value: ${String(error)}`;
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
