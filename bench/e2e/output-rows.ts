import { readFileSync, writeFileSync } from 'node:fs';

/** The benchmark jobs, named as in BENCHMARKS.md and bench/flink/sql. */
export const JOBS = ['silver', 'zone-5m', 'sessions', 'dedup'] as const;
/** One of {@link JOBS}. */
export type JobName = (typeof JOBS)[number];

/** One zone-5m (and dedup) output row, in the columns Flink's `zone-5m.sql` selects. */
export interface ZoneRow {
  zone: number | null;
  windowStart: number;
  windowEnd: number;
  trips: number;
  revenue: number | null;
  avgFare: number | null;
  avgDistance: number | null;
}

/** One sessions output row, in the columns Flink's `sessions.sql` selects. */
export interface SessionRow {
  vendor: number | null;
  zone: number | null;
  windowStart: number;
  windowEnd: number;
  trips: number;
  revenue: number | null;
}

/**
 * Columns that identify a row of each windowed job (the rest are compared as values), in the
 * order bench/flink/sql sorts its output, so files from both engines can also be diffed.
 */
const KEY_COLUMNS: Record<Exclude<JobName, 'silver'>, readonly string[]> = {
  'zone-5m': ['windowStart', 'zone'],
  dedup: ['windowStart', 'zone'],
  sessions: ['windowStart', 'vendor', 'zone', 'windowEnd'],
};

/** The output file name every engine writes for `job` (Flink's runner sets the convention). */
export function outputFileName(job: JobName): string {
  return job === 'silver' ? 'silver.json' : `${job}.jsonl`;
}

/**
 * Writes rows as JSON lines sorted by their key columns, so files from two engines line up.
 * @param file - destination path.
 * @param job - which job's key columns sort the rows.
 * @param rows - the output rows.
 * @example writeRows('out/zone-5m.jsonl', 'zone-5m', rows);
 */
export function writeRows(file: string, job: Exclude<JobName, 'silver'>, rows: object[]): void {
  const keys = KEY_COLUMNS[job];
  const sorted = [...rows].sort((a, b) => compareByColumns(a as Row, b as Row, keys));
  writeFileSync(file, sorted.map((r) => JSON.stringify(r)).join('\n') + (sorted.length > 0 ? '\n' : ''));
}

type Row = Record<string, unknown>;

function compareByColumns(a: Row, b: Row, columns: readonly string[]): number {
  for (const c of columns) {
    const x = a[c] as number | null;
    const y = b[c] as number | null;
    if (x === y) continue;
    if (x === null) return -1;
    if (y === null) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** The outcome of comparing one engine's output with the reference engine's. */
export interface OutputComparison {
  equal: boolean;
  rows: number;
  referenceRows: number;
  /** Rows whose key is on one side only, or whose values differ. */
  differences: number;
  /** The first difference, for the log. */
  example?: string;
}

/**
 * Sums of money are compared in integer cents: every input is a whole number of cents, so a sum
 * computed in another order or another engine's arithmetic differs from it by far less than half a
 * cent, and rounding recovers the same integer. An average can legitimately sit on a half cent
 * (8.075), where the last bit of a double decides which way it rounds (8.075 vs 8.075000000000001),
 * so averages are equal when they differ by less than half a cent. Counts and keys compare exactly.
 * A null sum (SQL SUM over nulls only) reads as 0.
 */
function cents(v: unknown): number {
  return v === null || v === undefined ? 0 : Math.round((v as number) * 100);
}

function sameValue(column: string, a: unknown, b: unknown): boolean {
  if (column === 'trips' || column === 'windowEnd') return a === b;
  if (column.startsWith('avg')) {
    if (a === null || b === null || a === undefined || b === undefined) return a === b;
    return Math.abs((a as number) - (b as number)) < 0.005;
  }
  return cents(a) === cents(b);
}

function readRows(file: string): Row[] {
  const text = readFileSync(file, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as Row);
}

/**
 * Compares two output files of `job`: the silver count, or windowed rows by key with values to the
 * cent (see {@link cents} and the half-cent rule for averages).
 * @param job - the job both files come from.
 * @param file - the output under test.
 * @param referenceFile - the reference output.
 * @returns whether they are equal, with a count and an example of the differences.
 * @example compareOutputs('zone-5m', 'out/sk/zone-5m.jsonl', 'out/flink/zone-5m.jsonl').equal
 */
export function compareOutputs(job: JobName, file: string, referenceFile: string): OutputComparison {
  if (job === 'silver') {
    const a = (JSON.parse(readFileSync(file, 'utf8')) as { silverRows: number }).silverRows;
    const b = (JSON.parse(readFileSync(referenceFile, 'utf8')) as { silverRows: number }).silverRows;
    return {
      equal: a === b,
      rows: a,
      referenceRows: b,
      differences: a === b ? 0 : 1,
      example: a === b ? undefined : `silver rows ${a} vs ${b}`,
    };
  }
  const keys = KEY_COLUMNS[job];
  const index = (rows: Row[]) => new Map(rows.map((r) => [keys.map((k) => String(r[k])).join('|'), r]));
  const rows = readRows(file);
  const reference = readRows(referenceFile);
  const mine = index(rows);
  const theirs = index(reference);
  let differences = 0;
  let example: string | undefined;
  const note = (text: string) => {
    differences++;
    example ??= text;
  };
  for (const [k, r] of mine) {
    const ref = theirs.get(k);
    if (!ref) {
      note(`only here: ${JSON.stringify(r)}`);
      continue;
    }
    for (const column of Object.keys(ref)) {
      if (keys.includes(column)) continue;
      if (!sameValue(column, r[column], ref[column])) {
        note(`${k} ${column}: ${JSON.stringify(r[column])} vs ${JSON.stringify(ref[column])}`);
        break;
      }
    }
  }
  for (const [k, r] of theirs) if (!mine.has(k)) note(`only in reference: ${JSON.stringify(r)}`);
  return {
    equal: differences === 0 && rows.length === reference.length,
    rows: rows.length,
    referenceRows: reference.length,
    differences,
    example,
  };
}
