/**
 * An exactly rounded running sum (Shewchuk's algorithm, as Python's `math.fsum`): `partials` are
 * non-overlapping doubles whose exact sum is the exact sum of every value added, so the rounded
 * result never depends on the order values arrived in, nor on how windows were split and merged.
 * Non-finite values are kept apart in `special`, because they cannot be represented by partials.
 *
 * A sum that one double holds exactly (nothing added, one value, or values whose sum rounds
 * nowhere) is that number itself: most windows hold one record, and a number costs no allocation.
 * Plain data either way, so it checkpoints with `v8.serialize`.
 */
export type ExactSum = number | ExactPartials;

/** The general form of an {@link ExactSum}. */
export interface ExactPartials {
  partials: number[];
  special: number;
}

/**
 * A new, empty {@link ExactSum}.
 * @example const acc = exactSumCreate()
 */
export function exactSumCreate(): ExactSum {
  return 0;
}

/**
 * Adds `x` exactly. Returns the new sum: a number stays a number while one double holds the sum
 * exactly; partials are mutated and returned.
 * @example exactSumAdd(exactSumCreate(), 0.1)
 */
export function exactSumAdd(acc: ExactSum, x: number): ExactSum {
  if (typeof acc === 'number') {
    const hi = acc + x;
    if (Number.isFinite(hi)) {
      // Knuth's two-sum: lo is the rounding error of hi, exactly.
      const bv = hi - acc;
      const lo = acc - (hi - bv) + (x - bv);
      if (lo === 0) return hi;
    }
    return partialsAdd(asPartials(acc), x);
  }
  return partialsAdd(acc, x);
}

/** The general form of a sum one double holds. */
function asPartials(sum: number): ExactPartials {
  return { partials: sum === 0 ? [] : [sum], special: 0 };
}

function partialsAdd(acc: ExactPartials, x: number): ExactPartials {
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
  partials[i++] = x;
  // Shrinking an array's length is slow in V8; most additions keep it unchanged.
  if (partials.length !== i) partials.length = i;
  return acc;
}

/**
 * Adds every partial of `b` into `a`. Returns the new sum (see {@link exactSumAdd}).
 * @example exactSumMerge(a, b)
 */
export function exactSumMerge(a: ExactSum, b: ExactSum): ExactSum {
  if (typeof b === 'number') return exactSumAdd(a, b);
  let sum = a;
  for (const p of b.partials) sum = exactSumAdd(sum, p);
  if (b.special === 0) return sum;
  const general = typeof sum === 'number' ? asPartials(sum) : sum;
  general.special += b.special;
  return general;
}

/**
 * The exact sum rounded once to the nearest double (ties to even).
 * @example exactSumValue(exactSumAdd(exactSumAdd(exactSumCreate(), 0.1), 0.2)) // 0.30000000000000004
 */
export function exactSumValue(acc: ExactSum): number {
  // A zero sum is +0 whichever signed zeros were added, so results compare equal with Object.is.
  if (typeof acc === 'number') return acc === 0 ? 0 : acc;
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
