import { createWriteStream, fsync, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { once } from 'node:events';
import type { Sink } from '../core/sink.js';
import { JsonLineWriter } from '../fast/json-line-writer.js';
import { writeWindowResultJson } from '../fast/window-result-json.js';

export interface JsonlSinkOptions {
  /** Start with an empty file (default `false`: append, as a restarted job must). */
  truncate?: boolean;
  /** Renders one item (default `JSON.stringify`, with a faster route for window results that writes the same text). */
  stringify?: (item: unknown) => string;
  /**
   * fsync on `flush()` (default `true`). Without it flushed lines survive a killed process but not
   * a power cut: enough for a job that keeps no checkpoints to resume from.
   */
  sync?: boolean;
}

/** Lines are handed to the file stream in chunks of at least this many bytes (or at a flush). */
const COALESCE_BYTES = 1 << 16;

/**
 * Appends one JSON object per line. Lines are encoded into a buffer and handed to the file stream
 * 64 KiB at a time; writes overlap with processing (the pipeline waits only when the stream's
 * buffer is full). `flush()` writes what is buffered, waits for it and fsyncs (unless
 * `sync: false`), so a completed checkpoint's results are on disk. After a crash and restart,
 * results between the last checkpoint and the crash are written again: read the file
 * idempotently, keeping the last line per `id` (see docs/concepts/delivery.md).
 * @example stream.to(toJsonl('out/gold.jsonl'))
 */
export function toJsonl<T = unknown>(path: string, options: JsonlSinkOptions = {}): Sink<T> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('toJsonl(path): path must be a file path');
  if (options.sync !== undefined && typeof options.sync !== 'boolean')
    throw new TypeError(`toJsonl: option sync must be a boolean, got ${JSON.stringify(options.sync)}`);
  const stringify = options.stringify;
  const durable = options.sync ?? true;
  const lines = new JsonLineWriter();
  let stream: WriteStream | undefined;
  let failure: unknown;

  /** Hands the buffered lines to the stream; waits only when its buffer is over the high-water mark. */
  const send = async (out: WriteStream): Promise<void> => {
    if (!out.write(lines.take())) await once(out, 'drain');
  };

  const opened = async (): Promise<WriteStream> => {
    if (failure !== undefined) throw failure;
    return stream!;
  };

  return {
    name: `jsonl(${path})`,
    async open() {
      mkdirSync(dirname(path), { recursive: true });
      stream = createWriteStream(path, { flags: options.truncate ? 'w' : 'a', highWaterMark: 1 << 20 });
      stream.on('error', (error) => (failure = error));
      await once(stream, 'open');
    },
    async write(items: T[]) {
      const out = await opened();
      const mark = lines.length;
      try {
        for (const item of items) {
          if (stringify) lines.text(String(stringify(item)));
          else if (!writeWindowResultJson(item, lines)) lines.text(String(JSON.stringify(item)));
          lines.byte(0x0a);
        }
      } catch (error) {
        lines.truncate(mark);
        throw error;
      }
      // Small batches wait in the buffer until there is a chunk worth a write (or a flush).
      if (lines.length >= COALESCE_BYTES) await send(out);
    },
    async flush() {
      const out = await opened();
      if (lines.length > 0) await send(out);
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
      if (lines.length > 0 && failure === undefined) await send(out);
      stream = undefined;
      out.end();
      await once(out, 'close');
      if (failure !== undefined) throw failure;
    },
  };
}
