import { deserialize } from 'node:v8';
import type { Admin, Kafka as KafkaClient, Producer } from 'kafkajs';
import { describeError, StateError, StreamkitError } from '../../core/errors.js';
import type { StateFingerprint } from '../../core/operator.js';
import { checkOptions } from '../../core/options.js';
import {
  createTopicsWithLeaders,
  causeChain,
  CONNECTION_OPTION_NAMES,
  connectionError,
  createKafkaClient,
  validateConnectionOptions,
  type KafkaConnectionOptions,
} from '../connection/index.js';
import { EncodedStateValue, encodeStateValue } from '../../state/state-change-collector.js';
import {
  addToDigest,
  describeDigest,
  emptyDigest,
  entryChecksum,
  removeFromDigest,
  sameDigest,
  type StateDigest,
} from '../../state/state-digest.js';
import { compareUtf8 } from '../../state/state-key.js';
import type { AcquiredTask, TaskCheckpoint, TaskStateBackend } from '../../core/task-state-backend.js';
import type { OperatorStateChanges } from '../../core/state-backend.js';
import type { ResidentState } from '../../core/resident-state.js';
import type { MetricSample, Metrics } from '../../core/metrics.js';
import { METRICS } from '../../core/metric-catalogue.js';
import { parseByteSize, type ByteSize } from '../../core/byte-size.js';
import { ResidentMemory, type ResidentStats } from '../../state/resident-memory.js';
import { parseMarker, readChangelog, type ChangelogTaskState } from './changelog-reader.js';
import { currentCopies, rebuildCopies, type TaskCopy } from './local-copies.js';
import { LocalTaskStore } from './local-task-store.js';
import { TaskTransaction } from './task-transaction.js';
import {
  CHANGELOG_FORMAT_VERSION,
  RESIDENT_CHANGELOG_FORMAT_VERSION,
  encodeStateRecordKey,
  partitionOfTask,
  type TaskMarker,
  type TaskOperatorMarker,
} from './changelog-record.js';

/** Options of {@link kafkaChangelog}. */
export interface KafkaChangelogOptions extends KafkaConnectionOptions {
  /**
   * The compacted changelog topic, one per job (every instance of the job names the same one).
   * Created on first use when missing.
   */
  topic: string;
  /** Partitions of the changelog when it is created (default: as many as the source topic has). */
  partitions?: number;
  /** Replication factor when the changelog is created (default: the broker's default). */
  replicationFactor?: number;
  /** Longest a restore may take, in ms (default 120 000). */
  restoreTimeoutMs?: number;
  /**
   * Keep the keyed state of operators that support it on disk instead of the heap, as
   * `levelState(dir, { memory })` does, behind one cache of this many bytes for all of this
   * instance's tasks (a number, or a size such as `'64MB'`). Each task's
   * state is then kept in a local LevelDB copy of its changelog under `dir`. Requires `dir`.
   */
  memory?: ByteSize;
  /**
   * The directory of this instance's local task stores (one LevelDB per task, created when
   * missing). Each instance of the job needs its own. Requires `memory`.
   */
  dir?: string;
}

const OPTION_NAMES = [...CONNECTION_OPTION_NAMES, 'topic', 'partitions', 'replicationFactor', 'restoreTimeoutMs', 'memory', 'dir'];
/**
 * Errors that mean a new owner took the task: its producer's epoch is newer, or its initialisation
 * aborted the transaction this one was writing (brokers that verify transactional produces answer
 * a produce into that aborted transaction with INVALID_TXN_STATE).
 */
const FENCED = /PRODUCER_FENCED|INVALID_PRODUCER_EPOCH|INVALID_TXN_STATE|fenced/i;

/** One operator's live state in a task's changelog, as this instance wrote or read it. */
interface LoggedOperator {
  /** Live keys and each entry's checksum: a full snapshot deletes the keys it no longer holds, and the digest follows every change. */
  keys: Map<string, number>;
  digest: StateDigest;
  fingerprint?: StateFingerprint;
  /** The operator keeps its state on disk: its keys are in the task's local store, not in `keys`. */
  resident?: boolean;
}

/** A task this instance owns: its transactional producer and what its changelog holds. */
interface OwnedTask {
  producer: Producer;
  generation: number;
  /** Live state per operator uid. */
  operators: Map<string, LoggedOperator>;
}

/**
 * Keyed state that follows Kafka partitions, as Kafka Streams keeps it: each source partition is a
 * task whose state is written to a compacted changelog topic, so whichever instance of the job
 * owns the partition next restores it and resumes exactly where the checkpoint left off.
 *
 * Each checkpoint writes, per task, one Kafka transaction holding the task's changed state entries
 * and a marker with the partition's position, so state and position always commit together. With
 * a memory budget, each task also keeps a local copy of its changelog state (`LocalTaskStore`)
 * that resident operators read from: written after the transaction commits, reused at acquire
 * when it holds the changelog's last checkpoint, rebuilt from the changelog otherwise. Each
 * task has its own transactional id (`<changelog topic>/<task>`): a new owner initialising it fences
 * the old owner, whose late checkpoint of that task is refused and skipped.
 */
export class KafkaChangelogState implements TaskStateBackend {
  readonly perTask = true as const;
  readonly name: string;
  private readonly options: KafkaChangelogOptions;
  private kafka?: KafkaClient;
  private admin?: Admin;
  private partitionCount?: number;
  private readonly owned = new Map<string, OwnedTask>();
  private generations = 0;
  /** The local stores of tasks, with a memory budget; kept until the task is released, even when fenced. */
  private readonly locals = new Map<string, LocalTaskStore>();
  /** How each task's local store was last restored. */
  private readonly lastRestore = new Map<string, 'reused' | 'rebuilt'>();
  /** `state_disk_bytes` over the local stores, set after each checkpoint with a memory budget. */
  private diskGauge: MetricSample | undefined;
  /** The memory budget of resident state in bytes; undefined when state lives in the heap. */
  private readonly budget: number | undefined;
  /** The cache all tasks' resident stores share, made afresh at each open. */
  private memory: ResidentMemory | undefined;
  /** Backend calls run one at a time: a checkpoint never races the acquire or release of a task. */
  private queue: Promise<unknown> = Promise.resolve();

  /** @internal use {@link kafkaChangelog} */
  constructor(options: KafkaChangelogOptions) {
    validateConnectionOptions(options, 'kafkaChangelog');
    checkOptions('kafkaChangelog', options, OPTION_NAMES);
    if (typeof options.topic !== 'string' || options.topic.length === 0)
      throw new TypeError('kafkaChangelog: option "topic" must be a non-empty string');
    for (const name of ['partitions', 'replicationFactor', 'restoreTimeoutMs'] as const) {
      const v = options[name];
      if (v !== undefined && !(Number.isInteger(v) && v > 0))
        throw new RangeError(`kafkaChangelog: option "${name}" must be a positive integer, got ${v}`);
    }
    if ((options.memory === undefined) !== (options.dir === undefined)) {
      throw new TypeError(
        `kafkaChangelog: options "memory" and "dir" go together (resident state lives in local stores under dir, behind a cache of memory bytes); ` +
          `got only "${options.memory === undefined ? 'dir' : 'memory'}"`,
      );
    }
    if (options.dir !== undefined && (typeof options.dir !== 'string' || options.dir.length === 0))
      throw new TypeError(`kafkaChangelog: option "dir" must be a non-empty path, got ${JSON.stringify(options.dir)}`);
    if (options.memory !== undefined) this.budget = parseByteSize(options.memory, 'kafkaChangelog memory');
    this.options = options;
    this.name = `kafka changelog ${options.topic}`;
  }

  async open(): Promise<void> {
    this.kafka = createKafkaClient(this.options);
    const admin = this.kafka.admin();
    try {
      await admin.connect();
    } catch (error) {
      throw connectionError(error, this.options, `kafkaChangelog(${this.options.topic})`, 'CHECKPOINT_FAILED');
    }
    this.admin = admin;
    this.memory = this.budget === undefined ? undefined : new ResidentMemory(this.budget);
  }

  /** The store of operator `uid`'s keyed state in `task`, when a memory budget is set (see {@link ResidentState}). */
  residentState(task: string, uid: string): ResidentState | undefined {
    const local = this.locals.get(task);
    if (!local || !this.memory) return undefined;
    return local.residentState(uid, this.memory);
  }

  /** Joins the running job: resident changes filling a quarter of the budget ask it for a checkpoint; metrics go to its registry. */
  attach(job: { requestCheckpoint: () => void; metrics: Metrics }): void {
    this.memory?.attach(job.requestCheckpoint, job.metrics);
    this.diskGauge = this.memory ? job.metrics.gauge(METRICS.stateDiskBytes) : undefined;
  }

  /**
   * With a memory budget, how each task acquired by this instance found its local store: `reused`
   * when it held the checkpoint the changelog last committed, `rebuilt` when it was cleared and
   * streamed from the changelog. Empty without a budget.
   */
  localRestores(): ReadonlyMap<string, 'reused' | 'rebuilt'> {
    return this.lastRestore;
  }

  /** Counters of resident state (cache, pending changes, reads); undefined without a memory budget. */
  residentStats(): ResidentStats | undefined {
    return this.memory?.stats();
  }

  acquire(tasks: readonly string[]): Promise<Map<string, AcquiredTask>> {
    return this.serially(async () => {
      const admin = this.admin!;
      await this.ensureTopic(tasks);
      // Fence first: once each task's transactional id is initialised here, an earlier owner can
      // neither commit nor leave an open transaction in the way of the read below.
      for (const task of tasks) {
        const earlier = this.owned.get(task);
        if (earlier) {
          this.owned.delete(task);
          await earlier.producer.disconnect().catch(() => undefined);
        }
        const producer = this.kafka!.producer({
          transactionalId: `${this.options.topic}/${task}`,
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
        });
        await producer.connect();
        const init = await producer.transaction();
        await init.abort();
        this.owned.set(task, { producer, generation: ++this.generations, operators: new Map() });
      }
      const read =
        this.budget === undefined
          ? await readChangelog(
              this.kafka!,
              admin,
              this.options.topic,
              [...new Set(tasks.map((t) => this.changelogPartition(t)))],
              new Set(tasks),
              this.restoreTimeoutMs(),
            )
          : await this.restoreLocally(tasks);
      const out = new Map<string, AcquiredTask>();
      for (const task of tasks) {
        const state = read.get(task);
        const owned = this.owned.get(task)!;
        if (state?.damaged) throw new StateError('STATE_CORRUPT', `${this.name}: task ${task}: ${state.damaged}`);
        if (!state?.marker) {
          out.set(task, { generation: owned.generation });
          continue;
        }
        const { marker } = state;
        this.checkFormat(task, marker);
        // Digests first: a value that fails them is damage, whatever it deserializes to.
        const live = [...state.operators].filter(([uid, entries]) => entries.size > 0 || marker.operators?.[uid]);
        for (const [uid, entries] of live) {
          const logged: LoggedOperator = { keys: new Map(), digest: emptyDigest() };
          for (const [key, value] of entries) addLogged(logged, key, Buffer.from(key, 'utf8'), 0, value);
          owned.operators.set(uid, logged);
        }
        if (marker.operators) this.verify(task, marker, owned.operators);
        const operators = new Map<string, Iterable<[string, unknown]>>();
        for (const [uid, entries] of live) {
          const keys = [...entries.keys()].sort(compareUtf8);
          operators.set(
            uid,
            keys.map((k): [string, unknown] => [k, this.readValue(task, uid, k, entries.get(k)!)]),
          );
        }
        const restored: AcquiredTask['restored'] = { checkpointId: marker.checkpointId, position: marker.position, operators };
        if (marker.operators) {
          const fingerprints = new Map<string, StateFingerprint>();
          for (const [uid, recorded] of Object.entries(marker.operators)) {
            // An operator whose state is empty has no records but is still part of the checkpoint.
            if (!operators.has(uid)) operators.set(uid, []);
            if (!owned.operators.has(uid)) owned.operators.set(uid, { keys: new Map(), digest: emptyDigest() });
            if (recorded.resident) owned.operators.get(uid)!.resident = true;
            if (recorded.fingerprint) {
              fingerprints.set(uid, recorded.fingerprint);
              owned.operators.get(uid)!.fingerprint = recorded.fingerprint;
            }
          }
          restored!.fingerprints = fingerprints;
        }
        out.set(task, { generation: owned.generation, restored });
      }
      return out;
    });
  }

  write(checkpointId: number, tasks: Map<string, TaskCheckpoint>): Promise<string[]> {
    return this.serially(async () => {
      const written: string[] = [];
      await Promise.all(
        [...tasks].map(async ([task, checkpoint]) => {
          const owned = this.owned.get(task);
          // Released or acquired again since the barrier: the task's owner restores what was committed before.
          if (!owned || owned.generation !== checkpoint.generation) return;
          if (await this.writeTask(task, owned, checkpointId, checkpoint)) written.push(task);
        }),
      );
      if (this.diskGauge) {
        let bytes = 0;
        for (const local of this.locals.values()) bytes += await local.diskBytes();
        this.diskGauge.value = bytes;
      }
      return written.sort();
    });
  }

  release(tasks: readonly string[]): Promise<void> {
    return this.serially(async () => {
      for (const task of tasks) {
        await this.locals.get(task)?.close();
        this.locals.delete(task);
        const owned = this.owned.get(task);
        if (!owned) continue;
        this.owned.delete(task);
        await owned.producer.disconnect().catch(() => undefined);
      }
    });
  }

  close(): Promise<void> {
    this.memory?.detach();
    return this.serially(async () => {
      for (const owned of this.owned.values()) await owned.producer.disconnect().catch(() => undefined);
      this.owned.clear();
      for (const local of this.locals.values()) await local.close().catch(() => undefined);
      this.locals.clear();
      await this.admin?.disconnect().catch(() => undefined);
    });
  }

  /** A restored value, or `STATE_CORRUPT` naming where it is when it cannot be read. */
  private readValue(task: string, uid: string, key: string, bytes: Buffer): unknown {
    try {
      return deserialize(bytes);
    } catch (error) {
      throw new StateError(
        'STATE_CORRUPT',
        `${this.name}: task ${task}: unreadable state value of operator ${uid} under ${JSON.stringify(key)} (${describeError(error)})`,
        error,
      );
    }
  }

  /** Checks that a task's state reads back as the marker of its checkpoint recorded it. */
  private verify(task: string, marker: TaskMarker, read: Map<string, LoggedOperator>): void {
    const recorded = marker.operators!;
    for (const uid of new Set([...Object.keys(recorded), ...read.keys()])) {
      const expected: TaskOperatorMarker | undefined = recorded[uid];
      // A resident operator's entries are read lazily, never all at once: it has no digest to check.
      if (expected?.resident) continue;
      const digest = read.get(uid)?.digest ?? emptyDigest();
      if (expected ? !sameDigest(expected, digest) : digest.entries > 0) {
        throw new StateError(
          'STATE_CORRUPT',
          `${this.name}: checksum mismatch of checkpoint ${marker.checkpointId} of task ${task}: the state of operator ${uid} reads as ` +
            `${describeDigest(digest)}, the checkpoint recorded ${expected ? describeDigest(expected) : 'no such operator'}. ` +
            `The changelog topic was altered or damaged (a retention or compaction setting that deletes live records, records written by another program)`,
        );
      }
    }
  }

  /**
   * One task's checkpoint as one transaction; false when a new owner has fenced this instance.
   * With a local store, the records are applied to it once the transaction has committed, with the
   * position of the checkpoint's marker: the local store never holds a checkpoint the changelog
   * does not.
   */
  private async writeTask(task: string, owned: OwnedTask, checkpointId: number, checkpoint: TaskCheckpoint): Promise<boolean> {
    const local = this.budget === undefined ? undefined : this.locals.get(task);
    const stores = [...checkpoint.operators.keys()].flatMap((uid) => local?.residentStoreOf(uid) ?? []);
    const tx = await TaskTransaction.begin(owned.producer, this.options.topic, this.changelogPartition(task), task, local);
    let marker: string;
    let markerOffset: number;
    try {
      for (const [uid, changes] of checkpoint.operators) {
        let logged = owned.operators.get(uid);
        if (changes.dropped) {
          // State the restore was told to drop: every key of it is deleted with this checkpoint.
          const keys = logged?.resident ? local!.keys(uid) : (logged?.keys.keys() ?? []);
          for await (const key of keys) if (tx.add(uid, key, null)) await tx.send();
          owned.operators.delete(uid);
          continue;
        }
        if (!logged) owned.operators.set(uid, (logged = { keys: new Map(), digest: emptyDigest() }));
        if (changes.fingerprint) logged.fingerprint = changes.fingerprint;
        if (changes.resident) {
          logged.resident = true;
          await addResident(tx, uid, changes, local!);
          continue;
        }
        if (changes.full) {
          for (const key of logged.keys.keys()) if (!changes.puts.has(key) && tx.add(uid, key, null)) await tx.send();
          logged.keys.clear();
          logged.digest = emptyDigest();
        }
        for (const key of changes.deletes) {
          if (removeLogged(logged, key) && tx.add(uid, key, null)) await tx.send();
        }
        for (const [key, value] of changes.puts) {
          const bytes = value instanceof EncodedStateValue ? value.bytes : encodeStateValue(value);
          const recordKey = encodeStateRecordKey(task, uid, key);
          removeLogged(logged, key);
          addLogged(logged, key, recordKey, recordKey.length - Buffer.byteLength(key, 'utf8'), bytes);
          if (tx.add(uid, key, bytes, recordKey)) await tx.send();
        }
      }
      marker = JSON.stringify(this.markerOf(owned, checkpointId, checkpoint.position));
      markerOffset = await tx.commit(marker);
    } catch (error) {
      await tx.abort();
      for (const store of stores) store.failed();
      if (isFenced(error)) {
        this.owned.delete(task);
        await owned.producer.disconnect().catch(() => undefined);
        return false;
      }
      throw new StreamkitError('CHECKPOINT_FAILED', `${this.name}: writing task ${task} failed: ${describeError(error)}`, {
        cause: error,
        retriable: true,
      });
    }
    try {
      await tx.applyLocally(marker, markerOffset);
    } catch (error) {
      throw new StreamkitError(
        'CHECKPOINT_FAILED',
        `${this.name}: checkpoint ${checkpointId} of task ${task} is in the changelog, but writing it to the local store ${local?.path} ` +
          `failed (${describeError(error)}); the local store is rebuilt from the changelog when the task is next acquired`,
        { cause: error },
      );
    }
    for (const store of stores) store.written();
    return true;
  }

  /** The marker of a task's checkpoint: its id, position, and per operator fingerprint and digest. */
  private markerOf(owned: OwnedTask, checkpointId: number, position: number | undefined): TaskMarker {
    const operators: Record<string, TaskOperatorMarker> = {};
    let resident = false;
    for (const [uid, logged] of owned.operators) {
      const entry: TaskOperatorMarker = { entries: logged.digest.entries, checksum: logged.digest.checksum };
      if (logged.fingerprint) entry.fingerprint = logged.fingerprint;
      if (logged.resident) {
        entry.entries = 0;
        entry.checksum = 0;
        entry.resident = true;
        resident = true;
      }
      operators[uid] = entry;
    }
    const format = resident ? RESIDENT_CHANGELOG_FORMAT_VERSION : CHANGELOG_FORMAT_VERSION;
    return { format, checkpointId, position, operators };
  }

  /** Refuses a marker this version cannot restore, or one of resident state without a memory budget. */
  private checkFormat(task: string, marker: TaskMarker): void {
    if (typeof marker.format !== 'number' || marker.format > RESIDENT_CHANGELOG_FORMAT_VERSION || marker.format < 1) {
      throw new StateError(
        'STATE_INCOMPATIBLE',
        `${this.name}: task ${task} was written in changelog format ${marker.format}; this version reads formats 1 to ${RESIDENT_CHANGELOG_FORMAT_VERSION}: upgrade streamkit`,
      );
    }
    const resident = Object.entries(marker.operators ?? {}).flatMap(([uid, op]) => (op.resident ? [JSON.stringify(uid)] : []));
    if (resident.length > 0 && this.budget === undefined) {
      throw new StateError(
        'STATE_INCOMPATIBLE',
        `${this.name}: task ${task}: operator ${resident.join(', ')} keeps its state on disk (the changelog was written by ` +
          `kafkaChangelog({ memory, dir })), in another layout than on the heap; run with memory and dir again, or start from a new changelog topic`,
      );
    }
  }

  /**
   * Restores tasks through their local stores: a store holding the checkpoint the changelog last
   * committed is used as it is; any other is cleared and rebuilt from the changelog. Returns each
   * task's marker and the entries of its heap operators, read from its store (resident operators
   * read theirs lazily).
   */
  private async restoreLocally(tasks: readonly string[]): Promise<Map<string, ChangelogTaskState>> {
    const copies = new Map<string, TaskCopy>();
    for (const task of tasks) {
      await this.locals.get(task)?.close();
      const local = await LocalTaskStore.open(this.options.dir!, this.options.topic, task);
      this.locals.set(task, local);
      copies.set(task, { local, partition: this.changelogPartition(task) });
    }
    const source = { kafka: this.kafka!, admin: this.admin!, topic: this.options.topic, timeoutMs: this.restoreTimeoutMs() };
    const current = await currentCopies(source, copies);
    const states = new Map<string, ChangelogTaskState>();
    for (const task of current) {
      const state = await readLocalState(copies.get(task)!.local);
      // A store whose heap state does not add up to its marker is damaged: it is rebuilt like a stale one.
      if (state.marker && !heapStateMatches(state)) current.delete(task);
      else states.set(task, state);
    }
    const stale = new Map([...copies].filter(([task]) => !current.has(task)));
    if (stale.size > 0) await rebuildCopies(source, stale);
    for (const [task, { local }] of stale) states.set(task, await readLocalState(local));
    for (const task of tasks) this.lastRestore.set(task, current.has(task) ? 'reused' : 'rebuilt');
    return states;
  }

  private restoreTimeoutMs(): number {
    return this.options.restoreTimeoutMs ?? 120_000;
  }

  private changelogPartition(task: string): number {
    return partitionOfTask(task) % this.partitionCount!;
  }

  /** Creates the compacted changelog topic when missing, sized like the source topic by default. */
  private async ensureTopic(tasks: readonly string[]): Promise<void> {
    if (this.partitionCount !== undefined) return;
    const admin = this.admin!;
    const topic = this.options.topic;
    const existing = async () => (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions.length;
    if ((await admin.listTopics()).includes(topic)) {
      this.partitionCount = await existing();
      return;
    }
    let partitions = this.options.partitions;
    if (partitions === undefined) {
      const sourceTopic = tasks[0]?.slice(0, tasks[0].lastIndexOf('/'));
      partitions = sourceTopic ? (await admin.fetchTopicMetadata({ topics: [sourceTopic] })).topics[0].partitions.length : 1;
    }
    await createTopicsWithLeaders(admin, [
      {
        topic,
        numPartitions: partitions,
        replicationFactor: this.options.replicationFactor ?? -1,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
    ]);
    this.partitionCount = await existing();
  }

  private serially<T>(run: () => Promise<T>): Promise<T> {
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/**
 * Counts an entry into an operator's live state (see `TaskOperatorMarker.checksum`): `key`, whose
 * UTF-8 bytes are `keyBytes` from `keyStart` on.
 */
function addLogged(logged: LoggedOperator, key: string, keyBytes: Buffer, keyStart: number, value: Buffer): void {
  const checksum = entryChecksum(keyBytes, value, keyStart);
  logged.keys.set(key, checksum);
  addToDigest(logged.digest, checksum);
}

/** Counts an entry out; false when the key was not live. */
function removeLogged(logged: LoggedOperator, key: string): boolean {
  const checksum = logged.keys.get(key);
  if (checksum === undefined) return false;
  logged.keys.delete(key);
  removeFromDigest(logged.digest, checksum);
  return true;
}

/** True when a new owner's producer fenced this one (the error or one it wraps says so). */
function isFenced(error: unknown): boolean {
  return causeChain(error).some((e) => FENCED.test(`${String((e as { type?: unknown }).type ?? '')} ${e.message}`));
}

/**
 * Adds a resident operator's changes: its range deletes first, as tombstones for each key the
 * local store holds under the prefix (Kafka has no range delete), then its deletes and puts.
 */
async function addResident(tx: TaskTransaction, uid: string, changes: OperatorStateChanges, local: LocalTaskStore): Promise<void> {
  for (const prefix of changes.deletedPrefixes ?? []) {
    for await (const key of local.keys(uid, prefix)) if (tx.add(uid, key, null)) await tx.send();
  }
  for (const key of changes.deletes) if (tx.add(uid, key, null)) await tx.send();
  for (const [key, value] of changes.puts) {
    if (tx.add(uid, key, value instanceof EncodedStateValue ? value.bytes : encodeStateValue(value))) await tx.send();
  }
  for (const encoded of changes.encoded ?? []) {
    for (const { key, value } of encoded.changes()) {
      const bytes = value === undefined ? null : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      if (tx.add(uid, Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('utf8'), bytes)) await tx.send();
    }
  }
}

/**
 * A local store's checkpoint as a changelog read would give it: its marker and the entries of its
 * heap operators (of every operator, for a format 1 marker, which names none).
 */
async function readLocalState(local: LocalTaskStore): Promise<ChangelogTaskState> {
  const state: ChangelogTaskState = { operators: new Map() };
  const position = await local.position();
  if (!position) return state;
  const read = parseMarker(Buffer.from(position.marker, 'utf8'), String(position.offset));
  state.marker = read.marker;
  state.damaged = read.damaged;
  if (!read.marker) return state;
  const recorded = read.marker.operators;
  const uids = recorded ? Object.keys(recorded).filter((uid) => !recorded[uid].resident) : await local.uids();
  for (const uid of uids) {
    const entries = new Map<string, Buffer>();
    for await (const [key, value] of local.entries(uid)) entries.set(key, value);
    state.operators.set(uid, entries);
  }
  return state;
}

/** True when each heap operator's entries add up to the digest its marker recorded (a format 1 marker recorded none). */
function heapStateMatches(state: ChangelogTaskState): boolean {
  const recorded = state.marker?.operators;
  if (!recorded) return true;
  for (const [uid, entries] of state.operators) {
    const logged: LoggedOperator = { keys: new Map(), digest: emptyDigest() };
    for (const [key, value] of entries) addLogged(logged, key, Buffer.from(key, 'utf8'), 0, value);
    if (!recorded[uid] || !sameDigest(recorded[uid], logged.digest)) return false;
  }
  return true;
}

/**
 * Keyed state that follows Kafka partitions between the instances of a job: pass it as
 * `run({ state })` with a `fromKafka` source. Each partition becomes a task with its own operators;
 * its state is checkpointed to a compacted changelog topic, and when the partition moves (an
 * instance joins, leaves or dies), its next owner restores the task from the changelog and resumes
 * from the offset that state covers. Results stay exact across rebalances.
 *
 * With `memory` and `dir`, operators that support it keep their state on disk, as under
 * `levelState(dir, { memory })`: each task in a local LevelDB copy of its changelog under `dir`,
 * behind one cache of `memory` bytes. A restart finds the copies up to date and uses them without
 * a replay; a copy that is missing or behind the changelog is rebuilt from it.
 *
 * @param options - `brokers`, `topic` (the changelog, one per job), optional `partitions`,
 *   `replicationFactor`, `restoreTimeoutMs`, `memory` with `dir`, and connection settings (`ssl`, `sasl`, …)
 * @example
 * await from(fromKafka({ brokers, topic: 'clicks', groupId: 'clicks-per-minute' }))
 *   .withTimestamps((c) => c.at, boundedOutOfOrderness('5s'))
 *   .keyBy((c) => c.user)
 *   .window(tumbling('1m'))
 *   .aggregate(count())
 *   .to(toKafka({ brokers, topic: 'clicks-per-minute' }))
 *   .run({ state: kafkaChangelog({ brokers, topic: 'clicks-per-minute.changelog' }), checkpointEvery: '1s' });
 * // State larger than memory: 64 MB of cache, local task stores in ./task-state.
 * kafkaChangelog({ brokers, topic: 'clicks-per-minute.changelog', memory: '64MB', dir: './task-state' });
 * @see docs/concepts/scale-out.md
 */
export function kafkaChangelog(options: KafkaChangelogOptions): KafkaChangelogState {
  return new KafkaChangelogState(options);
}
