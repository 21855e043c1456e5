import { encodeKey } from '../core/key-encoding.js';
import type { LookupKind } from '../joins/lookup-options.js';

/** One expected output of a lookup join: a record with the row valid at its time, or `null` (left). */
export interface BatchLookupResult<T, R> {
  record: T;
  row: R | null;
  /** The result's timestamp: the record's. */
  time: number;
}

/** Options of {@link batchLookupJoin}: the lookup's kind and how to read records and rows. */
export interface BatchLookupJoinOptions<T, R> {
  /** `'inner'` (default) or `'left'`. */
  kind?: LookupKind;
  /** The table key a record looks up. */
  keyOf: (record: T) => unknown;
  /** A record's event time. */
  timeOf: (record: T) => number;
  /** A row's key. */
  rowKey: (row: R) => unknown;
  /** A row's event time; omitted for a static table, whose rows are valid from the beginning of time. */
  rowTime?: (row: R) => number;
  /** Whether a row is a delete. */
  isDelete?: (row: R) => boolean;
}

/**
 * The batch oracle of `stream.lookup(table, keyOf, fn, options)` over whole inputs: for every
 * record, the row of its key with the greatest time `<= ` the record's (of rows at one time, the
 * last in `rows`' order), or none when there is no such row or it is a delete. It is what the
 * streaming lookup emits for any input in which no record is late and rows arrive in `rows`' order
 * per key and time; `allowedLateness` does not change it. Results come in record order; for
 * `'inner'`, records without a row are left out.
 * @param records the stream's records.
 * @param rows the table's rows, in arrival order.
 * @param options `kind`, and `keyOf`, `timeOf`, `rowKey`, `rowTime` (omit for a static table), `isDelete`.
 * @returns the expected results, the lookup function not applied.
 * @example
 * batchLookupJoin(
 *   [{ zone: 1, at: 150 }],
 *   [{ id: 1, name: 'old', at: 100 }, { id: 1, name: 'new', at: 200 }],
 *   { keyOf: (t) => t.zone, timeOf: (t) => t.at, rowKey: (z) => z.id, rowTime: (z) => z.at },
 * ) // [{ record: { zone: 1, at: 150 }, row: { id: 1, name: 'old', at: 100 }, time: 150 }]
 * @see batchIntervalJoin
 */
export function batchLookupJoin<T, R>(
  records: readonly T[],
  rows: readonly R[],
  options: BatchLookupJoinOptions<T, R>,
): BatchLookupResult<T, R>[] {
  const { kind = 'inner', keyOf, timeOf, rowKey, rowTime, isDelete } = options;
  const byKey = new Map<string, Array<{ time: number; row: R }>>();
  for (const row of rows) {
    const key = encodeKey(rowKey(row));
    let versions = byKey.get(key);
    if (!versions) byKey.set(key, (versions = []));
    versions.push({ time: rowTime ? rowTime(row) : Number.NEGATIVE_INFINITY, row });
  }
  const results: BatchLookupResult<T, R>[] = [];
  for (const record of records) {
    const t = timeOf(record);
    let valid: { time: number; row: R } | undefined;
    for (const version of byKey.get(encodeKey(keyOf(record))) ?? []) {
      if (version.time <= t && (valid === undefined || version.time >= valid.time)) valid = version;
    }
    const row = valid && !isDelete?.(valid.row) ? valid.row : null;
    if (row !== null || kind === 'left') results.push({ record, row, time: t });
  }
  return results;
}
