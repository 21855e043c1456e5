import type { StateFingerprint } from '../../core/operator.js';

/**
 * The record layout of a changelog topic (format version 2), pinned by
 * `test/state/changelog-record.test.ts` because a changelog written by one version of streamkit
 * must restore in the next.
 *
 * ```
 * key   <task, UTF-8> 0x00 <uid, UTF-8> 0x00 <state key, UTF-8>   value  v8(state value) | null (deleted)
 * key   <task, UTF-8> 0x00                                          value  JSON TaskMarker
 * ```
 *
 * A task is a source partition (`topic/partition`); its records all go to changelog partition
 * `partition mod changelog partitions`, so one partition of the changelog is read to restore it.
 * The marker record, written last in each checkpoint's transaction, holds the checkpoint id, the
 * partition's position and, per operator uid, the fingerprint of what its state means and the
 * digest of its live entries (their number and the sum of their CRC-32Cs): the state and the
 * position it covers always commit together, and a restore checks both what the state means and
 * that it reads back whole.
 *
 * Format 1 (read, never written): the marker had no `operators`, and uids were the operators'
 * positions in the pipeline (`3-window`).
 *
 * Format 3 is format 2 with resident operators (`kafkaChangelog({ memory, dir })`): the marker of
 * a task that has one marks it `resident`, with no digest (its entries are never all in memory
 * to count). Only such tasks are written in format 3, so a version that cannot restore them
 * refuses them by their format.
 */
export const CHANGELOG_FORMAT_VERSION = 2;
/** The format of a marker whose task has resident operators. */
export const RESIDENT_CHANGELOG_FORMAT_VERSION = 3;

/** What a task's marker record says. */
export interface TaskMarker {
  format: number;
  checkpointId: number;
  /** The source partition's next offset as of the checkpoint; absent if nothing was read yet. */
  position?: number;
  /** Per operator uid of the task (format 2): what its state means and what its entries add up to. */
  operators?: Record<string, TaskOperatorMarker>;
}

/** One operator's part of a task marker. */
export interface TaskOperatorMarker {
  fingerprint?: StateFingerprint;
  /** Live entries. */
  entries: number;
  /** Sum modulo 2³² of each live entry's checksum (CRC-32C of its key bytes, then its value bytes; see `state-digest.ts`). */
  checksum: number;
  /** Format 3: the operator keeps its state on disk; `entries` and `checksum` are 0, not a digest. */
  resident?: true;
}

/** A changelog record key, decoded. `uid` is undefined for a task's marker. */
export interface ChangelogKey {
  task: string;
  uid?: string;
  key?: string;
}

export function encodeStateRecordKey(task: string, uid: string, key: string): Buffer {
  return Buffer.from(`${task}\u0000${uid}\u0000${key}`, 'utf8');
}

export function encodeMarkerKey(task: string): Buffer {
  return Buffer.from(`${task}\u0000`, 'utf8');
}

/** Decodes a record key; `undefined` for keys this layout never writes. */
export function decodeChangelogKey(bytes: Buffer): ChangelogKey | undefined {
  const text = bytes.toString('utf8');
  const first = text.indexOf('\u0000');
  if (first <= 0) return undefined;
  const task = text.slice(0, first);
  if (first === text.length - 1) return { task };
  const second = text.indexOf('\u0000', first + 1);
  if (second < 0) return undefined;
  return { task, uid: text.slice(first + 1, second), key: text.slice(second + 1) };
}

/** The source partition number in a task name (`trips/3` → 3). */
export function partitionOfTask(task: string): number {
  const partition = Number(task.slice(task.lastIndexOf('/') + 1));
  if (!Number.isInteger(partition) || partition < 0) throw new TypeError(`task name ${JSON.stringify(task)} does not end in /<partition>`);
  return partition;
}
