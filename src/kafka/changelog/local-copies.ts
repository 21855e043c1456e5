import type { Admin, Kafka as KafkaClient } from 'kafkajs';
import { decodeChangelogKey, encodeMarkerKey } from './changelog-record.js';
import { scanChangelog } from './changelog-reader.js';
import type { LocalBatch, LocalPosition, LocalTaskStore } from './local-task-store.js';

/** One task whose local copy is to be brought up to its changelog. */
export interface TaskCopy {
  local: LocalTaskStore;
  /** The changelog partition holding the task's records. */
  partition: number;
}

/** Where the changelog is read from. */
export interface ChangelogSource {
  kafka: KafkaClient;
  admin: Admin;
  topic: string;
  timeoutMs: number;
}

/**
 * The tasks whose local copy holds the checkpoint the changelog last committed for them, so that
 * they are used as they are, without a replay: the copy's position names a marker record that is
 * still in the changelog, byte for byte, and no record of the task follows it. Anything else means
 * another owner checkpointed the task since, or this instance committed a checkpoint to the
 * changelog and stopped before writing it to the copy, or the topic is not the one the copy was
 * taken from: the copy is stale.
 *
 * Only the changelog from the oldest position on is read; the caller has fenced earlier owners, so
 * no transaction of theirs can commit behind this read.
 */
export async function currentCopies(source: ChangelogSource, tasks: ReadonlyMap<string, TaskCopy>): Promise<Set<string>> {
  const positions = new Map<string, LocalPosition>();
  const from = new Map<number, number>();
  for (const [task, { local, partition }] of tasks) {
    const position = await local.position();
    if (position?.topic !== source.topic) continue;
    positions.set(task, position);
    from.set(partition, Math.min(from.get(partition) ?? Infinity, position.offset));
  }
  const found = new Set<string>();
  const followed = new Set<string>();
  await scanChangelog(source.kafka, source.admin, source.topic, from, source.timeoutMs, async (_partition, messages) => {
    for (const message of messages) {
      if (message.key === null) continue;
      const key = decodeChangelogKey(message.key);
      const position = key && positions.get(key.task);
      if (!position) continue;
      const offset = Number(message.offset);
      if (offset > position.offset) followed.add(key.task);
      else if (
        offset === position.offset &&
        key.uid === undefined &&
        message.key.equals(encodeMarkerKey(key.task)) &&
        message.value?.toString('utf8') === position.marker
      ) {
        found.add(key.task);
      }
    }
  });
  return new Set([...found].filter((task) => !followed.has(task)));
}

/**
 * Clears the tasks' local copies and streams their changelog records into them, in offset order
 * and a batch of LevelDB writes per fetched batch (never into the heap), then records the position
 * of each task's last marker. Every record in the changelog below its end belongs to a committed
 * checkpoint, so the copy ends up holding the last one exactly; a task never checkpointed ends
 * up empty, without a position. A rebuild cut short leaves no position, so the next one starts over.
 */
export async function rebuildCopies(source: ChangelogSource, tasks: ReadonlyMap<string, TaskCopy>): Promise<void> {
  for (const { local } of tasks.values()) await local.clear();
  const last = new Map<string, LocalPosition>();
  const from = new Map<number, number>();
  for (const { partition } of tasks.values()) from.set(partition, 0);
  await scanChangelog(source.kafka, source.admin, source.topic, from, source.timeoutMs, async (_partition, messages) => {
    const batches = new Map<string, LocalBatch>();
    for (const message of messages) {
      if (message.key === null) continue;
      const key = decodeChangelogKey(message.key);
      const copy = key && tasks.get(key.task);
      if (!copy) continue;
      if (key.uid === undefined) {
        if (message.value !== null)
          last.set(key.task, { topic: source.topic, offset: Number(message.offset), marker: message.value.toString('utf8') });
        continue;
      }
      let batch = batches.get(key.task);
      if (!batch) batches.set(key.task, (batch = copy.local.batch()));
      if (message.value === null) copy.local.del(batch, key.uid, key.key!);
      else copy.local.put(batch, key.uid, key.key!, message.value);
    }
    for (const batch of batches.values()) await batch.write();
  });
  for (const [task, position] of last) {
    const { local } = tasks.get(task)!;
    const batch = local.batch();
    local.setPosition(batch, position);
    await batch.write({ sync: true });
  }
}
