import { readFileSync, writeFileSync } from 'node:fs';
import { JOB_SPECS, type JobName, type QueryName } from './jobs.js';

export { outputFileName } from './jobs.js';

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

type WindowQuery = Exclude<QueryName, 'silver'>;

/** Columns that identify a row of each windowed query; the others are compared as values. */
const KEY_COLUMNS: Record<WindowQuery, readonly string[]> = {
  'zone-5m': ['windowStart', 'zone'],
  dedup: ['windowStart', 'zone'],
  sessions: ['windowStart', 'vendor', 'zone', 'windowEnd'],
};

/**
 * Writes rows as JSON lines sorted by their key columns (window start first, nulls first), so two
 * files can be diffed by eye. The engines write rows as they arrive instead; the comparison below
 * does not depend on order.
 * @param file - destination path.
 * @param query - which query's key columns sort the rows.
 * @param rows - the output rows.
 * @example writeRows('out/zone-5m.jsonl', 'zone-5m', rows);
 */
export function writeRows(file: string, query: WindowQuery, rows: object[]): void {
  const keys = KEY_COLUMNS[query];
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

/** The outcome of comparing one engine's output with the reference engine's, row by row. */
export interface OutputComparison {
  equal: boolean;
  rows: number;
  referenceRows: number;
  /** Rows that differ: the sum of the three kinds below. */
  differences: number;
  /** Keys in this output only. */
  onlyHere: number;
  /** Keys in the reference only. */
  onlyInReference: number;
  /** Keys on both sides whose trip counts differ (their sums and averages then differ too). */
  tripsDiffer: number;
  /**
   * Keys on both sides with equal trip counts but a sum or average more than the tolerance apart:
   * the engines read the same records and computed different numbers. Always 0 when the arithmetic
   * agrees; anything else is a bug in one of them.
   */
  valuesDiffer: number;
  /** Trips over all rows of this output, and of the reference (sessions: a merged session counts again). */
  trips: number;
  referenceTrips: number;
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
  const rows: Row[] = [];
  let from = 0;
  while (from < text.length) {
    let nl = text.indexOf('\n', from);
    if (nl < 0) nl = text.length;
    if (nl > from) rows.push(JSON.parse(text.slice(from, nl)) as Row);
    from = nl + 1;
  }
  return rows;
}

function sumTrips(rows: Iterable<Row>): number {
  let n = 0;
  for (const r of rows) n += r.trips as number;
  return n;
}

/**
 * Compares two output files of `job` row by row: the silver count, or window rows matched by key
 * with trips compared exactly and money to the cent (see {@link cents}). Row order does not matter.
 * @param job - the job both files come from.
 * @param file - the output under test.
 * @param referenceFile - the reference output.
 * @returns whether they are equal, how many rows differ and how, and the trips on each side.
 * @example compareOutputs('zone-5m', 'out/sk/zone-5m.jsonl', 'out/flink/zone-5m.jsonl').equal
 */
export function compareOutputs(job: JobName, file: string, referenceFile: string): OutputComparison {
  const query = JOB_SPECS[job].query;
  if (query === 'silver') {
    const a = (JSON.parse(readFileSync(file, 'utf8')) as { silverRows: number }).silverRows;
    const b = (JSON.parse(readFileSync(referenceFile, 'utf8')) as { silverRows: number }).silverRows;
    const equal = a === b;
    return {
      equal,
      rows: a,
      referenceRows: b,
      differences: equal ? 0 : Math.abs(a - b),
      onlyHere: Math.max(0, a - b),
      onlyInReference: Math.max(0, b - a),
      tripsDiffer: 0,
      valuesDiffer: 0,
      trips: a,
      referenceTrips: b,
      example: equal ? undefined : `silver rows ${a} vs ${b}`,
    };
  }
  const keys = KEY_COLUMNS[query];
  const keyOf = (r: Row) => keys.map((k) => String(r[k])).join('|');
  const index = (rows: Row[]) => {
    const m = new Map<string, Row>();
    for (const r of rows) {
      const k = keyOf(r);
      if (m.has(k)) throw new Error(`${file === referenceFile ? referenceFile : 'an output'} has two rows for key ${k}`);
      m.set(k, r);
    }
    return m;
  };
  const rows = readRows(file);
  const reference = readRows(referenceFile);
  const mine = index(rows);
  const theirs = index(reference);
  const result: OutputComparison = {
    equal: false,
    rows: rows.length,
    referenceRows: reference.length,
    differences: 0,
    onlyHere: 0,
    onlyInReference: 0,
    tripsDiffer: 0,
    valuesDiffer: 0,
    trips: sumTrips(rows),
    referenceTrips: sumTrips(reference),
  };
  const note = (text: string) => (result.example ??= text);
  for (const [k, r] of mine) {
    const ref = theirs.get(k);
    if (!ref) {
      result.onlyHere++;
      note(`only here: ${JSON.stringify(r)}`);
      continue;
    }
    if (r.trips !== ref.trips) {
      result.tripsDiffer++;
      note(`${k} trips: ${JSON.stringify(r.trips)} vs ${JSON.stringify(ref.trips)}`);
      continue;
    }
    for (const column of Object.keys(ref)) {
      if (keys.includes(column)) continue;
      if (!sameValue(column, r[column], ref[column])) {
        result.valuesDiffer++;
        note(`${k} ${column}: ${JSON.stringify(r[column])} vs ${JSON.stringify(ref[column])}`);
        break;
      }
    }
  }
  for (const [k, r] of theirs) {
    if (mine.has(k)) continue;
    result.onlyInReference++;
    note(`only in reference: ${JSON.stringify(r)}`);
  }
  result.differences = result.onlyHere + result.onlyInReference + result.tripsDiffer + result.valuesDiffer;
  result.equal = result.differences === 0;
  return result;
}

/**
 * The trips over all rows of a window output file: with every record in exactly one window (zone-5m,
 * dedup, and Flink's sessions, which never fire a session twice), the records that reached a window
 * and were not dropped as late.
 * @param file - a window output file.
 * @returns the sum of its `trips` column.
 * @example const late = windowInputRecords - outputTrips('out/flink/zone-5m.jsonl');
 */
export function outputTrips(file: string): number {
  return sumTrips(readRows(file));
}
