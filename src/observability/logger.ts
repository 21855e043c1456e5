import { maskSecrets, maskUrlCredentials } from './mask-secrets.js';

/** Log levels, least to most severe; `'silent'` logs nothing. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

/** One of `LOG_LEVELS`. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Fields logged beside a message; secrets in them are masked. */
export type LogFields = Record<string, unknown>;

/** A structured logger: levelled lines with fields, bound context through `child`. */
export interface Logger {
  readonly level: LogLevel;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `bindings` to every line (for example `{ job: 'taxi-gold' }`). */
  child(bindings: LogFields): Logger;
  /** Whether a line at `level` would be written. */
  enabled(level: Exclude<LogLevel, 'silent'>): boolean;
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
 * Creates a structured logger. Values under secret-looking keys (password, sasl, secret, token…)
 * and `user:pass@` in URLs are masked before anything is written.
 * @param options level, json, write, bindings, clock.
 * @example
 * const log = createLogger({ level: 'debug', json: true }).child({ job: 'zones' });
 * log.info('job started', { brokers: ['kafka://app:secret@b1:9092'] });
 * // {"time":"…","level":"info","msg":"job started","job":"zones","brokers":["kafka://***@b1:9092"]}
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  if (!LOG_LEVELS.includes(level)) {
    throw new RangeError(`logger level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
  }
  if (options.write !== undefined && typeof options.write !== 'function') {
    throw new TypeError('logger write must be a function (line: string) => void');
  }
  const write = options.write ?? ((line: string) => void process.stderr.write(`${line}\n`));
  return new StructuredLogger(
    level,
    options.json ?? false,
    write,
    options.clock ?? Date.now,
    maskSecrets(options.bindings ?? {}) as LogFields,
  );
}

class StructuredLogger implements Logger {
  private readonly threshold: number;

  constructor(
    readonly level: LogLevel,
    private readonly json: boolean,
    private readonly write: (line: string) => void,
    private readonly clock: () => number,
    private readonly bindings: LogFields,
  ) {
    this.threshold = LOG_LEVELS.indexOf(level);
  }

  enabled(level: Exclude<LogLevel, 'silent'>): boolean {
    return LOG_LEVELS.indexOf(level) >= this.threshold;
  }

  debug(message: string, fields?: LogFields): void {
    this.log('debug', message, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.log('info', message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.log('warn', message, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.log('error', message, fields);
  }

  child(bindings: LogFields): Logger {
    return new StructuredLogger(this.level, this.json, this.write, this.clock, {
      ...this.bindings,
      ...(maskSecrets(bindings) as LogFields),
    });
  }

  private log(level: Exclude<LogLevel, 'silent'>, message: string, fields?: LogFields): void {
    if (!this.enabled(level)) return;
    const time = new Date(this.clock()).toISOString();
    const msg = maskUrlCredentials(String(message));
    const all = { ...this.bindings, ...(fields ? (maskSecrets(fields) as LogFields) : {}) };
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
