/**
 * File splits: a file cut into contiguous byte ranges that workers read in parallel, as Flink's
 * `FileInputFormat` cuts a file into `FileInputSplit`s. A split `[start, end)` owns every line
 * whose first byte lies in it: its reader skips the end of a line that began before `start` and
 * reads past `end` to finish the line that began before `end` (Flink's `DelimitedInputFormat`).
 * The ranges need not fall on line boundaries, so planning reads nothing of the file.
 */

/** One byte range of a file: `start` included, `end` excluded. */
export interface FileSplit {
  /** The split's place among the file's splits, 0 first; its readers name it as their partition. */
  readonly index: number;
  readonly start: number;
  readonly end: number;
}

/**
 * `count` contiguous byte ranges covering `[0, size)`: each `ceil(size / count)` bytes long but the
 * last ones, which may be shorter or empty (an empty file gives `count` empty splits, which read
 * nothing). Every line of the file is read by exactly one split, whatever the cut.
 * @param size - the file's length in bytes.
 * @param count - how many splits, at least 1.
 * @throws RangeError when `size` is not a non-negative integer or `count` not a positive one.
 * @example planFileSplits(10, 4) // [0, 3), [3, 6), [6, 9), [9, 10), as { index, start, end }
 */
export function planFileSplits(size: number, count: number): FileSplit[] {
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`planFileSplits: size must be a file's length in bytes, an integer ≥ 0, got ${String(size)}`);
  }
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) {
    throw new RangeError(`planFileSplits: count must be a whole number of splits ≥ 1, got ${String(count)}`);
  }
  const length = Math.ceil(size / count);
  return Array.from({ length: count }, (_, index) => ({
    index,
    start: Math.min(size, index * length),
    end: Math.min(size, (index + 1) * length),
  }));
}
