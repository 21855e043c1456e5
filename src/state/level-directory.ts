import { readdir, stat } from 'node:fs/promises';
import { lazyModule } from '../core/lazy-module.js';

/**
 * LevelDB (a native addon), loaded when a state directory or result table is first opened: jobs
 * without one do not pay its start-up.
 */
export const level = lazyModule<typeof import('level')>(
  'level',
  'LevelDB state and tables (levelState, toLevel, openLevelTable, readLevelTable)',
);

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
