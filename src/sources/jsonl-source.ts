import { open, type FileHandle } from 'node:fs/promises';
import type { Batch } from '../core/batch.js';
import type { DeadLetter } from '../core/dead-letter.js';
import { describeError, describeValue, StreamkitError } from '../core/errors.js';
import { checkOptions } from '../core/options.js';
import type { Source, SourceContext, SourcePoll } from '../core/source.js';
import { exceedsJsonDepth } from './exceeds-json-depth.js';
import { LineSplitter, type SplitLine } from './line-splitter.js';

export interface JsonlSourceOptions {
  /** Parses one line (default `JSON.parse`); a throw sends the line to dead letters. */
  parse?: (line: string) => unknown;
  /** Lines per batch (default: the run's `batchSize`). */
  batchSize?: number;
  /**
   * Longest line accepted, in bytes before its `\n` (default 1 MiB, 1,048,576: Kafka's default
   * largest message). A longer line is a dead letter; the reader skips to the next newline
   * without holding the line in memory.
   */
  maxLineBytes?: number;
  /**
   * Deepest nesting of arrays and objects accepted in a line (default 1,000, Jackson's default).
   * A deeper line is a dead letter: its value would overflow the stack of `JSON.stringify` in a
   * sink or a checkpoint, and fail the job again on every restart.
   */
  maxDepth?: number;
  /**
   * Bytes asked of the file per read (default 256 KiB). Memory per source is about twice this plus
   * the longest line. Lines are decoded a read at a time, so a larger read keeps more lines waiting.
   */
  readBytes?: number;
}

const DEFAULT_MAX_LINE_BYTES = 1 << 20;
const DEFAULT_MAX_DEPTH = 1000;
const DEFAULT_READ_BYTES = 1 << 18;
const OPTIONS = ['parse', 'batchSize', 'maxLineBytes', 'maxDepth', 'readBytes'];

/**
 * A bounded source over a JSON Lines file (UTF-8, one JSON value per line). Its position is the
 * byte offset after the last line handed out, so a restored job continues at the next line.
 *
 * Every line is a record or a dead letter (`{ reason, raw, position: { partition: 0, offset } }`,
 * `offset` the line's first byte); blank lines are skipped. Dead letters: a line that does not
 * parse (`raw` its text), is not valid UTF-8 (`raw` its bytes, a Buffer), is longer than
 * `maxLineBytes` (`raw` its first 1 KiB as text) or nests deeper than `maxDepth` (`raw` its
 * text). A `\r` before the `\n` is not part of the line; a UTF-8 byte-order mark at the start of
 * the file is skipped. The last line needs no newline (as JSON Lines allows): it is a record if it
 * parses, a dead letter if the file was cut short inside it. The file must not grow while read.
 *
 * A restore whose position does not fall on a line boundary of the file (the file was truncated,
 * replaced or appended to after an unterminated last line) fails with `SOURCE_FAILED` rather than
 * read from the middle of a line.
 *
 * @param path - the file to read.
 * @param options - see {@link JsonlSourceOptions}.
 * @returns a one-partition source.
 * @example
 * const dead = toArray<DeadLetter>();
 * await from(fromJsonl<Trip>('trips.jsonl', { maxLineBytes: 65_536 })).deadLetters(dead).to(toJsonl('out.jsonl')).run();
 * @see fromIterable for lines from elsewhere
 */
export function fromJsonl<T = unknown>(path: string, options: JsonlSourceOptions = {}): Source<T> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('fromJsonl(path): path must be a file path');
  const settings = checkJsonlOptions('fromJsonl', options);
  return jsonlRangeSource<T>(path, { start: 0, end: Infinity, partition: 0 }, settings, 'fromJsonl', `jsonl(${path})`);
}

/**
 * The lines a JSONL source reads: every line whose first byte lies in `[start, end)`, the last one
 * read to its end even past `end`. A range that starts inside a line leaves that line to the range
 * before it.
 */
export interface JsonlRange {
  /** Byte offset of the range's first byte. */
  readonly start: number;
  /** Byte offset just after the range; `Infinity` for the rest of the file, however long it is when read. */
  readonly end: number;
  /** The partition its batches and dead letters name. */
  readonly partition: number;
}

/** {@link JsonlSourceOptions} once checked, with their defaults. */
export interface JsonlSettings {
  readonly parse: (line: string) => unknown;
  /** Undefined: the run's `batchSize`. */
  readonly batchSize: number | undefined;
  readonly maxLineBytes: number;
  readonly maxDepth: number;
  readonly readBytes: number;
}

/**
 * Checks a JSONL source's options at the call site, naming `caller` in the messages.
 * @throws TypeError for an unknown option or a value of the wrong type; RangeError for a number out of range.
 */
export function checkJsonlOptions(caller: string, options: JsonlSourceOptions): JsonlSettings {
  checkOptions(caller, options, OPTIONS);
  if (options.parse !== undefined && typeof options.parse !== 'function') {
    throw new TypeError(`${caller}: option parse must be a function (line: string) => value, got ${typeof options.parse}`);
  }
  return {
    parse: options.parse ?? JSON.parse,
    maxLineBytes: positiveInteger(caller, 'maxLineBytes', options.maxLineBytes, DEFAULT_MAX_LINE_BYTES),
    maxDepth: positiveInteger(caller, 'maxDepth', options.maxDepth, DEFAULT_MAX_DEPTH),
    readBytes: positiveInteger(caller, 'readBytes', options.readBytes, DEFAULT_READ_BYTES),
    batchSize: positiveInteger(caller, 'batchSize', options.batchSize, undefined),
  };
}

/**
 * The one reader behind {@link fromJsonl} (the range `[0, Infinity)`) and the reader of one file
 * split: a one-partition source over the lines of `range`, with `fromJsonl`'s records, dead
 * letters and positions. Its position is the byte offset after the last line handed out, and
 * `range.start` until the first; a restore refuses a position outside the range's lines.
 * @param caller - the factory's name, for error messages.
 * @param name - the source's name.
 */
export function jsonlRangeSource<T>(path: string, range: JsonlRange, settings: JsonlSettings, caller: string, name: string): Source<T> {
  const { parse, maxLineBytes, maxDepth, readBytes } = settings;
  const { start, end, partition } = range;
  let batchSize = settings.batchSize ?? 1024;
  let file: FileHandle | undefined;
  let splitter: LineSplitter | undefined;
  /** Byte offset of the next read. */
  let readAt = 0;
  /** The position: the byte offset after the last line handed out. */
  let offset = start;
  /** Lines read ahead, from `head` on. */
  let lines: SplitLine[] = [];
  let head = 0;
  /** Set once every line of the range is in `lines`: at the end of the file, or past the range's last line. */
  let eof = false;
  /**
   * Set while the first line split is the end of a line that began before the range: reading
   * starts at the byte before the range, so that line ends at the range's first line (just after
   * that byte when it is a newline).
   */
  let dropFirstLine = false;

  const deadLetter = (reason: string, raw: unknown, at: number): DeadLetter => ({
    reason,
    raw,
    position: { partition, offset: at },
    operator: 'source',
  });

  const take = (): SourcePoll<T> => {
    const until = Math.min(lines.length, head + batchSize);
    if (until === head) return { kind: 'end' };
    const values: T[] = [];
    const positions: number[] = [];
    const deadLetters: DeadLetter[] = [];
    for (let i = head; i < until; i++) {
      const line = lines[i];
      const text = line.text;
      if (text === undefined) {
        deadLetters.push(deadLetter(line.problem!, line.raw, line.at));
        continue;
      }
      if (isBlank(text)) continue;
      let value: unknown;
      try {
        value = parse(text);
      } catch (error) {
        const cut = line.terminated ? '' : ' (the last line has no newline: the file may end inside it)';
        deadLetters.push(deadLetter(`unparseable line: ${describeError(error)}${cut}`, text, line.at));
        continue;
      }
      if (exceedsJsonDepth(text, maxDepth)) {
        deadLetters.push(deadLetter(`line nests arrays and objects deeper than maxDepth (${maxDepth})`, text, line.at));
        continue;
      }
      values.push(value as T);
      positions.push(line.at);
    }
    offset = lines[until - 1].end;
    head = until;
    const batch: Batch<T> = { values, positions, partition };
    return { kind: 'batch', batch, deadLetters };
  };

  /** The next read, requested before the chunk before it is split and parsed, so reading overlaps processing. */
  let nextRead: Promise<ReadResult> | undefined;

  /**
   * Two read buffers used in turn: one is split while the next read fills the other. The splitter
   * keeps nothing of a chunk once pushed, so the buffer a read fills was pushed before the read
   * began. A fresh buffer per read would leave a megabyte of garbage per read for the collector
   * (outside the JS heap, where V8 frees it only as it collects the Buffer objects).
   */
  let buffers: [Buffer, Buffer] | undefined;
  let nextBuffer = 0;

  /** Reads the chunk at `at` into the read buffer not being split; never rejects. */
  const request = (at: number): Promise<ReadResult> => {
    buffers ??= [Buffer.allocUnsafe(readBytes), Buffer.allocUnsafe(readBytes)];
    const buffer = buffers[nextBuffer];
    nextBuffer = 1 - nextBuffer;
    return file!.read(buffer, 0, readBytes, at).then(
      ({ bytesRead }) => ({ bytes: bytesRead < readBytes ? buffer.subarray(0, bytesRead) : buffer }),
      (error: unknown) => ({ error }),
    );
  };

  const closeFile = async () => {
    const f = file;
    file = undefined;
    const pending = nextRead;
    nextRead = undefined;
    await pending;
    buffers = undefined;
    await f?.close();
  };

  const fill = async () => {
    if (head > 0) {
      lines = lines.slice(head);
      head = 0;
    }
    while (lines.length < batchSize && !eof) {
      const { bytes, error } = await (nextRead ?? request(readAt));
      nextRead = undefined;
      // Closed while this poll waited (the job stopped): hand out only whole lines read so far.
      if (file === undefined) return;
      if (bytes === undefined) {
        throw new StreamkitError('SOURCE_FAILED', `${caller}: cannot read ${path} at byte ${readAt}: ${describeError(error)}`, {
          cause: error,
        });
      }
      const from = lines.length;
      if (bytes.length === 0) {
        eof = true;
        splitter!.finish(lines);
        keepOwnLines(from);
        break;
      }
      readAt += bytes.length;
      nextRead = request(readAt);
      splitter!.push(bytes, lines);
      keepOwnLines(from);
    }
  };

  /**
   * Keeps of `lines[from…]`, just split, the lines the range owns: drops the end of a line that
   * began before the range, and ends the reading at the first line that reaches the range's end,
   * the last that begins in it.
   */
  const keepOwnLines = (from: number) => {
    if (dropFirstLine && lines.length > from) {
      dropFirstLine = false;
      const [partial] = lines.splice(from, 1);
      if (partial.end >= end) {
        lines.length = from;
        eof = true;
        return;
      }
    }
    if (lines.length > from && lines[lines.length - 1].end >= end) {
      let last = from;
      while (lines[last].end < end) last++;
      lines.length = last + 1;
      eof = true;
    }
  };

  return {
    name,
    partitions: () => [partition],
    async open(ctx: SourceContext) {
      batchSize = settings.batchSize ?? ctx.batchSize;
      // Fail fast, naming the path, if the file cannot be read.
      try {
        file = await open(path, 'r');
      } catch (error) {
        throw new StreamkitError('SOURCE_FAILED', `${caller}: cannot read ${path}: ${describeError(error)}`, { cause: error });
      }
      let resumeAt: number;
      try {
        resumeAt = await resumeOffset(file, path, range, ctx.restoreFrom, caller);
      } catch (error) {
        await closeFile();
        if (error instanceof StreamkitError) throw error;
        throw new StreamkitError('SOURCE_FAILED', `${caller}: cannot read ${path}: ${describeError(error)}`, { cause: error });
      }
      offset = resumeAt;
      dropFirstLine = resumeAt === start && start > 0;
      readAt = dropFirstLine ? start - 1 : resumeAt;
      splitter = new LineSplitter({ start: readAt, maxLineBytes });
      lines = [];
      head = 0;
      // A range that owns no line (it starts at its end), or restored at the end of its last line.
      eof = resumeAt >= end;
    },
    poll(): SourcePoll<T> | Promise<SourcePoll<T>> {
      if (file === undefined) return { kind: 'end' };
      // Answer synchronously while a whole batch is read ahead; read more only when it is not.
      if (lines.length - head >= batchSize || eof) return take();
      return fill().then(take);
    },
    position: () => offset,
    close: closeFile,
  };
}

/** A chunk of the file (empty at its end), or why it could not be read. */
type ReadResult = { bytes: Buffer; error?: undefined } | { bytes?: undefined; error: unknown };

/**
 * The byte offset to resume at: the range's start without a checkpoint, else the checkpoint's
 * position, once it is known to be a line boundary of this file (the end of the file, or just
 * after a newline) that ends one of the range's lines. A range that ends before the end of the
 * file first checks that the file still reaches it.
 */
async function resumeOffset(file: FileHandle, path: string, range: JsonlRange, restoreFrom: unknown, caller: string): Promise<number> {
  const { start, end } = range;
  // Asked for at most once: a split checks it before a restore, a restore needs it too.
  let knownSize: number | undefined;
  const fileSize = async () => (knownSize ??= (await file.stat()).size);
  if (end !== Infinity) {
    const size = await fileSize();
    if (size < end) {
      throw new StreamkitError(
        'SOURCE_FAILED',
        `${caller}: cannot read ${path} from byte ${start} to ${end}: the file has ${size} bytes: it was truncated or replaced since it was split`,
      );
    }
  }
  if (restoreFrom === undefined || restoreFrom === null || restoreFrom === start) return start;
  const refuse = (why: string) =>
    new StreamkitError('SOURCE_FAILED', `${caller}: cannot resume ${path} at the checkpoint's position: ${why}`);
  if (typeof restoreFrom !== 'number' || !Number.isSafeInteger(restoreFrom) || restoreFrom < 0) {
    throw refuse(`${JSON.stringify(restoreFrom)} is not a byte offset (was the checkpoint written by another source?)`);
  }
  if (restoreFrom < start) {
    throw refuse(`byte ${restoreFrom} is before the split, which starts at byte ${start} (was the checkpoint written by another split?)`);
  }
  const size = await fileSize();
  if (restoreFrom > size) {
    throw refuse(`the checkpoint is at byte ${restoreFrom} but the file has ${size} bytes: it was truncated or replaced since`);
  }
  const before = Buffer.alloc(1);
  await file.read(before, 0, 1, restoreFrom - 1);
  if (before[0] !== 0x0a && restoreFrom < size) {
    throw refuse(`byte ${restoreFrom - 1} is not the end of a line: the file changed since the checkpoint`);
  }
  // The line the position ends must be one of the range's: it begins in [start, end).
  if (start > 0 || restoreFrom > end) {
    const lineStart = await lineStartBefore(file, restoreFrom, Math.max(0, start - 1));
    if (lineStart < start) {
      throw refuse(
        `the line that ends at byte ${restoreFrom} begins before the split, which starts at byte ${start} (was the checkpoint written by another split?)`,
      );
    }
    if (lineStart >= end) {
      throw refuse(
        `the line that ends at byte ${restoreFrom} begins at or after the split's end, byte ${end} (was the checkpoint written by another split?)`,
      );
    }
  }
  return restoreFrom;
}

/**
 * The first byte of the line that ends at `boundary` (just after its newline, or at the end of the
 * file): just after the newline before it, found by reading backwards a chunk at a time, down to
 * byte `floor` and no further. -1 when no newline lies in `[floor, boundary - 1)` and `floor` is
 * not the file's start, where the line would begin.
 */
async function lineStartBefore(file: FileHandle, boundary: number, floor: number): Promise<number> {
  const chunk = Buffer.allocUnsafe(Math.min(1 << 16, Math.max(1, boundary - 1 - floor)));
  for (let to = boundary - 1; to > floor;) {
    const from = Math.max(floor, to - chunk.length);
    const { bytesRead } = await file.read(chunk, 0, to - from, from);
    const newline = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (newline >= 0) return from + newline + 1;
    to = from;
  }
  return floor === 0 ? 0 : -1;
}

/** Whether a line holds only JSON whitespace (space, tab, CR): such lines are skipped, as JSON Lines readers do. */
function isBlank(text: string): boolean {
  // Most lines start with `{` and leave at the first character.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

function positiveInteger<F extends number | undefined>(caller: string, name: string, value: unknown, fallback: F): number | F {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`${caller}: option ${name} must be a number, got ${describeValue(value)}`);
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${caller}: option ${name} must be a positive integer, got ${value}`);
  return value;
}
