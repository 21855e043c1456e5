import { openLevelTable } from '../sinks/level-sink.js';

/**
 * `streamkit read-table <dir>`: prints the rows of a `toLevel` table in id order, as
 * `<id><TAB><row as JSON>` lines and a count, or with `json` as one `{"id","row"}` object per line.
 * @param dir a `toLevel` table directory (the job stopped).
 * @param options `json`; `limit`: at most that many rows.
 * @param out where to print.
 * @example await readTableCommand('./out/zone-5m', { json: true, limit: 10 }, process.stdout)
 */
export async function readTableCommand(
  dir: string,
  options: { json: boolean; limit?: number },
  out: { write(text: string): unknown; once?(event: 'drain', listener: () => void): unknown },
): Promise<void> {
  const table = await openLevelTable(dir);
  try {
    let rows = 0;
    for await (const [id, row] of table.entries(options.limit === undefined ? {} : { limit: options.limit })) {
      // A table can be far larger than a pipe holds: wait for the reader rather than buffer it all.
      if (out.write(options.json ? `${JSON.stringify({ id, row })}\n` : `${id}\t${JSON.stringify(row)}\n`) === false && out.once) {
        await new Promise<void>((resolve) => out.once!('drain', resolve));
      }
      rows++;
    }
    if (!options.json)
      out.write(
        `(${rows} ${rows === 1 ? 'row' : 'rows'}${options.limit !== undefined && rows === options.limit ? `, --limit ${options.limit}` : ''})\n`,
      );
  } finally {
    await table.close();
  }
}
