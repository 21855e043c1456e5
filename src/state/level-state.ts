import { deserialize, serialize } from 'node:v8';
import { checkOptions } from '../core/options.js';
import type { Level } from 'level';
import { StateError, StreamkitError } from '../core/errors.js';
import { inspectLevelDirectory, level } from './level-directory.js';
import type { CheckpointData, RestoredCheckpoint, StateBackend } from '../core/state-backend.js';
import { encodeStateValue } from './state-change-collector.js';
import {
  assertUid,
  type CheckpointMeta,
  decodeStateKey,
  encodeKeyAfter,
  META_KEY,
  prefixEnd,
  STATE_FORMAT_VERSION,
  STATE_MAGIC,
  statePrefix,
} from './state-key.js';

/** Options of {@link levelState}. */
export interface LevelStateOptions {
  /**
   * Make each checkpoint durable with an fsync before it counts as complete (default `true`).
   * Without it a checkpoint survives a killed process but not a power cut.
   */
  sync?: boolean;
}

type Db = Level<Buffer, Buffer>;

const FRESH_START = 'delete the directory to start from scratch (its checkpoint is lost), or point levelState at a new directory';

/**
 * Checkpoints in a LevelDB directory: every checkpoint is one atomic `db.batch()` holding each
 * operator's puts and deletes and the meta record (format version, checkpoint id, source position).
 * The key layout is documented in `state-key.ts`.
 */
export class LevelStateBackend implements StateBackend {
  readonly name = 'level';
  private db: Db | undefined;
  private generations: Record<string, number> = {};
  private readonly sync: boolean;

  constructor(
    readonly dir: string,
    options: LevelStateOptions = {},
  ) {
    this.sync = options.sync ?? true;
  }

  async open(): Promise<RestoredCheckpoint | undefined> {
    if (this.db) throw new StateError('STATE_INCOMPATIBLE', `levelState(${this.dir}) is already open; close() it first`);
    await assertLevelDirectory(this.dir);
    const db: Db = new (level().Level)<Buffer, Buffer>(this.dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    try {
      await db.open();
    } catch (error) {
      const code = (error as { code?: string; cause?: { code?: string } })?.cause?.code ?? (error as { code?: string })?.code;
      if (code === 'LEVEL_LOCKED') {
        throw new StateError(
          'STATE_INCOMPATIBLE',
          `levelState(${this.dir}): the directory is locked by another process; run one pipeline per state directory`,
          error,
        );
      }
      throw new StateError(
        'STATE_CORRUPT',
        `levelState(${this.dir}): cannot open the LevelDB in this directory (${describe(error)}); ${FRESH_START}`,
        error,
      );
    }
    try {
      const restored = await this.load(db);
      this.db = db;
      return restored;
    } catch (error) {
      await db.close().catch(() => undefined);
      throw error;
    }
  }

  private async load(db: Db): Promise<RestoredCheckpoint | undefined> {
    const metaBytes = await db.get(META_KEY);
    if (metaBytes === undefined) {
      for await (const key of db.keys({ limit: 1 })) {
        throw new StateError(
          'STATE_INCOMPATIBLE',
          `levelState(${this.dir}): this LevelDB was not written by streamkit (no meta record, first key ${JSON.stringify(key.toString('latin1'))}); ${FRESH_START}`,
        );
      }
      this.generations = {};
      return undefined;
    }
    const meta = this.readMeta(metaBytes);
    this.generations = { ...meta.generations };

    const operators = new Map<string, Array<[string, unknown]>>();
    for (const uid of Object.keys(meta.generations)) operators.set(uid, []);
    const garbage = new Map<string, Set<number>>();
    // nextv reads entries in native batches: a restore of millions of keys is dominated otherwise
    // by one promise per entry.
    const iterator = db.iterator({ gt: META_KEY });
    try {
      for (;;) {
        const entries = await iterator.nextv(1024);
        if (entries.length === 0) break;
        for (const [keyBytes, valueBytes] of entries) {
          const decoded = decodeStateKey(keyBytes);
          if (!decoded) {
            throw new StateError(
              'STATE_CORRUPT',
              `levelState(${this.dir}): unexpected key ${JSON.stringify(keyBytes.toString('latin1'))} in a streamkit state directory; ${FRESH_START}`,
            );
          }
          if (meta.generations[decoded.uid] !== decoded.generation) {
            let gens = garbage.get(decoded.uid);
            if (!gens) garbage.set(decoded.uid, (gens = new Set()));
            gens.add(decoded.generation);
            continue;
          }
          let value: unknown;
          try {
            value = deserialize(valueBytes);
          } catch (error) {
            throw new StateError(
              'STATE_CORRUPT',
              `levelState(${this.dir}): unreadable state value of operator ${decoded.uid} under ${JSON.stringify(decoded.key)} (${describe(error)}); ${FRESH_START}`,
              error,
            );
          }
          operators.get(decoded.uid)!.push([decoded.key, value]);
        }
      }
    } finally {
      await iterator.close();
    }
    // Left over from full snapshots that completed right before a crash: never read, so dropping
    // them now changes nothing but disk use.
    for (const [uid, gens] of garbage) for (const gen of gens) await clearGeneration(db, uid, gen);
    return { id: meta.checkpointId, sourcePosition: meta.sourcePosition, operators };
  }

  private readMeta(bytes: Buffer): CheckpointMeta {
    let meta: Partial<CheckpointMeta>;
    try {
      meta = deserialize(bytes) as Partial<CheckpointMeta>;
    } catch (error) {
      throw new StateError(
        'STATE_CORRUPT',
        `levelState(${this.dir}): the meta record cannot be read (${describe(error)}); ${FRESH_START}`,
        error,
      );
    }
    if (meta === null || typeof meta !== 'object' || meta.magic !== STATE_MAGIC) {
      throw new StateError(
        'STATE_INCOMPATIBLE',
        `levelState(${this.dir}): this LevelDB was not written by streamkit (its meta record is foreign); ${FRESH_START}`,
      );
    }
    if (typeof meta.formatVersion !== 'number' || meta.formatVersion > STATE_FORMAT_VERSION) {
      throw new StateError(
        'STATE_INCOMPATIBLE',
        `levelState(${this.dir}): written with state format ${meta.formatVersion}, this streamkit reads format ${STATE_FORMAT_VERSION} and older; upgrade streamkit, or ${FRESH_START}`,
      );
    }
    if (typeof meta.checkpointId !== 'number' || meta.generations === null || typeof meta.generations !== 'object') {
      throw new StateError('STATE_CORRUPT', `levelState(${this.dir}): the meta record is incomplete; ${FRESH_START}`);
    }
    return meta as CheckpointMeta;
  }

  async write(checkpoint: CheckpointData): Promise<void> {
    const db = this.db;
    if (!db) throw new StateError('STATE_INCOMPATIBLE', `levelState(${this.dir}): write() before open()`);
    const generations = { ...this.generations };
    const retired: Array<[string, number]> = [];
    // A chained batch hands each operation to LevelDB's native write batch as it is added, so a
    // checkpoint of millions of entries never sits in a JS array as well.
    const batch = db.batch();
    try {
      for (const [uid, changes] of checkpoint.operators) {
        assertUid(uid);
        const current = generations[uid];
        let gen = current ?? 0;
        if (changes.full && current !== undefined) {
          gen = (current + 1) >>> 0;
          retired.push([uid, current]);
        }
        generations[uid] = gen;
        // Deletes before puts: a key in both ends up put, as in the memory backend.
        const prefix = statePrefix(uid, gen);
        if (!changes.full) for (const key of changes.deletes) batch.del(encodeKeyAfter(prefix, key));
        for (const [key, value] of changes.puts) batch.put(encodeKeyAfter(prefix, key), encodeStateValue(value));
      }
      const meta: CheckpointMeta = {
        magic: STATE_MAGIC,
        formatVersion: STATE_FORMAT_VERSION,
        checkpointId: checkpoint.id,
        sourcePosition: checkpoint.sourcePosition,
        generations,
      };
      batch.put(META_KEY, serialize(meta));
    } catch (error) {
      await batch.close();
      if (error instanceof TypeError) throw error;
      throw new StateError(
        'STATE_CORRUPT',
        `levelState(${this.dir}): checkpoint ${checkpoint.id} holds a value that cannot be serialized; the previous checkpoint is kept`,
        error,
      );
    }
    try {
      await batch.write({ sync: this.sync });
    } catch (error) {
      throw new StreamkitError(
        'CHECKPOINT_FAILED',
        `levelState(${this.dir}): writing checkpoint ${checkpoint.id} failed (${describe(error)}); the previous checkpoint is kept`,
        { cause: error, retriable: true },
      );
    }
    this.generations = generations;
    for (const [uid, gen] of retired) await clearGeneration(db, uid, gen);
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    if (db) await db.close();
  }
}

async function clearGeneration(db: Db, uid: string, gen: number): Promise<void> {
  const prefix = statePrefix(uid, gen);
  await db.clear({ gte: prefix, lt: prefixEnd(prefix) });
}

/** Refuses a path that LevelDB would otherwise silently turn into a new, empty database. */
async function assertLevelDirectory(dir: string): Promise<void> {
  let kind;
  try {
    kind = await inspectLevelDirectory(dir);
  } catch (error) {
    throw new StateError('STATE_CORRUPT', `levelState(${dir}): cannot read the state directory (${describe(error)})`, error);
  }
  if (kind === 'file') {
    throw new StateError(
      'STATE_INCOMPATIBLE',
      `levelState(${dir}): the path is a file, not a state directory; point levelState at a directory`,
    );
  }
  if (kind === 'foreign') {
    throw new StateError(
      'STATE_INCOMPATIBLE',
      `levelState(${dir}): the directory holds files that are not a LevelDB's; point levelState at an empty or new directory`,
    );
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Checkpointed state in a LevelDB directory (the `level` package): survives crashes; on restart the
 * pipeline resumes from the last complete checkpoint. One pipeline per directory.
 * @param dir the state directory; created when missing. A directory holding anything else is refused
 *   with a `StateError`, never overwritten.
 * @param options `sync` (default true): fsync each checkpoint.
 * @throws TypeError when `dir` is not a non-empty string.
 * @example
 * await pipeline.run({ state: levelState('./state'), checkpointEvery: '5s' });
 * @see memoryState, the default.
 */
export function levelState(dir: string, options: LevelStateOptions = {}): LevelStateBackend {
  if (typeof dir !== 'string' || dir.length === 0)
    throw new TypeError(`levelState: dir must be a non-empty path, got ${JSON.stringify(dir)}`);
  if (options === null || typeof options !== 'object') throw new TypeError('levelState: options must be an object');
  checkOptions('levelState', options, ['sync']);
  if (options.sync !== undefined && typeof options.sync !== 'boolean')
    throw new TypeError(`levelState: option sync must be a boolean, got ${JSON.stringify(options.sync)}`);
  return new LevelStateBackend(dir, options);
}
