import { parseDuration, type Duration } from '../core/duration.js';
import { describeError } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import { checkOptions } from '../core/options.js';
import type { RunSummary, RuntimeEvent } from '../core/runtime-event.js';
import { maskUrlCredentials } from './mask-secrets.js';
import { readProgress, type Progress } from './read-progress.js';

/** Where progress goes: `process.stderr` by default; anything with `write`. */
export interface ProgressStream {
  write(text: string): unknown;
  /** A terminal: the `'auto'` format then rewrites one live line in place. */
  readonly isTTY?: boolean;
  /** The terminal's width: a live line is cut to fit, so it never wraps. */
  readonly columns?: number;
}

/**
 * How progress is written: `'live'` rewrites one line in place (a terminal), `'lines'` writes a
 * timestamped line per report (logs), `'json'` one JSON object per line (log shippers), `'auto'`
 * picks `'live'` on a TTY and `'lines'` otherwise.
 */
export type ProgressFormat = 'auto' | 'live' | 'lines' | 'json';

/** `run({ progress })`: `true` for the defaults, or these. */
export interface ProgressOptions {
  /** How often progress is reported: default `'1s'` for a live line, `'10s'` for lines and JSON. */
  every?: Duration;
  /** Default `process.stderr`, so progress never mixes with data a job writes to stdout. */
  stream?: ProgressStream;
  /** Default `'auto'`. */
  format?: ProgressFormat;
}

const PROGRESS_OPTIONS = ['every', 'stream', 'format'] as const;
const FORMATS: readonly ProgressFormat[] = ['auto', 'live', 'lines', 'json'];
/** The largest time `Date` can show (±100,000,000 days). */
const MAX_DATE_MS = 8.64e15;

/**
 * Reports a running job's progress, from its metrics registry and its runtime events only: records
 * read and the rate since the last report, the watermark as a time, Kafka consumer lag, the age
 * of the last checkpoint, results, late records and dead letters. On a terminal it keeps one live
 * line; otherwise it writes a line every `every`. When the job ends it writes one summary line
 * (never the last progress line again).
 *
 * `run({ progress })` makes one; {@link createProgressReporter} makes one for a job you report yourself.
 * @example
 * const metrics = new Metrics();
 * const reporter = createProgressReporter({ format: 'lines', every: '5s' }, { metrics });
 * await stream.run({ metrics: { registry: metrics }, onEvent: (e) => reporter.onEvent(e) });
 */
export class ProgressReporter {
  private timer: ReturnType<typeof setInterval> | undefined;
  private startedAt: number | undefined;
  private previous: { at: number; records: number } | undefined;
  private stopping: string | undefined;
  private lastCheckpoint: number | undefined;
  private ended = false;

  constructor(
    private readonly metrics: Metrics,
    private readonly stream: ProgressStream,
    /** `'live'`, `'lines'` or `'json'` (already resolved from `'auto'`). */
    readonly format: Exclude<ProgressFormat, 'auto'>,
    /** Report interval in ms. */
    readonly everyMs: number,
    private readonly clock: () => number,
    /** Whether the job keeps checkpoints: without, their age is not reported. */
    private readonly checkpointing: boolean,
  ) {}

  /** Feeds one runtime event: `job.started` starts the reports, `job.finished` or `job.failed` ends them with a summary. */
  onEvent(event: RuntimeEvent): void {
    switch (event.type) {
      case 'job.started':
        this.start();
        return;
      case 'job.stopping':
        this.stopping = event.reason;
        if (this.format === 'live') this.report();
        return;
      case 'checkpoint.completed':
        this.lastCheckpoint = event.id;
        return;
      case 'job.finished':
        this.end(event.summary, undefined);
        return;
      case 'job.failed':
        this.end(undefined, event.error);
        return;
    }
  }

  /** Writes one report now (the timer calls it every `everyMs`). Nothing once the job ended. */
  report(): void {
    if (this.ended) return;
    const now = this.clock();
    const progress = readProgress(this.metrics);
    const since = this.previous ?? { at: this.startedAt ?? now, records: 0 };
    const perSecond = now > since.at ? ((progress.records - since.records) * 1000) / (now - since.at) : 0;
    this.previous = { at: now, records: progress.records };
    switch (this.format) {
      case 'live':
        this.stream.write(`\r${this.fit(this.progressLine(progress, perSecond, now))}\x1b[K`);
        return;
      case 'lines':
        this.stream.write(`${timeOf(now)} ${this.progressLine(progress, perSecond, now)}\n`);
        return;
      case 'json':
        this.stream.write(`${JSON.stringify(this.progressObject(progress, perSecond, now))}\n`);
        return;
    }
  }

  private start(): void {
    if (this.startedAt !== undefined || this.ended) return;
    this.startedAt = this.clock();
    this.timer = setInterval(() => this.report(), this.everyMs);
    // Progress never keeps a process alive: the job does while it runs.
    this.timer.unref?.();
    if (this.format === 'live') this.report();
  }

  private end(summary: RunSummary | undefined, error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.timer);
    const now = this.clock();
    if (this.format === 'json') {
      this.stream.write(`${JSON.stringify(this.summaryObject(summary, error, now))}\n`);
      return;
    }
    const line = this.summaryLine(summary, error, now);
    // The live line is replaced by the summary, which stays.
    if (this.format === 'live') this.stream.write(`\r\x1b[K${line}\n`);
    else this.stream.write(`${timeOf(now)} ${line}\n`);
  }

  private progressLine(p: Progress, perSecond: number, now: number): string {
    const parts = [`records ${count(p.records)} (${count(perSecond)}/s)`];
    parts.push(`watermark ${p.inputEnded ? 'end of input' : p.watermark === undefined ? 'none yet' : timeOf(p.watermark)}`);
    if (p.lag !== undefined) parts.push(`lag ${count(p.lag)}`);
    if (this.checkpointing) {
      parts.push(p.lastCheckpointAt === undefined ? 'no checkpoint yet' : `checkpoint ${durationOf(now - p.lastCheckpointAt)} ago`);
    }
    parts.push(`results ${count(p.results)}`, `late ${count(p.late)}`, `dead letters ${count(p.deadLetters)}`);
    const line = parts.join(' | ');
    return this.stopping === undefined ? line : `stopping (${this.stopping}) | ${line}`;
  }

  private progressObject(p: Progress, perSecond: number, now: number): Record<string, unknown> {
    return {
      time: timeOf(now),
      type: 'progress',
      stopping: this.stopping,
      records: p.records,
      recordsPerSecond: Math.round(perSecond),
      watermark: p.inputEnded ? 'end of input' : p.watermark === undefined ? null : timeOf(p.watermark),
      lag: p.lag ?? null,
      checkpointAgeMs: this.checkpointing && p.lastCheckpointAt !== undefined ? now - p.lastCheckpointAt : null,
      results: p.results,
      late: p.late,
      deadLetters: p.deadLetters,
    };
  }

  private summaryLine(summary: RunSummary | undefined, error: unknown, now: number): string {
    const elapsed = now - (this.startedAt ?? now);
    if (!summary) return `failed after ${durationOf(elapsed)}: ${reasonOf(error)}${codeOf(error)}`;
    const { records, results, late, deadLetters, filtered, duplicates, checkpoints, restoredFrom, durationMs } = summary;
    const perSecond = durationMs > 0 ? (records * 1000) / durationMs : 0;
    const head = summary.stopped ? `stopped${this.stopping ? ` (${this.stopping})` : ''}` : 'finished';
    const parts = [`${head}: records ${count(records)} in ${durationOf(durationMs)} (${count(perSecond)}/s)`];
    parts.push(`results ${count(results)}`, `late ${count(late)}`, `dead letters ${count(deadLetters)}`);
    if (filtered > 0) parts.push(`filtered ${count(filtered)}`);
    if (duplicates > 0) parts.push(`duplicates ${count(duplicates)}`);
    if (this.checkpointing) {
      let text = `checkpoints ${count(checkpoints)}`;
      if (this.lastCheckpoint !== undefined) text += ` (last ${this.lastCheckpoint})`;
      if (restoredFrom !== undefined) text += `, restored from ${restoredFrom}`;
      parts.push(text);
    }
    return parts.join(' | ');
  }

  private summaryObject(summary: RunSummary | undefined, error: unknown, now: number): Record<string, unknown> {
    if (!summary) {
      return {
        time: timeOf(now),
        type: 'summary',
        status: 'failed',
        error: reasonOf(error),
        code: (error as { code?: unknown } | undefined)?.code,
        durationMs: now - (this.startedAt ?? now),
      };
    }
    const { upstream: _upstream, ...fields } = summary;
    return {
      time: timeOf(now),
      type: 'summary',
      status: summary.stopped ? 'stopped' : 'finished',
      stopping: this.stopping,
      ...fields,
      lastCheckpoint: this.lastCheckpoint,
    };
  }

  /** Cuts a live line to the terminal's width, so it never wraps (a wrapped line cannot be rewritten in place). */
  private fit(line: string): string {
    const columns = this.stream.columns;
    return columns !== undefined && columns > 1 && line.length > columns - 1 ? line.slice(0, columns - 1) : line;
  }
}

/**
 * Makes the progress reporter of `run({ progress })`, checking its options.
 * @param option `true` for the defaults, or {@link ProgressOptions}.
 * @param context the job's metrics; `clock` (default `Date.now`); `checkpointing` when the job keeps checkpoints.
 * @throws TypeError or RangeError naming a bad option.
 * @example
 * const metrics = new Metrics();
 * const reporter = createProgressReporter({ format: 'json', every: '30s' }, { metrics });
 * await stream.run({ metrics: { registry: metrics }, onEvent: (e) => reporter.onEvent(e) });
 */
export function createProgressReporter(
  option: true | ProgressOptions,
  context: { metrics: Metrics; clock?: () => number; checkpointing?: boolean },
): ProgressReporter {
  const options: ProgressOptions = option === true ? {} : option;
  checkOptions('progress', options, PROGRESS_OPTIONS);
  const stream = options.stream ?? process.stderr;
  if (typeof stream?.write !== 'function') throw new TypeError('progress.stream must have a write(text) method, such as process.stderr');
  const requested = options.format ?? 'auto';
  if (!FORMATS.includes(requested)) {
    throw new RangeError(`progress.format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(requested)}`);
  }
  const format = requested === 'auto' ? (stream.isTTY ? 'live' : 'lines') : requested;
  const everyMs = parseDuration(options.every ?? (format === 'live' ? '1s' : '10s'), 'progress.every');
  if (everyMs <= 0) throw new RangeError(`progress.every must be greater than 0, got ${options.every}`);
  return new ProgressReporter(context.metrics, stream, format, everyMs, context.clock ?? Date.now, context.checkpointing ?? false);
}

/** 1234567 → `1,234,567`. */
function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** An epoch-ms time as ISO 8601 without milliseconds when they are 0; a number out of `Date`'s range as is. */
function timeOf(ms: number): string {
  if (Math.abs(ms) > MAX_DATE_MS) return String(ms);
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** `850 ms`, `3.2 s`, `4 m 05 s`, `2 h 03 m`. */
function durationOf(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor(s / 60) % 60).padStart(2, '0')} m`;
}

/** The failure as one masked line; a thrown value that cannot be rendered does not fail the report. */
function reasonOf(error: unknown): string {
  try {
    return maskUrlCredentials(describeError(error));
  } catch {
    return 'a thrown value that cannot be shown as text';
  }
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? ` (code ${code})` : '';
}
