import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { crc32 } from 'node:zlib';
import type { Level } from 'level';
import { checkOptions } from '../core/options.js';
import { StateError, StreamkitError } from '../core/errors.js';
import type { StateFingerprint } from '../core/operator.js';
import type { CheckpointData, RestoredCheckpoint, StateBackend } from '../core/state-backend.js';
import { accessDenied, inspectLevelDirectory, level, prepareLevelDirectory } from './level-directory.js';
import { checkLevelLogs } from './level-log-check.js';
import { encodeStateValue } from './state-change-collector.js';
import { addEntry, describeDigest, emptyDigest, removeEntry, sameDigest, type StateDigest } from './state-digest.js';
import {
  assertUid,
  type CheckpointMeta,
  type CheckpointMetaV1,
  decodeStateKey,
  encodeKeyAfter,
  META_KEY,
  type MetaEnvelope,
  type OperatorMeta,
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
/** What to do about a damaged directory: never advice that loses a checkpoint without saying so. */
const DAMAGED =
  'The directory is left as it was: restore it from a backup; otherwise move it aside and start from a new directory ' +
  '(its state is lost, and a Kafka source resumes from its committed offsets)';
/** LevelDB's sorted table files. */
const TABLE_FILE = /^\d+\.(?:ldb|sst)$/;
/** Keys per `getMany` when a checkpoint reads the values it replaces. */
const READ_CHUNK = 4096;

/** One operator of a stored checkpoint, as {@link inspectLevelState} reports it. */
export interface StoredOperatorState extends StateDigest {
  uid: string;
  /** What its state means; absent in a checkpoint of state format 1. */
  fingerprint?: StateFingerprint;
}

/** What {@link inspectLevelState} reports about a state directory's last checkpoint. */
export interface StoredCheckpoint {
  /** The state format the checkpoint was written in (1 or 2). */
  formatVersion: number;
  checkpointId: number;
  sourcePosition: unknown;
  /** Per stateful operator, in uid order: fingerprint and size, verified against the entries. */
  operators: StoredOperatorState[];
}

/** A checkpoint read and verified: what a restore gets, and what the backend keeps about each operator. */
interface ReadCheckpoint {
  formatVersion: number;
  restored: RestoredCheckpoint;
  operators: Record<string, OperatorMeta>;
  /** Generations no longer live (superseded or of dropped operators), to clear. */
  garbage: Map<string, Set<number>>;
}

/**
 * Checkpoints in a LevelDB directory: every checkpoint is one atomic `db.batch()` holding each
 * operator's puts and deletes and the meta record (format version, checkpoint id, source position,
 * and per operator its fingerprint and the digest of its entries). The layout is documented in
 * `state-key.ts`.
 *
 * Integrity: before LevelDB opens the directory its write-ahead logs are checked as LevelDB would
 * replay them ({@link checkLevelLogs}), because LevelDB drops damaged log records silently; the
 * meta record carries a CRC-32 of itself; and every operator's entries must add up to the digest
 * the checkpoint recorded. Anything else is `STATE_CORRUPT`, never an empty or older start.
 */
export class LevelStateBackend implements StateBackend {
  readonly name = 'level';
  private db: Db | undefined;
  /** What the last complete checkpoint holds per operator uid: generation, fingerprint, digest. */
  private operators: Record<string, OperatorMeta> = {};
  private readonly sync: boolean;

  constructor(
    readonly dir: string,
    options: LevelStateOptions = {},
  ) {
    this.sync = options.sync ?? true;
  }

  async open(): Promise<RestoredCheckpoint | undefined> {
    if (this.db) throw new StateError('STATE_INCOMPATIBLE', `levelState(${this.dir}) is already open; close() it first`);
    const db = await openStateDb(this.dir, true);
    try {
      const checkpoint = await readCheckpoint(db, this.dir);
      this.operators = checkpoint?.operators ?? {};
      // Left over from full snapshots or dropped operators right before a crash: never read, so
      // dropping them now changes nothing but disk use.
      if (checkpoint) for (const [uid, gens] of checkpoint.garbage) for (const gen of gens) await clearGeneration(db, uid, gen);
      this.db = db;
      return checkpoint?.restored;
    } catch (error) {
      await db.close().catch(() => undefined);
      throw error;
    }
  }

  async write(checkpoint: CheckpointData): Promise<void> {
    const db = this.db;
    if (!db) throw new StateError('STATE_INCOMPATIBLE', `levelState(${this.dir}): write() before open()`);
    for (const uid of checkpoint.operators.keys()) assertUid(uid);
    const operators = { ...this.operators };
    const retired: Array<[string, number]> = [];
    // The values an incremental change replaces or deletes, read first: the digests subtract them.
    const previous = await this.previousValues(db, checkpoint);
    // A chained batch hands each operation to LevelDB's native write batch as it is added, so a
    // checkpoint of millions of entries never sits in a JS array as well.
    const batch = db.batch();
    try {
      for (const [uid, changes] of checkpoint.operators) {
        const current = operators[uid];
        if (changes.dropped) {
          if (current) retired.push([uid, current.generation]);
          delete operators[uid];
          continue;
        }
        let generation = current?.generation ?? 0;
        if (changes.full && current) {
          generation = (current.generation + 1) >>> 0;
          retired.push([uid, current.generation]);
        }
        const digest: StateDigest =
          changes.full || !current ? emptyDigest() : { entries: current.entries, bytes: current.bytes, checksum: current.checksum };
        const replaced = previous.get(uid);
        const prefix = statePrefix(uid, generation);
        const counted = (key: Buffer) => key.subarray(prefix.length);
        // Deletes before puts: a key in both ends up put, as in the memory backend.
        if (!changes.full) {
          for (const key of changes.deletes) {
            const encoded = encodeKeyAfter(prefix, key);
            batch.del(encoded);
            const old = replaced?.get(key);
            if (old) removeEntry(digest, counted(encoded), old);
            replaced?.delete(key);
          }
        }
        for (const [key, value] of changes.puts) {
          const encoded = encodeKeyAfter(prefix, key);
          const bytes = encodeStateValue(value);
          const old = replaced?.get(key);
          if (old) removeEntry(digest, counted(encoded), old);
          replaced?.delete(key);
          batch.put(encoded, bytes);
          addEntry(digest, counted(encoded), bytes);
        }
        const fingerprint = changes.fingerprint ?? current?.fingerprint;
        operators[uid] = fingerprint ? { generation, fingerprint, ...digest } : { generation, ...digest };
      }
      const meta: CheckpointMeta = { checkpointId: checkpoint.id, sourcePosition: checkpoint.sourcePosition, operators };
      const body = serialize(meta);
      const envelope: MetaEnvelope = { magic: STATE_MAGIC, formatVersion: STATE_FORMAT_VERSION, body, checksum: crc32(body) };
      batch.put(META_KEY, serialize(envelope));
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
      throw (
        accessDenied(error, this.dir, `levelState(${this.dir})`) ??
        new StreamkitError(
          'CHECKPOINT_FAILED',
          `levelState(${this.dir}): writing checkpoint ${checkpoint.id} failed (${describe(error)}); the previous checkpoint is kept`,
          { cause: error, retriable: true },
        )
      );
    }
    this.operators = operators;
    for (const [uid, gen] of retired) await clearGeneration(db, uid, gen);
  }

  /** Per operator with an incremental change: the stored values of the keys it puts or deletes. */
  private async previousValues(db: Db, checkpoint: CheckpointData): Promise<Map<string, Map<string, Buffer>>> {
    const out = new Map<string, Map<string, Buffer>>();
    for (const [uid, changes] of checkpoint.operators) {
      const current = this.operators[uid];
      if (!current || changes.full || changes.dropped) continue;
      const keys = [...new Set([...changes.deletes, ...changes.puts.keys()])];
      const prefix = statePrefix(uid, current.generation);
      const values = new Map<string, Buffer>();
      for (let from = 0; from < keys.length; from += READ_CHUNK) {
        const chunk = keys.slice(from, from + READ_CHUNK);
        let found: Array<Buffer | undefined>;
        try {
          found = await db.getMany(chunk.map((key) => encodeKeyAfter(prefix, key)));
        } catch (error) {
          throw new StreamkitError(
            'CHECKPOINT_FAILED',
            `levelState(${this.dir}): reading the state checkpoint ${checkpoint.id} replaces failed (${describe(error)}); the previous checkpoint is kept`,
            { cause: error, retriable: true },
          );
        }
        found.forEach((value, i) => value && values.set(chunk[i], value));
      }
      out.set(uid, values);
    }
    return out;
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    if (db) await db.close();
  }
}

/**
 * Reads the last checkpoint of a state directory without running anything: its id, source
 * position, format version and, per operator, fingerprint and size, after the same integrity
 * checks as a restore. The job must be stopped (LevelDB allows one process per directory), and
 * the directory writable (LevelDB writes its lock and log files even to read).
 * @param dir a state directory written by {@link levelState}.
 * @returns the checkpoint, or `undefined` for a state directory that holds none yet.
 * @throws StateError (`STATE_CORRUPT`, `STATE_INCOMPATIBLE`) as a restore would; AccessDeniedError;
 *   StateError `STATE_INCOMPATIBLE` when `dir` does not exist.
 * @example const checkpoint = await inspectLevelState('./state'); console.log(checkpoint?.checkpointId);
 * @see levelState
 */
export async function inspectLevelState(dir: string): Promise<StoredCheckpoint | undefined> {
  const db = await openStateDb(dir, false);
  try {
    const checkpoint = await readCheckpoint(db, dir);
    if (!checkpoint) return undefined;
    const operators = Object.entries(checkpoint.operators)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([uid, { entries, bytes, checksum, fingerprint }]) =>
        fingerprint ? { uid, fingerprint, entries, bytes, checksum } : { uid, entries, bytes, checksum },
      );
    return {
      formatVersion: checkpoint.formatVersion,
      checkpointId: checkpoint.restored.id,
      sourcePosition: checkpoint.restored.sourcePosition,
      operators,
    };
  } finally {
    await db.close();
  }
}

/**
 * Opens the LevelDB of a state directory after the checks LevelDB does not make: the path is a
 * state directory, this process may write it, and its write-ahead logs are whole.
 */
async function openStateDb(dir: string, create: boolean): Promise<Db> {
  const what = `levelState(${dir})`;
  let kind;
  try {
    kind = await inspectLevelDirectory(dir);
  } catch (error) {
    throw (
      accessDenied(error, dir, what) ??
      new StateError('STATE_CORRUPT', `${what}: cannot read the state directory (${describe(error)})`, error)
    );
  }
  if (kind === 'file') {
    throw new StateError('STATE_INCOMPATIBLE', `${what}: the path is a file, not a state directory; point levelState at a directory`);
  }
  if (kind === 'foreign') {
    throw new StateError(
      'STATE_INCOMPATIBLE',
      `${what}: the directory holds files that are not a LevelDB's; point levelState at an empty or new directory`,
    );
  }
  if (kind === 'missing' && !create) throw new StateError('STATE_INCOMPATIBLE', `${what}: there is no state directory at this path`);
  await prepareLevelDirectory(dir, what);
  if (kind === 'leveldb') {
    let damage;
    try {
      damage = await checkLevelLogs(dir);
    } catch (error) {
      throw accessDenied(error, dir, what) ?? error;
    }
    if (damage) {
      throw new StateError(
        'STATE_CORRUPT',
        `${what}: the write-ahead log ${damage.file} is damaged at byte ${damage.offset} (${damage.reason}); LevelDB would silently drop ` +
          `the checkpoints written from there on and open an older one, or none. ${DAMAGED}`,
      );
    }
  }
  const db: Db = new (level().Level)<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer', createIfMissing: create });
  try {
    await db.open();
  } catch (error) {
    const denied = accessDenied(error, dir, what);
    if (denied) throw denied;
    if (levelCode(error) === 'LEVEL_LOCKED') {
      throw new StateError(
        'STATE_INCOMPATIBLE',
        `${what}: the directory is locked by another process; run one pipeline per state directory`,
        error,
      );
    }
    throw new StateError('STATE_CORRUPT', `${what}: cannot open the LevelDB in this directory (${describe(error)}). ${DAMAGED}`, error);
  }
  return db;
}

/** Reads and verifies the last checkpoint of an open state LevelDB; `undefined` when it holds none. */
async function readCheckpoint(db: Db, dir: string): Promise<ReadCheckpoint | undefined> {
  const what = `levelState(${dir})`;
  const metaBytes = await damagedTables(dir, () => db.get(META_KEY));
  if (metaBytes === undefined) {
    const first = await damagedTables(dir, async () => {
      for await (const key of db.keys({ limit: 1 })) return key;
      return undefined;
    });
    if (first !== undefined && decodeStateKey(first)) {
      throw new StateError('STATE_CORRUPT', `${what}: the directory holds operator state but no checkpoint meta record. ${DAMAGED}`);
    }
    if (first !== undefined) {
      throw new StateError(
        'STATE_INCOMPATIBLE',
        `${what}: this LevelDB was not written by streamkit (no meta record, first key ${JSON.stringify(first.toString('latin1'))}); ${FRESH_START}`,
      );
    }
    if (await holdsTables(dir)) {
      throw new StateError(
        'STATE_CORRUPT',
        `${what}: LevelDB's table files hold data, but no checkpoint can be read from them. ${DAMAGED}`,
      );
    }
    return undefined;
  }
  const meta = readMeta(metaBytes, what);
  const recorded = meta.operators;
  const read = new Map<string, StateDigest>();
  const state = new Map<string, Array<[string, unknown]>>();
  for (const uid of Object.keys(recorded)) {
    state.set(uid, []);
    read.set(uid, emptyDigest());
  }
  const garbage = new Map<string, Set<number>>();
  let unreadable: StateError | undefined;
  // nextv reads entries in native batches: a restore of millions of keys is dominated otherwise
  // by one promise per entry.
  const iterator = db.iterator({ gt: META_KEY });
  try {
    for (;;) {
      const entries = await damagedTables(dir, () => iterator.nextv(1024));
      if (entries.length === 0) break;
      for (const [keyBytes, valueBytes] of entries) {
        const decoded = decodeStateKey(keyBytes);
        if (!decoded) {
          throw new StateError(
            'STATE_CORRUPT',
            `${what}: unexpected key ${JSON.stringify(keyBytes.toString('latin1'))} in a streamkit state directory. ${DAMAGED}`,
          );
        }
        if (recorded[decoded.uid]?.generation !== decoded.generation) {
          let gens = garbage.get(decoded.uid);
          if (!gens) garbage.set(decoded.uid, (gens = new Set()));
          gens.add(decoded.generation);
          continue;
        }
        addEntry(read.get(decoded.uid)!, keyBytes.subarray(keyBytes.indexOf(0x00, 1) + 5), valueBytes);
        let value: unknown;
        try {
          value = deserialize(valueBytes);
        } catch (error) {
          // Reported after the digests: a value that fails them is damage, one that passes was written so.
          unreadable ??= new StateError(
            'STATE_CORRUPT',
            `${what}: unreadable state value of operator ${decoded.uid} under ${JSON.stringify(decoded.key)} (${describe(error)}). ${DAMAGED}`,
            error,
          );
          continue;
        }
        state.get(decoded.uid)!.push([decoded.key, value]);
      }
    }
  } finally {
    await iterator.close();
  }
  const operators: Record<string, OperatorMeta> = {};
  for (const [uid, entry] of Object.entries(recorded)) {
    const digest = read.get(uid)!;
    if (meta.formatVersion >= 2 && !sameDigest(entry, digest)) {
      throw new StateError(
        'STATE_CORRUPT',
        `${what}: checksum mismatch of checkpoint ${meta.checkpointId}: the state of operator ${uid} reads as ${describeDigest(digest)}, ` +
          `the checkpoint recorded ${describeDigest(entry)}. ${DAMAGED}`,
      );
    }
    operators[uid] = entry.fingerprint
      ? { generation: entry.generation, fingerprint: entry.fingerprint, ...digest }
      : { generation: entry.generation, ...digest };
  }
  if (unreadable) throw unreadable;
  const fingerprints =
    meta.formatVersion >= 2
      ? new Map(Object.entries(recorded).flatMap(([uid, { fingerprint }]) => (fingerprint ? [[uid, fingerprint] as const] : [])))
      : undefined;
  const restored: RestoredCheckpoint = { id: meta.checkpointId, sourcePosition: meta.sourcePosition, operators: state };
  if (fingerprints) restored.fingerprints = fingerprints;
  return { formatVersion: meta.formatVersion, restored, operators, garbage };
}

/** The meta record of either format, as format 2's body plus the format it was written in. */
function readMeta(bytes: Buffer, what: string): CheckpointMeta & { formatVersion: number } {
  const unreadable = (why: string, cause?: unknown) =>
    new StateError('STATE_CORRUPT', `${what}: the meta record ${why}. ${DAMAGED}`, cause);
  let envelope: Partial<MetaEnvelope & CheckpointMetaV1>;
  try {
    envelope = deserialize(bytes) as Partial<MetaEnvelope & CheckpointMetaV1>;
  } catch (error) {
    throw unreadable(`cannot be read (${describe(error)})`, error);
  }
  if (envelope === null || typeof envelope !== 'object' || envelope.magic !== STATE_MAGIC) {
    throw new StateError(
      'STATE_INCOMPATIBLE',
      `${what}: this LevelDB was not written by streamkit (its meta record is foreign); ${FRESH_START}`,
    );
  }
  const formatVersion = envelope.formatVersion;
  if (typeof formatVersion !== 'number' || formatVersion > STATE_FORMAT_VERSION) {
    throw new StateError(
      'STATE_INCOMPATIBLE',
      `${what}: written with state format ${formatVersion}, this streamkit reads format ${STATE_FORMAT_VERSION} and older; upgrade streamkit, or ${FRESH_START}`,
    );
  }
  if (formatVersion === 1) {
    const { checkpointId, sourcePosition, generations } = envelope;
    if (typeof checkpointId !== 'number' || generations === null || typeof generations !== 'object') throw unreadable('is incomplete');
    const operators: Record<string, OperatorMeta> = {};
    for (const [uid, generation] of Object.entries(generations)) operators[uid] = { generation, ...emptyDigest() };
    return { formatVersion, checkpointId, sourcePosition, operators };
  }
  const { body, checksum } = envelope;
  if (!(body instanceof Uint8Array) || typeof checksum !== 'number') throw unreadable('is incomplete');
  if (crc32(body) !== checksum) throw unreadable(`fails its checksum (CRC-32 ${crc32(body)}, recorded ${checksum})`);
  let meta: Partial<CheckpointMeta>;
  try {
    meta = deserialize(body) as Partial<CheckpointMeta>;
  } catch (error) {
    throw unreadable(`cannot be read (${describe(error)})`, error);
  }
  if (typeof meta?.checkpointId !== 'number' || meta.operators === null || typeof meta.operators !== 'object')
    throw unreadable('is incomplete');
  return { formatVersion, checkpointId: meta.checkpointId, sourcePosition: meta.sourcePosition, operators: meta.operators };
}

/** Runs a read; LevelDB's report of damaged table data becomes a `STATE_CORRUPT` naming the table files. */
async function damagedTables<T>(dir: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (levelCode(error) !== 'LEVEL_CORRUPTION') throw accessDenied(error, dir, `levelState(${dir})`) ?? error;
    const tables = (await readdir(dir).catch(() => [])).filter((name) => TABLE_FILE.test(name));
    throw new StateError(
      'STATE_CORRUPT',
      `levelState(${dir}): a table file of the LevelDB (${tables.join(', ') || 'none left'}) is damaged: ${describe(error)}. ${DAMAGED}`,
      error,
    );
  }
}

/** True when LevelDB has written table files: data that only a checkpoint can have put there. */
async function holdsTables(dir: string): Promise<boolean> {
  for (const name of await readdir(dir)) {
    if (TABLE_FILE.test(name) && (await stat(join(dir, name))).size > 0) return true;
  }
  return false;
}

async function clearGeneration(db: Db, uid: string, gen: number): Promise<void> {
  const prefix = statePrefix(uid, gen);
  await db.clear({ gte: prefix, lt: prefixEnd(prefix) });
}

/** classic-level's error code, on the error or its cause. */
function levelCode(error: unknown): string | undefined {
  const e = error as { code?: string; cause?: { code?: string } };
  return e?.code === 'LEVEL_DATABASE_NOT_OPEN' || e?.code === undefined ? (e?.cause?.code ?? e?.code) : e.code;
}

/** An error's message and its cause's (classic-level puts LevelDB's own words in the cause). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause && cause !== error.message ? `${error.message}: ${cause}` : error.message;
}

/**
 * Checkpointed state in a LevelDB directory (the `level` package): survives crashes; on restart the
 * pipeline resumes from the last complete checkpoint. One pipeline per directory.
 * @param dir the state directory; created when missing. A directory holding anything else is refused
 *   with a `StateError`, never overwritten; a damaged one is `STATE_CORRUPT`, never opened empty.
 * @param options `sync` (default true): fsync each checkpoint.
 * @throws TypeError when `dir` is not a non-empty string.
 * @example
 * await pipeline.run({ state: levelState('./state'), checkpointEvery: '5s' });
 * @see memoryState, the default; inspectLevelState to read a directory without running a job.
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
