import type { RuntimeEvent } from '../core/runtime-event.js';
import { describeError } from '../core/errors.js';
import { maskedLogger, type Logger } from './logger.js';

/**
 * Writes one runtime event as a log line: job start, finish and failure and restores at info (or
 * error), checkpoints at debug because a busy job takes one every few seconds.
 * `run({ logger })` calls it for every event; call it yourself from `onEvent` to log elsewhere.
 * Secrets are masked whatever the logger (see {@link Logger}).
 * @param logger where the line goes: the built-in logger or a pino-compatible one.
 * @param event a `RuntimeEvent`.
 * @example
 * const log = createLogger({ level: 'debug' });
 * await stream.run({ onEvent: (e) => logRuntimeEvent(log, e) });
 */
export function logRuntimeEvent(logger: Logger, event: RuntimeEvent): void {
  const log = maskedLogger(logger);
  switch (event.type) {
    case 'job.started':
      log.info({ event: event.type, restoredFrom: event.restoredFrom }, 'job started');
      return;
    case 'metrics.server.listening':
      log.info({ event: event.type, url: `http://${event.host}:${event.port}/metrics` }, 'metrics served');
      return;
    case 'checkpoint.restored':
      log.info({ event: event.type, checkpoint: event.id }, 'checkpoint restored');
      return;
    case 'task.started':
      log.info({ event: event.type, task: event.task, restoredFrom: event.restoredFrom }, 'task started');
      return;
    case 'task.stopped':
      log.info({ event: event.type, task: event.task }, 'task stopped');
      return;
    case 'checkpoint.completed':
      log.debug(
        {
          event: event.type,
          checkpoint: event.id,
          durationMs: event.durationMs,
          entries: event.entries,
        },
        'checkpoint completed',
      );
      return;
    case 'job.stopping':
      log.info({ event: event.type, reason: event.reason }, 'job stopping');
      return;
    case 'job.finished': {
      const { records, results, late, deadLetters, filtered, duplicates, checkpoints, durationMs, stopped } = event.summary;
      log.info(
        {
          event: event.type,
          records,
          results,
          late,
          deadLetters,
          filtered,
          duplicates,
          checkpoints,
          durationMs,
        },
        stopped ? 'job stopped' : 'job finished',
      );
      return;
    }
    case 'job.failed':
      log.error({ event: event.type, error: describeError(event.error), code: (event.error as { code?: unknown })?.code }, 'job failed');
      return;
  }
}
