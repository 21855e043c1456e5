import type { AbstractSublevel } from 'abstract-level';
import { checkOptions } from '../core/options.js';
import type { Level } from 'level';
import { describeError, StreamkitError } from '../core/errors.js';
import type { Sink, SinkContext } from '../core/sink.js';
import { accessDenied, inspectLevelDirectory, level, prepareLevelDirectory } from '../state/level-directory.js';

/**
 * Layout of a result table, format version 1 (pinned by `test/delivery/level-sink.test.ts`):
 * - `streamkit-table` → JSON `{ "magic": "streamkit-table", "formatVersion": 1 }`
 * - `!rows!<id>` → the row as JSON, one per id (the `rows` sublevel of abstract-level), so that
 *   iteration is in id order (UTF-8 bytes) and apps may also read it with `level` directly.
 */
const TABLE_META_KEY = 'streamkit-table';
const TABLE_MAGIC = 'streamkit-table';
const TABLE_FORMAT_VERSION = 1;
const ROWS = 'rows';
/** Rows held back before a write is sent to LevelDB; later writes of one id replace earlier ones. */
const PENDING_ROWS = 4096;

type Db = Level<string, string>;
type Rows = AbstractSublevel<Db, string | Buffer | Uint8Array, string, string>;

/** What `idOf` may return; ids are stored as their string form. */
export type RowId = string | number;

/** Options of {@link toLevel}. */
export interface LevelSinkOptions<T> {
  /** The row id of an item (default `item.id`, which every window result carries). */
  idOf?: (item: T) => RowId;
  /**
   * fsync on `flush()` (default `true`). Without it flushed rows survive a killed process but not
   * a power cut.
   */
  sync?: boolean;
}

/** Range and order of a table iteration; bounds compare ids as strings (UTF-8 byte order). */
export interface LevelTableRange {
  gt?: string;
  gte?: string;
  lt?: string;
  lte?: string;
  limit?: number;
  reverse?: boolean;
}

/** A result table read as a materialized view. */
export interface LevelTable<T = unknown> {
  /** The row stored under `id`, or `undefined`. */
  get(id: RowId): Promise<T | undefined>;
  /** Rows in id order, `[id, row]`. */
  entries(range?: LevelTableRange): AsyncIterable<[string, T]>;
  /** Number of rows (a full scan). */
  count(): Promise<number>;
  /** Releases the directory (a table opened with {@link openLevelTable}; a no-op on a sink's live view). */
  close(): Promise<void>;
}

/** The sink made by {@link toLevel}. */
export interface LevelSink<T> extends Sink<T> {
  /** The table as it stands, readable while the job runs (written rows, pending ones not yet). */
  table(): LevelTable<T>;
}

/**
 * A sink that upserts each result under its id in a LevelDB table: replaying results after a
 * restart overwrites them with the same values, so the table ends as if there was no crash.
 * `flush()` (run at every checkpoint) makes the written rows durable with an fsync.
 * @param dir the table directory; created when missing. A directory holding anything else is refused.
 * @param options `idOf`: the row id (default `item.id`); `sync` (default true): fsync on flush.
 * @throws TypeError naming a bad argument.
 * @example
 * const sink = toLevel('./out/zone-5m');
 * await stream.to(sink).run({ state: levelState('./state') });
 * const table = await openLevelTable('./out/zone-5m');
 * console.log(await table.get(someResultId));
 * @see openLevelTable, readLevelTable
 */
export function toLevel<T = unknown>(dir: string, options: LevelSinkOptions<T> = {}): LevelSink<T> {
  if (typeof dir !== 'string' || dir.length === 0)
    throw new TypeError(`toLevel(dir): dir must be a non-empty path, got ${JSON.stringify(dir)}`);
  if (options === null || typeof options !== 'object') throw new TypeError('toLevel: options must be an object');
  checkOptions('toLevel', options, ['idOf', 'sync']);
  if (options.sync !== undefined && typeof options.sync !== 'boolean')
    throw new TypeError(`toLevel: option sync must be a boolean, got ${JSON.stringify(options.sync)}`);
  const durable = options.sync ?? true;
  if (options.idOf !== undefined && typeof options.idOf !== 'function') throw new TypeError('toLevel: option idOf must be a function');
  const idOf = options.idOf ?? ((item: T) => (item as { id?: RowId } | null)?.id as RowId);
  const name = `level(${dir})`;
  let db: Db | undefined;
  let rows: Rows | undefined;
  let pending = new Map<string, string>();
  let unsynced = false;
  let context: SinkContext<T> | undefined;

  /** The row id and JSON text of an item, or why it has none (then it is handed back as a dead letter). */
  const rowOf = (item: T): { key: string; json: string } | string => {
    let id: unknown;
    try {
      id = idOf(item);
    } catch (error) {
      return `idOf threw: ${describeError(error)}`;
    }
    if (typeof id !== 'string' && typeof id !== 'number') {
      return `an item has no usable id (got ${id === null ? 'null' : typeof id}); results of window aggregates carry one, other streams need toLevel(dir, { idOf })`;
    }
    let json: string | undefined;
    try {
      json = JSON.stringify(item);
    } catch (error) {
      return `the item with id ${JSON.stringify(id)} cannot be stored as JSON: ${describeError(error)}`;
    }
    if (json === undefined) return `the item with id ${JSON.stringify(id)} cannot be stored as JSON (JSON has no text for ${typeof item})`;
    return { key: String(id), json };
  };

  const writePending = async (sync: boolean) => {
    if (pending.size === 0 && !(sync && unsynced)) return;
    const ops: Array<{ type: 'put'; key: string; value: string; sublevel?: Rows }> = [];
    for (const [id, json] of pending) ops.push({ type: 'put', sublevel: rows!, key: id, value: json });
    pending = new Map();
    // An empty batch never reaches LevelDB; re-putting the meta record makes the fsync happen.
    if (ops.length === 0) ops.push({ type: 'put', key: TABLE_META_KEY, value: metaJson() });
    try {
      await db!.batch(ops, { sync });
    } catch (error) {
      throw accessDenied(error, dir, name) ?? error;
    }
    unsynced = !sync;
  };

  return {
    name,
    async open(given?: SinkContext<T>) {
      context = given;
      if (db) return;
      db = await openTableDb(dir, true);
      rows = db.sublevel<string, string>(ROWS, { keyEncoding: 'utf8', valueEncoding: 'utf8' }) as Rows;
    },
    async write(items: T[]) {
      if (!rows) throw new StreamkitError('SINK_FAILED', `${name}: write() before open()`);
      for (const item of items) {
        const row = rowOf(item);
        if (typeof row === 'string') {
          // Without a context (a sink opened by other code) there is no dead-letter output.
          if (!context) throw new StreamkitError('SINK_FAILED', `${name}: ${row}`);
          context.deadLetter(item, row);
          continue;
        }
        // Re-inserting keeps the Map's order equal to the order of the last writes.
        pending.delete(row.key);
        pending.set(row.key, row.json);
      }
      if (pending.size >= PENDING_ROWS) await writePending(false);
    },
    async flush() {
      if (rows) await writePending(durable);
    },
    async close() {
      if (!db) return;
      await writePending(durable);
      await db.close();
      db = undefined;
      rows = undefined;
    },
    table() {
      if (!rows) throw new StreamkitError('SINK_FAILED', `${name}: the table is readable once the sink is open (the job started)`);
      return tableOver(rows, async () => undefined);
    },
  };
}

/**
 * Opens a result table written by {@link toLevel}, for queries (`get`, ordered `entries`).
 * LevelDB allows one process per directory: read it after the job, or use the sink's `table()`.
 * @param dir the table directory.
 * @throws StreamkitError (`SINK_FAILED`) when the directory holds no streamkit table; AccessDeniedError
 *   (`ACCESS_DENIED`) when the file system refuses it (read-only, no permission): LevelDB writes its
 *   lock and log files even to read.
 * @example
 * const table = await openLevelTable<WindowResult>('./out/zone-5m');
 * for await (const [id, row] of table.entries({ limit: 10 })) console.log(id, row.value);
 * await table.close();
 */
export async function openLevelTable<T = unknown>(dir: string): Promise<LevelTable<T>> {
  if (typeof dir !== 'string' || dir.length === 0)
    throw new TypeError(`openLevelTable(dir): dir must be a non-empty path, got ${JSON.stringify(dir)}`);
  const db = await openTableDb(dir, false);
  const rows = db.sublevel<string, string>(ROWS, { keyEncoding: 'utf8', valueEncoding: 'utf8' }) as Rows;
  return tableOver<T>(rows, () => db.close());
}

/**
 * Reads a whole result table into a Map, in id order.
 * @param dir the table directory.
 * @example const rows = await readLevelTable('./out/zone-5m'); rows.size
 */
export async function readLevelTable<T = unknown>(dir: string): Promise<Map<string, T>> {
  const table = await openLevelTable<T>(dir);
  try {
    const out = new Map<string, T>();
    for await (const [id, row] of table.entries()) out.set(id, row);
    return out;
  } finally {
    await table.close();
  }
}

function tableOver<T>(rows: Rows, close: () => Promise<void>): LevelTable<T> {
  return {
    async get(id: RowId) {
      const json = await rows.get(String(id));
      return json === undefined ? undefined : (JSON.parse(json) as T);
    },
    async *entries(range: LevelTableRange = {}) {
      for await (const [id, json] of rows.iterator(range)) yield [id, JSON.parse(json) as T] as [string, T];
    },
    async count() {
      let n = 0;
      for await (const _ of rows.keys()) n++;
      return n;
    },
    close,
  };
}

function metaJson(): string {
  return JSON.stringify({ magic: TABLE_MAGIC, formatVersion: TABLE_FORMAT_VERSION });
}

async function openTableDb(dir: string, create: boolean): Promise<Db> {
  const what = `level table ${dir}`;
  const refuse = (why: string, cause?: unknown) =>
    new StreamkitError('SINK_FAILED', `${what}: ${why}`, cause === undefined ? {} : { cause });
  let kind;
  try {
    kind = await inspectLevelDirectory(dir);
  } catch (error) {
    throw accessDenied(error, dir, what) ?? refuse('cannot read the directory', error);
  }
  if (kind === 'file') throw refuse('the path is a file, not a table directory');
  if (kind === 'foreign') throw refuse("the directory holds files that are not a LevelDB's; point toLevel at an empty or new directory");
  if (kind === 'missing' && !create) throw refuse('no table here (the directory does not exist)');
  await prepareLevelDirectory(dir, what);
  const db: Db = new (level().Level)<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8', createIfMissing: create });
  try {
    await db.open();
  } catch (error) {
    const denied = accessDenied(error, dir, what);
    if (denied) throw denied;
    const code = (error as { cause?: { code?: string } })?.cause?.code;
    throw refuse(
      code === 'LEVEL_LOCKED'
        ? "the directory is open in another process or sink; read it after the job, or use the sink's table()"
        : 'cannot open the LevelDB',
      error,
    );
  }
  try {
    const meta = await db.get(TABLE_META_KEY);
    if (meta === undefined) {
      for await (const key of db.keys({ limit: 1 }))
        throw refuse(
          `this LevelDB is not a streamkit table (first key ${JSON.stringify(key)}); point toLevel at an empty or new directory`,
        );
      await db.put(TABLE_META_KEY, metaJson(), { sync: true });
    } else {
      let parsed: { magic?: unknown; formatVersion?: unknown };
      try {
        parsed = JSON.parse(meta);
      } catch (error) {
        throw refuse('its meta record is unreadable; it is not a streamkit table', error);
      }
      if (parsed?.magic !== TABLE_MAGIC) throw refuse('this LevelDB is not a streamkit table');
      if (typeof parsed.formatVersion !== 'number' || parsed.formatVersion > TABLE_FORMAT_VERSION) {
        throw refuse(
          `written in table format ${String(parsed.formatVersion)}, this streamkit reads format ${TABLE_FORMAT_VERSION}; upgrade streamkit`,
        );
      }
    }
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
  return db;
}
