/**
 * The median of `xs` (the mean of the two middle values for an even count).
 * @param xs - at least one number.
 * @returns the median.
 * @example median([3, 1, 2]) // 2
 */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median: no values');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The `p`-th percentile of `xs` by the nearest-rank method: the smallest value with at least `p` %
 * of the values at or below it, so it is always one of the measured values.
 * @param xs - at least one number.
 * @param p - in (0, 100].
 * @returns the percentile.
 * @example percentile([1, 2, 3, 4], 50) // 2
 */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) throw new RangeError('percentile: no values');
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile: p must be in (0, 100], got ${p}`);
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.ceil((p / 100) * s.length) - 1];
}

/** One measured run, as far as the rates need it. */
export interface TimedRun {
  /** Input records. */
  records: number;
  /** Process start to the last result, ms. */
  wallMs: number;
  /** Process start to the first result, ms. */
  firstResultMs?: number | null;
  /** Input records read when the first result arrived. */
  recordsAtFirstResult?: number | null;
}

/**
 * Steady-state events per second of one run: the records read after the first result, divided by
 * the time from the first result to the last. Start-up (a JVM's class loading and planning, a
 * Node bundle's loading) and the records it took to fill the first window are left out.
 * @param run - the run's counts and times.
 * @returns events/s, or null when the run has no first result or too little left after it.
 * @example steadyEventsPerSecond({ records: 1_000_000, wallMs: 12_000, firstResultMs: 2_000, recordsAtFirstResult: 10_000 }) // 99,000
 */
export function steadyEventsPerSecond(run: TimedRun): number | null {
  const { records, wallMs, firstResultMs, recordsAtFirstResult } = run;
  if (firstResultMs === null || firstResultMs === undefined) return null;
  if (recordsAtFirstResult === null || recordsAtFirstResult === undefined) return null;
  const ms = wallMs - firstResultMs;
  const after = records - recordsAtFirstResult;
  if (ms <= 0 || after <= 0) return null;
  return (after * 1000) / ms;
}

/**
 * Steady-state events per second from two input sizes: the extra records of the larger divided by
 * the extra wall time they took. Whatever both runs pay once (start-up, the last windows' flush)
 * cancels out; noise in either run does not, so it is a cross-check, not the headline.
 * @param small - the run over fewer records.
 * @param large - the run over more records.
 * @returns events/s, or null when the larger run was not slower.
 * @example sizeSlopeEventsPerSecond({ records: 1e6, wallMs: 12_000 }, { records: 5e6, wallMs: 52_000 }) // 100,000
 */
export function sizeSlopeEventsPerSecond(small: TimedRun, large: TimedRun): number | null {
  const records = large.records - small.records;
  const ms = large.wallMs - small.wallMs;
  if (records <= 0) throw new RangeError('sizeSlopeEventsPerSecond: the second run must have more records');
  return ms > 0 ? (records * 1000) / ms : null;
}
