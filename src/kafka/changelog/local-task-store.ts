import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Level } from 'level';
import { describeError, StateError } from '../../core/errors.js';
import { accessDenied, inspectLevelDirectory, level, prepareLevelDirectory, RESIDENT_OPEN_FILES } from '../../state/level-directory.js';
import { checkLevelLogs } from '../../state/level-log-check.js';
import type { ResidentMemory } from '../../state/resident-memory.js';
import { ResidentStore } from '../../state/resident-store.js';
import { encodeKeyAfter, prefixEnd } from '../../state/state-key.js';

type Db = Level<Buffer, Buffer>;
/** A chained LevelDB batch of one checkpoint's local changes. */
export type LocalBatch = ReturnType<Db['batch']>;

/** Where the local copy stands: the changelog record of the checkpoint marker it holds the state of. */
export interface LocalPosition {
  /** The changelog topic the copy was taken from. */
  topic: string;
  /** Offset of the marker record in its changelog partition. */
  offset: number;
  /** The marker record's value, byte for byte as written. */
  marker: string;
}

/** The key of the local position record; state entries start with 0x01. */
const POSITION_KEY = Buffer.from([0x00]);
const ENTRY_PREFIX = 0x01;

/**
 * The local copy of one partition task's changelog state, in its own LevelDB directory
 * (`<dir>/<changelog topic>/<task>`, both URI-encoded): what `kafkaChangelog({ memory, dir })`
 * reads resident state from, as Kafka Streams reads a task's RocksDB store.
 *
 * It holds what the changelog holds for the task and no more: each entry under
 * `0x01 <uid> 0x00 <state key>` with its value bytes as the changelog has them, and the position
 * record naming the changelog marker it is a copy of. Every write applies one checkpoint that the
 * changelog has already committed, in one batch with the new position, so the copy is always some
 * committed checkpoint of the task; which one, the position says. The changelog stays the source
 * of truth: a copy that is behind, damaged or of another topic is cleared and rebuilt from it.
 * @example
 * const local = await LocalTaskStore.open('./state', 'clicks.changelog', 'clicks/3');
 * const position = await local.position();
 */
export class LocalTaskStore {
  private readonly stores = new Map<string, ResidentStore>();

  private constructor(
    readonly path: string,
    private readonly db: Db,
  ) {}

  /**
   * Opens (or creates) the copy of `task`. A directory whose LevelDB or write-ahead log is damaged
   * is removed and created empty: it is only a copy, and is rebuilt from the changelog.
   */
  static async open(dir: string, topic: string, task: string): Promise<LocalTaskStore> {
    const path = join(dir, encodeURIComponent(topic), encodeURIComponent(task));
    const what = `kafkaChangelog(${topic}) local store of task ${task} at ${path}`;
    const kind = await inspectLevelDirectory(path).catch((error: unknown) => {
      throw accessDenied(error, path, what) ?? error;
    });
    if (kind === 'file' || kind === 'foreign') {
      throw new StateError(
        'STATE_INCOMPATIBLE',
        `${what}: the path holds files that are not a LevelDB's; point option dir at a directory that only kafkaChangelog uses`,
      );
    }
    if (kind === 'leveldb' && (await checkLevelLogs(path))) await rm(path, { recursive: true, force: true });
    await prepareLevelDirectory(path, what);
    const open = async (): Promise<Db> => {
      const db: Db = new (level().Level)<Buffer, Buffer>(path, {
        keyEncoding: 'buffer',
        valueEncoding: 'buffer',
        maxOpenFiles: RESIDENT_OPEN_FILES,
      });
      await db.open();
      return db;
    };
    try {
      return new LocalTaskStore(path, await open());
    } catch (error) {
      const denied = accessDenied(error, path, what);
      if (denied) throw denied;
      if (levelCode(error) === 'LEVEL_LOCKED') {
        throw new StateError(
          'STATE_INCOMPATIBLE',
          `${what}: the directory is locked by another process; give each instance of the job its own dir`,
          error,
        );
      }
      // Damaged beyond opening: start the copy afresh.
      await rm(path, { recursive: true, force: true });
      await prepareLevelDirectory(path, what);
      try {
        return new LocalTaskStore(path, await open());
      } catch (again) {
        throw new StateError('STATE_CORRUPT', `${what}: cannot open a LevelDB in this directory (${describeError(again)})`, again);
      }
    }
  }

  /** Which committed checkpoint the copy holds; `undefined` when it holds none (new, or cleared). */
  async position(): Promise<LocalPosition | undefined> {
    const bytes = await this.db.get(POSITION_KEY);
    if (bytes === undefined) return undefined;
    try {
      const read = JSON.parse(bytes.toString('utf8')) as Partial<LocalPosition>;
      if (typeof read.topic === 'string' && Number.isSafeInteger(read.offset) && typeof read.marker === 'string')
        return read as LocalPosition;
    } catch {
      // Unreadable: as if there were none, so the copy is rebuilt.
    }
    return undefined;
  }

  /** Removes everything, the position first: a clear cut short leaves a copy that holds no checkpoint. */
  async clear(): Promise<void> {
    await this.db.del(POSITION_KEY);
    await this.db.clear();
  }

  /** A batch of changes; {@link put}, {@link del} and {@link setPosition} fill it, `write()` applies it at once. */
  batch(): LocalBatch {
    return this.db.batch();
  }

  put(batch: LocalBatch, uid: string, key: string, value: Buffer): void {
    batch.put(encodeKeyAfter(uidPrefix(uid), key), value);
  }

  del(batch: LocalBatch, uid: string, key: string): void {
    batch.del(encodeKeyAfter(uidPrefix(uid), key));
  }

  setPosition(batch: LocalBatch, position: LocalPosition): void {
    batch.put(POSITION_KEY, Buffer.from(JSON.stringify(position), 'utf8'));
  }

  clearPosition(batch: LocalBatch): void {
    batch.del(POSITION_KEY);
  }

  /** Operator `uid`'s entries in key order (its value bytes as the changelog has them). */
  async *entries(uid: string): AsyncGenerator<[string, Buffer]> {
    const prefix = uidPrefix(uid);
    const iterator = this.db.iterator({ gte: prefix, lt: prefixEnd(prefix) });
    try {
      for (;;) {
        const batch = await iterator.nextv(1024);
        if (batch.length === 0) return;
        for (const [key, value] of batch) yield [key.toString('utf8', prefix.length), value];
      }
    } finally {
      await iterator.close();
    }
  }

  /** Operator `uid`'s keys that start with `prefix`, in key order (the tombstones of a range delete). */
  async *keys(uid: string, prefix = ''): AsyncGenerator<string> {
    const own = uidPrefix(uid);
    const start = encodeKeyAfter(own, prefix);
    const iterator = this.db.keys({ gte: start, lt: prefixEnd(start) });
    try {
      for (;;) {
        const batch = await iterator.nextv(1024);
        if (batch.length === 0) return;
        for (const key of batch) yield key.toString('utf8', own.length);
      }
    } finally {
      await iterator.close();
    }
  }

  /** LevelDB's estimate of the bytes the entries take in its table files (classic-level's `approximateSize`). */
  async diskBytes(): Promise<number> {
    const sized = this.db as Db & { approximateSize?: (start: Buffer, end: Buffer) => Promise<number> };
    return sized.approximateSize ? sized.approximateSize(Buffer.from([ENTRY_PREFIX]), Buffer.from([ENTRY_PREFIX + 1])) : 0;
  }

  /** The uids that have entries. */
  async uids(): Promise<string[]> {
    const found: string[] = [];
    let from: Buffer = Buffer.from([ENTRY_PREFIX]);
    for (;;) {
      let first: Buffer | undefined;
      for await (const key of this.db.keys({ gte: from, limit: 1 })) first = key;
      if (first === undefined) return found;
      const end = first.indexOf(0x00, 1);
      const uid = first.toString('utf8', 1, end);
      found.push(uid);
      from = prefixEnd(uidPrefix(uid));
    }
  }

  /** Operator `uid`'s resident state, kept in this copy behind the shared cache. */
  residentState(uid: string, memory: ResidentMemory): ResidentStore {
    let store = this.stores.get(uid);
    if (!store) this.stores.set(uid, (store = new ResidentStore(uid, uidPrefix(uid), this.db, memory)));
    return store;
  }

  /** The resident store of `uid`, if one was handed out. */
  residentStoreOf(uid: string): ResidentStore | undefined {
    return this.stores.get(uid);
  }

  /** Closes the copy; its resident stores give their memory back to the shared cache. */
  async close(): Promise<void> {
    for (const store of this.stores.values()) store.discard();
    this.stores.clear();
    await this.db.close();
  }
}

/** The bytes every local key of operator `uid` starts with. */
function uidPrefix(uid: string): Buffer {
  return Buffer.concat([Buffer.from([ENTRY_PREFIX]), Buffer.from(uid, 'utf8'), Buffer.from([0x00])]);
}

/** classic-level's error code, on the error or its cause. */
function levelCode(error: unknown): string | undefined {
  const e = error as { code?: string; cause?: { code?: string } };
  return e?.cause?.code ?? e?.code;
}
