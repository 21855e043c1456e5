import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

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
