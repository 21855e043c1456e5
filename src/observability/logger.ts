import { describeValue } from '../core/errors.js';
import { maskSecrets } from './mask-secrets.js';

/** Log levels, least to most severe, with pino's names; `'silent'` logs nothing. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** One of `LOG_LEVELS`. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Fields logged beside a message; secrets in them are masked. */
export type LogFields = Record<string, unknown>;

/**
 * One level's log method, called as pino's are: `log.info({ checkpoint: 3 }, 'checkpoint completed')`
 * (fields first, then the message) or `log.info('job started')`. An `Error` in place of the fields
 * is logged under `err`.
 */
export interface LogFn {
  (fields: object, message?: string): void;
  (message: string): void;
}

/**
 * What streamkit logs through: the methods it calls on a logger, with pino's shape, so a pino
 * logger (or any pino-compatible one: its `child` loggers, bunyan-style `(fields, message)` calls)
 * can be passed as it is to `run({ logger })`, `fromKafka({ logger })` and the other options that
 * take one. Whatever the logger, streamkit masks secrets in fields, bindings and messages before it
 * calls it. Without one, {@link createLogger} makes the built-in logger.
 * @example
 * import pino from 'pino';
 * await stream.run({ logger: pino({ level: 'debug' }).child({ job: 'zone-5m' }) });
 */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  /** A logger that adds `bindings` to every line (for example `{ job: 'taxi-gold' }`). */
  child(bindings: LogFields): Logger;
}

/** The built-in logger that {@link createLogger} makes: a {@link Logger} with pino's other levels and level checks. */
export interface StructuredLogger extends Logger {
  readonly level: LogLevel;
  trace: LogFn;
  fatal: LogFn;
  child(bindings: LogFields): StructuredLogger;
  /** Whether a line at `level` would be written. */
  isLevelEnabled(level: Exclude<LogLevel, 'silent'>): boolean;
}

/** Options of `createLogger`. */
export interface LoggerOptions {
  /** Lowest level written (default `'info'`). */
  level?: LogLevel;
  /** One JSON object per line (for log shippers) instead of `time LEVEL message key=value` text. Default false. */
  json?: boolean;
  /** Where each line goes, without its newline (default: `process.stderr`). */
  write?: (line: string) => void;
  /** Fields on every line. */
  bindings?: LogFields;
  /** Clock for the `time` field; inject a fixed one in tests. */
  clock?: () => number;
}

/**
 * Creates the built-in structured logger, the one streamkit uses when given none. It is called as
 * pino is (`log.info({ records: 3 }, 'job finished')`), so code written for one runs with the
 * other. Values under secret-looking keys (password, sasl, secret, token…) and `user:pass@` in URLs
 * are masked before anything is written.
 * @param options level, json, write, bindings, clock.
 * @example
 * const log = createLogger({ level: 'debug', json: true }).child({ job: 'zones' });
 * log.info({ brokers: ['kafka://app:secret@b1:9092'] }, 'job started');
 * // {"time":"…","level":"info","msg":"job started","job":"zones","brokers":["kafka://***@b1:9092"]}
 */
export function createLogger(options: LoggerOptions = {}): StructuredLogger {
  const level = options.level ?? 'info';
  if (!LOG_LEVELS.includes(level)) {
    throw new RangeError(`logger level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
  }
  if (options.write !== undefined && typeof options.write !== 'function') {
    throw new TypeError('logger write must be a function (line: string) => void');
  }
  const write = options.write ?? ((line: string) => void process.stderr.write(`${line}\n`));
  return new LineLogger(level, options.json ?? false, write, options.clock ?? Date.now, maskFields(options.bindings ?? {}));
}

/**
 * The logger streamkit writes through for `logger`: the built-in one as it is (it masks already),
 * any other wrapped so that secrets in fields, bindings and messages are masked before it sees
 * them. The wrapper is made once per logger.
 * @param logger a built-in or pino-compatible logger.
 * @example const log = maskedLogger(pino()); log.info({ sasl: { password: 'x' } }, 'connecting'); // sasl: '***'
 */
export function maskedLogger(logger: Logger): Logger {
  if (logger instanceof LineLogger || logger instanceof MaskingLogger) return logger;
  let masked = maskedLoggers.get(logger);
  if (masked === undefined) {
    masked = new MaskingLogger(logger);
    maskedLoggers.set(logger, masked);
  }
  return masked;
}

const maskedLoggers = new WeakMap<Logger, Logger>();

type LineLevel = Exclude<LogLevel, 'silent'>;

/** The pino call shapes, taken apart: `(fields, message?)`, `(message)`, or `(error, message?)`. */
function splitArguments(first: unknown, second: unknown): { fields: LogFields | undefined; message: string } {
  if (typeof first === 'string') return { fields: undefined, message: first };
  const message = second === undefined ? '' : typeof second === 'string' ? second : describeValue(second);
  if (isError(first)) return { fields: { err: first }, message };
  if (first === null || typeof first !== 'object') return { fields: first === undefined ? undefined : { value: first }, message };
  return { fields: first as LogFields, message };
}

/** `instanceof Error`, false for a value the question throws on (a revoked Proxy): logging never throws. */
function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

function maskFields(fields: object): LogFields {
  const masked = maskSecrets(fields);
  // An object masking cannot read (a revoked Proxy) comes back as text: it is logged as a value.
  return masked !== null && typeof masked === 'object' ? (masked as LogFields) : { value: masked };
}

function maskMessage(message: string): string {
  return maskSecrets(message) as string;
}

/** Masks what it is given, then calls the user's logger with pino's argument order. */
class MaskingLogger implements Logger {
  readonly debug: LogFn;
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;

  constructor(private readonly inner: Logger) {
    this.debug = this.method('debug');
    this.info = this.method('info');
    this.warn = this.method('warn');
    this.error = this.method('error');
  }

  child(bindings: LogFields): Logger {
    return maskedLogger(this.inner.child(maskFields(bindings)));
  }

  private method(level: 'debug' | 'info' | 'warn' | 'error'): LogFn {
    return ((first: unknown, second?: unknown) => {
      const { fields, message } = splitArguments(first, second);
      if (fields === undefined) this.inner[level](maskMessage(message));
      else this.inner[level](maskFields(fields), maskMessage(message));
    }) as LogFn;
  }
}

/** The built-in logger: one line per call, text or JSON, to `write`. */
class LineLogger implements StructuredLogger {
  private readonly threshold: number;
  readonly trace: LogFn = this.method('trace');
  readonly debug: LogFn = this.method('debug');
  readonly info: LogFn = this.method('info');
  readonly warn: LogFn = this.method('warn');
  readonly error: LogFn = this.method('error');
  readonly fatal: LogFn = this.method('fatal');

  constructor(
    readonly level: LogLevel,
    private readonly json: boolean,
    private readonly write: (line: string) => void,
    private readonly clock: () => number,
    private readonly bindings: LogFields,
  ) {
    this.threshold = LOG_LEVELS.indexOf(level);
  }

  isLevelEnabled(level: LineLevel): boolean {
    return LOG_LEVELS.indexOf(level) >= this.threshold;
  }

  child(bindings: LogFields): StructuredLogger {
    return new LineLogger(this.level, this.json, this.write, this.clock, { ...this.bindings, ...maskFields(bindings) });
  }

  private method(level: LineLevel): LogFn {
    return ((first: unknown, second?: unknown) => {
      if (!this.isLevelEnabled(level)) return;
      const { fields, message } = splitArguments(first, second);
      this.line(level, message, fields);
    }) as LogFn;
  }

  private line(level: LineLevel, message: string, fields: LogFields | undefined): void {
    const time = new Date(this.clock()).toISOString();
    const msg = maskMessage(message);
    const all = { ...this.bindings, ...(fields ? maskFields(fields) : {}) };
    if (this.json) {
      this.write(JSON.stringify({ time, level, msg, ...all }));
      return;
    }
    let line = `${time} ${level.toUpperCase().padEnd(5)} ${msg}`;
    for (const [key, value] of Object.entries(all)) {
      if (value === undefined) continue;
      line += ` ${key}=${formatValue(value)}`;
    }
    this.write(line);
  }
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value);
}
