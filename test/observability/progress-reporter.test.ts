import { describe, expect, it } from 'vitest';
import { StreamkitError } from '../../src/core/errors.js';
import { METRICS } from '../../src/core/metric-catalogue.js';
import { Metrics } from '../../src/core/metrics.js';
import type { RunSummary } from '../../src/core/runtime-event.js';
import { createProgressReporter, type ProgressOptions, type ProgressStream } from '../../src/observability/progress-reporter.js';
import { from } from '../../src/pipeline/stream.js';
import { fromArray } from '../../src/sources/array-source.js';
import { memoryState } from '../../src/state/memory-state.js';
import { boundedOutOfOrderness } from '../../src/watermarks/watermark-strategy.js';
import { count } from '../../src/windowing/aggregators/index.js';
import { tumbling } from '../../src/windowing/tumbling.js';

const T = Date.UTC(2024, 0, 15, 9, 0, 0);

/** A stream that keeps what is written; a terminal of `columns` when given. */
function fakeStream(columns?: number): ProgressStream & { chunks: string[]; text(): string } {
  const chunks: string[] = [];
  return {
    chunks,
    isTTY: columns !== undefined,
    columns,
    write: (text: string) => chunks.push(text),
    text: () => chunks.join(''),
  };
}

const summary: RunSummary = {
  records: 12_000,
  results: 340,
  late: 2,
  deadLetters: 1,
  filtered: 0,
  duplicates: 7,
  checkpoints: 4,
  restoredFrom: 3,
  durationMs: 3000,
  stopped: false,
};

/** A registry holding what a running job's would. */
function busyMetrics(now: number): Metrics {
  const metrics = new Metrics();
  metrics.inc(METRICS.recordsIn, { stage: 'source' }, 5000);
  metrics.inc(METRICS.resultsOut, {}, 120);
  metrics.inc(METRICS.recordsOut, { operator: '0-map' }, 5000); // an operator's output, not results
  metrics.inc(METRICS.recordsLate, { operator: '3-window' }, 2);
  metrics.inc(METRICS.deadLetters, { operator: 'source' }, 1);
  metrics.inc(METRICS.deadLetters, { operator: '0-withTimestamps' }, 2);
  // Two partition tasks: the job's watermark is the least advanced one.
  metrics.withLabels({ task: 't/0' }).set(METRICS.watermark, { operator: '0-withTimestamps' }, (T + 5 * 60_000) / 1000);
  metrics.withLabels({ task: 't/1' }).set(METRICS.watermark, { operator: '0-withTimestamps' }, (T + 3 * 60_000) / 1000);
  metrics.withLabels({ task: 't/2' }).set(METRICS.watermark, { operator: '0-withTimestamps' }, -Infinity);
  metrics.inc(METRICS.checkpointsCompleted, {}, 3);
  metrics.set(METRICS.checkpointLastCompleted, {}, (now - 1500) / 1000);
  return metrics;
}

describe('progress reporter', () => {
  it('writes a timestamped line per report when the stream is not a terminal, and one summary at the end', () => {
    let now = T;
    const stream = fakeStream();
    const metrics = busyMetrics(now + 2000);
    const reporter = createProgressReporter({ stream, every: '1h' }, { metrics, clock: () => now, checkpointing: true });
    expect(reporter.format).toBe('lines');
    reporter.onEvent({ type: 'job.started' });
    expect(stream.chunks).toEqual([]); // the first line comes after `every`, not at once
    now += 2000;
    reporter.report();
    metrics.inc(METRICS.recordsIn, { stage: 'source' }, 1000);
    now += 500;
    reporter.report();
    reporter.onEvent({ type: 'checkpoint.completed', id: 4, durationMs: 3, entries: 10 });
    reporter.onEvent({ type: 'job.finished', summary });
    reporter.report(); // a report after the end writes nothing
    reporter.onEvent({ type: 'job.finished', summary });
    expect(stream.chunks).toEqual([
      '2024-01-15T09:00:02Z records 5,000 (2,500/s) | watermark 2024-01-15T09:03:00Z | checkpoint 1.5 s ago | results 120 | late 2 | dead letters 3\n',
      '2024-01-15T09:00:02.500Z records 6,000 (2,000/s) | watermark 2024-01-15T09:03:00Z | checkpoint 2.0 s ago | results 120 | late 2 | dead letters 3\n',
      '2024-01-15T09:00:02.500Z finished: records 12,000 in 3.0 s (4,000/s) | results 340 | late 2 | dead letters 1 | duplicates 7 | checkpoints 4 (last 4), restored from 3\n',
    ]);
  });

  it('on a terminal keeps one live line, cut to the width, and replaces it with the summary', () => {
    let now = T;
    const stream = fakeStream(60);
    const metrics = busyMetrics(now);
    metrics.set(METRICS.kafkaConsumerLag, { topic: 'trips', partition: '0' }, 1200);
    metrics.set(METRICS.kafkaConsumerLag, { topic: 'trips', partition: '1' }, 34);
    const reporter = createProgressReporter({ stream }, { metrics, clock: () => now, checkpointing: true });
    expect(reporter.format).toBe('live');
    expect(reporter.everyMs).toBe(1000);
    reporter.onEvent({ type: 'job.started' });
    now += 1000;
    reporter.report();
    reporter.onEvent({ type: 'job.stopping', reason: 'SIGTERM' });
    reporter.onEvent({ type: 'job.finished', summary: { ...summary, stopped: true } });
    const cut = (line: string) => `\r${line.slice(0, 59)}\x1b[K`;
    expect(stream.chunks).toEqual([
      cut('records 5,000 (0/s) | watermark 2024-01-15T09:03:00Z | lag 1,234 | checkpoint 1.5 s ago | results 120'),
      cut('records 5,000 (0/s) | watermark 2024-01-15T09:03:00Z | lag 1,234 | checkpoint 2.5 s ago | results 120'),
      cut('stopping (SIGTERM) | records 5,000 (0/s) | watermark 2024-01-15T09:03:00Z'),
      '\r\x1b[Kstopped (SIGTERM): records 12,000 in 3.0 s (4,000/s) | results 340 | late 2 | dead letters 1 | duplicates 7 | checkpoints 4, restored from 3\n',
    ]);
    // Every live line fits the terminal: no wrap, so `\r` rewrites it in place.
    for (const chunk of stream.chunks.slice(0, 3)) expect(chunk.replace('\r', '').replace('\x1b[K', '').length).toBeLessThanOrEqual(59);
  });

  it('writes JSON objects, and reports a failure with its code', () => {
    let now = T;
    const stream = fakeStream();
    const reporter = createProgressReporter({ stream, format: 'json' }, { metrics: new Metrics(), clock: () => now });
    reporter.onEvent({ type: 'job.started' });
    now += 2000;
    reporter.report();
    reporter.onEvent({
      type: 'job.failed',
      error: new StreamkitError('SINK_FAILED', 'sink jsonl(out.jsonl) failed to write: Error: EACCES'),
    });
    expect(stream.chunks.map((c) => JSON.parse(c))).toEqual([
      {
        time: '2024-01-15T09:00:02Z',
        type: 'progress',
        records: 0,
        recordsPerSecond: 0,
        watermark: null,
        lag: null,
        checkpointAgeMs: null,
        results: 0,
        late: 0,
        deadLetters: 0,
      },
      {
        time: '2024-01-15T09:00:02Z',
        type: 'summary',
        status: 'failed',
        error: 'StreamkitError: sink jsonl(out.jsonl) failed to write: Error: EACCES',
        code: 'SINK_FAILED',
        durationMs: 2000,
      },
    ]);
    expect(stream.chunks.every((c) => c.endsWith('\n') && !c.slice(0, -1).includes('\n'))).toBe(true);
  });

  it('says so before the first record and at the end of input; a failure line names the error and its code', () => {
    let now = T;
    const stream = fakeStream();
    const metrics = new Metrics();
    const reporter = createProgressReporter({ stream, every: 10 }, { metrics, clock: () => now, checkpointing: true });
    reporter.onEvent({ type: 'job.started' });
    metrics.set(METRICS.watermark, { operator: '0-withTimestamps' }, -Infinity);
    reporter.report();
    metrics.set(METRICS.watermark, { operator: '0-withTimestamps' }, Infinity);
    reporter.report();
    now += 61_000;
    reporter.onEvent({
      type: 'job.failed',
      error: new StreamkitError('STOP_TIMEOUT', 'the job did not stop within stopTimeout (20000 ms)'),
    });
    expect(stream.chunks).toEqual([
      '2024-01-15T09:00:00Z records 0 (0/s) | watermark none yet | no checkpoint yet | results 0 | late 0 | dead letters 0\n',
      '2024-01-15T09:00:00Z records 0 (0/s) | watermark end of input | no checkpoint yet | results 0 | late 0 | dead letters 0\n',
      '2024-01-15T09:01:01Z failed after 1 m 01 s: StreamkitError: the job did not stop within stopTimeout (20000 ms) (code STOP_TIMEOUT)\n',
    ]);
  });

  it('checks its options, naming the one that is wrong', () => {
    const metrics = new Metrics();
    expect(() => createProgressReporter({ format: 'fancy' as never }, { metrics })).toThrow(
      new RangeError('progress.format must be one of auto, live, lines, json, got "fancy"'),
    );
    expect(() => createProgressReporter({ stream: {} as never }, { metrics })).toThrow(
      new TypeError('progress.stream must have a write(text) method, such as process.stderr'),
    );
    expect(() => createProgressReporter({ every: 0 }, { metrics })).toThrow(new RangeError('progress.every must be greater than 0, got 0'));
    expect(() => createProgressReporter({ interval: '1s' } as never, { metrics })).toThrow(
      new TypeError('progress: unknown option "interval" (known: every, format, stream)'),
    );
  });
});

describe('run({ progress })', () => {
  const events = Array.from({ length: 3000 }, (_, i) => ({ at: T + i * 100 }));
  const slowSink = { name: 'slow', write: () => new Promise<void>((resolve) => setTimeout(resolve, 1)) };
  const job = (progress: ProgressOptions) =>
    from(fromArray(events, { batchSize: 20 }))
      .withTimestamps((e) => e.at, boundedOutOfOrderness('1s'))
      .window(tumbling('1s'))
      .aggregate(count())
      .to(slowSink)
      .run({ credits: 1, state: memoryState(), checkpointEvery: { records: 500 }, progress });

  it('writes progress lines while the job runs and the summary once, last, on a stream that is not a terminal', async () => {
    const stream = fakeStream();
    const summary = await job({ stream, every: '10ms' });
    const lines = stream.text().split('\n');
    expect(lines.pop()).toBe('');
    const last = lines.pop()!;
    expect(last).toMatch(
      /^\S+ finished: records 3,000 in \d+(\.\d)? m?s \([\d,]+\/s\) \| results 300 \| late 0 \| dead letters 0 \| checkpoints \d+ \(last \d+\)$/,
    );
    expect(summary.results).toBe(300);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines)
      expect(line).toMatch(/^\S+ records [\d,]+ \([\d,]+\/s\) \| watermark (\S+|none yet) \| (checkpoint|no checkpoint)/);
    expect(stream.text().match(/finished:/g)).toHaveLength(1);
  });

  it('keeps a live line on a terminal and leaves the summary in its place', async () => {
    const stream = fakeStream(100);
    await job({ stream, every: '10ms' });
    const CLEAR = '\x1b[K';
    expect(stream.chunks[0]).toBe(
      `\rrecords 0 (0/s) | watermark none yet | no checkpoint yet | results 0 | late 0 | dead letters 0${CLEAR}`,
    );
    for (const chunk of stream.chunks.slice(0, -1)) {
      expect(chunk.startsWith('\r') && chunk.endsWith(CLEAR)).toBe(true);
      expect(chunk.length - 1 - CLEAR.length).toBeLessThanOrEqual(99);
    }
    const end = stream.chunks.at(-1)!;
    expect(end.startsWith(`\r${CLEAR}finished: records 3,000 in `) && end.endsWith('\n')).toBe(true);
    expect(stream.text().match(/\n/g)).toHaveLength(1);
  });
});
