import { constants } from 'node:fs';
import { access, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AccessDeniedError } from '../core/errors.js';
import { lazyModule } from '../core/lazy-module.js';

/**
 * LevelDB (a native addon), loaded when a state directory or result table is first opened: jobs
 * without one do not pay its start-up.
 */
export const level = lazyModule<typeof import('level')>(
  'level',
  'LevelDB state and tables (levelState, toLevel, openLevelTable, readLevelTable)',
);

/**
 * LevelDB files a store of state on disk keeps open (levelState and kafkaChangelog with a memory
 * budget). LevelDB maps each open table file into memory and reads through the mapping, so the
 * pages a random read touches count towards the process's resident memory until the file is
 * closed: with its default of 1,000 open files, a dedup over 10M ids reached 533 MB of RSS under a
 * 64 MB budget. 64 files of 2 MB bound the mapped part to about 128 MB; a file closed this way is
 * opened again on its next read (its index and bloom filter, a few KB). It is also the fewest
 * LevelDB allows: it raises `maxOpenFiles` to at least 74, 64 table files plus 10 others.
 */
export const RESIDENT_OPEN_FILES = 64;

/** What a path holds, as far as opening a LevelDB there is concerned. */
export type LevelDirectoryKind = 'missing' | 'empty' | 'leveldb' | 'file' | 'foreign';

/** Files LevelDB itself writes; a directory holding only these (without `CURRENT`) is a creation cut short. */
const LEVELDB_FILE = /^(?:CURRENT|LOCK|LOG|LOG\.old|MANIFEST-\d+|\d+\.(?:log|ldb|sst|dbtmp))$/;

/**
 * Tells a LevelDB directory from anything else before LevelDB opens it, because LevelDB would
 * otherwise silently create a new database inside any directory.
 * - `empty` also covers a directory where a process died while LevelDB was creating the database
 *   (its own files, no `CURRENT`): nothing was ever committed there.
 * - `foreign` is a directory holding files LevelDB does not write.
 * @param dir the path to inspect.
 * @throws the file system's error when `dir` cannot be read (see {@link accessDenied}).
 * @example if ((await inspectLevelDirectory(dir)) === 'foreign') throw …
 */
export async function inspectLevelDirectory(dir: string): Promise<LevelDirectoryKind> {
  let info;
  try {
    info = await stat(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  if (!info.isDirectory()) return 'file';
  const names = await readdir(dir);
  if (names.includes('CURRENT')) return 'leveldb';
  return names.every((name) => LEVELDB_FILE.test(name)) ? 'empty' : 'foreign';
}

/**
 * Makes sure this process may use `dir` as a LevelDB directory before LevelDB touches it: creates
 * it when missing and checks that it can be read and written. LevelDB writes its lock and log
 * files even to read, so a read-only directory cannot be opened at all.
 * @param dir the directory (it exists, or is created here).
 * @param what names the caller in messages (`levelState(./state)`).
 * @throws AccessDeniedError naming the path when the file system refuses (read-only, no permission).
 * @example await prepareLevelDirectory('./state', 'levelState(./state)')
 */
export async function prepareLevelDirectory(dir: string, what: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    // A recursive mkdir on a read-only file system reports ENOENT: ask the nearest existing
    // ancestor, the directory the new one would be made in, what is wrong.
    await access(await nearestExisting(dirname(dir)), constants.W_OK).catch((denied: unknown) => {
      throw accessDenied(denied, dir, what) ?? error;
    });
    throw accessDenied(error, dir, what) ?? error;
  }
  try {
    await access(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (error) {
    throw accessDenied(error, dir, what) ?? error;
  }
}

async function nearestExisting(path: string): Promise<string> {
  for (;;) {
    try {
      await stat(path);
      return path;
    } catch {
      const parent = dirname(path);
      if (parent === path) return path;
      path = parent;
    }
  }
}

const ACCESS_CODES = new Set(['EROFS', 'EACCES', 'EPERM']);
/** How LevelDB reports a refused file: `IO error: <path>: <strerror>` (and `lock <path>` for its lock file). */
const LEVELDB_REFUSAL = /IO error: (?:lock )?(.+?): (Read-only file system|Permission denied|Operation not permitted)\s*$/;
const STRERROR: Record<string, 'EROFS' | 'EACCES' | 'EPERM'> = {
  'Read-only file system': 'EROFS',
  'Permission denied': 'EACCES',
  'Operation not permitted': 'EPERM',
};

/**
 * Recognises a refusal by the file system — a read-only mount (`EROFS`) or missing permission
 * (`EACCES`, `EPERM`) — in a Node `fs` error or a LevelDB error (which carries only its message),
 * anywhere in the `cause` chain, and describes it: the directory is fine, it cannot be used as is.
 * @param error what an fs call or LevelDB threw.
 * @param path the path to name when the error does not name one.
 * @param what names the caller (`levelState(./state)`, `level table ./out`).
 * @returns the error to throw instead, or `undefined` when `error` is not a refusal.
 * @example throw accessDenied(error, dir, `levelState(${dir})`) ?? error;
 */
export function accessDenied(error: unknown, path: string, what: string): AccessDeniedError | undefined {
  const seen = new Set<unknown>();
  for (let e = error; e instanceof Error && !seen.has(e); e = e.cause) {
    seen.add(e);
    if (e instanceof AccessDeniedError) return e;
    const errno = e as NodeJS.ErrnoException;
    if (errno.code && ACCESS_CODES.has(errno.code)) {
      return refusal(what, errno.path ?? path, errno.code as 'EROFS' | 'EACCES' | 'EPERM', error);
    }
    const match = LEVELDB_REFUSAL.exec(e.message);
    if (match) return refusal(what, match[1], STRERROR[match[2]], error);
  }
  return undefined;
}

function refusal(what: string, path: string, reason: 'EROFS' | 'EACCES' | 'EPERM', cause: unknown): AccessDeniedError {
  const why =
    reason === 'EROFS'
      ? 'is on a read-only file system'
      : `is not accessible to this process (${reason === 'EACCES' ? 'permission denied' : 'operation not permitted'})`;
  const fix =
    reason === 'EROFS'
      ? 'mount it read-write (LevelDB writes a lock and a log file even to read)'
      : 'give the user running the job read and write access to it';
  return new AccessDeniedError(
    `${what}: ${path} ${why} (${reason}). Nothing in it is damaged and nothing was changed: ${fix}, then run again`,
    path,
    reason,
    cause,
  );
}
