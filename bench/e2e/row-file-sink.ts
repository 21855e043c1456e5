import { closeSync, openSync, writeSync } from 'node:fs';
import type { Sink } from '../../src/index.js';

/**
 * A sink that writes each result as a JSON line to a file as it arrives and keeps nothing, so a
 * run's peak RSS is the engine's and not the harness's (the Flink runner writes its rows the same
 * way). It notes when the first result arrived and how many input records had been read by then,
 * for the start-up and steady-state figures.
 * @example const sink = new RowFileSink('out/zone-5m.jsonl', (r) => ({ zone: r.key }), () => parsed);
 */
export class RowFileSink<T, R> implements Sink<T> {
  readonly name = 'bench-row-file';
  /** Rows written so far. */
  rows = 0;
  /** `performance.now()` when the first result arrived. */
  firstResultMs: number | undefined;
  /** Input records read when the first result arrived. */
  recordsAtFirstResult: number | undefined;
  private readonly fd: number;

  /**
   * @param file - created or truncated.
   * @param shape - turns a result into the row written (`JSON.stringify` of it).
   * @param recordsRead - input records read so far.
   * @param written - called after each write with its items and the time it ended (a latency probe).
   */
  constructor(
    file: string,
    private readonly shape: (item: T) => R,
    private readonly recordsRead: () => number,
    private readonly written?: (items: T[], now: number) => void,
  ) {
    this.fd = openSync(file, 'w');
  }

  write(items: T[]): void {
    if (items.length === 0) return;
    if (this.firstResultMs === undefined) {
      this.firstResultMs = performance.now();
      this.recordsAtFirstResult = this.recordsRead();
    }
    let text = '';
    for (const item of items) text += JSON.stringify(this.shape(item)) + '\n';
    writeSync(this.fd, text);
    this.rows += items.length;
    this.written?.(items, performance.now());
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** The silver job's sink: counts rows, keeps none, and notes the first one like {@link RowFileSink}. */
export class CountingSink<T> implements Sink<T> {
  readonly name = 'bench-count';
  rows = 0;
  firstResultMs: number | undefined;
  recordsAtFirstResult: number | undefined;

  /** @param recordsRead - input records read so far. */
  constructor(private readonly recordsRead: () => number) {}

  write(items: T[]): void {
    if (items.length > 0 && this.firstResultMs === undefined) {
      this.firstResultMs = performance.now();
      this.recordsAtFirstResult = this.recordsRead();
    }
    this.rows += items.length;
  }
}
