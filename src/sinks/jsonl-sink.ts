import { createWriteStream, fsync, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { once } from 'node:events';
import type { Sink } from '../core/sink.js';
import { JsonLineWriter } from './json-line-writer.js';
import { writeWindowResultJson } from './window-result-json.js';

export interface JsonlSinkOptions {
  /** Start with an empty file (default `false`: append, as a restarted job must). */
  truncate?: boolean;
  /** Renders one item (default `JSON.stringify`, with a faster route for window results that writes the same text). */
  stringify?: (item: unknown) => string;
}

/**
 * Appends one JSON object per line. Writes overlap with processing (the file stream buffers them;
 * the pipeline waits only when the buffer is full); `flush()` waits for them and fsyncs, so a
 * completed checkpoint's results are on disk. After a crash and restart, results between the last
 * checkpoint and the crash are written again: read the file idempotently, keeping the last line
 * per `id` (see docs/concepts/delivery.md).
 * @example stream.to(toJsonl('out/gold.jsonl'))
 */
export function toJsonl<T = unknown>(path: string, options: JsonlSinkOptions = {}): Sink<T> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('toJsonl(path): path must be a file path');
  const stringify = options.stringify;
  const lines = new JsonLineWriter();
  let stream: WriteStream | undefined;
  let failure: unknown;

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
      if (items.length === 0) return;
      lines.reset();
      for (const item of items) {
        if (stringify) lines.text(String(stringify(item)));
        else if (!writeWindowResultJson(item, lines)) lines.text(String(JSON.stringify(item)));
        lines.byte(0x0a);
      }
      // Backpressure: wait only when the stream's buffer is over its high-water mark.
      if (!out.write(lines.take())) await once(out, 'drain');
    },
    async flush() {
      const out = await opened();
      // Writes complete in order: once an empty write's callback runs, everything before it is written.
      await new Promise<void>((resolve, reject) => out.write('', (error) => (error ? reject(error) : resolve())));
      await new Promise<void>((resolve, reject) => fsync((out as unknown as { fd: number }).fd, (error) => (error ? reject(error) : resolve())));
    },
    async close() {
      const out = stream;
      stream = undefined;
      if (!out) return;
      out.end();
      await once(out, 'close');
      if (failure !== undefined) throw failure;
    },
  };
}
