/**
 * Packing of a pair of small non-negative integers into one streamkit partition id, the number
 * per-partition watermarks, tasks and dead letters are keyed by: `group * STRIDE + member`.
 *
 * A Kafka source reading several topics packs (topic index, partition): partition `p` of the topic
 * at index `i` of `topics` is `i * 100000 + p`, so the first topic's ids are its partition numbers.
 * The stage after a repartition packs (repartition partition, origin index) to track one watermark
 * per origin in each partition. Ids live only in memory and in dead letters' `position.partition`;
 * checkpoints keep positions by topic name, so the packing is not part of any stored format.
 */

/** Ids of consecutive groups are this far apart; Kafka topics rarely exceed a few thousand partitions. */
export const KAFKA_TOPIC_PARTITION_STRIDE = 100_000;

/**
 * The partition id of `member` (a partition number) within `group` (a topic's index).
 * @throws RangeError when either is not a non-negative integer or `member` does not fit the stride
 * @example packPartitionId(1, 3); // 100003
 */
export function packPartitionId(group: number, member: number): number {
  if (!(Number.isInteger(group) && group >= 0 && Number.isInteger(member) && member >= 0 && member < KAFKA_TOPIC_PARTITION_STRIDE)) {
    throw new RangeError(
      `partition id: (${group}, ${member}) is not a pair of non-negative integers with the second below ${KAFKA_TOPIC_PARTITION_STRIDE}`,
    );
  }
  return group * KAFKA_TOPIC_PARTITION_STRIDE + member;
}

/**
 * The (group, member) pair a partition id packs; the inverse of {@link packPartitionId}.
 * @example unpackPartitionId(100003); // { group: 1, member: 3 }
 */
export function unpackPartitionId(id: number): { group: number; member: number } {
  return { group: Math.floor(id / KAFKA_TOPIC_PARTITION_STRIDE), member: id % KAFKA_TOPIC_PARTITION_STRIDE };
}
