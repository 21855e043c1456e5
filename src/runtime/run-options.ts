import { parseDuration, type Duration } from '../core/duration.js';
import { describeValue } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import type { RuntimeEvent } from '../core/runtime-event.js';
import type { StateBackend } from '../core/state-backend.js';
import type { TaskStateBackend } from '../core/task-state-backend.js';
import type { Logger } from '../observability/logger.js';
import type { ProgressOptions } from '../observability/progress-reporter.js';
import { checkpointPolicyOf, type CheckpointPolicy } from './checkpoint-coordinator.js';
import type { RestoreOptions } from './restore-check.js';
import { checkStopSignals } from './stop-signals.js';

/** Options of `stream.run(options)`. */
export interface RunOptions {
  /**
   * Where checkpoints go (`memoryState()`, `levelState(dir)`, or `kafkaChangelog()` for keyed
   * state that follows Kafka partitions between instances). Without it, no checkpoints are taken.
   */
  state?: StateBackend | TaskStateBackend;
  /** Checkpoint interval in processing time, or every `records` source records. Default `'5s'` when `state` is set. */
  checkpointEvery?: Duration | { records: number };
  /** Records per batch for sources that take the hint (default 1024). */
  batchSize?: number;
  /** Batches the sink stage may have queued before the pipeline waits (default 8). */
  credits?: number;
  /** How often processing-time work runs (idleness, processing-time triggers); default `'100ms'`. */
  tickInterval?: Duration;
  /** Processing-time clock; inject a fake one for deterministic tests. */
  clock?: () => number;
  /** Stops the job gracefully when aborted, like `job.stop()`. */
  signal?: AbortSignal;
  /**
   * Process signals that stop the job gracefully, like `job.stop()`: `['SIGTERM', 'SIGINT']` for a
   * container or a terminal. A second one while the job is stopping abandons the stop: the job
   * rejects at once with a `StreamkitError` of code `STOPPED`, and the listeners are removed, so a
   * third signal gets the process's default behaviour. The listeners are removed when the job ends.
   */
  stopOnSignals?: readonly NodeJS.Signals[];
  /**
   * How long a stop may take, from its request until the job has ended (final checkpoint, flushes,
   * closes); default `'20s'`, under Kubernetes' default grace period of 30 s. When it passes, the
   * job rejects with a `StreamkitError` of code `STOP_TIMEOUT` naming what it waited on (the sink
   * whose write or flush never settled); a restart resumes from the last completed checkpoint.
   */
  stopTimeout?: Duration;
  /**
   * How a restore treats state the pipeline no longer has (default: it refuses to start):
   * `{ allowDroppedState: true }` or `{ allowDroppedState: ['window#1'] }` drops it.
   * See docs/concepts/state-and-checkpoints.md.
   */
  restore?: RestoreOptions;
  /**
   * Reports progress while the job runs (records/s, watermark, lag, checkpoint age, results, late
   * records, dead letters) and a summary at the end: a live line on a terminal, a line every 10 s
   * otherwise. `true` for the defaults (stderr), or {@link ProgressOptions}.
   */
  progress?: boolean | ProgressOptions;
  /** Receives typed runtime events. */
  onEvent?: (event: RuntimeEvent) => void;
  /** Logs job start, stop, finish and failure at info/error and checkpoints at debug (see `createLogger`). */
  logger?: Logger;
  /** Metrics: `port` serves them in the Prometheus text format on `GET /metrics`; `registry` shares one. */
  metrics?: { port?: number; host?: string; registry?: Metrics };
}

/** Every option `run()` knows, so a misspelt one fails at the call site. */
export const RUN_OPTIONS = [
  'state',
  'checkpointEvery',
  'batchSize',
  'credits',
  'tickInterval',
  'clock',
  'signal',
  'stopOnSignals',
  'stopTimeout',
  'restore',
  'progress',
  'onEvent',
  'logger',
  'metrics',
] as const;

/** The default of `stopTimeout`. */
export const DEFAULT_STOP_TIMEOUT = '20s';

/** The run options a job works with, checked and with their defaults. */
export interface RunSettings {
  batchSize: number;
  credits: number;
  tickIntervalMs: number;
  /** `undefined` when no state is configured: the job takes no checkpoints. */
  checkpointPolicy: CheckpointPolicy | undefined;
  stopTimeoutMs: number;
  stopSignals: readonly NodeJS.Signals[];
}

/**
 * Checks the run options and applies their defaults.
 * @throws TypeError or RangeError naming the option and the rule.
 */
export function runSettingsOf(options: RunOptions): RunSettings {
  const batchSize = options.batchSize ?? 1024;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const tickIntervalMs = parseDuration(options.tickInterval ?? '100ms', 'tickInterval');
  const checkpointPolicy = checkpointPolicyOf(options.state, options.checkpointEvery);
  const credits = options.credits ?? 8;
  if (!Number.isInteger(credits) || credits < 1) throw new RangeError(`credits must be a positive integer, got ${credits}`);
  const stopTimeoutMs = parseDuration(options.stopTimeout ?? DEFAULT_STOP_TIMEOUT, 'stopTimeout');
  if (stopTimeoutMs <= 0) throw new RangeError(`stopTimeout must be greater than 0, got ${JSON.stringify(options.stopTimeout)}`);
  const stopSignals = options.stopOnSignals === undefined ? [] : checkStopSignals(options.stopOnSignals);
  if (options.signal !== undefined && !isAbortSignal(options.signal)) {
    throw new TypeError(
      `signal must be an AbortSignal (new AbortController().signal, AbortSignal.timeout(ms)), got ${describeValue(options.signal)}`,
    );
  }
  return { batchSize, credits, tickIntervalMs, checkpointPolicy, stopTimeoutMs, stopSignals };
}

/**
 * Whether `value` is an AbortSignal: what `run({ signal })` listens to (duck-typed, so a signal of
 * another realm or polyfill counts).
 * @example isAbortSignal(new AbortController().signal) // true
 */
export function isAbortSignal(value: unknown): value is AbortSignal {
  const signal = value as AbortSignal | null | undefined;
  return (
    typeof signal === 'object' &&
    signal !== null &&
    typeof signal.aborted === 'boolean' &&
    typeof signal.addEventListener === 'function' &&
    typeof signal.removeEventListener === 'function'
  );
}
