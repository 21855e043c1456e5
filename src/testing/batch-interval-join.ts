import { encodeKey } from '../core/key-encoding.js';
import { joinSpecOf, type JoinOptions } from '../joins/join-options.js';

/** One expected output of the interval join: a pair, or an unmatched record with `null` for the other side. */
export interface BatchJoinResult<L, R> {
  left: L | null;
  right: R | null;
  /** The result's timestamp: the later of the pair's times, or the unmatched record's. */
  time: number;
}

/** Options of {@link batchIntervalJoin}: the join's options and how to read records. */
export interface BatchIntervalJoinOptions<L, R> extends JoinOptions {
  leftKey: (record: L) => unknown;
  rightKey: (record: R) => unknown;
  leftTime: (record: L) => number;
  rightTime: (record: R) => number;
}

/**
 * The batch oracle of `left.join(right, options, fn)`, the nested-loop way over whole inputs:
 * every pair with equal keys (the same key text, as `keyBy` compares them) and
 * `tl - before <= tr <= tl + after`, then, for `kind: 'left'` / `'outer'`, every left (and right)
 * record that is in no pair. It is what the streaming join emits for any input in which no record
 * is late; `allowedLateness` does not change it. Pairs come in left-input order, then right-input
 * order; unmatched left records, then right ones, follow in input order.
 * @param left the left input.
 * @param right the right input.
 * @param options `within`, `kind`, and `leftKey`, `rightKey`, `leftTime`, `rightTime`.
 * @returns the expected results, `fn` not applied.
 * @example
 * batchIntervalJoin(trips, tips, {
 *   within: '1h', kind: 'left',
 *   leftKey: t => t.id, rightKey: p => p.tripId, leftTime: t => t.at, rightTime: p => p.at,
 * })
 * @see keyedEvents
 */
export function batchIntervalJoin<L, R>(
  left: readonly L[],
  right: readonly R[],
  options: BatchIntervalJoinOptions<L, R>,
): BatchJoinResult<L, R>[] {
  const { leftKey, rightKey, leftTime, rightTime, ...joinOptions } = options;
  const { before, after, kind } = joinSpecOf(joinOptions);
  const results: BatchJoinResult<L, R>[] = [];
  const leftMatched = new Array<boolean>(left.length).fill(false);
  const rightMatched = new Array<boolean>(right.length).fill(false);
  left.forEach((l, i) => {
    const tl = leftTime(l);
    const kl = encodeKey(leftKey(l));
    right.forEach((r, j) => {
      const tr = rightTime(r);
      if (encodeKey(rightKey(r)) !== kl || tr < tl - before || tr > tl + after) return;
      leftMatched[i] = rightMatched[j] = true;
      results.push({ left: l, right: r, time: Math.max(tl, tr) });
    });
  });
  if (kind !== 'inner') left.forEach((l, i) => leftMatched[i] || results.push({ left: l, right: null, time: leftTime(l) }));
  if (kind === 'outer') right.forEach((r, j) => rightMatched[j] || results.push({ right: r, left: null, time: rightTime(r) }));
  return results;
}
