import type { Source } from '../core/source.js';
import { checkJsonlOptions, jsonlRangeSource, type JsonlSourceOptions } from '../sources/jsonl-source.js';
import type { FileSplit } from './file-splits.js';

/**
 * A source over the lines of one split of a JSON Lines file: every line whose first byte lies in
 * the split, read past its end to finish the last one (see {@link planFileSplits}). Lines become
 * records and dead letters exactly as {@link fromJsonl} makes them, with the same offsets, under
 * partition `split.index`; reading the splits of a file in order gives what `fromJsonl` gives.
 *
 * Its position is the byte offset after the last line handed out (`split.start` before the first).
 * A restore continues at the next line, and refuses with `SOURCE_FAILED` a position that is not a
 * line boundary, lies before the split or past the end of its last line, or a file shorter than
 * the split's end.
 * @param path - the file to read.
 * @param split - one of the file's {@link planFileSplits}.
 * @param options - as {@link fromJsonl}'s.
 * @throws TypeError or RangeError for a bad path, split or option.
 * @example
 * const { size } = statSync('trips.jsonl');
 * const sources = planFileSplits(size, 4).map((split) => fromJsonlSplit<Trip>('trips.jsonl', split));
 */
export function fromJsonlSplit<T = unknown>(path: string, split: FileSplit, options: JsonlSourceOptions = {}): Source<T> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('fromJsonlSplit(path, split): path must be a file path');
  checkSplit(split);
  const settings = checkJsonlOptions('fromJsonlSplit', options);
  const { index, start, end } = split;
  return jsonlRangeSource<T>(
    path,
    { start, end, partition: index },
    settings,
    'fromJsonlSplit',
    `jsonl(${path} split ${index}: bytes ${start}-${end})`,
  );
}

function checkSplit(split: FileSplit): void {
  if (split === null || typeof split !== 'object') {
    throw new TypeError(`fromJsonlSplit(path, split): split must be a { index, start, end } of planFileSplits, got ${String(split)}`);
  }
  const { index, start, end } = split;
  const whole = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (!whole(index) || !whole(start) || !whole(end) || end < start) {
    throw new RangeError(
      `fromJsonlSplit(path, split): split must have integers 0 ≤ index and 0 ≤ start ≤ end, got ${JSON.stringify({ index, start, end })}`,
    );
  }
}
