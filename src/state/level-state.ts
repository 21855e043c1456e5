import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { Level } from 'level';
import { checkOptions } from '../core/options.js';
import { METRICS } from '../core/metric-catalogue.js';
import type { MetricSample, Metrics } from '../core/metrics.js';
import { parseByteSize, type ByteSize } from '../core/byte-size.js';
import type { ResidentState } from '../core/resident-state.js';
import { ResidentMemory, type ResidentStats } from './resident-memory.js';
import { ResidentStore } from './resident-store.js';
import { StateError, StreamkitError } from '../core/errors.js';
import type { StateFingerprint } from '../core/operator.js';
import type { CheckpointData, OperatorStateChanges, RestoredCheckpoint, StateBackend } from '../core/state-backend.js';
import { accessDenied, inspectLevelDirectory, level, prepareLevelDirectory, RESIDENT_OPEN_FILES } from './level-directory.js';
import { checkLevelLogs } from './level-log-check.js';
import { crc32c } from './crc32c.js';
import { encodeStateValue } from './state-change-collector.js';
import { addToDigest, describeDigest, emptyDigest, entryChecksum, removeFromDigest, sameDigest, type StateDigest } from './state-digest.js';
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
  stateFormatOf,
  STATE_MAGIC,
  statePrefix,
} from './state-key.js';

/** Options of {@link levelState}. */
export interface LevelStateOptions {
  /**
   * Keep keyed state in LevelDB instead of the heap, behind a cache bounded by this many bytes (a
   * number, or a size such as `'64MB'`; binary multiples). Operators that support it (dedup,
   * windows, joins, keyed process functions) then hold only hot keys in memory, checkpoint only
   * what changed, and restore without loading their state. Without it, state lives in the heap
   * and LevelDB holds checkpoints.
   */
  memory?: ByteSize;
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
/** Every operator state key lies between these (`0x01 …`; the meta record is `0x00 …`). */
const STATE_RANGE_START = Buffer.from([0x01]);
const STATE_RANGE_END = Buffer.from([0x02]);
/** LevelDB's sorted table files. */
const TABLE_FILE = /^\d+\.(?:ldb|sst)$/;

/** One operator of a stored checkpoint, as {@link inspectLevelState} reports it. */
export interface StoredOperatorState extends StateDigest {
  uid: string;
  /** Bytes of its live entries' keys and values. */
  bytes: number;
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
  /** Per operator uid, each live key's {@link entryChecksum}. */
  checksums: Map<string, Map<string, number>>;
  /** Per operator uid, the bytes of its live keys and values. */
  bytes: Map<string, number>;
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
 * meta record carries a CRC-32C of itself; and every operator's entries must add up to the digest
 * the checkpoint recorded. Anything else is `STATE_CORRUPT`, never an empty or older start.
 */
export class LevelStateBackend implements StateBackend {
  readonly name = 'level';
  private db: Db | undefined;
  /** What the last complete checkpoint holds per operator uid: generation, fingerprint, digest. */
  private operators: Record<string, OperatorMeta> = {};
  /**
   * Per operator uid, the checksum of each live entry: a checkpoint updates the digests from the
   * entries it replaces without reading them back from LevelDB (a read per changed key cost more
   * than the rest of an incremental checkpoint). Built at open, which reads every entry anyway.
   */
  private checksums = new Map<string, Map<string, number>>();
  private readonly sync: boolean;
  /** The memory budget of resident state in bytes; undefined when state lives in the heap. */
  private readonly budget: number | undefined;
  /** The memory of resident state, made afresh at each open (every run starts with an empty cache). */
  private memory: ResidentMemory | undefined;
  /** The resident stores handed out, by operator uid. */
  private readonly stores = new Map<string, ResidentStore>();
  /** `state_disk_bytes`, set after each checkpoint when state is resident. */
  private diskGauge: MetricSample | undefined;

  constructor(
    readonly dir: string,
    options: LevelStateOptions = {},
  ) {
    this.sync = options.sync ?? true;
    if (options.memory !== undefined) this.budget = parseByteSize(options.memory, 'levelState memory');
  }

  /** The store of operator `uid`'s keyed state when a memory budget is set (see {@link ResidentState}). */
  residentState(uid: string): ResidentState | undefined {
    const db = this.db;
    if (!this.memory || !db) return undefined;
    assertUid(uid);
    let store = this.stores.get(uid);
    if (!store) {
      const generation = this.operators[uid]?.generation ?? 0;
      store = new ResidentStore(uid, statePrefix(uid, generation), db, this.memory);
      this.stores.set(uid, store);
    }
    return store;
  }

  attach(job: { requestCheckpoint: () => void; metrics: Metrics }): void {
    this.memory?.attach(job.requestCheckpoint, job.metrics);
    this.diskGauge = this.memory ? job.metrics.gauge(METRICS.stateDiskBytes) : undefined;
  }

  /** Counters of resident state (cache, pending changes, reads); undefined without a memory budget. */
  residentStats(): ResidentStats | undefined {
    return this.memory?.stats();
  }

  async open(): Promise<RestoredCheckpoint | undefined> {
    if (this.db) throw new StateError('STATE_INCOMPATIBLE', `levelState(${this.dir}) is already open; close() it first`);
    const db = (await openStateDb(this.dir, true, this.budget === undefined ? undefined : RESIDENT_OPEN_FILES))!;
    try {
      const checkpoint = await readCheckpoint(db, this.dir);
      if (checkpoint && this.budget === undefined) {
        const resident = Object.keys(checkpoint.operators).filter((uid) => checkpoint.operators[uid].resident);
        if (resident.length > 0) {
          throw new StateError(
            'STATE_INCOMPATIBLE',
            `levelState(${this.dir}): operator ${resident.map((u) => JSON.stringify(u)).join(', ')} keeps its state on disk ` +
              `(written with levelState(dir, { memory })); open the directory with a memory budget, or start from a new directory`,
          );
        }
      }
      this.operators = checkpoint?.operators ?? {};
      this.stores.clear();
      this.memory = this.budget === undefined ? undefined : new ResidentMemory(this.budget);
      this.checksums = checkpoint?.checksums ?? new Map();
      // Left over from full snapshots or dropped operators right before a crash: never read, so
      // dropping them now changes nothing but disk use.
      if (checkpoint) for (const [uid, gens] of checkpoint.garbage) for (const gen of gens) await clearGeneration(db, uid, gen);
      // Range deletes of the last checkpoint that a crash may have interrupted.
      for (const [uid, meta] of Object.entries(this.operators)) await clearRanges(db, uid, meta);
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
    const checksums = new Map(this.checksums);
    const retired: Array<[string, number]> = [];
    // Incremental changes update the checksum index in place; until the batch is written, each
    // change is logged (index, key, previous checksum, flat) so that a failed checkpoint can undo it.
    const undo: Undo = [];
    // A chained batch hands each operation to LevelDB's native write batch as it is added, so a
    // checkpoint of millions of entries never sits in a JS array as well.
    const batch = db.batch();
    try {
      for (const [uid, changes] of checkpoint.operators) {
        const current = operators[uid];
        if (changes.dropped) {
          if (current) retired.push([uid, current.generation]);
          delete operators[uid];
          checksums.delete(uid);
          continue;
        }
        if (changes.resident) {
          operators[uid] = writeResident(batch, uid, changes, current);
          checksums.delete(uid);
          continue;
        }
        let generation = current?.generation ?? 0;
        if (changes.full && current) {
          generation = (current.generation + 1) >>> 0;
          retired.push([uid, current.generation]);
        }
        const fresh = changes.full || !current;
        const digest: StateDigest = fresh ? emptyDigest() : { entries: current.entries, checksum: current.checksum };
        // A fresh index is not installed before the write succeeds, so it needs no undo log.
        const index = fresh ? new Map<string, number>() : (checksums.get(uid) ?? new Map<string, number>());
        const log = !fresh;
        const prefix = statePrefix(uid, generation);
        // Deletes before puts: a key in both ends up put, as in the memory backend.
        if (!changes.full) {
          for (const key of changes.deletes) {
            batch.del(encodeKeyAfter(prefix, key));
            const stored = storedKey(key);
            const old = index.get(stored);
            if (old === undefined) continue;
            removeFromDigest(digest, old);
            if (log) undo.push(index, stored, old);
            index.delete(stored);
          }
        }
        for (const [key, value] of changes.puts) {
          const encoded = encodeKeyAfter(prefix, key);
          const bytes = encodeStateValue(value);
          const stored = storedKey(key);
          const old = index.get(stored);
          if (old !== undefined) removeFromDigest(digest, old);
          const checksum = entryChecksum(encoded, bytes, prefix.length);
          addToDigest(digest, checksum);
          if (log) undo.push(index, stored, old);
          index.set(stored, checksum);
          batch.put(encoded, bytes);
        }
        checksums.set(uid, index);
        const fingerprint = changes.fingerprint ?? current?.fingerprint;
        operators[uid] = fingerprint ? { generation, fingerprint, ...digest } : { generation, ...digest };
      }
      const meta: CheckpointMeta = { checkpointId: checkpoint.id, sourcePosition: checkpoint.sourcePosition, operators };
      const body = serialize(meta);
      const envelope: MetaEnvelope = {
        magic: STATE_MAGIC,
        formatVersion: stateFormatOf(checkpoint.unfinishedWatermark === true),
        body,
        checksum: crc32c(body),
      };
      batch.put(META_KEY, serialize(envelope));
    } catch (error) {
      await batch.close();
      rollBack(undo);
      if (error instanceof TypeError) throw error;
      throw new StateError(
        'STATE_CORRUPT',
        `levelState(${this.dir}): checkpoint ${checkpoint.id} holds a value that cannot be serialized; the previous checkpoint is kept`,
        error,
      );
    }
    const resident = [...checkpoint.operators.keys()].flatMap((uid) => this.stores.get(uid) ?? []);
    try {
      await batch.write({ sync: this.sync });
    } catch (error) {
      rollBack(undo);
      for (const store of resident) store.failed();
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
    this.checksums = checksums;
    for (const [uid, gen] of retired) await clearGeneration(db, uid, gen);
    for (const store of resident) {
      await clearRanges(db, store.uid, operators[store.uid]);
      store.written();
    }
    if (this.diskGauge) this.diskGauge.value = await diskBytes(db);
  }

  async close(): Promise<void> {
    this.memory?.detach();
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
  if (!db) return undefined;
  try {
    const checkpoint = await readCheckpoint(db, dir);
    if (!checkpoint) return undefined;
    // Resident operators' entries are not read by a restore: count them here.
    for (const [uid, meta] of Object.entries(checkpoint.operators)) {
      if (!meta.resident) continue;
      const prefix = statePrefix(uid, meta.generation);
      let entries = 0;
      let bytes = 0;
      for await (const [key, value] of db.iterator({ gte: prefix, lt: prefixEnd(prefix) })) {
        entries++;
        bytes += key.length - prefix.length + value.length;
      }
      checkpoint.operators[uid] = { ...meta, entries };
      checkpoint.bytes.set(uid, bytes);
    }
    const operators = Object.entries(checkpoint.operators)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([uid, { entries, checksum, fingerprint }]) => {
        const bytes = checkpoint.bytes.get(uid) ?? 0;
        return fingerprint ? { uid, fingerprint, entries, bytes, checksum } : { uid, entries, bytes, checksum };
      });
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
 * state directory, this process may write it, and its write-ahead logs are whole. Without
 * `create`, `undefined` for a directory that holds no database yet. `openFiles` caps the table files
 * LevelDB keeps open (LevelDB's default of 1,000 when absent).
 */
async function openStateDb(dir: string, create: boolean, openFiles?: number): Promise<Db | undefined> {
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
  if (kind === 'empty') {
    // LevelDB writes CURRENT before any data: a directory with data but without it lost its CURRENT,
    // and LevelDB would start a new database there and delete the data files as obsolete.
    let data: string[];
    try {
      data = await dataFiles(dir);
    } catch (error) {
      throw accessDenied(error, dir, what) ?? error;
    }
    if (data.length > 0) {
      throw new StateError(
        'STATE_CORRUPT',
        `${what}: LevelDB's CURRENT file is missing, but the directory holds its data (${data.join(', ')}); LevelDB would start ` +
          `an empty database and delete them. ${DAMAGED}`,
      );
    }
    if (!create) return undefined;
  }
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
  const db: Db = new (level().Level)<Buffer, Buffer>(dir, {
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
    createIfMissing: create,
    ...(openFiles === undefined ? {} : { maxOpenFiles: openFiles }),
  });
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
  const checksums = new Map<string, Map<string, number>>();
  const bytes = new Map<string, number>();
  const state = new Map<string, Array<[string, unknown]>>();
  for (const uid of Object.keys(recorded)) {
    state.set(uid, []);
    read.set(uid, emptyDigest());
    checksums.set(uid, new Map());
    bytes.set(uid, 0);
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
        const owner = recorded[decoded.uid];
        if (owner?.resident && owner.generation === decoded.generation) {
          // Resident state is read lazily, key by key: skip the operator's whole range.
          iterator.seek(prefixEnd(statePrefix(decoded.uid, decoded.generation)));
          break;
        }
        if (owner?.generation !== decoded.generation) {
          let gens = garbage.get(decoded.uid);
          if (!gens) garbage.set(decoded.uid, (gens = new Set()));
          gens.add(decoded.generation);
          continue;
        }
        const keyStart = keyBytes.indexOf(0x00, 1) + 5;
        const checksum = entryChecksum(keyBytes, valueBytes, keyStart);
        addToDigest(read.get(decoded.uid)!, checksum);
        checksums.get(decoded.uid)!.set(decoded.key, checksum);
        bytes.set(decoded.uid, bytes.get(decoded.uid)! + keyBytes.length - keyStart + valueBytes.length);
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
    if (entry.resident) {
      operators[uid] = { ...entry };
      checksums.delete(uid);
      continue;
    }
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
  return { formatVersion: meta.formatVersion, restored, operators, checksums, bytes, garbage };
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
  if (crc32c(body) !== checksum) throw unreadable(`fails its checksum (CRC-32C ${crc32c(body)}, recorded ${checksum})`);
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

/** LevelDB's table files and logs that hold data. */
async function dataFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    if ((TABLE_FILE.test(name) || /^\d+\.log$/.test(name)) && (await stat(join(dir, name))).size > 0) found.push(name);
  }
  return found;
}

/**
 * A state key as LevelDB gives it back: UTF-8 turns a lone surrogate into U+FFFD, so the checksum
 * index keys entries by that form, as a restore reads them.
 */
function storedKey(key: string): string {
  const text = key as string & { isWellFormed(): boolean; toWellFormed(): string };
  return text.isWellFormed() ? key : text.toWellFormed();
}

/** Changes to checksum indexes, three slots each: the index, the key, the checksum it had (or undefined). */
type Undo = Array<Map<string, number> | string | number | undefined>;

/** Undoes the checksum index changes of a checkpoint that was not written, latest first. */
function rollBack(undo: Undo): void {
  for (let i = undo.length - 3; i >= 0; i -= 3) {
    const index = undo[i] as Map<string, number>;
    const key = undo[i + 1] as string;
    const checksum = undo[i + 2] as number | undefined;
    if (checksum === undefined) index.delete(key);
    else index.set(key, checksum);
  }
}

/**
 * Writes a resident operator's changes into the checkpoint's batch: always incremental, in the
 * generation it has, without a digest (its entries are never all read). Range deletes are listed
 * in the meta record and cleared after the batch ({@link clearRanges}).
 */
function writeResident(
  batch: ReturnType<Db['batch']>,
  uid: string,
  changes: OperatorStateChanges,
  current: OperatorMeta | undefined,
): OperatorMeta {
  const generation = current?.generation ?? 0;
  const prefix = statePrefix(uid, generation);
  for (const key of changes.deletes) batch.del(encodeKeyAfter(prefix, key));
  for (const [key, value] of changes.puts) batch.put(encodeKeyAfter(prefix, key), encodeStateValue(value));
  for (const encoded of changes.encoded ?? []) {
    for (const { key, value } of encoded.changes()) {
      const stored = Buffer.concat([prefix, key]);
      if (value === undefined) batch.del(stored);
      else batch.put(stored, Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    }
  }
  const meta: OperatorMeta = { generation, entries: 0, checksum: 0, resident: true };
  const fingerprint = changes.fingerprint ?? current?.fingerprint;
  if (fingerprint) meta.fingerprint = fingerprint;
  if (changes.deletedPrefixes && changes.deletedPrefixes.size > 0) meta.clearing = [...changes.deletedPrefixes];
  return meta;
}

/** LevelDB's estimate of the bytes operator state takes on disk (classic-level's `approximateSize`). */
async function diskBytes(db: Db): Promise<number> {
  const sized = db as Db & { approximateSize?: (start: Buffer, end: Buffer) => Promise<number> };
  return sized.approximateSize ? sized.approximateSize(STATE_RANGE_START, STATE_RANGE_END) : 0;
}

/** Clears the ranges a resident operator's checkpoint deleted (LevelDB visits them natively). */
async function clearRanges(db: Db, uid: string, meta: OperatorMeta | undefined): Promise<void> {
  if (!meta?.clearing) return;
  const prefix = statePrefix(uid, meta.generation);
  for (const range of meta.clearing) {
    const start = encodeKeyAfter(prefix, range);
    await db.clear({ gte: start, lt: prefixEnd(start) });
  }
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
 * @param options `sync` (default true): fsync each checkpoint. `memory` (a byte size such as
 *   `'64MB'`): keep keyed state in LevelDB behind a cache of that size instead of in the heap
 *   (state larger than memory; restores without loading it).
 * @throws TypeError when `dir` is not a non-empty string.
 * @example
 * await pipeline.run({ state: levelState('./state'), checkpointEvery: '5s' });
 * await bigDedup.run({ state: levelState('./state', { memory: '64MB' }) });
 * @see memoryState, the default; inspectLevelState to read a directory without running a job.
 */
export function levelState(dir: string, options: LevelStateOptions = {}): LevelStateBackend {
  if (typeof dir !== 'string' || dir.length === 0)
    throw new TypeError(`levelState: dir must be a non-empty path, got ${JSON.stringify(dir)}`);
  if (options === null || typeof options !== 'object') throw new TypeError('levelState: options must be an object');
  checkOptions('levelState', options, ['sync', 'memory']);
  if (options.memory !== undefined) parseByteSize(options.memory, 'levelState memory');
  if (options.sync !== undefined && typeof options.sync !== 'boolean')
    throw new TypeError(`levelState: option sync must be a boolean, got ${JSON.stringify(options.sync)}`);
  return new LevelStateBackend(dir, options);
}
