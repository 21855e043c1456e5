import { percentile } from './stats.js';

/** Window-result latency of a paced run, ms. */
export interface LatencySummary {
  /** Results measured: those fired by the watermark (the ones fired by the end of input are not). */
  samples: number;
  /** Results fired by the end of input, not measured. */
  atEndOfInput: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

/**
 * Measures how long after the watermark passes a tumbling window's end its results leave the sink.
 *
 * The watermark is `max event time − delay − 1`, so it passes the end of window `[s, e)` (reaches
 * `e − 1`, the window's max timestamp) when a record with event time `>= e + delay` arrives. The
 * probe follows the records as the source hands them out, notes for each window end the scheduled
 * arrival of the record that got there, and, for each result the sink writes, the time since then.
 * So a latency counts everything after the record arrived: the wait in the source, parsing, the
 * watermark, firing and the sink's write.
 * @example
 * const probe = new WindowLatency(times, 300_000, 7_260_000, (i) => source.scheduledAt(i));
 * // source: onHandOut = (from, to) => probe.arrived(from, to); sink: probe.resultOut(r.window.end)
 */
export class WindowLatency {
  private maxTime = -Infinity;
  private nextEnd: number;
  private readonly passedAt = new Map<number, number>();
  private readonly latencies: number[] = [];
  private atEnd = 0;

  /**
   * @param eventTimes - event time per input line, or null for a line that never reaches the
   *   watermark (filtered or bad).
   * @param windowMs - the tumbling window size (windows aligned to the epoch).
   * @param delayMs - the watermark delay.
   * @param arrivalOf - scheduled arrival of line `i`, `performance.now()` scale.
   */
  constructor(
    private readonly eventTimes: ReadonlyArray<number | null>,
    private readonly windowMs: number,
    private readonly delayMs: number,
    private readonly arrivalOf: (index: number) => number,
  ) {
    let min = Infinity;
    for (const t of eventTimes) if (t !== null && t < min) min = t;
    // The first window end any record can have: every end from there on is tracked.
    this.nextEnd = Number.isFinite(min) ? Math.floor(min / windowMs) * windowMs + windowMs : Infinity;
  }

  /** The source handed out lines `[from, to)`. */
  arrived(from: number, to: number): void {
    for (let i = from; i < to; i++) {
      const t = this.eventTimes[i];
      if (t === null || t <= this.maxTime) continue;
      this.maxTime = t;
      while (this.maxTime - this.delayMs >= this.nextEnd) {
        this.passedAt.set(this.nextEnd, this.arrivalOf(i));
        this.nextEnd += this.windowMs;
      }
    }
  }

  /** A result of the window ending at `windowEnd` left the sink now. */
  resultOut(windowEnd: number, now = performance.now()): void {
    const passed = this.passedAt.get(windowEnd);
    if (passed === undefined) this.atEnd++;
    else this.latencies.push(now - passed);
  }

  summary(): LatencySummary {
    const xs = this.latencies;
    const at = (p: number) => (xs.length === 0 ? null : Math.round(percentile(xs, p) * 100) / 100);
    return { samples: xs.length, atEndOfInput: this.atEnd, p50Ms: at(50), p90Ms: at(90), p99Ms: at(99), maxMs: at(100) };
  }
}
