import { GOLD_FIELD_KINDS, type GoldFieldKind, type GoldRow, type GoldWindow } from './gold-row.js';

/** Options of {@link compareGold}. */
export interface CompareGoldOptions {
  /** Largest difference accepted between averages, relative to the batch value (absolute below 1). Default 1e-9. */
  tolerance?: number;
  /** Kinds of fields not in {@link GOLD_FIELD_KINDS}; unknown fields compare as averages. */
  kinds?: Readonly<Record<string, GoldFieldKind>>;
}

/** One value that differs between the streaming and the batch answer. */
export interface GoldDifference {
  key: string | number | null;
  window: GoldWindow;
  field: string;
  stream: number | null;
  batch: number | null;
}

/** The verdict of {@link compareGold}. */
export interface GoldComparison {
  /** True when every window is on both sides and every value agrees. */
  equal: boolean;
  /** Windows present on both sides. */
  matched: number;
  onlyInStream: GoldRow[];
  onlyInBatch: GoldRow[];
  differences: GoldDifference[];
}

const rowKey = (r: GoldRow): string => `${String(r.key ?? null)}|${r.window.start}|${r.window.end}`;

function agree(kind: GoldFieldKind, s: number | null, b: number | null, tolerance: number): boolean {
  if (s === null || b === null) return s === b;
  switch (kind) {
    case 'count':
      return s === b;
    case 'money':
      return Math.round(s * 100) === Math.round(b * 100);
    case 'average':
      return Math.abs(s - b) <= tolerance * Math.max(1, Math.abs(b));
  }
}

/**
 * Matches streaming Gold results to batch Gold results by (key, window) and reports every
 * difference: counts must be equal, money equal to the cent, averages within `tolerance`.
 * A window fired more than once (late panes) is represented by its last pane, its final answer.
 *
 * @param streamRows - results of a streaming Gold job, as its sink collected them.
 * @param batchRows - the same Gold computed in batch (see `batchGold`).
 * @param options - see {@link CompareGoldOptions}.
 * @returns the comparison; `equal` is the one-word verdict.
 * @example
 * const report = compareGold(dailySink.items, (await batchGold(trips)).daily);
 * if (!report.equal) console.table(report.differences);
 */
export function compareGold(
  streamRows: readonly GoldRow[],
  batchRows: readonly GoldRow[],
  options: CompareGoldOptions = {},
): GoldComparison {
  const tolerance = options.tolerance ?? 1e-9;
  if (!(tolerance >= 0)) throw new RangeError(`tolerance must be a number >= 0, got ${tolerance}`);
  const kinds = { ...GOLD_FIELD_KINDS, ...options.kinds };
  const finalStream = new Map<string, GoldRow>();
  for (const r of streamRows) {
    const k = rowKey(r);
    const prev = finalStream.get(k);
    if (prev === undefined || (r.pane?.index ?? 0) >= (prev.pane?.index ?? 0)) finalStream.set(k, r);
  }
  const batch = new Map<string, GoldRow>();
  for (const r of batchRows) batch.set(rowKey(r), r);

  const differences: GoldDifference[] = [];
  const onlyInStream: GoldRow[] = [];
  const onlyInBatch: GoldRow[] = [];
  let matched = 0;
  for (const [k, s] of finalStream) {
    const b = batch.get(k);
    if (b === undefined) {
      onlyInStream.push(s);
      continue;
    }
    matched++;
    const fields = new Set([...Object.keys(s.value), ...Object.keys(b.value)]);
    for (const field of fields) {
      const sv = s.value[field] ?? null;
      const bv = b.value[field] ?? null;
      if (!agree(kinds[field] ?? 'average', sv, bv, tolerance)) {
        differences.push({ key: s.key ?? null, window: s.window, field, stream: sv, batch: bv });
      }
    }
  }
  for (const [k, b] of batch) if (!finalStream.has(k)) onlyInBatch.push(b);
  return {
    equal: differences.length === 0 && onlyInStream.length === 0 && onlyInBatch.length === 0,
    matched,
    onlyInStream,
    onlyInBatch,
    differences,
  };
}
