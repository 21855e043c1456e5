/**
 * An exactly rounded running sum (Shewchuk's algorithm, as Python's `math.fsum`): `partials` are
 * non-overlapping doubles whose exact sum is the exact sum of every value added, so the rounded
 * result never depends on the order values arrived in, nor on how windows were split and merged.
 * Non-finite values are kept apart in `special`, because they cannot be represented by partials.
 * Plain data, so it checkpoints with `v8.serialize`.
 */
export interface ExactSum {
  partials: number[];
  special: number;
}

/**
 * A new, empty {@link ExactSum}.
 * @example const acc = exactSumCreate()
 */
export function exactSumCreate(): ExactSum {
  return { partials: [], special: 0 };
}

/**
 * Adds `x` exactly; mutates and returns `acc`.
 * @example exactSumAdd(exactSumCreate(), 0.1)
 */
export function exactSumAdd(acc: ExactSum, x: number): ExactSum {
  if (!Number.isFinite(x)) {
    acc.special += x;
    return acc;
  }
  const partials = acc.partials;
  let i = 0;
  for (let j = 0; j < partials.length; j++) {
    let y = partials[j];
    if (Math.abs(x) < Math.abs(y)) {
      const swap = x;
      x = y;
      y = swap;
    }
    const hi = x + y;
    const lo = y - (hi - x);
    if (lo !== 0) partials[i++] = lo;
    x = hi;
  }
  if (!Number.isFinite(x)) {
    // Intermediate overflow: the exact sum is beyond doubles; report it as such.
    partials.length = 0;
    acc.special += x;
    return acc;
  }
  if (i === 0 && partials.length === 0) {
    // Most sums hold one partial: a literal of one element rather than the 17-slot backing
    // store V8 gives an empty array on its first write (windows are many and short-lived).
    acc.partials = [x];
    return acc;
  }
  partials[i++] = x;
  // Shrinking an array's length is slow in V8; most additions keep it unchanged.
  if (partials.length !== i) partials.length = i;
  return acc;
}

/**
 * Adds every partial of `b` into `a`; mutates and returns `a`.
 * @example exactSumMerge(a, b)
 */
export function exactSumMerge(a: ExactSum, b: ExactSum): ExactSum {
  for (const p of b.partials) exactSumAdd(a, p);
  a.special += b.special;
  return a;
}

/**
 * The exact sum rounded once to the nearest double (ties to even).
 * @example exactSumValue(exactSumAdd(exactSumAdd(exactSumCreate(), 0.1), 0.2)) // 0.30000000000000004
 */
export function exactSumValue(acc: ExactSum): number {
  if (acc.special !== 0 || Number.isNaN(acc.special)) return acc.special;
  const partials = acc.partials;
  let n = partials.length;
  if (n === 0) return 0;
  let hi = partials[--n];
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = partials[--n];
    hi = x + y;
    const yr = hi - x;
    lo = y - yr;
    if (lo !== 0) break;
  }
  // Half-way cases: the next partial's sign says which way the exact value lies.
  if (n > 0 && ((lo < 0 && partials[n - 1] < 0) || (lo > 0 && partials[n - 1] > 0))) {
    const y = lo * 2;
    const x = hi + y;
    if (y === x - hi) hi = x;
  }
  // A zero sum is +0 whichever signed zeros were added, so results compare equal with Object.is.
  return hi === 0 ? 0 : hi;
}
