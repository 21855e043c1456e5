import { createWriteStream, fsync, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { describeError, StreamkitError } from '../core/errors.js';
import { checkOptions } from '../core/options.js';
import type { Sink, SinkContext } from '../core/sink.js';

export interface JsonlSinkOptions<T = unknown> {
  /** Start with an empty file (default `false`: append, as a restarted job must). */
  truncate?: boolean;
  /** The text of an item's line, without the newline (default `JSON.stringify`). */
  encode?: (item: T) => string;
  /** `encode` under its earlier name. @deprecated use `encode`. */
  stringify?: (item: T) => string;
  /**
   * fsync on `flush()` (default `true`). Without it flushed lines survive a killed process but not
   * a power cut: enough for a job that keeps no checkpoints to resume from.
   */
  sync?: boolean;
}

/** Lines are handed to the file stream in chunks of at least this many characters (or at a flush). */
const COALESCE_CHARS = 1 << 16;

/**
 * Appends one JSON object per line: `JSON.stringify(item)`, or what `encode` writes. Lines are
 * handed to the file stream 64 KiB at a time; writes overlap with processing (the pipeline waits
 * only when the stream's buffer is full). `flush()` writes what is buffered, waits for it and
 * fsyncs (unless `sync: false`), so a completed checkpoint's results are on disk. After a crash and
 * restart, results between the last checkpoint and the crash are written again: read the file
 * idempotently, keeping the last line per `id` (see docs/concepts/delivery.md).
 *
 * An item JSON cannot write (a bigint, a cycle, nesting deeper than `JSON.stringify` goes, a bare
 * function or `undefined`), or one `encode` throws on, is not written: it goes to the stream's dead
 * letters with the reason, and the job goes on.
 * @param path the file; its folder is created when missing.
 * @param options `truncate`, `encode`, `sync`.
 * @throws TypeError naming a bad option.
 * @example
 * stream.aggregate({ trips: count() }).to(toJsonl('out/zone-5m.jsonl'))
 */
export function toJsonl<T = unknown>(path: string, options: JsonlSinkOptions<T> = {}): Sink<T> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('toJsonl(path): path must be a file path');
  checkOptions('toJsonl', options, ['truncate', 'encode', 'stringify', 'sync']);
  if (options.sync !== undefined && typeof options.sync !== 'boolean')
    throw new TypeError(`toJsonl: option sync must be a boolean, got ${JSON.stringify(options.sync)}`);
  const encode = encoderOf(options);
  const durable = options.sync ?? true;
  const name = `jsonl(${path})`;
  /** Lines waiting for the stream, each ending in a newline, and how many characters they hold. */
  let pending: string[] = [];
  let pendingChars = 0;
  let stream: WriteStream | undefined;
  let context: SinkContext<T> | undefined;
  let failure: unknown;

  /** The line of `item`, or why it has none. */
  const lineOf = (item: T): { line: string } | { refused: string } => {
    let text: unknown;
    try {
      text = encode(item);
    } catch (error) {
      return { refused: `cannot be written as JSON: ${describeError(error)}` };
    }
    // JSON has no text for undefined, a function or a symbol; an encode function must return one.
    if (typeof text !== 'string') return { refused: `has no JSON text (got ${text === null ? 'null' : typeof text})` };
    return { line: text + '\n' };
  };

  /** Hands the pending lines to the stream; waits only when its buffer is over the high-water mark. */
  const send = async (out: WriteStream): Promise<void> => {
    const text = pending.join('');
    pending = [];
    pendingChars = 0;
    if (!out.write(text)) await once(out, 'drain');
  };

  const opened = async (): Promise<WriteStream> => {
    if (failure !== undefined) throw failure;
    return stream!;
  };

  return {
    name,
    async open(given?: SinkContext<T>) {
      context = given;
      mkdirSync(dirname(path), { recursive: true });
      stream = createWriteStream(path, { flags: options.truncate ? 'w' : 'a', highWaterMark: 1 << 20 });
      stream.on('error', (error) => (failure = error));
      await once(stream, 'open');
    },
    async write(items: T[]) {
      const out = await opened();
      const lines: string[] = [];
      let chars = 0;
      for (const item of items) {
        const result = lineOf(item);
        if ('line' in result) {
          lines.push(result.line);
          chars += result.line.length;
        } else if (context) {
          context.deadLetter(item, result.refused);
        } else {
          // Opened without a context, there is no dead-letter output: the batch is not written.
          throw new StreamkitError('SINK_FAILED', `${name}: an item ${result.refused}`);
        }
      }
      for (const line of lines) pending.push(line);
      pendingChars += chars;
      // Small batches wait until there is a chunk worth a write (or a flush).
      if (pendingChars >= COALESCE_CHARS) await send(out);
    },
    async flush() {
      const out = await opened();
      if (pending.length > 0) await send(out);
      // Writes complete in order: once an empty write's callback runs, everything before it is written.
      await new Promise<void>((resolve, reject) => out.write('', (error) => (error ? reject(error) : resolve())));
      if (!durable) return;
      await new Promise<void>((resolve, reject) =>
        fsync((out as unknown as { fd: number }).fd, (error) => (error ? reject(error) : resolve())),
      );
    },
    async close() {
      const out = stream;
      if (!out) return;
      if (pending.length > 0 && failure === undefined) await send(out);
      stream = undefined;
      out.end();
      await once(out, 'close');
      if (failure !== undefined) throw failure;
    },
  };
}

function encoderOf<T>(options: JsonlSinkOptions<T>): (item: T) => string {
  const { encode, stringify } = options;
  if (encode !== undefined && stringify !== undefined) throw new TypeError('toJsonl: give option encode or stringify, not both');
  const given = encode ?? stringify;
  if (given === undefined) return JSON.stringify;
  if (typeof given !== 'function')
    throw new TypeError(`toJsonl: option ${encode !== undefined ? 'encode' : 'stringify'} must be a function`);
  return given;
}
