/**
 * Which sliding windows exist (Kafka Streams' `SlidingWindows`, see `sliding.ts`): for record
 * times of one key, a window `[s, s + size)` starts at `t - size + 1` for every record time `t`
 * (the window ending with it), and at `t + 1` when some record lies in `(t, t + size]` (the
 * window starting just after it). Two forms of one rule, pinned equal by a property test:
 * {@link slidingWindowStarts} over a whole set of times (the batch oracle), and
 * {@link windowStartsHolding}, the incremental step the window operator takes per record.
 */

/**
 * The distinct sliding-window starts for one key's record times, ascending: `t - size + 1` for
 * every `t`, and `t + 1` when some record lies in `(t, t + size]`. Each window is
 * `[start, start + size)`.
 * @param times event times of one key's records, any order, duplicates allowed.
 * @param size window length in ms (> 0).
 * @example slidingWindowStarts([0, 5], 10) // [-9, -4, 1]
 */
export function slidingWindowStarts(times: readonly number[], size: number): number[] {
  if (!(size > 0)) throw new RangeError(`slidingWindowStarts: size must be > 0, got ${size}`);
  const sorted = Float64Array.from(times).sort();
  const starts = new Set<number>();
  let next = 0;
  for (let i = 0; i < sorted.length; i++) {
    const t = sorted[i];
    starts.add(t - size + 1);
    // The first strictly later time decides whether t's right window has a record.
    if (next <= i) next = i + 1;
    while (next < sorted.length && sorted[next] <= t) next++;
    if (next < sorted.length && sorted[next] <= t + size) starts.add(t + 1);
  }
  return [...starts].sort((a, b) => a - b);
}

/**
 * The starts of the windows a record at `t` belongs to, given the other record times of its key,
 * ascending and distinct: the left windows `[u - size + 1, u + 1)` of every time `u` in
 * `[t, t + size - 1]` (`t` itself included) and the right windows `[u + 1, u + 1 + size)` of every
 * time `u` in `[t - size, t - 1]`. These are exactly the windows of {@link slidingWindowStarts}
 * over the key's times with `t` added that hold `t`. Allocation-free: `into` is overwritten.
 * @param times the key's distinct record times, ascending (with or without `t`).
 * @param t the new record's time.
 * @param size window length in ms.
 * @param into receives the starts.
 * @returns the index of `t` in `times` (where it is or would be inserted).
 * @example const s: number[] = []; windowStartsHolding([0], 5, 10, s); // s: [-4, 1]
 */
export function windowStartsHolding(times: readonly number[], t: number, size: number, into: number[]): number {
  const idx = lowerBound(times, t);
  const stored = idx < times.length && times[idx] === t;
  into.length = 0;
  // Two ascending sequences merged: left-window starts of times in [t, t + size) (t's own first,
  // when it is not stored yet) and right-window starts of times in [t - size, t).
  let a = stored ? idx : -1;
  let b = lowerBound(times, t - size);
  const aEnd = lowerBound(times, t + size);
  const bEnd = idx;
  let leftStart = stored ? NaN : t - size + 1;
  for (;;) {
    let sa = Infinity;
    if (a < 0) sa = leftStart;
    else if (a < aEnd) sa = times[a] - size + 1;
    const sb = b < bEnd ? times[b] + 1 : Infinity;
    if (sa === Infinity && sb === Infinity) break;
    if (sa <= sb) {
      if (into.length === 0 || into[into.length - 1] !== sa) into.push(sa);
      if (a < 0) {
        a = idx;
        leftStart = NaN;
      } else a++;
    } else {
      if (into.length === 0 || into[into.length - 1] !== sb) into.push(sb);
      b++;
    }
  }
  return idx;
}

/**
 * The first index of an ascending array whose value is `>= x` (its length when none is).
 * @example lowerBound([1, 3, 5], 3) // 1
 */
export function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
