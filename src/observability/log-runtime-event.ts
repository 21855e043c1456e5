import type { RuntimeEvent } from '../core/runtime-event.js';
import { describeError } from '../core/errors.js';
import type { Logger } from './logger.js';

/**
 * Writes one runtime event as a log line: job start, finish and failure and restores at info (or
 * error), checkpoints at debug because a busy job takes one every few seconds.
 * `run({ logger })` calls it for every event; call it yourself from `onEvent` to log elsewhere.
 * @param logger where the line goes.
 * @param event a `RuntimeEvent`.
 * @example
 * const log = createLogger({ level: 'debug' });
 * await stream.run({ onEvent: (e) => logRuntimeEvent(log, e) });
 */
export function logRuntimeEvent(logger: Logger, event: RuntimeEvent): void {
  switch (event.type) {
    case 'job.started':
      logger.info('job started', { event: event.type, restoredFrom: event.restoredFrom });
      return;
    case 'metrics.server.listening':
      logger.info('metrics served', { event: event.type, url: `http://${event.host}:${event.port}/metrics` });
      return;
    case 'checkpoint.restored':
      logger.info('checkpoint restored', { event: event.type, checkpoint: event.id });
      return;
    case 'task.started':
      logger.info('task started', { event: event.type, task: event.task, restoredFrom: event.restoredFrom });
      return;
    case 'task.stopped':
      logger.info('task stopped', { event: event.type, task: event.task });
      return;
    case 'checkpoint.completed':
      logger.debug('checkpoint completed', {
        event: event.type,
        checkpoint: event.id,
        durationMs: event.durationMs,
        entries: event.entries,
      });
      return;
    case 'job.stopping':
      logger.info('job stopping', { event: event.type, reason: event.reason });
      return;
    case 'job.finished': {
      const { records, results, late, deadLetters, filtered, duplicates, checkpoints, durationMs, stopped } = event.summary;
      logger.info(stopped ? 'job stopped' : 'job finished', {
        event: event.type,
        records,
        results,
        late,
        deadLetters,
        filtered,
        duplicates,
        checkpoints,
        durationMs,
      });
      return;
    }
    case 'job.failed':
      logger.error('job failed', { event: event.type, error: describeError(event.error), code: (event.error as { code?: unknown })?.code });
      return;
  }
}
