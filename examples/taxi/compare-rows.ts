/** The verdict of {@link compareRowsById}. */
export interface RowComparison<R> {
  /** True when every id is on both sides with equal rows. */
  equal: boolean;
  /** Ids present on both sides. */
  matched: number;
  onlyInStream: R[];
  onlyInBatch: R[];
  differences: Array<{ stream: R; batch: R }>;
}

/** JSON text with keys sorted, so field order does not matter. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * Matches streaming rows to batch rows by `id` and reports every difference: both sides must hold
 * the same ids, with equal rows (exactly: both are built from the same values).
 *
 * @param streamRows - the streaming output, one row per id (after an upsert by id).
 * @param batchRows - the same rows computed in batch.
 * @returns the comparison; `equal` is the verdict.
 * @example if (!compareRowsById(streamed, batch).equal) console.log('different');
 */
export function compareRowsById<R extends { id: string }>(streamRows: Iterable<R>, batchRows: Iterable<R>): RowComparison<R> {
  const batch = new Map<string, R>();
  for (const r of batchRows) batch.set(r.id, r);
  const seen = new Set<string>();
  const onlyInStream: R[] = [];
  const differences: Array<{ stream: R; batch: R }> = [];
  let matched = 0;
  for (const s of streamRows) {
    seen.add(s.id);
    const b = batch.get(s.id);
    if (b === undefined) {
      onlyInStream.push(s);
      continue;
    }
    matched++;
    if (canonical(s) !== canonical(b)) differences.push({ stream: s, batch: b });
  }
  const onlyInBatch = [...batch.values()].filter((b) => !seen.has(b.id));
  return {
    equal: onlyInStream.length === 0 && onlyInBatch.length === 0 && differences.length === 0,
    matched,
    onlyInStream,
    onlyInBatch,
    differences,
  };
}
