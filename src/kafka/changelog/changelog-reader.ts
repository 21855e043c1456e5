import { randomUUID } from 'node:crypto';
import type { Admin, Kafka as KafkaClient, KafkaMessage, PartitionAssigner } from 'kafkajs';
import { StreamkitError } from '../../core/errors.js';
import { kafkajs } from '../connection/index.js';
import { decodeChangelogKey, type TaskMarker } from './changelog-record.js';

/** A task's state as read from the changelog: live entries per operator uid, and its marker. */
export interface ChangelogTaskState {
  marker?: TaskMarker;
  operators: Map<string, Map<string, Buffer>>;
  /** What is wrong with the task's records, when they cannot be read (an unparsable marker). */
  damaged?: string;
}

/**
 * Reads changelog partitions from the beginning to their current end and returns the live state
 * of the given tasks (later records of a key replace earlier ones; a null value deletes it).
 */
export async function readChangelog(
  kafka: KafkaClient,
  admin: Admin,
  topic: string,
  partitions: readonly number[],
  tasks: ReadonlySet<string>,
  timeoutMs: number,
): Promise<Map<string, ChangelogTaskState>> {
  const states = new Map<string, ChangelogTaskState>();
  for (const task of tasks) states.set(task, { operators: new Map() });
  const from = new Map(partitions.map((p) => [p, 0]));
  await scanChangelog(kafka, admin, topic, from, timeoutMs, async (_partition, messages) => {
    for (const message of messages) {
      if (message.key === null) continue;
      const key = decodeChangelogKey(message.key);
      if (!key) continue;
      const state = states.get(key.task);
      if (!state) continue;
      if (key.uid === undefined) {
        if (message.value !== null) {
          const read = parseMarker(message.value, message.offset);
          state.marker = read.marker;
          state.damaged = read.damaged;
        }
        continue;
      }
      let entries = state.operators.get(key.uid);
      if (!entries) state.operators.set(key.uid, (entries = new Map()));
      if (message.value === null) entries.delete(key.key!);
      else entries.set(key.key!, message.value);
    }
  });
  return states;
}

/** A marker record's value, parsed; `damaged` says why when it cannot be. */
export function parseMarker(value: Buffer, offset: string): { marker?: TaskMarker; damaged?: string } {
  try {
    return { marker: JSON.parse(value.toString('utf8')) as TaskMarker };
  } catch (error) {
    return { damaged: `its checkpoint marker at offset ${offset} cannot be read (${(error as Error).message})` };
  }
}

/**
 * Reads changelog partitions, each from the offset `from` gives it up to its current end, handing
 * every batch of committed records to `onBatch` in offset order (records below the start offset
 * never reach it). Partitions with nothing from their start offset on are not read.
 *
 * kafkajs reads only through consumer groups, so this joins a throwaway group whose assigner hands
 * its one member exactly the wanted partitions, and deletes the group afterwards. It reads
 * committed transactions only (kafkajs' default isolation), so a checkpoint is seen whole or not
 * at all; the caller fences earlier writers first, so no transaction is left open below the end.
 * @returns the end offset read to, per partition read.
 */
export async function scanChangelog(
  kafka: KafkaClient,
  admin: Admin,
  topic: string,
  from: ReadonlyMap<number, number>,
  timeoutMs: number,
  onBatch: (partition: number, messages: KafkaMessage[]) => Promise<void>,
): Promise<Map<number, number>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const end = new Map<number, number>();
  for (const [p, start] of from) {
    const o = offsets.find((x) => x.partition === p);
    if (o && Number(o.high) > Math.max(Number(o.low), start)) end.set(p, Number(o.high));
  }
  if (end.size === 0) return end;

  const groupId = `streamkit-restore.${topic}.${randomUUID()}`;
  const wanted = [...end.keys()];
  const consumer = kafka.consumer({
    groupId,
    partitionAssigners: [exactly(topic, wanted)],
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 50,
  });
  const remaining = new Set(wanted);
  const next = new Map(from);
  let finish!: () => void;
  let fail!: (error: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  // Batches of only control records (transaction markers) never reach eachBatch; this event
  // reports every batch's last offset, so the end is recognised even when a marker is last.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.topic !== topic) return;
    const endOffset = end.get(payload.partition);
    if (endOffset !== undefined && Number(payload.lastOffset) + 1 >= endOffset) remaining.delete(payload.partition);
    if (remaining.size === 0) finish();
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) fail(payload.error);
  });
  const timer = setTimeout(
    () =>
      fail(
        new StreamkitError(
          'CHECKPOINT_FAILED',
          `changelog ${topic}: restoring partitions ${wanted.join(', ')} took longer than ${timeoutMs} ms`,
        ),
      ),
    timeoutMs,
  );
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        // A fetch may begin before the seek below, or repeat after it: each record is handed on once.
        const start = next.get(batch.partition) ?? 0;
        const messages = batch.messages.filter((m) => Number(m.offset) >= start);
        if (messages.length === 0) return;
        next.set(batch.partition, Number(messages[messages.length - 1].offset) + 1);
        await onBatch(batch.partition, messages);
      },
    });
    for (const p of wanted) {
      const start = from.get(p)!;
      if (start > 0) consumer.seek({ topic, partition: p, offset: String(start) });
    }
    await done;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  return end;
}

/** A partition assigner that gives the group's member exactly `partitions` of `topic`. */
function exactly(topic: string, partitions: number[]): PartitionAssigner {
  return () => ({
    name: 'StreamkitRestoreAssigner',
    version: 0,
    async assign({ members }) {
      return members.map(({ memberId }, i) => ({
        memberId,
        memberAssignment: kafkajs().AssignerProtocol.MemberAssignment.encode({
          version: 0,
          assignment: i === 0 ? { [topic]: partitions } : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: 'StreamkitRestoreAssigner',
        metadata: kafkajs().AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
      };
    },
  });
}
