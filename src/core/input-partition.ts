/**
 * How a source over several inputs (`union`) numbers the partitions of its inputs:
 * `input × INPUT_PARTITION_STRIDE + partition`. The stride leaves room for any partition id an
 * input uses (Kafka packs topic and partition below 10^10) and keeps every id a safe integer for
 * up to 8192 inputs. Ids live in memory, metrics and dead letters only, never in a checkpoint.
 */
export const INPUT_PARTITION_STRIDE = 2 ** 40;

/** The most inputs one union can read: their partition ids stay safe integers. */
export const MAX_UNION_INPUTS = 8192;

/**
 * The partition id of `partition` of input `input`.
 * @example packInputPartition(1, 3) // 1099511627779
 */
export function packInputPartition(input: number, partition: number): number {
  return input * INPUT_PARTITION_STRIDE + partition;
}

/**
 * The input a packed partition id belongs to.
 * @example inputOfPartition(packInputPartition(2, 0)) // 2
 */
export function inputOfPartition(packed: number): number {
  return Math.floor(packed / INPUT_PARTITION_STRIDE);
}

/**
 * The input's own partition id of a packed id.
 * @example innerPartition(packInputPartition(2, 5)) // 5
 */
export function innerPartition(packed: number): number {
  return packed - inputOfPartition(packed) * INPUT_PARTITION_STRIDE;
}
