import { deserialize } from 'node:v8';
import type { Admin, Kafka as KafkaClient, Message, Producer } from 'kafkajs';
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
import { readChangelog } from './changelog-reader.js';
import {
  CHANGELOG_FORMAT_VERSION,
  encodeMarkerKey,
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
}

const OPTION_NAMES = [...CONNECTION_OPTION_NAMES, 'topic', 'partitions', 'replicationFactor', 'restoreTimeoutMs'];
/** Bytes of records per produce request inside one checkpoint's transaction (brokers refuse batches over 1 MiB by default). */
const SEND_CHUNK_BYTES = 512 * 1024;
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
 * and a marker with the partition's position, so state and position always commit together. Each
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
      const partitions = [...new Set(tasks.map((t) => this.changelogPartition(t)))];
      const read = await readChangelog(
        this.kafka!,
        admin,
        this.options.topic,
        partitions,
        new Set(tasks),
        this.options.restoreTimeoutMs ?? 120_000,
      );
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
        if (typeof marker.format !== 'number' || marker.format > CHANGELOG_FORMAT_VERSION || marker.format < 1) {
          throw new StateError(
            'STATE_INCOMPATIBLE',
            `${this.name}: task ${task} was written in changelog format ${marker.format}; this version reads formats 1 to ${CHANGELOG_FORMAT_VERSION}: upgrade streamkit`,
          );
        }
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
      return written.sort();
    });
  }

  release(tasks: readonly string[]): Promise<void> {
    return this.serially(async () => {
      for (const task of tasks) {
        const owned = this.owned.get(task);
        if (!owned) continue;
        this.owned.delete(task);
        await owned.producer.disconnect().catch(() => undefined);
      }
    });
  }

  close(): Promise<void> {
    return this.serially(async () => {
      for (const owned of this.owned.values()) await owned.producer.disconnect().catch(() => undefined);
      this.owned.clear();
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

  /** One task's checkpoint as one transaction; false when a new owner has fenced this instance. */
  private async writeTask(task: string, owned: OwnedTask, checkpointId: number, checkpoint: TaskCheckpoint): Promise<boolean> {
    const messages: Message[] = [];
    for (const [uid, changes] of checkpoint.operators) {
      let logged = owned.operators.get(uid);
      if (changes.dropped) {
        // State the restore was told to drop: every key of it is deleted with this checkpoint.
        if (logged) for (const key of logged.keys.keys()) messages.push({ key: encodeStateRecordKey(task, uid, key), value: null });
        owned.operators.delete(uid);
        continue;
      }
      if (!logged) owned.operators.set(uid, (logged = { keys: new Map(), digest: emptyDigest() }));
      if (changes.fingerprint) logged.fingerprint = changes.fingerprint;
      if (changes.full) {
        for (const key of logged.keys.keys())
          if (!changes.puts.has(key)) messages.push({ key: encodeStateRecordKey(task, uid, key), value: null });
        logged.keys.clear();
        logged.digest = emptyDigest();
      }
      for (const key of changes.deletes) {
        if (!removeLogged(logged, key)) continue;
        messages.push({ key: encodeStateRecordKey(task, uid, key), value: null });
      }
      for (const [key, value] of changes.puts) {
        const bytes = value instanceof EncodedStateValue ? value.bytes : encodeStateValue(value);
        const recordKey = encodeStateRecordKey(task, uid, key);
        removeLogged(logged, key);
        addLogged(logged, key, recordKey, recordKey.length - Buffer.byteLength(key, 'utf8'), bytes);
        messages.push({ key: recordKey, value: bytes });
      }
    }
    const operators: Record<string, TaskOperatorMarker> = {};
    for (const [uid, logged] of owned.operators) {
      const entry: TaskOperatorMarker = { entries: logged.digest.entries, checksum: logged.digest.checksum };
      if (logged.fingerprint) entry.fingerprint = logged.fingerprint;
      operators[uid] = entry;
    }
    const marker: TaskMarker = { format: CHANGELOG_FORMAT_VERSION, checkpointId, position: checkpoint.position, operators };
    messages.push({ key: encodeMarkerKey(task), value: JSON.stringify(marker) });

    const partition = this.changelogPartition(task);
    const transaction = await owned.producer.transaction();
    try {
      for (const chunk of chunksOfBytes(messages, SEND_CHUNK_BYTES)) {
        await transaction.send({ topic: this.options.topic, messages: chunk.map((m) => ({ ...m, partition })) });
      }
      await transaction.commit();
      return true;
    } catch (error) {
      await transaction.abort().catch(() => undefined);
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

function* chunksOfBytes(messages: Message[], maxBytes: number): Generator<Message[]> {
  let chunk: Message[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = (m.key as Buffer).length + (m.value === null ? 0 : Buffer.byteLength(m.value as Buffer | string));
    if (chunk.length > 0 && bytes + size > maxBytes) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(m);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * Keyed state that follows Kafka partitions between the instances of a job: pass it as
 * `run({ state })` with a `fromKafka` source. Each partition becomes a task with its own operators;
 * its state is checkpointed to a compacted changelog topic, and when the partition moves (an
 * instance joins, leaves or dies), its next owner restores the task from the changelog and resumes
 * from the offset that state covers. Results stay exact across rebalances.
 *
 * @param options - `brokers`, `topic` (the changelog, one per job), optional `partitions`,
 *   `replicationFactor`, `restoreTimeoutMs` and connection settings (`ssl`, `sasl`, …)
 * @example
 * await from(fromKafka({ brokers, topic: 'clicks', groupId: 'clicks-per-minute' }))
 *   .withTimestamps((c) => c.at, boundedOutOfOrderness('5s'))
 *   .keyBy((c) => c.user)
 *   .window(tumbling('1m'))
 *   .aggregate(count())
 *   .to(toKafka({ brokers, topic: 'clicks-per-minute' }))
 *   .run({ state: kafkaChangelog({ brokers, topic: 'clicks-per-minute.changelog' }), checkpointEvery: '1s' });
 * @see docs/concepts/scale-out.md
 */
export function kafkaChangelog(options: KafkaChangelogOptions): KafkaChangelogState {
  return new KafkaChangelogState(options);
}
