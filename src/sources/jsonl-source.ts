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
  checkOptions('fromJsonl', options, OPTIONS);
  if (options.parse !== undefined && typeof options.parse !== 'function') {
    throw new TypeError(`fromJsonl: option parse must be a function (line: string) => value, got ${typeof options.parse}`);
  }
  const parse = options.parse ?? JSON.parse;
  const maxLineBytes = positiveInteger('maxLineBytes', options.maxLineBytes, DEFAULT_MAX_LINE_BYTES);
  const maxDepth = positiveInteger('maxDepth', options.maxDepth, DEFAULT_MAX_DEPTH);
  const readBytes = positiveInteger('readBytes', options.readBytes, DEFAULT_READ_BYTES);
  let batchSize = positiveInteger('batchSize', options.batchSize, 1024);
  let file: FileHandle | undefined;
  let splitter: LineSplitter | undefined;
  /** Byte offset of the next read. */
  let readAt = 0;
  /** The position: the byte offset after the last line handed out. */
  let offset = 0;
  /** Lines read ahead, from `head` on. */
  let lines: SplitLine[] = [];
  let head = 0;
  let eof = false;

  const deadLetter = (reason: string, raw: unknown, at: number): DeadLetter => ({
    reason,
    raw,
    position: { partition: 0, offset: at },
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
    const batch: Batch<T> = { values, positions, partition: 0 };
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
        throw new StreamkitError('SOURCE_FAILED', `fromJsonl: cannot read ${path} at byte ${readAt}: ${describeError(error)}`, {
          cause: error,
        });
      }
      if (bytes.length === 0) {
        eof = true;
        splitter!.finish(lines);
        break;
      }
      readAt += bytes.length;
      nextRead = request(readAt);
      splitter!.push(bytes, lines);
    }
  };

  return {
    name: `jsonl(${path})`,
    partitions: () => [0],
    async open(ctx: SourceContext) {
      batchSize = positiveInteger('batchSize', options.batchSize, ctx.batchSize);
      // Fail fast, naming the path, if the file cannot be read.
      try {
        file = await open(path, 'r');
      } catch (error) {
        throw new StreamkitError('SOURCE_FAILED', `fromJsonl: cannot read ${path}: ${describeError(error)}`, { cause: error });
      }
      let start: number;
      try {
        start = await resumeOffset(file, path, ctx.restoreFrom);
      } catch (error) {
        await closeFile();
        if (error instanceof StreamkitError) throw error;
        throw new StreamkitError('SOURCE_FAILED', `fromJsonl: cannot read ${path}: ${describeError(error)}`, { cause: error });
      }
      readAt = offset = start;
      splitter = new LineSplitter({ start, maxLineBytes });
      lines = [];
      head = 0;
      eof = false;
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
 * The byte offset to resume at: 0 without a checkpoint, else the checkpoint's position, once it is
 * known to be a line boundary of this file (the end of the file, or just after a newline).
 */
async function resumeOffset(file: FileHandle, path: string, restoreFrom: unknown): Promise<number> {
  if (restoreFrom === undefined || restoreFrom === null || restoreFrom === 0) return 0;
  const refuse = (why: string) =>
    new StreamkitError('SOURCE_FAILED', `fromJsonl: cannot resume ${path} at the checkpoint's position: ${why}`);
  if (typeof restoreFrom !== 'number' || !Number.isSafeInteger(restoreFrom) || restoreFrom < 0) {
    throw refuse(`${JSON.stringify(restoreFrom)} is not a byte offset (was the checkpoint written by another source?)`);
  }
  const { size } = await file.stat();
  if (restoreFrom > size) {
    throw refuse(`the checkpoint is at byte ${restoreFrom} but the file has ${size} bytes: it was truncated or replaced since`);
  }
  const before = Buffer.alloc(1);
  await file.read(before, 0, 1, restoreFrom - 1);
  if (before[0] !== 0x0a && restoreFrom < size) {
    throw refuse(`byte ${restoreFrom - 1} is not the end of a line: the file changed since the checkpoint`);
  }
  return restoreFrom;
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

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`fromJsonl: option ${name} must be a number, got ${describeValue(value)}`);
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`fromJsonl: option ${name} must be a positive integer, got ${value}`);
  return value;
}
