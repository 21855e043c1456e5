import { describe, expect, it } from 'vitest';
import { createLogger, logRuntimeEvent, type LoggerOptions } from '../../src/observability/index.js';

const T0 = Date.UTC(2024, 0, 15, 9, 0, 0);

function capture(options: LoggerOptions = {}) {
  const lines: string[] = [];
  const logger = createLogger({ clock: () => T0, write: (line) => lines.push(line), ...options });
  return { lines, logger };
}

describe('createLogger', () => {
  it('writes text lines with time, level, message and fields', () => {
    const { lines, logger } = capture();
    logger.info({ job: 'zones', records: 3, note: 'two words' }, 'job started');
    expect(lines).toEqual(['2024-01-15T09:00:00.000Z INFO  job started job=zones records=3 note="two words"']);
  });

  it('writes one JSON object per line with json: true', () => {
    const { lines, logger } = capture({ json: true });
    logger.warn({ sink: 'jsonl', waitedMs: 120 }, 'slow sink');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { time: '2024-01-15T09:00:00.000Z', level: 'warn', msg: 'slow sink', sink: 'jsonl', waitedMs: 120 },
    ]);
  });

  it('drops lines below its level', () => {
    const { lines, logger } = capture({ level: 'warn' });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(lines.map((l) => l.split(' ')[1])).toEqual(['WARN', 'ERROR']);
    expect(logger.isLevelEnabled('info')).toBe(false);
    expect(logger.isLevelEnabled('error')).toBe(true);
    const silent = capture({ level: 'silent' });
    silent.logger.error('e');
    expect(silent.lines).toEqual([]);
  });

  it('child loggers add bindings; line fields win over bindings', () => {
    const { lines, logger } = capture({ json: true, bindings: { app: 'taxi' } });
    const child = logger.child({ job: 'gold', stage: 'a' }).child({ stage: 'b' });
    child.info({ stage: 'c', n: 1 }, 'x');
    child.info('y');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { time: '2024-01-15T09:00:00.000Z', level: 'info', msg: 'x', app: 'taxi', job: 'gold', stage: 'c', n: 1 },
      { time: '2024-01-15T09:00:00.000Z', level: 'info', msg: 'y', app: 'taxi', job: 'gold', stage: 'b' },
    ]);
    expect(child.level).toBe('info');
  });

  it('masks secrets in fields, bindings and messages', () => {
    const { lines, logger } = capture({ json: true, bindings: { token: 'abc' } });
    logger
      .child({ kafka: { brokers: ['kafka://app:hunter2@b1:9092'], sasl: { mechanism: 'plain', username: 'app', password: 'hunter2' } } })
      .error({ password: 'pw', err: new Error('at http://u:hunter2@h') }, 'cannot reach https://admin:pw@registry:8081');
    const text = lines.join('\n');
    expect(text).not.toMatch(/hunter2|"pw"|admin:pw|abc/);
    expect(JSON.parse(lines[0])).toEqual({
      time: '2024-01-15T09:00:00.000Z',
      level: 'error',
      msg: 'cannot reach https://***@registry:8081',
      token: '***',
      kafka: { brokers: ['kafka://***@b1:9092'], sasl: '***' },
      password: '***',
      err: { name: 'Error', message: 'at http://***@h' },
    });
    const plain = capture();
    plain.logger.info({ sasl: { password: 'hunter2' }, url: 'http://a:hunter2@b' }, 'connect');
    expect(plain.lines[0]).toBe('2024-01-15T09:00:00.000Z INFO  connect sasl=*** url=http://***@b');
  });

  it('takes the call shapes pino takes: (fields, message), (message), (error, message), and its six levels', () => {
    const { lines, logger } = capture({ json: true, level: 'trace' });
    logger.trace({ step: 1 }, 'tracing');
    logger.info('no fields');
    logger.error(new Error('disk full'), 'sink failed');
    logger.warn({ only: 'fields' });
    logger.fatal('giving up');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { time: '2024-01-15T09:00:00.000Z', level: 'trace', msg: 'tracing', step: 1 },
      { time: '2024-01-15T09:00:00.000Z', level: 'info', msg: 'no fields' },
      { time: '2024-01-15T09:00:00.000Z', level: 'error', msg: 'sink failed', err: { name: 'Error', message: 'disk full' } },
      { time: '2024-01-15T09:00:00.000Z', level: 'warn', msg: '', only: 'fields' },
      { time: '2024-01-15T09:00:00.000Z', level: 'fatal', msg: 'giving up' },
    ]);
    expect(capture({ level: 'info' }).logger.isLevelEnabled('debug')).toBe(false);
  });

  it('never throws on what it is given to log: a revoked Proxy as the value or the message', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const { lines, logger } = capture({ json: true });
    expect(() => logger.error(proxy)).not.toThrow();
    expect(() => logger.info({ step: 2 }, proxy as never)).not.toThrow();
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { time: '2024-01-15T09:00:00.000Z', level: 'error', msg: '', value: '[unreadable]' },
      { time: '2024-01-15T09:00:00.000Z', level: 'info', msg: 'a Proxy that cannot be read (revoked, or a trap throws)', step: 2 },
    ]);
  });

  it('rejects a bad level or writer, naming the option', () => {
    expect(() => createLogger({ level: 'verbose' as never })).toThrow(
      /logger level must be one of trace, debug, info, warn, error, fatal, silent, got "verbose"/,
    );
    expect(() => createLogger({ write: 'stdout' as never })).toThrow(TypeError);
  });
});

describe('logRuntimeEvent', () => {
  it('logs job lines at info, checkpoints at debug, failures at error', () => {
    const { lines, logger } = capture({ json: true, level: 'debug' });
    logRuntimeEvent(logger, { type: 'job.started' });
    logRuntimeEvent(logger, { type: 'checkpoint.completed', id: 3, durationMs: 12, entries: 40 });
    logRuntimeEvent(logger, {
      type: 'job.failed',
      error: Object.assign(new Error('no broker at kafka://u:p@h:1'), { code: 'BROKER_UNREACHABLE' }),
    });
    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed.map((p) => [p.level, p.msg])).toEqual([
      ['info', 'job started'],
      ['debug', 'checkpoint completed'],
      ['error', 'job failed'],
    ]);
    expect(parsed[1]).toMatchObject({ checkpoint: 3, durationMs: 12, entries: 40 });
    expect(parsed[2]).toMatchObject({ code: 'BROKER_UNREACHABLE', error: 'Error: no broker at kafka://***@h:1' });
  });
});
