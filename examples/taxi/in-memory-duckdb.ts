import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';

/**
 * Runs `work` on a connection to a fresh in-memory DuckDB database, closed afterwards whatever
 * happens: each batch computation of the taxi check starts from empty tables.
 *
 * @param work - what to do with the connection.
 * @returns what `work` returns.
 * @example const rows = await inMemoryDuckDb(async (c) => (await c.runAndReadAll('SELECT 42 AS x')).getRowObjectsJS());
 */
export async function inMemoryDuckDb<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return await work(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/**
 * Appends `v` with `append`, or SQL NULL when it is null: the nullable columns of the taxi check's tables.
 *
 * @param appender - the table's appender.
 * @param v - the value, or null.
 * @param append - how a present value is appended (`appendInteger`, `appendDouble`, …).
 * @example appendNullable(appender, t.tip_amount, (x) => appender.appendDouble(x));
 */
export function appendNullable(appender: DuckDBAppender, v: number | null, append: (x: number) => void): void {
  if (v === null) appender.appendNull();
  else append(v);
}

/**
 * A value DuckDB returned (a number, a bigint, a decimal's text) as a number, or null for SQL NULL.
 *
 * @param v - the column's value.
 * @returns the number, or null.
 * @example numberOrNull(42n); // 42
 */
export function numberOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}
